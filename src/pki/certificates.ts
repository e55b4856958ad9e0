/**
 * Certificate building with node-forge: a development CA, broker / admin / gateway leaf certificates and CSRs.
 * Keys are made by Node's crypto (native, fast) and handed to forge only to sign; nothing here verifies a
 * signature with forge (see reference/reliability-security.md §3.1): CSR proof-of-possession and certificate
 * inspection use Node's crypto and X509Certificate.
 */
import { X509Certificate, createPublicKey, generateKeyPairSync, randomBytes, verify } from 'node:crypto'
import forge from 'node-forge'
import { GatewayError } from '../errors.ts'

export interface KeyPairPem {
  /** PKCS#8 PEM (`BEGIN PRIVATE KEY`), the only form the broker's PEM keystore accepts. */
  privateKeyPem: string
  publicKeyPem: string
}

export interface IssuedCertificate extends KeyPairPem {
  certificatePem: string
}

export interface CertificateAuthority {
  certificatePem: string
  privateKeyPem: string
}

export type LeafRole = 'server-and-client' | 'client'

export interface LeafRequest {
  commonName: string
  role: LeafRole
  /** Subject alternative names, for certificates a client must verify by host name. */
  dnsNames?: readonly string[]
  ipAddresses?: readonly string[]
  validDays: number
  now?: Date
}

const rsaBits = 2048

export function generateRsaKeyPair(): KeyPairPem {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: rsaBits })
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString()
  }
}

export function randomSerialHex(): string {
  const bytes = randomBytes(16)
  bytes[0] = (bytes[0] ?? 0) & 0x7f // a positive INTEGER, as RFC 5280 §4.1.2.2 requires
  return bytes.toString('hex')
}

export function validity(cert: forge.pki.Certificate, now: Date, days: number): void {
  // Backdate a little so that a peer whose clock is slightly behind does not see "not yet valid".
  cert.validity.notBefore = new Date(now.getTime() - 5 * 60_000)
  cert.validity.notAfter = new Date(now.getTime() + days * 86_400_000)
}

export function toForgePrivateKey(pem: string, where: string): forge.pki.rsa.PrivateKey {
  try {
    return forge.pki.privateKeyFromPem(pem)
  } catch (cause) {
    throw new GatewayError('ACMGW_PKI_INVALID', `${where} is not an RSA private key in PEM form`, {
      cause,
      path: where
    })
  }
}

export function toForgeCertificate(pem: string, where: string): forge.pki.Certificate {
  try {
    return forge.pki.certificateFromPem(pem)
  } catch (cause) {
    throw new GatewayError('ACMGW_PKI_INVALID', `${where} is not an RSA certificate in PEM form`, {
      cause,
      path: where
    })
  }
}

export function createCertificateAuthority(
  commonName: string,
  validDays: number,
  now = new Date()
): CertificateAuthority {
  const keys = generateRsaKeyPair()
  const publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem)
  const cert = forge.pki.createCertificate()
  cert.publicKey = publicKey
  cert.serialNumber = randomSerialHex()
  validity(cert, now, validDays)
  const subject = [{ name: 'commonName', value: commonName }]
  cert.setSubject(subject)
  cert.setIssuer(subject)
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    // forge derives the identifier from the key (RFC 5280 §4.2.1.2, method 1)
    { name: 'subjectKeyIdentifier' }
  ])
  cert.sign(toForgePrivateKey(keys.privateKeyPem, 'CA key'), forge.md.sha256.create())
  return { certificatePem: forge.pki.certificateToPem(cert), privateKeyPem: keys.privateKeyPem }
}

function signLeaf(
  ca: CertificateAuthority,
  publicKey: forge.pki.PublicKey,
  request: Omit<LeafRequest, 'commonName'> & { subject: forge.pki.CertificateField[] }
): string {
  const caCert = toForgeCertificate(ca.certificatePem, 'CA certificate')
  const cert = forge.pki.createCertificate()
  cert.publicKey = publicKey
  cert.serialNumber = randomSerialHex()
  validity(cert, request.now ?? new Date(), request.validDays)
  cert.setSubject(request.subject)
  cert.setIssuer(caCert.subject.attributes)
  const altNames = [
    ...(request.dnsNames ?? []).map((value) => ({ type: 2, value })),
    ...(request.ipAddresses ?? []).map((ip) => ({ type: 7, ip }))
  ]
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    {
      name: 'extKeyUsage',
      serverAuth: request.role === 'server-and-client',
      clientAuth: true
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() }
  ]
  if (altNames.length > 0) extensions.push({ name: 'subjectAltName', altNames })
  cert.setExtensions(extensions)
  cert.sign(toForgePrivateKey(ca.privateKeyPem, 'CA key'), forge.md.sha256.create())
  return forge.pki.certificateToPem(cert)
}

export function issueLeafCertificate(ca: CertificateAuthority, request: LeafRequest): IssuedCertificate {
  const keys = generateRsaKeyPair()
  const certificatePem = signLeaf(ca, forge.pki.publicKeyFromPem(keys.publicKeyPem), {
    ...request,
    subject: [{ name: 'commonName', value: request.commonName }]
  })
  return { ...keys, certificatePem }
}

