import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { AuditRecord } from '../../src/audit/chain.ts'
import { auditRecordsOf } from '../../src/audit/events.ts'
import type { EngineEvent } from '../../src/gateway/engine.ts'

const about = { partner: 'be-police', kind: 'MIGRATION_USERS_ADD', messageId: 'm-1' }
const officer = 'sip:duty-officer@nl-police.example'

describe('engine events → audit entries', () => {
  const cases: { name: string; event: EngineEvent; records: AuditRecord[] }[] = [
    {
      name: 'request sent',
      event: { type: 'sent', direction: 'outbound', ...about },
      records: [{ type: 'request-sent', ...about }]
    },
    {
      name: 'request received',
      event: { type: 'received', direction: 'inbound', ...about },
      records: [{ type: 'request-received', ...about }]
    },
    {
      name: 'an answer as it arrives (recorded once matched)',
      event: { type: 'received', direction: 'inbound', ...about, kind: 'FINAL_RESPONSE' },
      records: []
    },
    {
      name: 'answer matched to its request, decided by a person on the other side',
      event: { type: 'answer', direction: 'outbound', ...about, outcome: 'ACCEPTED', approver: officer, latencyMs: 5 },
      records: [{ type: 'answer-received', ...about, outcome: 'ACCEPTED', decidedBy: officer }]
    },
    {
      name: 'held pending by a rule',
      event: { type: 'pending', direction: 'inbound', ...about, rule: 'hold-migrations' },
      records: [{ type: 'decision', ...about, outcome: 'PENDING', decidedBy: 'automatic', rule: 'hold-migrations' }]
    },
    {
      name: 'applied automatically',
      event: {
        type: 'applied',
        direction: 'inbound',
        ...about,
        outcome: 'ACCEPTED',
        approver: null,
        rule: '(default)'
      },
      records: [{ type: 'decision', ...about, outcome: 'ACCEPTED', decidedBy: 'automatic', rule: '(default)' }]
    },
    {
      name: 'applied after an approval',
      event: { type: 'applied', direction: 'inbound', ...about, outcome: 'PARTIAL', approver: officer },
      records: [{ type: 'decision', ...about, outcome: 'PARTIAL', decidedBy: officer, rule: undefined }]
    },
    {
      name: 'an operator approves',
      event: { type: 'decided', direction: 'inbound', ...about, outcome: 'approve', approver: officer },
      records: [{ type: 'decision', ...about, outcome: 'APPROVED', decidedBy: officer, rule: undefined }]
    },
    {
      name: 'nobody decided in time',
      event: { type: 'decided', direction: 'inbound', ...about, outcome: 'expired' },
      records: [{ type: 'decision', ...about, outcome: 'EXPIRED', decidedBy: 'automatic', rule: 'policy.pendingTtl' }]
    },
    {
      name: 'a proposal accepted',
      event: {
        type: 'decided',
        direction: 'inbound',
        ...about,
        kind: 'COOPERATION_PROPOSED',
        outcome: 'ACCEPTED',
        approver: null,
        rule: '(default)',
        agreementId: 'nl-be'
      },
      records: [
        {
          type: 'decision',
          ...about,
          kind: 'COOPERATION_PROPOSED',
          outcome: 'ACCEPTED',
          decidedBy: 'automatic',
          rule: '(default)'
        },
        {
          type: 'agreement-status',
          ...about,
          kind: 'COOPERATION_PROPOSED',
          outcome: 'ACTIVE',
          decidedBy: 'automatic',
          agreementId: 'nl-be'
        }
      ]
    },
    {
      name: 'the partner suspends',
      event: {
        type: 'applied',
        direction: 'inbound',
        ...about,
        kind: 'COOPERATION_SUSPENDED',
        outcome: 'SUSPENDED',
        agreementId: 'nl-be'
      },
      records: [
        {
          type: 'agreement-status',
          ...about,
          kind: 'COOPERATION_SUSPENDED',
          outcome: 'SUSPENDED',
          decidedBy: 'be-police',
          agreementId: 'nl-be'
        }
      ]
    },
    {
      name: 'this side terminates',
      event: {
        type: 'status-changed',
        direction: 'outbound',
        ...about,
        kind: 'COOPERATION_TERMINATED',
        outcome: 'TERMINATED',
        approver: officer,
        agreementId: 'nl-be'
      },
      records: [
        {
          type: 'agreement-status',
          ...about,
          kind: 'COOPERATION_TERMINATED',
          outcome: 'TERMINATED',
          decidedBy: officer,
          agreementId: 'nl-be'
        }
      ]
    },
    {
      name: 'rejected by policy',
      event: {
        type: 'rejected',
        direction: 'inbound',
        ...about,
        reasonCode: 'POLICY',
        approver: null,
        rule: 'no-fire'
      },
      records: [{ type: 'rejection', ...about, reasonCode: 'POLICY', decidedBy: 'automatic', rule: 'no-fire' }]
    },
    {
      name: 'rejected by an operator',
      event: {
        type: 'rejected',
        direction: 'inbound',
        ...about,
        reasonCode: 'REJECTED_BY_OPERATOR',
        approver: officer
      },
      records: [
        { type: 'rejection', ...about, reasonCode: 'REJECTED_BY_OPERATOR', decidedBy: officer, rule: undefined }
      ]
    },
    {
      name: 'a replayed message id',
      event: { type: 'duplicate', direction: 'inbound', partner: 'be-police', kind: null, messageId: null },
      records: [
        {
          type: 'rejection',
          partner: 'be-police',
          kind: null,
          messageId: null,
          reasonCode: 'ACMGW_ENVELOPE_REPLAYED',
          decidedBy: 'automatic'
        }
      ]
    },
    {
      name: 'a redelivered message id, named with the outcome of its first handling',
      event: { type: 'duplicate', direction: 'inbound', ...about, outcome: 'ACCEPTED' },
      records: [
        {
          type: 'rejection',
          ...about,
          reasonCode: 'ACMGW_ENVELOPE_REPLAYED',
          decidedBy: 'automatic',
          outcome: 'ACCEPTED'
        }
      ]
    },
    {
      name: 'a dead letter',
      event: { type: 'dead-lettered', direction: 'inbound', ...about, reasonCode: 'ACMGW_SIGNATURE_INVALID' },
      records: [{ type: 'dead-letter', ...about, reasonCode: 'ACMGW_SIGNATURE_INVALID' }]
    }
  ]
  for (const c of cases) {
    test(c.name, () => assert.deepEqual(auditRecordsOf(c.event), c.records))
  }

  test('no latency, direction or other event detail reaches an entry', () => {
    const records = auditRecordsOf({
      type: 'applied',
      direction: 'inbound',
      ...about,
      outcome: 'ACCEPTED',
      latencyMs: 9
    })
    assert.ok(records.every((r) => !('latencyMs' in r) && !('direction' in r)))
  })
})
