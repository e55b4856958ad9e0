import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { buildTrustStore } from '../../src/envelope/pins.ts'
import { GatewayError } from '../../src/errors.ts'
import { createCertificateAuthority, issueLeafCertificate } from '../../src/pki/certificates.ts'
import { issueSigningCertificate } from '../../src/pki/signing-certificate.ts'
import { identity, testPki } from '../helpers/acm.ts'

function rejects(pattern: RegExp, path?: string) {
  return (error: unknown) => {
    assert.ok(GatewayError.is(error), `expected a GatewayError, got ${String(error)}`)
    assert.equal(error.code, 'ACMGW_SIGNER_CERT_INVALID', error.message)
    assert.match(error.message, pattern)
    if (path !== undefined) assert.equal(error.path, path)
    return true
  }
}

describe('partner pins', () => {
  const pki = testPki()

  test('pins signing keys by key id and the encryption key by system', () => {
    const trust = buildTrustStore([pki.partner('alpha'), pki.partner('bravo')])
    assert.equal(trust.signer(pki.gateways.alpha.signer.keyId)?.systemId, 'alpha')
    assert.equal(trust.signer(pki.gateways.bravo.signer.keyId)?.systemId, 'bravo')
    assert.equal(trust.signer(pki.gateways.charlie.signer.keyId), undefined)
    assert.equal(trust.recipient('bravo')?.keyId, pki.gateways.bravo.unsealingKey.keyId)
    assert.deepEqual(trust.partners, ['alpha', 'bravo'])
  })

  test('two signing pins during a rotation, never three', () => {
    const next = identity(pki.ca, 'alpha')
    const trust = buildTrustStore([pki.partner('alpha', [next.signing.certificatePem])])
    assert.ok(trust.signer(pki.gateways.alpha.signer.keyId))
    assert.ok(trust.signer(next.signer.keyId))
    const third = identity(pki.ca, 'alpha')
    assert.throws(
      () => buildTrustStore([pki.partner('alpha', [next.signing.certificatePem, third.signing.certificatePem])]),
      rejects(/must pin 1 or 2 signing certificates/)
    )
  })

  test('a certificate from another CA is refused when the pins load', () => {
    const rogue = createCertificateAuthority('rogue CA', 10)
    const forged = issueSigningCertificate(rogue, { systemId: 'alpha', validDays: 10 })
    assert.throws(
      () => buildTrustStore([{ ...pki.partner('alpha'), signingCertificatePems: [forged.certificatePem] }]),
      rejects(/not issued by the partner CA/, 'partners.alpha.signing[0]')
    )
  })

  test('an expired or not yet valid certificate is refused', () => {
    const old = identity(pki.ca, 'alpha', new Date(Date.now() - 100 * 86_400_000))
    assert.throws(
      () => buildTrustStore([{ ...pki.partner('alpha'), signingCertificatePems: [old.signing.certificatePem] }]),
      rejects(/not now/)
    )
    assert.throws(
      () => buildTrustStore([pki.partner('alpha')], new Date(Date.now() + 100 * 86_400_000)),
      rejects(/not now/)
    )
  })

  test('a certificate of another system, or of the wrong kind, is refused', () => {
    assert.throws(
      () =>
        buildTrustStore([
          { ...pki.partner('alpha'), signingCertificatePems: [pki.gateways.bravo.signing.certificatePem] }
        ]),
      rejects(/expected CN=acmgw\.alpha\.sign/)
    )
    assert.throws(
      () =>
        buildTrustStore([{ ...pki.partner('alpha'), signingCertificatePems: [pki.gateways.alpha.tls.certificatePem] }]),
      rejects(/expected CN=acmgw\.alpha\.sign/)
    )
    const tlsNamedLikeSigning = issueLeafCertificate(pki.ca, {
      commonName: 'acmgw.alpha.sign',
      role: 'client',
      validDays: 5
    })
    assert.throws(
      () =>
        buildTrustStore([{ ...pki.partner('alpha'), signingCertificatePems: [tlsNamedLikeSigning.certificatePem] }]),
      rejects(/holds a rsa key, expected ed25519/)
    )
    assert.throws(
      () =>
        buildTrustStore([{ ...pki.partner('alpha'), encryptionCertificatePem: pki.gateways.bravo.tls.certificatePem }]),
      rejects(/expected CN=acmgw\.alpha/, 'partners.alpha.encryption')
    )
  })
})
