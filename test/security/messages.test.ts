/**
 * Security suite, messages: a real receiving gateway on the real broker gets records that the broker lets
 * through (they come with a legitimate partner's TLS identity) but that are forged, tampered, replayed,
 * replayed on another topic, expired or mis-addressed. Each is rejected and dead-lettered with its code, and
 * only the genuine one is applied. Prints case → outcome.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { readAuditFile, verifyAuditFile } from '../../src/audit/file.ts'
import { topicName } from '../../src/codec/catalogue.ts'
import type { ProducedRecord } from '../../src/codec/codec.ts'
import { createRecordSigner, signatureHeader } from '../../src/envelope/signing.ts'
import { createCertificateAuthority } from '../../src/pki/certificates.ts'
import { issueSigningCertificate } from '../../src/pki/signing-certificate.ts'
import { pkiLayout } from '../../src/pki/store.ts'
import { gatewayPair, runGateway, waitFor } from '../helpers/gateway.ts'
import { caseTable, migrationRequest, rawProducer, senderCodec } from '../helpers/security.ts'

const rows = caseTable('messages')

test('forged, tampered, replayed, re-topiced, expired and mis-addressed records are each dead-lettered with their code', async (t) => {
  const pair = await gatewayPair(t, { categories: ['migration', 'groups'] })
  const b = await runGateway(t, pair.configB)
  const pkiDir = pair.systems.pkiDir
  const read = (name: string) => readFile(join(pkiDir, name), 'utf8')
  const genuine = await senderCodec(pkiDir, pair.a, pair.b, {
    key: await read(pkiLayout.gatewaySigningKey(pair.a)),
    cert: await read(pkiLayout.gatewaySigningCert(pair.a))
  })
  const outsiderCa = createCertificateAuthority('attacker CA', 10)
  const stolen = issueSigningCertificate(outsiderCa, { systemId: pair.a, validDays: 10 })
  const forged = await senderCodec(pkiDir, pair.a, pair.b, { key: stolen.privateKeyPem, cert: stolen.certificatePem })

  const now = Date.now()
  const message = (overrides: Record<string, unknown> = {}) => migrationRequest(pair, now, overrides)
  const produce = await rawProducer(t, pkiDir, pair.a)

  const valid = genuine.encode(message())
  // A partner that signs a record for this link but addresses it to someone else (a bug or a confused deputy):
  // the signature is genuine for the topic, the envelope names another target.
  const aSigner = createRecordSigner(
    pair.a,
    await read(pkiLayout.gatewaySigningKey(pair.a)),
    await read(pkiLayout.gatewaySigningCert(pair.a))
  )
  const elsewhere = genuine.encode(message({ targetSystem: `x${pair.b.slice(1)}` }))
  const misaddressed: ProducedRecord = {
    ...elsewhere,
    topic: valid.topic,
    headers: { ...elsewhere.headers, [signatureHeader]: aSigner.sign(valid.topic, elsewhere.key, elsewhere.value) }
  }
  const tampered = { ...valid, value: Buffer.from(valid.value) }
  tampered.value[tampered.value.length - 3] = (tampered.value[tampered.value.length - 3] ?? 0) ^ 0x01
  // Onto the groups topic a migration record is refused by the category's schema allow-list, before the
  // signature (which also binds the topic) is even checked.
  const cases: [string, ProducedRecord, string][] = [
    ['forged: signed by a key no pin names', forged.encode(message()), 'ACMGW_SIGNER_UNKNOWN'],
    ['tampered: one bit of the value flipped', tampered, 'ACMGW_SIGNATURE_INVALID'],
    [
      'replayed onto another of its topics',
      { ...valid, topic: topicName(pair.a, pair.b, 'groups') },
      'ACMGW_CODEC_UNKNOWN_SCHEMA'
    ],
    [
      'expired',
      genuine.encode(message({ createdAt: now - 7_200_000, expiresAt: now - 3_600_000 })),
      'ACMGW_ENVELOPE_EXPIRED'
    ],
    ['mis-addressed: for another system, signed for this link', misaddressed, 'ACMGW_ENVELOPE_WRONG_TARGET']
  ]
  await produce(valid)
  await waitFor('the genuine request applied', () => b.events.some((e) => e.type === 'applied'))
  rows.push(['genuine request (control)', 'applied', 'applied'])
  await produce(valid)
  cases.unshift(['replayed: the same record again', valid, 'ACMGW_ENVELOPE_REPLAYED'])
  for (const [, record] of cases.slice(1)) await produce(record)

  const deadLetters = await waitForLetters(b, cases.length)
  const codes = deadLetters.map((d) => d.reasonCode)
  for (const [name, , expected] of cases) {
    const index = codes.indexOf(expected)
    const outcome = index >= 0 ? codes.splice(index, 1)[0]! : 'not dead-lettered'
    rows.push([name, expected, outcome])
    assert.equal(outcome, expected, `${name}: dead letters were ${deadLetters.map((d) => d.reasonCode).join(', ')}`)
  }
  assert.equal(b.events.filter((e) => e.type === 'applied').length, 1, 'only the genuine request was applied')
  // Audited: one dead-letter entry per hostile record, in a chain that verifies.
  const auditFile = pair.configB.replace(/\.yaml$/, '.audit.jsonl')
  const verdict = await verifyAuditFile(auditFile)
  assert.equal(verdict.ok, true)
  const audited = (await readAuditFile(auditFile)).filter((e) => e.type === 'dead-letter')
  assert.equal(audited.length, cases.length)
})

async function waitForLetters(gateway: Awaited<ReturnType<typeof runGateway>>, count: number) {
  const deadline = Date.now() + 60_000
  for (;;) {
    const letters = await gateway.service.deadLetters()
    if (letters.length >= count) return letters
    if (Date.now() > deadline) return letters
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}
