import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { decide, globMatches, type Policy } from '../../src/policy/decide.ts'

const policy: Policy = {
  default: 'pending',
  rules: [
    {
      name: 'emergency migrations from be-police',
      when: { kinds: ['MIGRATION_USERS_ADD'], partners: ['be-police'], urgencies: ['EMERGENCY'] },
      decision: 'accept'
    },
    {
      name: 'no migrations from outside the border units',
      when: { kinds: ['MIGRATION_USERS_ADD'], requesters: ['*@hq.be-police.example'] },
      decision: 'reject',
      reason: 'headquarters do not send staff across this border'
    },
    { name: 'membership updates are routine', when: { kinds: ['GROUP_MEMBERSHIP_UPDATE'] }, decision: 'accept' }
  ]
}

describe('policy decisions', () => {
  const cases = [
    [
      'emergency migration from be-police',
      {
        kind: 'MIGRATION_USERS_ADD',
        partner: 'be-police',
        urgency: 'EMERGENCY',
        requester: 'sip:a@hq.be-police.example'
      },
      'accept',
      'emergency migrations from be-police'
    ],
    [
      'routine migration from headquarters',
      { kind: 'MIGRATION_USERS_ADD', partner: 'be-police', urgency: 'NORMAL', requester: 'sip:a@hq.be-police.example' },
      'reject',
      'no migrations from outside the border units'
    ],
    [
      'routine migration from a border unit',
      {
        kind: 'MIGRATION_USERS_ADD',
        partner: 'be-police',
        urgency: 'NORMAL',
        requester: 'sip:b@border.be-police.example'
      },
      'pending',
      undefined
    ],
    [
      'membership update from anyone',
      { kind: 'GROUP_MEMBERSHIP_UPDATE', partner: 'de-fire', urgency: 'LOW', requester: 'x' },
      'accept',
      'membership updates are routine'
    ]
  ] as const
  for (const [name, input, decision, rule] of cases) {
    test(`${name} → ${decision}`, () => {
      const outcome = decide(policy, input)
      assert.equal(outcome.decision, decision)
      assert.equal(outcome.rule, rule)
    })
  }

  test('a rule reason is carried; the default says it is the default', () => {
    assert.equal(
      decide(policy, {
        kind: 'MIGRATION_USERS_ADD',
        partner: 'x',
        urgency: 'NORMAL',
        requester: 'sip:q@hq.be-police.example'
      }).reason,
      'headquarters do not send staff across this border'
    )
    assert.match(
      decide(policy, { kind: 'OTHER', partner: 'x', urgency: 'NORMAL', requester: 'q' }).reason,
      /policy default is pending/
    )
  })

  test('globs are literal except for *', () => {
    assert.equal(globMatches('sip:*@be.example', 'sip:alice@be.example'), true)
    assert.equal(globMatches('sip:*@be.example', 'sip:alice@bexexample'), false)
    assert.equal(globMatches('a+b', 'aab'), false)
    assert.equal(globMatches('*', ''), true)
  })
})
