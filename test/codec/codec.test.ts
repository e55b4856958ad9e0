import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, test } from 'node:test'
import avro from 'avsc'
import { parsingCanonicalForm } from '../../src/codec/canonical.ts'
import { type AcmKind, namespace } from '../../src/codec/catalogue.ts'
import { fingerprintBytes } from '../../src/codec/fingerprint.ts'
import type { ConsumedRecord, ProducedRecord } from '../../src/codec/codec.ts'
import { createEmbeddedWire } from '../../src/codec/wire.ts'
import type { AcmMessage } from '../../src/envelope/envelope.ts'
import { buildTrustStore } from '../../src/envelope/pins.ts'
import { type RecordSigner, signatureHeader, signerHeader } from '../../src/envelope/signing.ts'
import { GatewayError } from '../../src/errors.ts'
import {
  baseTime,
  body,
  codecFor,
  envelope,
  identity,
  kindNames,
  message,
  sampleSecrets,
  schemas,
  testPki
} from '../helpers/acm.ts'
import { zigzag } from '../helpers/avro-bytes.ts'

const now = baseTime + 1_000

function rejects(code: string, path?: string) {
  return (error: unknown) => {
    assert.ok(GatewayError.is(error), `expected a GatewayError, got ${String(error)}`)
    assert.equal(error.code, code, error.message)
    if (path !== undefined) assert.equal(error.path, path, error.message)
    return true
  }
}

/** Plain data, so that avsc's record instances compare with object literals. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('base64') : v)))
}

/** Signs arbitrary bytes as `signer` would: a buggy or compromised partner, or a test of what lies behind the signature. */
function resign(record: ProducedRecord, signer: RecordSigner, changes: Partial<ProducedRecord> = {}): ConsumedRecord {
  const topic = changes.topic ?? record.topic
  const key = changes.key ?? record.key
  const value = changes.value ?? record.value
  return {
    topic,
    key,
    value,
    headers: {
      [signatureHeader]: signer.sign(topic, key, value),
      [signerHeader]: Buffer.from(signer.keyId)
    }
  }
}

// Built once, for all the suites below.
const alphaCodec = await codecFor('alpha')
const bravoCodec = await codecFor('bravo')
const shallowBravo = await codecFor('bravo', { limits: { maxDepth: 3 } })
const schemaSet = await schemas()

describe('round trip of every kind (embedded single-object encoding)', () => {
  const alpha = alphaCodec
  const bravo = bravoCodec
  for (const kind of kindNames) {
    test(kind, () => {
      const sent = message(kind)
      const record = alpha.encode(sent, kind === 'SECURITY_PARAMETERS' ? { secrets: sampleSecrets } : {})
      assert.match(record.topic, /^acm\.alpha\.bravo\./)
      assert.equal(record.key.toString(), sent.envelope.entityKey)
      assert.deepEqual([record.value[0], record.value[1]], [0xc3, 0x01])
      const received = bravo.decode(record, { now })
      assert.equal(received.kind, kind)
      assert.equal(received.signer.systemId, 'alpha')
      const { sealed, ...rest } = received.message as AcmMessage & { sealed?: unknown }
      if (kind === 'SECURITY_PARAMETERS') {
        assert.ok(sealed !== null && sealed !== undefined, 'the secrets travel sealed')
        assert.deepEqual(plain(received.secrets), plain(sampleSecrets))
        assert.equal(record.value.includes(Buffer.from('s3cr3t')), false, 'no secret in the clear')
        assert.deepEqual(plain(rest), plain({ ...sent, sealed: undefined }))
      } else {
        assert.deepEqual(plain(received.message), plain(sent))
      }
    })
  }

  test('the record decodes with plain avsc and the shipped schema (any Avro implementation can read it)', async () => {
    const set = schemaSet
    const record = alpha.encode(message('GROUP_MEMBERSHIP_UPDATE'))
    const type = set.get(`${namespace}.GroupMembershipUpdate`).type
    const decoded = type.fromBuffer(record.value.subarray(10)) as AcmMessage
    assert.equal(decoded.envelope.kind, 'GROUP_MEMBERSHIP_UPDATE')
  })
})

