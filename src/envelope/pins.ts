/**
 * Partner trust: the pinned signing certificates (one, or two during a key rotation) and the encryption
 * certificate of each partner gateway. Every certificate is checked once, when the pins are loaded, with Node's
 * X509Certificate: issued by the configured partner CA (checkIssued and a signature check), inside its validity
 * window, of the expected subject and key type. Per message only a map lookup by key id remains.
 */
import { type KeyObject, X509Certificate } from 'node:crypto'
import { GatewayError } from '../errors.ts'
import { gatewayCommonName } from '../identity/names.ts'
import { documentSigningOid, signingCommonName } from '../pki/signing-certificate.ts'
import { keyIdOf } from './signing.ts'

export interface PartnerCertificates {
  systemId: string
  /** The CA(s) that issue the partner's gateway certificates (PEM). */
  caPems: readonly string[]
  /** The partner's message-signing certificates (PEM): the current one, plus the next during a rotation. */
  signingCertificatePems: readonly string[]
  /** The partner's gateway (TLS) certificate, RSA: security parameters are sealed to it. */
  encryptionCertificatePem?: string
}

export interface PinnedKey {
  systemId: string
  keyId: string
  publicKey: KeyObject
  validFrom: Date
  validTo: Date
  fingerprint256: string
  /** Serial number (hex) and the fingerprint of the issuing CA: what a CRL of that CA names it by. */
  serialNumber: string
  issuerFingerprint256: string
}

/** A pinned signing certificate that a partner CA's CRL revokes. */
export interface RevokedSigner {
  systemId: string
  keyId: string
  serialNumber: string
  revokedAt: Date
  /** The CRL file that revokes it. */
  crl: string
}

export interface TrustStore {
  /**
   * The pinned signing key with this key id, whichever partner it belongs to; undefined for a revoked one.
   * Throws ACMGW_CRL_INVALID when the partner's CRL is no longer current (fail closed).
   */
  signer(keyId: string): PinnedKey | undefined
  /** Why signer() refuses a pinned key: the CRL entry that revokes it. */
  revoked(keyId: string): RevokedSigner | undefined
  /** The key that security parameters for this partner are sealed to. */
  recipient(systemId: string): PinnedKey | undefined
  readonly partners: readonly string[]
}

export const maxSigningPinsPerPartner = 2

function invalid(message: string, path: string): GatewayError {
  return new GatewayError('ACMGW_SIGNER_CERT_INVALID', message, { path })
}

function parse(pem: string, path: string): X509Certificate {
  try {
    return new X509Certificate(pem)
  } catch (cause) {
    throw new GatewayError('ACMGW_SIGNER_CERT_INVALID', `${path} is not a PEM certificate`, { cause, path })
  }
}

function checkCertificate(
  cert: X509Certificate,
  cas: readonly X509Certificate[],
  expectedSubject: string,
  keyType: string,
  now: Date,
  path: string
): X509Certificate {
  const issuer = cas.find((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey))
  if (issuer === undefined) {
    throw invalid(`${path} (${cert.subject}) is not issued by the partner CA`, path)
  }
  if (now < new Date(cert.validFrom) || now > new Date(cert.validTo)) {
    throw invalid(`${path} (${cert.subject}) is valid from ${cert.validFrom} to ${cert.validTo}, not now`, path)
  }
  if (cert.subject !== `CN=${expectedSubject}`) {
    throw invalid(`${path} has subject ${cert.subject}, expected CN=${expectedSubject}`, path)
  }
  if (cert.ca) throw invalid(`${path} is a CA certificate`, path)
  if (cert.publicKey.asymmetricKeyType !== keyType) {
    throw invalid(`${path} holds a ${cert.publicKey.asymmetricKeyType ?? 'unknown'} key, expected ${keyType}`, path)
  }
  return issuer
}

function pin(systemId: string, cert: X509Certificate, issuer: X509Certificate): PinnedKey {
  return {
    serialNumber: cert.serialNumber,
    issuerFingerprint256: issuer.fingerprint256,
    systemId,
    keyId: keyIdOf(cert.publicKey),
    publicKey: cert.publicKey,
    validFrom: new Date(cert.validFrom),
    validTo: new Date(cert.validTo),
    fingerprint256: cert.fingerprint256
  }
}

export function buildTrustStore(partners: readonly PartnerCertificates[], now = new Date()): TrustStore {
  const signers = new Map<string, PinnedKey>()
  const recipients = new Map<string, PinnedKey>()
  for (const partner of partners) {
    const base = `partners.${partner.systemId}`
    const cas = partner.caPems.map((pem, i) => parse(pem, `${base}.ca[${i}]`))
    if (cas.length === 0) throw invalid(`${base} names no CA`, `${base}.ca`)
    const count = partner.signingCertificatePems.length
    if (count < 1 || count > maxSigningPinsPerPartner) {
      throw invalid(
        `${base} must pin 1 or ${maxSigningPinsPerPartner} signing certificates (current, and next during a rotation), found ${count}`,
        `${base}.signing`
      )
    }
    partner.signingCertificatePems.forEach((pem, i) => {
      const path = `${base}.signing[${i}]`
      const cert = parse(pem, path)
      const issuer = checkCertificate(cert, cas, signingCommonName(partner.systemId), 'ed25519', now, path)
      if (cert.keyUsage?.includes(documentSigningOid) !== true) {
        throw invalid(`${path} is not a document-signing certificate`, path)
      }
      const pinned = pin(partner.systemId, cert, issuer)
      const clash = signers.get(pinned.keyId)
      if (clash !== undefined && clash.systemId !== partner.systemId) {
        throw invalid(`${path} has the same key as a signing pin of ${clash.systemId}`, path)
      }
      signers.set(pinned.keyId, pinned)
    })
    if (partner.encryptionCertificatePem !== undefined) {
      const path = `${base}.encryption`
      const cert = parse(partner.encryptionCertificatePem, path)
      const issuer = checkCertificate(cert, cas, gatewayCommonName(partner.systemId), 'rsa', now, path)
      recipients.set(partner.systemId, pin(partner.systemId, cert, issuer))
    }
  }
  return {
    signer: (keyId) => signers.get(keyId),
    revoked: () => undefined,
    recipient: (systemId) => recipients.get(systemId),
    partners: partners.map((p) => p.systemId)
  }
}
