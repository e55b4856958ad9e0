/**
 * Message-signing certificates: an Ed25519 key made by Node's crypto, in an X.509 certificate issued by the
 * (RSA) gateway CA. node-forge cannot put an Ed25519 key into a certificate, so the TBSCertificate is built by
 * forge with a placeholder key, the SubjectPublicKeyInfo is swapped for the DER that Node exports, and the result
 * is signed by the CA key with forge (sha256WithRSAEncryption). Nothing here verifies: pins are checked with
 * Node's X509Certificate (src/envelope/pins.ts).
 *
 * Why Ed25519: deterministic signatures (no per-signature nonce to get wrong), a fixed 64-byte signature and
 * OpenSSL's strict verification (non-canonical S is refused, so signatures are not malleable).
 *
 * The subject is `CN=acmgw.<systemId>.sign`: a name the broker maps to a principal that no ACL names, and the
 * extended key usage is document signing only (RFC 9336), so the certificate is useless for TLS.
 */
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto'
import forge from 'node-forge'
import { assertSystemId } from '../identity/names.ts'
import {
  type CertificateAuthority,
  type IssuedCertificate,
  randomSerialHex,
  toForgeCertificate,
  toForgePrivateKey,
  validity
} from './certificates.ts'

/** id-kp-documentSigning (RFC 9336). */
export const documentSigningOid = '1.3.6.1.5.5.7.3.36'

export function signingCommonName(systemId: string): string {
  return `acmgw.${assertSystemId(systemId)}.sign`
}

function derToAsn1(der: Buffer): forge.asn1.Asn1 {
  return forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary')))
}

export function issueSigningCertificate(
  ca: CertificateAuthority,
  request: { systemId: string; validDays: number; now?: Date }
): IssuedCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const spkiDer = publicKey.export({ type: 'spki', format: 'der' })
  const caCert = toForgeCertificate(ca.certificatePem, 'CA certificate')
  const cert = forge.pki.createCertificate()
  // Placeholder so that forge can lay out the TBSCertificate; replaced by the Ed25519 SPKI below.
  cert.publicKey = caCert.publicKey
  cert.serialNumber = randomSerialHex()
  validity(cert, request.now ?? new Date(), request.validDays)
  cert.setSubject([{ name: 'commonName', value: signingCommonName(request.systemId) }])
  cert.setIssuer(caCert.subject.attributes)
  // RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits (for Ed25519, the 32 raw key bytes).
  const rawKey = spkiDer.subarray(spkiDer.length - 32)
  const ski = createHash('sha1').update(rawKey).digest()
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, critical: true },
    { name: 'extKeyUsage', [documentSigningOid]: true },
    {
      name: 'subjectKeyIdentifier',
      value: forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.OCTETSTRING, false, ski.toString('binary'))
    },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() }
  ])
  cert.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption as string
  // Present in forge's x509 module, missing from @types/node-forge.
  const tbs = (
    forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }
  ).getTBSCertificate(cert)
  const fields = tbs.value as forge.asn1.Asn1[]
  // version, serial, signature, issuer, validity, subject, subjectPublicKeyInfo, extensions
  fields[6] = derToAsn1(spkiDer)
  const md = forge.md.sha256.create()
  md.update(forge.asn1.toDer(tbs).getBytes())
  const signature = toForgePrivateKey(ca.privateKeyPem, 'CA key').sign(md)
  const certificate = forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [
    tbs,
    forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [
      forge.asn1.create(
        forge.asn1.Class.UNIVERSAL,
        forge.asn1.Type.OID,
        false,
        forge.asn1.oidToDer(forge.pki.oids.sha256WithRSAEncryption as string).getBytes()
      ),
      forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.NULL, false, '')
    ]),
    forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.BITSTRING, false, `\u0000${signature}`)
  ])
  const certificatePem = forge.pem.encode({
    type: 'CERTIFICATE',
    body: forge.asn1.toDer(certificate).getBytes()
  })
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString(),
    certificatePem
  }
}