describe('encoding refuses what it must not sign', () => {
  const alpha = alphaCodec
  test('a message for another source system', () => {
    assert.throws(
      () => alpha.encode(message('FINAL_RESPONSE', { sourceSystem: 'charlie' })),
      rejects('ACMGW_ENVELOPE_WRONG_SOURCE', 'envelope.sourceSystem')
    )
  })
  test('a kind that does not belong to the record', () => {
    const m = { envelope: envelope('GROUP_MEMBERSHIP_UPDATE'), ...body('JOINT_GROUP_CREATE') }
    assert.throws(() => alpha.encode(m), rejects('ACMGW_CODEC_INVALID'))
  })
  test('a body that does not fit the schema, with the field path', () => {
    const m = message('GROUP_MEMBERSHIP_UPDATE')
    m.mcServiceIdList = ['ok', 42]
    assert.throws(() => alpha.encode(m), rejects('ACMGW_CODEC_INVALID', 'mcServiceIdList[1]'))
  })
  test('a procedure that needs a target user without one', () => {
    assert.throws(
      () => alpha.encode(message('GROUP_MEMBERSHIP_UPDATE', { target: null })),
      rejects('ACMGW_CODEC_INVALID', 'envelope.target')
    )
  })
  test('an answer without correlationId', () => {
    assert.throws(
      () => alpha.encode(message('FINAL_RESPONSE', { correlationId: null })),
      rejects('ACMGW_CODEC_INVALID', 'envelope.correlationId')
    )
  })
  test('secrets for a partner without a pinned encryption certificate', async () => {
    const pki = testPki()
    const noRecipient = await codecFor('alpha', {
      trust: buildTrustStore([{ ...pki.partner('bravo'), encryptionCertificatePem: undefined }])
    })
    assert.throws(
      () => noRecipient.encode(message('SECURITY_PARAMETERS'), { secrets: sampleSecrets }),
      rejects('ACMGW_RECIPIENT_UNKNOWN')
    )
  })
})

