import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { mkdtemp, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { GatewayError } from '../../src/errors.ts'
import { buildTrustStore } from '../../src/envelope/pins.ts'
import { withRevocation } from '../../src/envelope/revocation.ts'
import { createCertificateAuthority } from '../../src/pki/certificates.ts'
import { createCrl } from '../../src/pki/crl.ts'
import { codecFor, envelope, identity, testPki } from '../helpers/acm.ts'
import { body } from '../helpers/acm.ts'

const day = 86_400_000
const pki = testPki()
// alpha rotated: `next` is its new signing certificate; the old one (pki.gateways.alpha) is revoked.
const next = identity(pki.ca, 'alpha')
const serialOf = (pem: string) => new X509Certificate(pem).serialNumber

function crlRevoking(pems: string[], at: number, options: { days?: number; authority?: typeof pki.ca } = {}): string {
  return createCrl(
    options.authority ?? pki.ca,
    pems.map((pem) => ({ serialNumber: serialOf(pem), revokedAt: new Date(at - day) })),
    { crlNumber: 1n, thisUpdate: new Date(at - 60_000), nextUpdate: new Date(at + (options.days ?? 7) * day) }
  )
}

async function crlFile(content: string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'acmgw-revocation-')), 'alpha.crl')
  await writeFile(path, content)
  return path
}

function refused(code: string, pattern?: RegExp) {
  return (error: unknown) => {
    assert.ok(GatewayError.is(error), `expected a GatewayError, got ${String(error)}`)
    assert.equal(error.code, code)
    if (pattern !== undefined) assert.match(error.message, pattern)
    return true
  }
}

const partners = () => [pki.partner('alpha', [next.signing.certificatePem])]

