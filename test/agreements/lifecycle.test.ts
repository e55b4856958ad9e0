import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { admit, transition } from '../../src/agreements/lifecycle.ts'
import type { Agreement, AgreementStatus } from '../../src/agreements/model.ts'

describe('agreement transitions', () => {
  const table: [AgreementStatus | undefined, Parameters<typeof transition>[1], AgreementStatus | 'refused'][] = [
    [undefined, 'COOPERATION_PROPOSED', 'PROPOSED'],
    [undefined, 'COOPERATION_ACCEPTED', 'refused'],
    ['PROPOSED', 'COOPERATION_PROPOSED', 'PROPOSED'],
    ['PROPOSED', 'COOPERATION_ACCEPTED', 'ACTIVE'],
    ['PROPOSED', 'COOPERATION_SUSPENDED', 'refused'],
    ['ACTIVE', 'COOPERATION_SUSPENDED', 'SUSPENDED'],
    ['ACTIVE', 'COOPERATION_ACCEPTED', 'refused'],
    ['ACTIVE', 'COOPERATION_PROPOSED', 'refused'],
    ['SUSPENDED', 'COOPERATION_RESUMED', 'ACTIVE'],
    ['ACTIVE', 'COOPERATION_RESUMED', 'refused'],
    ['SUSPENDED', 'COOPERATION_TERMINATED', 'TERMINATED'],
    ['ACTIVE', 'COOPERATION_TERMINATED', 'TERMINATED'],
    ['PROPOSED', 'COOPERATION_TERMINATED', 'TERMINATED'],
    ['TERMINATED', 'COOPERATION_TERMINATED', 'refused'],
    ['TERMINATED', 'COOPERATION_RESUMED', 'refused']
  ]
  for (const [from, kind, to] of table) {
    test(`${from ?? '(none)'} + ${kind} → ${to}`, () => {
      const result = transition(from, kind)
      if (to === 'refused') assert.equal(result.ok, false)
      else assert.deepEqual(result, { ok: true, status: to })
    })
  }
})

describe('traffic admission', () => {
  const base: Agreement = {
    id: 'nl-be',
    partner: 'be-police',
    status: 'ACTIVE',
    services: ['MCPTT'],
    categories: ['status', 'migration'],
    validFrom: '2026-01-01T00:00:00Z',
    validUntil: '2027-01-01T00:00:00Z',
    limits: {}
  }
  const now = Date.parse('2026-06-01T00:00:00Z')
  const cases: [string, Agreement | undefined, Parameters<typeof admit>[1], string][] = [
    ['active, in scope', base, { partner: 'be-police', category: 'migration', now }, 'admitted'],
    ['unknown agreement', undefined, { partner: 'be-police', category: 'migration', now }, 'AGREEMENT_UNKNOWN'],
    ['another partner', base, { partner: 'de-fire', category: 'migration', now }, 'AGREEMENT_OTHER_PARTNER'],
    ['out of scope', base, { partner: 'be-police', category: 'users', now }, 'CATEGORY_OUT_OF_SCOPE'],
    [
      'suspended data',
      { ...base, status: 'SUSPENDED' },
      { partner: 'be-police', category: 'migration', now },
      'AGREEMENT_SUSPENDED'
    ],
    [
      'suspended status',
      { ...base, status: 'SUSPENDED' },
      { partner: 'be-police', category: 'status', now },
      'admitted'
    ],
    [
      'proposed data',
      { ...base, status: 'PROPOSED' },
      { partner: 'be-police', category: 'migration', now },
      'AGREEMENT_NOT_ACTIVE'
    ],
    [
      'proposed answer',
      { ...base, status: 'PROPOSED' },
      { partner: 'be-police', category: 'responses', now },
      'admitted'
    ],
    [
      'terminated status',
      { ...base, status: 'TERMINATED' },
      { partner: 'be-police', category: 'status', now },
      'AGREEMENT_TERMINATED'
    ],
    [
      'before validity',
      base,
      { partner: 'be-police', category: 'migration', now: Date.parse('2025-06-01T00:00:00Z') },
      'AGREEMENT_NOT_YET_VALID'
    ],
    [
      'after validity',
      base,
      { partner: 'be-police', category: 'migration', now: Date.parse('2027-06-01T00:00:00Z') },
      'AGREEMENT_EXPIRED'
    ]
  ]
  for (const [name, agreement, check, expected] of cases) {
    test(`${name} → ${expected}`, () => {
      const result = admit(agreement, check)
      assert.equal(result.admitted ? 'admitted' : result.reasonCode, expected)
    })
  }
})
