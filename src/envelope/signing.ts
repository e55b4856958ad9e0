/**
 * Record signatures (DESIGN §5): Ed25519 via Node's crypto over a domain-separated, length-prefixed
 * concatenation of topic, record key and record value. The value already holds the schema id or fingerprint,
 * the envelope and the body, so one signature binds all of them to the topic (no re-posting to another
 * partner's topic) and to the key (no moving a record to another entity). The signature and the signer's key id
 * travel in record headers, so the Avro value stays exactly what a registry-aware consumer expects.
 */
import { type KeyObject, X509Certificate, createHash, createPrivateKey, sign, verify } from 'node:crypto'
import { GatewayError } from '../errors.ts'

export const signatureHeader = 'acmgw-signature'
export const signerHeader = 'acmgw-signer'
export const signatureLength = 64

const domainTag = Buffer.from('mcx-acm-gateway/record-signature/v1\u0000', 'utf8')

/** tag || u32 len(topic) || topic || u32 len(key) || key || u32 len(value) || value */
export function signingInput(topic: string, key: Uint8Array, value: Uint8Array): Buffer {
  const topicLength = Buffer.byteLength(topic, 'utf8')
  const out = Buffer.allocUnsafe(domainTag.length + 12 + topicLength + key.length + value.length)
  let pos = domainTag.copy(out, 0)
  pos = out.writeUInt32BE(topicLength, pos)
  pos += out.write(topic, pos, 'utf8')
  pos = out.writeUInt32BE(key.length, pos)
  out.set(key, pos)
  pos += key.length
  pos = out.writeUInt32BE(value.length, pos)
  out.set(value, pos)
  return out
}

/** Key id: SHA-256 of the SubjectPublicKeyInfo DER, base64url. Stable for a key, whatever certificate wraps it. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64url')
}

export interface RecordSigner {
  systemId: string
  keyId: string
  sign(topic: string, key: Uint8Array, value: Uint8Array): Buffer
}

/** This gateway's signer, from its signing key and certificate (PEM), loaded once into key objects. */
export function createRecordSigner(systemId: string, privateKeyPem: string, certificatePem: string): RecordSigner {
  let privateKey: KeyObject
  let cert: X509Certificate
  try {
    privateKey = createPrivateKey(privateKeyPem)
    cert = new X509Certificate(certificatePem)
  } catch (cause) {
    throw new GatewayError('ACMGW_PKI_INVALID', `the signing key or certificate of ${systemId} cannot be read`, {
      cause
    })
  }
  if (privateKey.asymmetricKeyType !== 'ed25519' || !cert.checkPrivateKey(privateKey)) {
    throw new GatewayError(
      'ACMGW_PKI_INVALID',
      `the signing key of ${systemId} must be the Ed25519 key of its signing certificate`
    )
  }
  const keyId = keyIdOf(cert.publicKey)
  return {
    systemId,
    keyId,
    sign: (topic, key, value) => sign(null, signingInput(topic, key, value), privateKey)
  }
}

/** The same check on libuv's thread pool, so that a batch's signatures verify in parallel, off the event loop. */
export function verifyRecordSignatureAsync(
  publicKey: KeyObject,
  topic: string,
  key: Uint8Array,
  value: Uint8Array,
  signature: Uint8Array
): Promise<boolean> {
  if (signature.length !== signatureLength) return Promise.resolve(false)
  return new Promise((resolve) => {
    try {
      verify(null, signingInput(topic, key, value), publicKey, signature, (error, ok) => resolve(error === null && ok))
    } catch {
      resolve(false)
    }
  })
}

export function verifyRecordSignature(
  publicKey: KeyObject,
  topic: string,
  key: Uint8Array,
  value: Uint8Array,
  signature: Uint8Array
): boolean {
  if (signature.length !== signatureLength) return false
  try {
    return verify(null, signingInput(topic, key, value), publicKey, signature)
  } catch {
    return false
  }
}