describe('trust store with partner CRLs', () => {
  test('a revoked signing pin is no longer a signer and says why; the rotated one still is', async () => {
    const now = Date.now()
    const path = await crlFile(crlRevoking([pki.gateways.alpha.signing.certificatePem], now))
    const trust = await withRevocation(buildTrustStore(partners()), [
      { systemId: 'alpha', path, caPems: [pki.ca.certificatePem] }
    ])
    const old = pki.gateways.alpha.signer.keyId
    assert.equal(trust.signer(old), undefined)
    const revoked = trust.revoked(old)
    assert.equal(revoked?.systemId, 'alpha')
    assert.equal(revoked?.crl, path)
    assert.equal(revoked?.serialNumber, serialOf(pki.gateways.alpha.signing.certificatePem))
    assert.equal(trust.signer(next.signer.keyId)?.systemId, 'alpha')
    assert.equal(trust.revoked(next.signer.keyId), undefined)
    assert.ok(trust.recipient('alpha'), 'the encryption certificate is not on the CRL')
  })

  test('decoding a record signed by the revoked key fails with ACMGW_SIGNER_REVOKED; the new key decodes', async () => {
    const now = Date.now()
    const path = await crlFile(crlRevoking([pki.gateways.alpha.signing.certificatePem], now))
    const trust = await withRevocation(buildTrustStore(partners()), [
      { systemId: 'alpha', path, caPems: [pki.ca.certificatePem] }
    ])
    const bravo = await codecFor('bravo', { trust })
    const message = () => ({
      envelope: envelope('MIGRATION_USERS_ADD', { createdAt: now, expiresAt: now + 3_600_000 }),
      ...body('MIGRATION_USERS_ADD')
    })
    const oldSender = await codecFor('alpha')
    assert.throws(
      () => bravo.decode(oldSender.encode(message()), { now }),
      refused('ACMGW_SIGNER_REVOKED', new RegExp(`revoked since .* by ${path.replaceAll('.', '\\.')}`))
    )
    const newSender = await codecFor('alpha', { signer: next.signer })
    assert.equal(bravo.decode(newSender.encode(message()), { now }).signer.keyId, next.signer.keyId)
    // A key nobody pinned is still "unknown", not "revoked".
    const stranger = identity(createCertificateAuthority('elsewhere', 5), 'alpha')
    const strangerSender = await codecFor('alpha', { signer: stranger.signer })
    assert.throws(() => bravo.decode(strangerSender.encode(message()), { now }), refused('ACMGW_SIGNER_UNKNOWN'))
  })

  test('a revoked encryption certificate is no longer a recipient', async () => {
    const now = Date.now()
    const path = await crlFile(crlRevoking([pki.gateways.alpha.tls.certificatePem], now))
    const trust = await withRevocation(buildTrustStore(partners()), [
      { systemId: 'alpha', path, caPems: [pki.ca.certificatePem] }
    ])
    assert.equal(trust.recipient('alpha'), undefined)
    assert.ok(trust.signer(pki.gateways.alpha.signer.keyId))
  })

  test('a CRL of another CA is refused at start; a serial of another CA would not match anyway', async () => {
    const other = createCertificateAuthority('other CA', 5)
    const path = await crlFile(
      crlRevoking([pki.gateways.alpha.signing.certificatePem], Date.now(), { authority: other })
    )
    await assert.rejects(
      withRevocation(buildTrustStore(partners()), [{ systemId: 'alpha', path, caPems: [pki.ca.certificatePem] }]),
      refused('ACMGW_CRL_INVALID', new RegExp(`^${path.replaceAll('.', '\\.')}: issuer CN=other CA`))
    )
  })

  test('a stale or missing CRL stops the start, naming the file', async () => {
    const now = Date.now()
    const stale = await crlFile(crlRevoking([], now - 10 * day))
    await assert.rejects(
      withRevocation(buildTrustStore(partners()), [
        { systemId: 'alpha', path: stale, caPems: [pki.ca.certificatePem] }
      ]),
      refused('ACMGW_CRL_INVALID', /alpha\.crl: it is stale/)
    )
    await assert.rejects(
      withRevocation(buildTrustStore(partners()), [
        { systemId: 'alpha', path: `${stale}.gone`, caPems: [pki.ca.certificatePem] }
      ]),
      refused('ACMGW_FILE_UNREADABLE', /alpha\.crl\.gone/)
    )
  })

  test('while running: a changed file is taken in after recheckMs; stale or broken fails closed until fixed', async () => {
    const start = Date.now()
    let clock = start
    const path = await crlFile(crlRevoking([], start))
    const trust = await withRevocation(
      buildTrustStore(partners()),
      [{ systemId: 'alpha', path, caPems: [pki.ca.certificatePem] }],
      { now: () => clock, recheckMs: 10_000 }
    )
    const old = pki.gateways.alpha.signer.keyId
    assert.ok(trust.signer(old))
    // The CA operator revokes the old key; the file changes.
    await writeFile(path, crlRevoking([pki.gateways.alpha.signing.certificatePem], start))
    await utimes(path, new Date(start + 1000), new Date(start + 1000))
    clock += 5_000
    assert.ok(trust.signer(old), 'not looked at before recheckMs')
    clock += 5_000
    trust.signer(old) // starts the look
    await trust.refresh()
    assert.equal(trust.signer(old), undefined)
    assert.ok(trust.revoked(old))

    // A replacement that does not verify: the partner's records fail closed, naming the file.
    await writeFile(path, 'garbage')
    await utimes(path, new Date(start + 2000), new Date(start + 2000))
    await trust.refresh()
    assert.throws(() => trust.signer(next.signer.keyId), refused('ACMGW_CRL_INVALID', /alpha\.crl: not a DER or PEM/))
    // Fixed again (e.g. `acmgw pki crl`), good again.
    await writeFile(path, crlRevoking([pki.gateways.alpha.signing.certificatePem], start, { days: 1 }))
    await utimes(path, new Date(start + 3000), new Date(start + 3000))
    await trust.refresh()
    assert.ok(trust.signer(next.signer.keyId))

    // Past nextUpdate without a new CRL: stale, fail closed.
    clock = start + 2 * day
    assert.throws(() => trust.signer(next.signer.keyId), refused('ACMGW_CRL_INVALID', /alpha\.crl: it is stale/))
    assert.throws(() => trust.recipient('alpha'), refused('ACMGW_CRL_INVALID'))
    // Partners without a CRL are unaffected.
    const mixed = await withRevocation(buildTrustStore([...partners(), pki.partner('charlie')]), [], {
      now: () => clock
    })
    assert.ok(mixed.signer(pki.gateways.charlie.signer.keyId))
  })
})