export interface CertificateSigningRequest extends KeyPairPem {
  csrPem: string
}

/** A key and a CSR for this system's gateway, for a partner's or a federation CA to sign. */
export function createCertificateSigningRequest(commonName: string): CertificateSigningRequest {
  const keys = generateRsaKeyPair()
  const csr = forge.pki.createCertificationRequest()
  csr.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem)
  csr.setSubject([{ name: 'commonName', value: commonName }])
  csr.sign(toForgePrivateKey(keys.privateKeyPem, 'new key'), forge.md.sha256.create())
  return { ...keys, csrPem: forge.pki.certificationRequestToPem(csr) }
}

export interface ParsedCsr {
  commonName: string
  /** Every subject attribute, so a caller can refuse a CSR that carries more than a CN. */
  subjectAttributes: { shortName: string; value: string }[]
  publicKeyPem: string
}

/**
 * Parses a CSR and checks its proof of possession with Node's crypto: the CertificationRequestInfo must be
 * signed by the key it carries (RFC 2986 §4.2).
 */
export function parseCertificateSigningRequest(pem: string, where: string): ParsedCsr {
  let csr: forge.pki.CertificateSigningRequest
  let infoDer: string
  try {
    csr = forge.pki.certificationRequestFromPem(pem)
    const outer = forge.asn1.fromDer(forge.pem.decode(pem)[0]?.body ?? '')
    const info = (outer.value as forge.asn1.Asn1[])[0]
    if (info === undefined) throw new Error('no CertificationRequestInfo')
    infoDer = forge.asn1.toDer(info).getBytes()
  } catch (cause) {
    throw new GatewayError('ACMGW_PKI_INVALID', `${where} is not a PEM certificate signing request with an RSA key`, {
      cause,
      path: where
    })
  }
  if (csr.publicKey === null || csr.signature === undefined) {
    throw new GatewayError('ACMGW_PKI_INVALID', `${where} carries no public key or signature`, { path: where })
  }
  const publicKeyPem = forge.pki.publicKeyToPem(csr.publicKey)
  const algorithm = forge.pki.oids[csr.signatureOid ?? '']
  const digest = {
    sha256WithRSAEncryption: 'sha256',
    sha384WithRSAEncryption: 'sha384',
    sha512WithRSAEncryption: 'sha512'
  }[algorithm ?? '']
  const signature = Buffer.from(csr.signature as string, 'binary')
  if (
    digest === undefined ||
    !verify(digest, Buffer.from(infoDer, 'binary'), createPublicKey(publicKeyPem), signature)
  ) {
    throw new GatewayError(
      'ACMGW_PKI_INVALID',
      `${where}: the CSR signature does not verify with its own key (or uses ${algorithm ?? 'an unknown algorithm'}; SHA-256/384/512 with RSA is required)`,
      { path: where }
    )
  }
  const subjectAttributes = csr.subject.attributes.map((a) => ({
    shortName: a.shortName ?? a.name ?? a.type ?? '?',
    value: String(a.value)
  }))
  const cn = subjectAttributes.filter((a) => a.shortName === 'CN')
  if (cn.length !== 1 || cn[0] === undefined) {
    throw new GatewayError('ACMGW_PKI_INVALID', `${where}: the CSR subject must carry exactly one CN`, { path: where })
  }
  return { commonName: cn[0].value, subjectAttributes, publicKeyPem }
}

/** Issues a client certificate for a CSR's key; the subject is rebuilt from the vetted CN only. */
export function signCertificateSigningRequest(
  ca: CertificateAuthority,
  csr: ParsedCsr,
  validDays: number,
  now = new Date()
): string {
  return signLeaf(ca, forge.pki.publicKeyFromPem(csr.publicKeyPem), {
    role: 'client',
    validDays,
    now,
    subject: [{ name: 'commonName', value: csr.commonName }]
  })
}

export interface CertificateSummary {
  subject: string
  issuer: string
  serialNumber: string
  fingerprintSha256: string
  validFrom: string
  validTo: string
  daysRemaining: number
  subjectAltNames: string | undefined
  isCertificateAuthority: boolean
}

export function describeCertificate(pem: string, where: string, now = new Date()): CertificateSummary {
  let cert: X509Certificate
  try {
    cert = new X509Certificate(pem)
  } catch (cause) {
    throw new GatewayError('ACMGW_PKI_INVALID', `${where} is not a PEM or DER X.509 certificate`, {
      cause,
      path: where
    })
  }
  const validTo = new Date(cert.validTo)
  return {
    subject: cert.subject.replaceAll('\n', ', '),
    issuer: cert.issuer.replaceAll('\n', ', '),
    serialNumber: cert.serialNumber,
    fingerprintSha256: cert.fingerprint256,
    validFrom: new Date(cert.validFrom).toISOString(),
    validTo: validTo.toISOString(),
    daysRemaining: Math.floor((validTo.getTime() - now.getTime()) / 86_400_000),
    subjectAltNames: cert.subjectAltName,
    isCertificateAuthority: cert.ca
  }
}
