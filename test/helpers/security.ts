/**
 * Shared pieces of the security suite: a sending partner's codec from real key files (or an attacker's key), a
 * raw producer with the partner's TLS identity that bypasses its gateway, a migration request to tamper with,
 * and the printed case → outcome table.
 */
import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, type TestContext } from 'node:test'
import { type AcmCodec, createCodec, type ProducedRecord } from '../../src/codec/codec.ts'
import { loadSchemaSet } from '../../src/codec/schema-files.ts'
import { createEmbeddedWire } from '../../src/codec/wire.ts'
import { buildTrustStore } from '../../src/envelope/pins.ts'
import { createRecordSigner } from '../../src/envelope/signing.ts'
import { gatewayTlsFiles, pkiLayout } from '../../src/pki/store.ts'
import { body } from './acm.ts'
import { kafkaFor, testStack } from './stack.ts'

/** Collects case → expected → outcome rows and prints them when the file's tests are done. */
export function caseTable(title: string): [string, string, string][] {
  const rows: [string, string, string][] = []
  after(() => {
    const width = Math.max(...rows.map((r) => r[0].length))
    const expectedWidth = Math.max(...rows.map((r) => r[1].length))
    console.log(
      `\nsecurity suite — ${title} (${rows.length} cases)\n${rows.map(([c, e, o]) => `  ${c.padEnd(width)}  expected: ${e.padEnd(expectedWidth)} outcome: ${o}`).join('\n')}`
    )
  })
  return rows
}

/** The sending partner's codec, built from its real key files, or with an attacker's signing key. */
export async function senderCodec(
  pkiDir: string,
  self: string,
  partner: string,
  signer: { key: string; cert: string }
): Promise<AcmCodec> {
  const schemas = await loadSchemaSet()
  const read = (name: string) => readFile(join(pkiDir, name), 'utf8')
  return createCodec({
    localSystem: self,
    schemas,
    wire: createEmbeddedWire(schemas),
    signer: createRecordSigner(self, signer.key, signer.cert),
    trust: buildTrustStore([
      {
        systemId: partner,
        caPems: [await read(pkiLayout.caCert)],
        signingCertificatePems: [await read(pkiLayout.gatewaySigningCert(partner))],
        encryptionCertificatePem: await read(pkiLayout.gatewayCert(partner))
      }
    ])
  })
}

/** A MIGRATION_USERS_ADD from `a` to `b`, valid for an hour from `now`, with envelope fields overridden. */
export function migrationRequest(
  pair: { a: string; b: string; agreementId: string },
  now: number,
  overrides: Record<string, unknown> = {}
) {
  const messageId = randomUUID()
  return {
    envelope: {
      messageId,
      kind: 'MIGRATION_USERS_ADD' as const,
      sourceSystem: pair.a,
      targetSystem: pair.b,
      agreementId: pair.agreementId,
      correlationId: null,
      createdAt: now,
      expiresAt: now + 3_600_000,
      urgency: 'NORMAL' as const,
      requester: { mcServiceId: 'sip:liaison@a.example', functionalAlias: null },
      target: null,
      approver: null,
      entityKey: `request:${messageId}`,
      entityVersion: 1,
      ...overrides
    },
    ...body('MIGRATION_USERS_ADD')
  }
}

/** Produces records straight to the broker with `self`'s TLS identity (past its gateway); closed after the test. */
export async function rawProducer(
  t: TestContext,
  pkiDir: string,
  self: string
): Promise<(record: ProducedRecord) => Promise<unknown>> {
  const info = await testStack()
  const producer = (
    await kafkaFor({ brokers: info.bootstrapServers, tls: gatewayTlsFiles(pkiDir, self), clientId: 'sender' })
  ).producer()
  await producer.connect()
  t.after(() => producer.disconnect())
  return (record) =>
    producer.send({
      topic: record.topic,
      acks: -1,
      messages: [{ key: record.key, value: record.value, headers: record.headers }]
    })
}
