/**
 * Security suite, revocation: partner A rotated its signing key and its CA revoked the old certificate with
 * `acmgw pki revoke`. Gateway B pins both certificates (the rotation overlap) and names A's CRL. On the real
 * broker a record signed with the revoked key is dead-lettered with ACMGW_SIGNER_REVOKED and audited, a record
 * signed with the new key is applied, and a stale CRL stops B's start. Prints case → outcome.
 */
import assert from 'node:assert/strict'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { parse, stringify } from 'yaml'
import { readAuditFile, verifyAuditFile } from '../../src/audit/file.ts'
import type { GatewayConfigInput } from '../../src/config/schema.ts'
import { GatewayError } from '../../src/errors.ts'
import { createCrl } from '../../src/pki/crl.ts'
import { issueSigningCertificate } from '../../src/pki/signing-certificate.ts'
import { loadCertificateAuthority, pkiLayout } from '../../src/pki/store.ts'
import { acmgw } from '../helpers/cli.ts'
import { gatewayPair, runGateway, waitFor } from '../helpers/gateway.ts'
import { caseTable, migrationRequest, rawProducer, senderCodec } from '../helpers/security.ts'

const rows = caseTable('revocation')

async function withPartnerCrl(configFile: string, out: string, signingCertificates: string[], crl: string) {
  const config = parse(await readFile(configFile, 'utf8')) as GatewayConfigInput
  const [partner] = config.partners ?? []
  assert.ok(partner)
  config.partners = [{ ...partner, signingCertificates, crl }]
  await writeFile(out, stringify(config))
  return out
}

test('a record signed by a revoked signing certificate is dead-lettered with ACMGW_SIGNER_REVOKED; the rotated key is applied', async (t) => {
  const pair = await gatewayPair(t, { categories: ['migration'] })
  const { pkiDir, workDir } = pair.systems
  const read = (name: string) => readFile(join(pkiDir, name), 'utf8')
  const oldCert = join(pkiDir, pkiLayout.gatewaySigningCert(pair.a))

  // A's CA operator: a copy of the stack CA in its own folder, so the shared test PKI gets no CRL.
  const caDir = join(workDir, 'a-ca')
  await mkdir(caDir)
  await writeFile(join(caDir, pkiLayout.caCert), await read(pkiLayout.caCert))
  await writeFile(join(caDir, pkiLayout.caKey), await read(pkiLayout.caKey), { mode: 0o600 })
  const ca = await loadCertificateAuthority(caDir)
  const rotated = issueSigningCertificate(ca, { systemId: pair.a, validDays: 5 })
  const newCert = join(workDir, `${pair.a}.sign.next.crt`)
  await writeFile(newCert, rotated.certificatePem)
  const revoke = await acmgw(['pki', 'revoke', '--dir', caDir, '--cert', oldCert])
  assert.equal(revoke.code, 0, revoke.err)
  const crl = join(caDir, pkiLayout.crl)

  // A stale CRL stops the start, naming the file.
  const staleCrl = join(workDir, 'stale.crl.pem')
  await writeFile(
    staleCrl,
    createCrl(ca, [], {
      crlNumber: 1n,
      thisUpdate: new Date(Date.now() - 10 * 86_400_000),
      nextUpdate: new Date(Date.now() - 86_400_000)
    })
  )
  const staleConfig = await withPartnerCrl(pair.configB, join(workDir, 'b-stale.yaml'), [oldCert, newCert], staleCrl)
  const startError = await runGateway(t, staleConfig).then(
    () => 'started',
    (error: unknown) =>
      GatewayError.is(error)
        ? `${error.code} (${error.path === staleCrl ? 'names' : 'does not name'} the file)`
        : String(error)
  )
  rows.push(['start with a stale partner CRL', 'ACMGW_CRL_INVALID (names the file)', startError])
  assert.equal(startError, 'ACMGW_CRL_INVALID (names the file)')

  const configB = await withPartnerCrl(pair.configB, pair.configB, [oldCert, newCert], crl)
  const b = await runGateway(t, configB)
  const revokedSender = await senderCodec(pkiDir, pair.a, pair.b, {
    key: await read(pkiLayout.gatewaySigningKey(pair.a)),
    cert: await readFile(oldCert, 'utf8')
  })
  const rotatedSender = await senderCodec(pkiDir, pair.a, pair.b, {
    key: rotated.privateKeyPem,
    cert: rotated.certificatePem
  })
  const now = Date.now()
  const message = () => migrationRequest(pair, now)
  const produce = await rawProducer(t, pkiDir, pair.a)

  await produce(revokedSender.encode(message()))
  await produce(rotatedSender.encode(message()))
  await waitFor('the rotated key’s request applied', () => b.events.some((e) => e.type === 'applied'), 60_000)
  rows.push(['signed by the rotated, not revoked key (control)', 'applied', 'applied'])
  const deadline = Date.now() + 60_000
  let deadLetters = await b.service.deadLetters()
  while (deadLetters.length < 1 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200))
    deadLetters = await b.service.deadLetters()
  }
  const outcome = deadLetters.map((d) => d.reasonCode).join(', ') || 'not dead-lettered'
  rows.push(['signed by a key whose certificate the CRL revokes', 'ACMGW_SIGNER_REVOKED', outcome])
  assert.equal(outcome, 'ACMGW_SIGNER_REVOKED')
  assert.equal(b.events.filter((e) => e.type === 'applied').length, 1, 'only the rotated key’s request was applied')

  const auditFile = configB.replace(/\.yaml$/, '.audit.jsonl')
  assert.equal((await verifyAuditFile(auditFile)).ok, true)
  const audited = (await readAuditFile(auditFile)).filter((e) => e.type === 'dead-letter')
  assert.deepEqual(
    audited.map((e) => (e as { reasonCode?: string }).reasonCode),
    ['ACMGW_SIGNER_REVOKED']
  )
})
