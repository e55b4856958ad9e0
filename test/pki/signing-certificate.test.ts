import assert from 'node:assert/strict'
import { X509Certificate, createPrivateKey, sign, verify } from 'node:crypto'
import { describe, test } from 'node:test'
import { createCertificateAuthority } from '../../src/pki/certificates.ts'
import { documentSigningOid, issueSigningCertificate } from '../../src/pki/signing-certificate.ts'

describe('signing certificates', () => {
  const ca = createCertificateAuthority('test CA', 30)
  const caCert = new X509Certificate(ca.certificatePem)

  test('carry the Ed25519 key from Node crypto and verify against the RSA CA with Node (not forge)', () => {
    const now = new Date('2026-01-01T00:00:00Z')
    const issued = issueSigningCertificate(ca, { systemId: 'alpha', validDays: 10, now })
    const cert = new X509Certificate(issued.certificatePem)
    assert.equal(cert.subject, 'CN=acmgw.alpha.sign')
    assert.equal(cert.issuer, 'CN=test CA')
    assert.equal(cert.publicKey.asymmetricKeyType, 'ed25519')
    assert.equal(cert.verify(caCert.publicKey), true, 'signed by the CA')
    assert.equal(cert.checkIssued(caCert), true, 'issuer name and key identifier match the CA')
    assert.equal(cert.ca, false)
    assert.deepEqual(cert.keyUsage, [documentSigningOid], 'document signing only: no TLS client or server use')
    assert.equal(new Date(cert.validTo).getTime(), now.getTime() + 10 * 86_400_000)
    const key = createPrivateKey(issued.privateKeyPem)
    assert.equal(cert.checkPrivateKey(key), true, 'the key file belongs to the certificate')
    const data = Buffer.from('payload')
    assert.equal(verify(null, data, cert.publicKey, sign(null, data, key)), true)
  })

  test('a certificate from another CA does not verify against this CA', () => {
    const other = createCertificateAuthority('other CA', 30)
    const cert = new X509Certificate(
      issueSigningCertificate(other, { systemId: 'alpha', validDays: 10 }).certificatePem
    )
    assert.equal(cert.verify(caCert.publicKey), false)
  })

  test('each issue makes a new key and serial', () => {
    const a = new X509Certificate(issueSigningCertificate(ca, { systemId: 'alpha', validDays: 1 }).certificatePem)
    const b = new X509Certificate(issueSigningCertificate(ca, { systemId: 'alpha', validDays: 1 }).certificatePem)
    assert.notEqual(a.serialNumber, b.serialNumber)
    assert.notDeepEqual(
      a.publicKey.export({ type: 'spki', format: 'der' }),
      b.publicKey.export({ type: 'spki', format: 'der' })
    )
  })
})
