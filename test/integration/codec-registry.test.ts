/**
 * Registry mode against the real (Apicurio, Confluent-compatible) registry of the test stack: registration and
 * FULL_TRANSITIVE checks through `acmgw schemas`, a round trip of every kind in the Confluent wire format, the
 * allow-list, evolution through a newer registered version, and proof that after warm-up encode and decode make
 * no registry call at all (a counting proxy sits in front of the registry, and is shut down).
 */
import assert from 'node:assert/strict'
import { type IncomingMessage, type ServerResponse, createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import avro from 'avsc'
import { namespace } from '../../src/codec/catalogue.ts'
import { type AcmCodec, type ConsumedRecord, type ProducedRecord } from '../../src/codec/codec.ts'
import { checkAgainstRegistry } from '../../src/codec/compatibility.ts'
import { createRegistryClient } from '../../src/codec/registry-client.ts'
import { connectRegistryWire } from '../../src/codec/registry.ts'
import { buildSchemaSet } from '../../src/codec/schema-set.ts'
import { readSchemaDir, rootRecords, shippedSchemaDir } from '../../src/codec/schema-files.ts'
import type { AcmMessage } from '../../src/envelope/envelope.ts'
import { signatureHeader, signerHeader } from '../../src/envelope/signing.ts'
import { GatewayError } from '../../src/errors.ts'
import { baseTime, codecFor, kindNames, message, sampleSecrets, schemas, testPki } from '../helpers/acm.ts'
import { acmgw } from '../helpers/cli.ts'
import { testStack } from '../helpers/stack.ts'

const now = baseTime + 1_000

/** An HTTP proxy in front of the registry that counts the requests it forwards. */
async function countingProxy(target: string) {
  const upstream = new URL(target)
  let count = 0
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    count++
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host }
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      }
    )
    forward.on('error', () => res.destroy())
    req.pipe(forward)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}`,
    count: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

function rejects(code: string) {
  return (error: unknown) => {
    assert.ok(GatewayError.is(error), `expected a GatewayError, got ${String(error)}`)
    assert.equal(error.code, code, error.message)
    return true
  }
}

function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('base64') : v)))
}

describe('registry mode against the real registry', () => {
  let registryUrl: string
  let proxy: Awaited<ReturnType<typeof countingProxy>>
  let alpha: AcmCodec
  let bravo: AcmCodec
  let warmupCalls = 0

  before(async () => {
    registryUrl = (await testStack()).registryUrl
  })
  after(async () => {
    await proxy?.close()
  })

  test('acmgw schemas register: every record under its full name, FULL_TRANSITIVE', async () => {
    const result = await acmgw(['schemas', 'register', '--registry', registryUrl, '--json'])
    assert.equal(result.code, 0, result.err)
    const registered = JSON.parse(result.out) as { record: string; subject: string; id: number }[]
    assert.deepEqual(
      registered.map((r) => r.subject),
      [...rootRecords]
    )
    const client = createRegistryClient({ url: registryUrl })
    try {
      for (const r of registered) assert.equal(await client.compatibilityLevel(r.subject), 'FULL_TRANSITIVE')
    } finally {
      client.close()
    }
    const again = await acmgw(['schemas', 'register', '--registry', registryUrl, '--json'])
    assert.deepEqual(JSON.parse(again.out), registered, 'registering the same schemas again changes nothing')
  })

  test('acmgw schemas check --registry: compatible; an incompatible change is refused by the registry', async () => {
    const ok = await acmgw(['schemas', 'check', '--registry', registryUrl])
    assert.equal(ok.code, 0, ok.err)
    assert.match(
      ok.out,
      /ok {3}org\.mcx\.acm\.GroupMembershipUpdate vs registry: compatible with every registered version/
    )
    const files = await readSchemaDir(shippedSchemaDir)
    const broken = files.map((f) => {
      if (f.name !== `${namespace}.GroupMembershipUpdate.avsc`) return f
      const schema = JSON.parse(f.text) as { fields: unknown[] }
      schema.fields.push({ name: 'mandatory', type: 'string', doc: 'required, no default' })
      return { ...f, text: JSON.stringify(schema) }
    })
    const client = createRegistryClient({ url: registryUrl })
    try {
      const findings = await checkAgainstRegistry(buildSchemaSet(broken, rootRecords), client)
      const bad = findings.filter((f) => !f.ok)
      assert.deepEqual(
        bad.map((f) => f.record),
        [`${namespace}.GroupMembershipUpdate`]
      )
      assert.match(bad[0]?.detail ?? '', /not compatible with the registered versions/)
    } finally {
      client.close()
    }
  })

  test('warm-up resolves every id through the registry (here: through a counting proxy)', async () => {
    proxy = await countingProxy(registryUrl)
    const set = await schemas()
    const alphaWarmup = await connectRegistryWire(set, { url: proxy.url })
    const bravoWarmup = await connectRegistryWire(set, { url: proxy.url })
    warmupCalls = proxy.count()
    assert.ok(warmupCalls >= 2 * alphaWarmup.calls, `${warmupCalls} calls for two warm-ups`)
    assert.equal(alphaWarmup.wire.mode, 'registry')
    alpha = await codecFor('alpha', { wire: alphaWarmup.wire })
    bravo = await codecFor('bravo', { wire: bravoWarmup.wire })
  })

  describe('round trip of every kind in the Confluent wire format', () => {
    for (const kind of kindNames) {
      test(kind, () => {
        const sent = message(kind)
        const record = alpha.encode(sent, kind === 'SECURITY_PARAMETERS' ? { secrets: sampleSecrets } : {})
        assert.equal(record.value[0], 0, 'magic byte')
        const received = bravo.decode(record, { now })
        assert.equal(received.kind, kind)
        assert.equal(received.writerSchema, String(record.value.readInt32BE(1)))
        if (kind === 'SECURITY_PARAMETERS') {
          assert.deepEqual(plain(received.secrets), plain(sampleSecrets))
        } else {
          assert.deepEqual(plain(received.message), plain(sent))
        }
      })
    }
  })

  test('after warm-up: zero registry calls per message, and none needed at all', async () => {
    const before = proxy.count()
    for (let i = 0; i < 50; i++) {
      for (const kind of kindNames) bravo.decode(alpha.encode(message(kind)), { now })
    }
    assert.equal(proxy.count(), before, 'no request reached the registry while encoding and decoding')
    await proxy.close()
    for (const kind of kindNames) bravo.decode(alpha.encode(message(kind)), { now })
  })

  test('allow-list: an id of another category, or an unknown id, is refused without asking the registry', () => {
    const groups = alpha.encode(message('GROUP_MEMBERSHIP_UPDATE'))
    const status = alpha.encode(message('COOPERATION_SUSPENDED'))
    const pki = testPki()
    const resign = (r: ProducedRecord, value: Buffer): ConsumedRecord => ({
      ...r,
      value,
      headers: {
        [signatureHeader]: pki.gateways.alpha.signer.sign(r.topic, r.key, value),
        [signerHeader]: Buffer.from(pki.gateways.alpha.signer.keyId)
      }
    })
    const withId = (id: number) => {
      const value = Buffer.from(groups.value)
      value.writeInt32BE(id, 1)
      return resign(groups, value)
    }
    assert.throws(
      () => bravo.decode(withId(status.value.readInt32BE(1)), { now }),
      rejects('ACMGW_CODEC_UNKNOWN_SCHEMA')
    )
    assert.throws(() => bravo.decode(withId(987_654), { now }), rejects('ACMGW_CODEC_UNKNOWN_SCHEMA'))
    const embedded = Buffer.concat([Buffer.from([0xc3, 0x01]), groups.value.subarray(1)])
    assert.throws(() => bravo.decode(resign(groups, embedded), { now }), rejects('ACMGW_CODEC_UNKNOWN_SCHEMA'))
  })

  test('evolution: a newer registered version is read with the pinned reader schema', async () => {
    const set = await schemas()
    const newer = structuredClone(set.get(`${namespace}.GroupMembershipUpdate`).schema) as { fields: unknown[] }
    newer.fields.push({ name: 'note', type: ['null', 'string'], default: null, doc: 'added in a later version' })
    const client = createRegistryClient({ url: registryUrl })
    let newerId: number
    try {
      newerId = await client.register(`${namespace}.GroupMembershipUpdate`, JSON.stringify(newer))
    } finally {
      client.close()
    }
    const warm = await connectRegistryWire(set, { url: registryUrl })
    const reader = await codecFor('bravo', { wire: warm.wire })
    const writer = avro.Type.forSchema(newer as avro.Schema)
    const sent = { ...message('GROUP_MEMBERSHIP_UPDATE'), note: 'from a newer partner' }
    const header = Buffer.alloc(5)
    header.writeInt32BE(newerId, 1)
    const value = Buffer.concat([header, writer.toBuffer(sent)])
    const pki = testPki()
    const topic = 'acm.alpha.bravo.groups'
    const key = Buffer.from(sent.envelope.entityKey)
    const decoded = reader.decode(
      {
        topic,
        key,
        value,
        headers: {
          [signatureHeader]: pki.gateways.alpha.signer.sign(topic, key, value),
          [signerHeader]: Buffer.from(pki.gateways.alpha.signer.keyId)
        }
      },
      { now }
    )
    assert.equal(decoded.writerSchema, String(newerId))
    assert.equal((decoded.message as AcmMessage & { note?: string }).note, undefined)
    assert.deepEqual(plain(decoded.message), plain(message('GROUP_MEMBERSHIP_UPDATE', sent.envelope)))
  })

  test('warm-up fails loudly when a shipped schema is not registered', async () => {
    const files = await readSchemaDir(shippedSchemaDir)
    const changed = files.map((f) => {
      if (f.name !== `${namespace}.JointGroupDissolve.avsc`) return f
      const schema = JSON.parse(f.text) as { fields: unknown[] }
      schema.fields.push({ name: 'unregistered', type: ['null', 'long'], default: null, doc: 'never registered' })
      return { ...f, text: JSON.stringify(schema) }
    })
    await assert.rejects(
      connectRegistryWire(buildSchemaSet(changed, rootRecords), { url: registryUrl }),
      rejects('ACMGW_SCHEMA_NOT_REGISTERED')
    )
  })
})