describe('negative table: every hostile or wrong record is refused with its code', () => {
  const pki = testPki()
  const alpha = alphaCodec
  const bravo = bravoCodec
  const alphaSigner = pki.gateways.alpha.signer
  const charlieSigner = pki.gateways.charlie.signer
  const good = (kind: AcmKind = 'GROUP_MEMBERSHIP_UPDATE', overrides = {}) => alpha.encode(message(kind, overrides))
  const flip = (buf: Buffer, at: number) => {
    const copy = Buffer.from(buf)
    copy[at] = (copy[at] ?? 0) ^ 0x01
    return copy
  }
  const set = schemaSet

  // The contract has no recursive schemas, so a value can nest only as deep as its schema; a receiver with a
  // depth limit below that shows the guard acting in the decode path (guard.test.ts has the recursive case).
  const shallow = shallowBravo
  const cases: {
    name: string
    code: string
    path?: string
    record: () => ConsumedRecord
    seen?: boolean
    receiver?: typeof bravo
  }[] = [
    {
      name: 'tampered body (one bit of the member list)',
      code: 'ACMGW_SIGNATURE_INVALID',
      record: () => {
        const r = good()
        return { ...r, value: flip(r.value, r.value.length - 3) }
      }
    },
    {
      name: 'tampered envelope (one bit of the messageId)',
      code: 'ACMGW_SIGNATURE_INVALID',
      record: () => {
        const r = good()
        return { ...r, value: flip(r.value, 12) }
      }
    },
    {
      name: 'tampered record key',
      code: 'ACMGW_SIGNATURE_INVALID',
      record: () => ({ ...good(), key: Buffer.from('group:other') })
    },
    {
      name: 're-posted (by the broker operator) to charlie’s topic towards bravo',
      code: 'ACMGW_SIGNER_MISMATCH',
      record: () => {
        const r = alpha.encode(message('JOINT_GROUP_DISSOLVE'))
        return { ...r, topic: 'acm.charlie.bravo.groups' }
      }
    },
    {
      name: 'wrong signer: charlie signs a record on alpha’s topic with its own key',
      code: 'ACMGW_SIGNER_MISMATCH',
      record: () => resign(good(), charlieSigner)
    },
    {
      name: 'wrong signer: charlie’s signature under alpha’s key id',
      code: 'ACMGW_SIGNATURE_INVALID',
      record: () => {
        const r = resign(good(), charlieSigner)
        return { ...r, headers: { ...r.headers, [signerHeader]: Buffer.from(alphaSigner.keyId) } }
      }
    },
    {
      name: 'unknown signer: a key no pin names',
      code: 'ACMGW_SIGNER_UNKNOWN',
      record: () => resign(good(), identity(pki.ca, 'alpha').signer)
    },
    {
      name: 'no signature headers',
      code: 'ACMGW_SIGNATURE_MISSING',
      record: () => ({ ...good(), headers: {} })
    },
    {
      name: 'a signature header given twice',
      code: 'ACMGW_SIGNATURE_INVALID',
      record: () => {
        const r = good()
        const sig = r.headers[signatureHeader] as Buffer
        return { ...r, headers: { ...r.headers, [signatureHeader]: [sig, sig] } }
      }
    },
    {
      name: 'replayed messageId (the runtime’s seen-set says so)',
      code: 'ACMGW_ENVELOPE_REPLAYED',
      path: 'envelope.messageId',
      seen: true,
      record: () => good()
    },
    {
      name: 'expired',
      code: 'ACMGW_ENVELOPE_EXPIRED',
      path: 'envelope.expiresAt',
      record: () => good('GROUP_MEMBERSHIP_UPDATE', { createdAt: now - 20_000, expiresAt: now - 1 })
    },
    {
      name: 'created beyond the clock skew in the future',
      code: 'ACMGW_ENVELOPE_NOT_YET_VALID',
      path: 'envelope.createdAt',
      record: () => good('GROUP_MEMBERSHIP_UPDATE', { createdAt: now + 600_000, expiresAt: now + 900_000 })
    },
    {
      name: 'wrong target: a topic addressed to another system',
      code: 'ACMGW_ENVELOPE_WRONG_TARGET',
      record: () => good('GROUP_MEMBERSHIP_UPDATE', { targetSystem: 'charlie' })
    },
    {
      name: 'wrong target: envelope for charlie, signed onto bravo’s topic',
      code: 'ACMGW_ENVELOPE_WRONG_TARGET',
      path: 'envelope.targetSystem',
      record: () => {
        const r = good('GROUP_MEMBERSHIP_UPDATE', { targetSystem: 'charlie' })
        return resign(r, alphaSigner, { topic: 'acm.alpha.bravo.groups' })
      }
    },
    {
      name: 'wrong source: envelope claims charlie on alpha’s topic',
      code: 'ACMGW_ENVELOPE_WRONG_SOURCE',
      path: 'envelope.sourceSystem',
      record: () => {
        const type = set.get(`${namespace}.GroupMembershipUpdate`).type
        const m = message('GROUP_MEMBERSHIP_UPDATE', { sourceSystem: 'charlie' })
        const value = Buffer.concat([
          Buffer.from([0xc3, 0x01]),
          set.get(`${namespace}.GroupMembershipUpdate`).fingerprint,
          type.toBuffer(m)
        ])
        return resign(
          { topic: 'acm.alpha.bravo.groups', key: Buffer.from(m.envelope.entityKey), value, headers: {} },
          alphaSigner
        )
      }
    },
    {
      name: 'record key differs from the entity key',
      code: 'ACMGW_ENVELOPE_KEY_MISMATCH',
      path: 'envelope.entityKey',
      record: () => resign(good(), alphaSigner, { key: Buffer.from('group:other') })
    },
    {
      name: 'kind of another record',
      code: 'ACMGW_ENVELOPE_KIND_MISMATCH',
      path: 'envelope.kind',
      record: () => {
        const compiled = set.get(`${namespace}.JointGroupCreate`)
        const m = { envelope: envelope('JOINT_GROUP_UPDATE'), ...body('JOINT_GROUP_CREATE') }
        const value = Buffer.concat([Buffer.from([0xc3, 0x01]), compiled.fingerprint, compiled.type.toBuffer(m)])
        return resign(
          { topic: 'acm.alpha.bravo.groups', key: Buffer.from(m.envelope.entityKey), value, headers: {} },
          alphaSigner
        )
      }
    },
    {
      name: 'unknown schema: a fingerprint nobody ships',
      code: 'ACMGW_CODEC_UNKNOWN_SCHEMA',
      record: () => {
        const r = good()
        const value = Buffer.from(r.value)
        value.fill(0xab, 2, 10)
        return resign(r, alphaSigner, { value })
      }
    },
    {
      name: 'unknown schema: a record of another category on this topic',
      code: 'ACMGW_CODEC_UNKNOWN_SCHEMA',
      record: () =>
        resign(alpha.encode(message('COOPERATION_SUSPENDED')), alphaSigner, { topic: 'acm.alpha.bravo.groups' })
    },
    {
      name: 'unknown schema: not single-object encoded',
      code: 'ACMGW_CODEC_UNKNOWN_SCHEMA',
      record: () => ({
        ...good(),
        value: Buffer.from([0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07])
      })
    },
    {
      name: 'truncated (signed that way)',
      code: 'ACMGW_CODEC_TRUNCATED',
      record: () => {
        const r = good()
        return resign(r, alphaSigner, { value: r.value.subarray(0, r.value.length - 5) })
      }
    },
    {
      name: 'trailing bytes (signed that way)',
      code: 'ACMGW_CODEC_TRAILING_DATA',
      record: () => {
        const r = good()
        return resign(r, alphaSigner, { value: Buffer.concat([r.value, Buffer.from([0])]) })
      }
    },
    {
      name: 'oversize value',
      code: 'ACMGW_CODEC_OVERSIZE',
      record: () => ({ ...good(), value: Buffer.alloc(1024 * 1024 + 1, 0xc3) })
    },
    {
      name: 'oversize key',
      code: 'ACMGW_CODEC_OVERSIZE',
      record: () => ({ ...good(), key: Buffer.alloc(4096, 0x61) })
    },
    {
      name: 'huge item count (2^31-1 members declared in a few bytes)',
      code: 'ACMGW_CODEC_TOO_MANY_ITEMS',
      path: 'mcServiceIdList',
      record: () => {
        const r = alpha.encode({ ...message('GROUP_MEMBERSHIP_UPDATE'), mcServiceIdList: [] })
        // mcServiceIdList is the last field: its empty array is the final 0x00 block terminator
        const value = Buffer.concat([r.value.subarray(0, r.value.length - 1), zigzag(2 ** 31 - 1), zigzag(0)])
        return resign(r, alphaSigner, { value })
      }
    },
    {
      name: 'deeply nested: the value nests deeper than the receiver allows',
      code: 'ACMGW_CODEC_TOO_DEEP',
      receiver: shallow,
      record: () => good()
    },
    {
      name: 'a negative string length',
      code: 'ACMGW_CODEC_INVALID',
      path: 'mcServiceIdList[0]',
      record: () => {
        const r = alpha.encode({ ...message('GROUP_MEMBERSHIP_UPDATE'), mcServiceIdList: [] })
        const value = Buffer.concat([r.value.subarray(0, r.value.length - 1), zigzag(1), zigzag(-7), zigzag(0)])
        return resign(r, alphaSigner, { value })
      }
    },
    {
      name: 'an evolution-default UNKNOWN symbol (operation)',
      code: 'ACMGW_CODEC_INVALID',
      path: 'operation',
      record: () => {
        const compiled = set.get(`${namespace}.GroupMembershipUpdate`)
        const m = { ...message('GROUP_MEMBERSHIP_UPDATE'), operation: 'UNKNOWN' }
        const value = Buffer.concat([Buffer.from([0xc3, 0x01]), compiled.fingerprint, compiled.type.toBuffer(m)])
        return resign(
          { topic: 'acm.alpha.bravo.groups', key: Buffer.from(m.envelope.entityKey), value, headers: {} },
          alphaSigner
        )
      }
    },
    {
      name: 'a topic that is not an ACM topic',
      code: 'ACMGW_ENVELOPE_WRONG_TOPIC',
      record: () => ({ ...good(), topic: 'acm.alpha.bravo.everything' })
    },
    {
      name: 'a tombstone',
      code: 'ACMGW_CODEC_INVALID',
      record: () => ({ ...good(), value: null })
    }
  ]

  for (const c of cases) {
    test(`${c.name} → ${c.code}`, () => {
      const record = c.record()
      assert.throws(
        () => (c.receiver ?? bravo).decode(record, { now, seen: c.seen === true ? () => true : undefined }),
        rejects(c.code, c.path)
      )
    })
  }

  test('with the signatures verified ahead on the thread pool, every case is refused the same', async () => {
    const records = cases.map((c) => c.record())
    const verdicts = await bravo.verifySignatures(records)
    cases.forEach((c, i) => {
      const record = records[i] as ConsumedRecord
      assert.throws(
        () =>
          (c.receiver ?? bravo).decode(record, {
            now,
            signatures: verdicts,
            seen: c.seen === true ? () => true : undefined
          }),
        rejects(c.code, c.path),
        c.name
      )
    })
    const valid = good()
    assert.equal(
      bravo.decode(valid, { now, signatures: await bravo.verifySignatures([valid]) }).signer.keyId,
      alphaSigner.keyId
    )
    // Steps 1–4 come first ahead too: unsigned junk, a foreign topic or an unknown signer costs no signature check.
    const junk = [
      { ...good(), topic: 'acm.alpha.charlie.groups' },
      resign(good(), pki.gateways.charlie.signer),
      { ...good(), headers: {} }
    ]
    const junkVerdicts = await bravo.verifySignatures([...junk, valid])
    assert.deepEqual(
      [...junk, valid].map((r) => junkVerdicts.has(r.value as Buffer)),
      [false, false, false, true]
    )
  })

  test('a verdict from ahead holds only for the record it was computed for', async () => {
    const valid = good()
    const verdicts = await bravo.verifySignatures([valid])
    // The same value buffer under charlie's signature (a forger reusing a verified value): verified again, refused.
    const forged = { ...resign(valid, charlieSigner), value: valid.value }
    forged.headers = { ...forged.headers, [signerHeader]: Buffer.from(alphaSigner.keyId) }
    assert.throws(() => bravo.decode(forged, { now, signatures: verdicts }), rejects('ACMGW_SIGNATURE_INVALID'))
    // The same value under another record key: the cached "valid" is not used.
    const moved = { ...valid, key: Buffer.from('group:other') }
    assert.throws(() => bravo.decode(moved, { now, signatures: verdicts }), rejects('ACMGW_SIGNATURE_INVALID'))
  })

  test('the seen check gets what replay detection needs: source and messageId', () => {
    const m = message('GROUP_MEMBERSHIP_UPDATE')
    const calls: [string, string][] = []
    bravo.decode(alpha.encode(m), {
      now,
      seen: (source, id) => {
        calls.push([source, id])
        return false
      }
    })
    assert.deepEqual(calls, [['alpha', m.envelope.messageId]])
  })

  test('sealed secrets: decryptable only with the recipient’s key', async () => {
    const record = alpha.encode(message('SECURITY_PARAMETERS'), { secrets: sampleSecrets })
    const wrongKey = await codecFor('bravo', { unsealingKey: pki.gateways.charlie.unsealingKey })
    assert.throws(() => wrongKey.decode(record, { now }), rejects('ACMGW_DECRYPT_FAILED', 'sealed'))
    const noKey = await codecFor('bravo', { unsealingKey: undefined })
    assert.throws(() => noKey.decode(record, { now }), rejects('ACMGW_DECRYPT_FAILED'))
    assert.ok(bravo.decode(record, { now }).secrets)
  })

  test('sealed secrets moved into another message do not open (AAD binds the messageId)', () => {
    const first = bravo.decode(alpha.encode(message('SECURITY_PARAMETERS'), { secrets: sampleSecrets }), { now })
    const sealed = first.message.sealed
    const compiled = set.get(`${namespace}.SecurityParameters`)
    const m = { ...message('SECURITY_PARAMETERS', { messageId: randomUUID() }), sealed }
    const value = Buffer.concat([Buffer.from([0xc3, 0x01]), compiled.fingerprint, compiled.type.toBuffer(m)])
    const record = resign(
      { topic: 'acm.alpha.bravo.security', key: Buffer.from(m.envelope.entityKey), value, headers: {} },
      alphaSigner
    )
    assert.throws(() => bravo.decode(record, { now }), rejects('ACMGW_DECRYPT_FAILED'))
  })

  test('two pins during a rotation: records signed by either key verify', async () => {
    const next = identity(pki.ca, 'alpha')
    const rotating = await codecFor('bravo', {
      trust: buildTrustStore([pki.partner('alpha', [next.signing.certificatePem])])
    })
    const r = good()
    assert.equal(rotating.decode(r, { now }).signer.keyId, alphaSigner.keyId)
    assert.equal(rotating.decode(resign(r, next.signer), { now }).signer.keyId, next.signer.keyId)
  })
})

