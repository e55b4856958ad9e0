import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { namespace } from '../../src/codec/catalogue.ts'
import { checkEnvelopeShape, checkReceivedEnvelope } from '../../src/envelope/envelope.ts'
import { GatewayError } from '../../src/errors.ts'
import { baseTime, envelope } from '../helpers/acm.ts'

function rejects(code: string, path: string) {
  return (error: unknown) => {
    assert.ok(GatewayError.is(error), `expected a GatewayError, got ${String(error)}`)
    assert.equal(error.code, code, error.message)
    assert.equal(error.path, path)
    return true
  }
}

const record = `${namespace}.GroupMembershipUpdate`
const ctx = {
  localSystem: 'bravo',
  topic: { from: 'alpha', to: 'bravo', category: 'groups' as const },
  recordKey: 'entity:group_membership_update',
  record,
  now: baseTime + 1_000,
  maxClockSkewMs: 300_000
}

describe('envelope checks', () => {
  test('a good envelope passes', () => {
    checkReceivedEnvelope(envelope('GROUP_MEMBERSHIP_UPDATE'), ctx)
  })

  const cases: [string, Parameters<typeof envelope>[1], string, string][] = [
    ['a messageId that is not a UUID', { messageId: 'abc' }, 'ACMGW_CODEC_INVALID', 'envelope.messageId'],
    ['a bad system id', { targetSystem: 'Bravo!' }, 'ACMGW_CODEC_INVALID', 'envelope.targetSystem'],
    ['an empty agreement id', { agreementId: '' }, 'ACMGW_CODEC_INVALID', 'envelope.agreementId'],
    ['a negative entity version', { entityVersion: -1 }, 'ACMGW_CODEC_INVALID', 'envelope.entityVersion'],
    ['expiry before creation', { expiresAt: baseTime - 1 }, 'ACMGW_CODEC_INVALID', 'envelope.expiresAt'],
    [
      'a target with neither id nor alias',
      { target: { mcServiceId: null, functionalAlias: null } },
      'ACMGW_CODEC_INVALID',
      'envelope.target'
    ],
    ['another source', { sourceSystem: 'charlie' }, 'ACMGW_ENVELOPE_WRONG_SOURCE', 'envelope.sourceSystem'],
    ['another target', { targetSystem: 'charlie' }, 'ACMGW_ENVELOPE_WRONG_TARGET', 'envelope.targetSystem'],
    ['another entity', { entityKey: 'group:x' }, 'ACMGW_ENVELOPE_KEY_MISMATCH', 'envelope.entityKey'],
    ['expired', { createdAt: baseTime - 10_000, expiresAt: baseTime }, 'ACMGW_ENVELOPE_EXPIRED', 'envelope.expiresAt'],
    [
      'from the future',
      { createdAt: baseTime + 400_000, expiresAt: baseTime + 500_000 },
      'ACMGW_ENVELOPE_NOT_YET_VALID',
      'envelope.createdAt'
    ]
  ]
  for (const [name, overrides, code, path] of cases) {
    test(`${name} → ${code}`, () => {
      assert.throws(
        () => checkReceivedEnvelope(envelope('GROUP_MEMBERSHIP_UPDATE', overrides), ctx),
        rejects(code, path)
      )
    })
  }

  test('a kind on a topic of another category', () => {
    const e = envelope('JOINT_GROUP_CREATE')
    assert.throws(
      () =>
        checkReceivedEnvelope(e, {
          ...ctx,
          record: `${namespace}.JointGroupCreate`,
          topic: { ...ctx.topic, category: 'status' }
        }),
      rejects('ACMGW_ENVELOPE_WRONG_TOPIC', 'envelope.kind')
    )
  })

  test('a kind of another record', () => {
    assert.throws(
      () => checkEnvelopeShape(envelope('JOINT_GROUP_CREATE'), record),
      rejects('ACMGW_ENVELOPE_KIND_MISMATCH', 'envelope.kind')
    )
  })

  test('replay: the injected seen check decides, with source and messageId', () => {
    const e = envelope('GROUP_MEMBERSHIP_UPDATE')
    const seen = new Set([`alpha/${e.messageId}`])
    assert.throws(
      () => checkReceivedEnvelope(e, { ...ctx, seen: (s, id) => seen.has(`${s}/${id}`) }),
      rejects('ACMGW_ENVELOPE_REPLAYED', 'envelope.messageId')
    )
    checkReceivedEnvelope(envelope('GROUP_MEMBERSHIP_UPDATE'), { ...ctx, seen: (s, id) => seen.has(`${s}/${id}`) })
  })
})