describe('schema evolution in embedded mode', () => {
  const set = schemaSet
  const pki = testPki()
  // A newer GroupMembershipUpdate: one more optional field, one more operation symbol.
  const newer = structuredClone(set.get(`${namespace}.GroupMembershipUpdate`).schema) as {
    fields: Record<string, unknown>[]
  }
  newer.fields.push({ name: 'note', type: ['null', 'string'], default: null, doc: 'added later' })
  const operation = newer.fields.find((f) => f.name === 'operation') as { type: { symbols: string[] } }
  operation.type.symbols = [...operation.type.symbols, 'REPLACE']

  test('a newer writer version listed as extra writer decodes into the shipped reader shape', async () => {
    const bravo = await codecFor('bravo', { wire: createEmbeddedWire(set, [JSON.stringify(newer)]) })
    const writer = avro.Type.forSchema(newer as avro.Schema)
    const header = Buffer.concat([Buffer.from([0xc3, 0x01]), fingerprintBytes(parsingCanonicalForm(newer))])
    const encodeNewer = (m: Record<string, unknown>) => {
      const value = Buffer.concat([header, writer.toBuffer(m)])
      return resign(
        { topic: 'acm.alpha.bravo.groups', key: Buffer.from((m as AcmMessage).envelope.entityKey), value, headers: {} },
        pki.gateways.alpha.signer
      )
    }
    const decoded = bravo.decode(encodeNewer({ ...message('GROUP_MEMBERSHIP_UPDATE'), note: 'hello' }), { now })
    assert.equal((decoded.message as Record<string, unknown>).note, undefined, 'read with the shipped reader')
    assert.equal(decoded.message.operation, 'ADD')
    assert.throws(
      () =>
        bravo.decode(encodeNewer({ ...message('GROUP_MEMBERSHIP_UPDATE'), operation: 'REPLACE', note: null }), { now }),
      rejects('ACMGW_CODEC_INVALID', 'operation')
    )
    const plainBravo = await codecFor('bravo')
    assert.throws(
      () => plainBravo.decode(encodeNewer({ ...message('GROUP_MEMBERSHIP_UPDATE'), note: null }), { now }),
      rejects('ACMGW_CODEC_UNKNOWN_SCHEMA'),
      'without the extra writer the newer fingerprint is unknown'
    )
  })

  test('a deeply nested or recursive writer schema is refused when the codec is built', () => {
    const recursive = {
      type: 'record',
      name: `${namespace}.GroupMembershipUpdate`,
      fields: [{ name: 'next', type: ['null', `${namespace}.GroupMembershipUpdate`] }]
    }
    assert.throws(() => createEmbeddedWire(set, [JSON.stringify(recursive)]), rejects('ACMGW_CODEC_TOO_DEEP'))
  })
})
