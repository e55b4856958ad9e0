/**
 * Sealing of the sensitive part of security parameters to the recipient gateway.
 *
 * Choice: RSA-OAEP (SHA-256, MGF1-SHA-256) wraps a fresh AES-256-GCM key to the recipient's gateway
 * certificate. That certificate already exists for every partner (it is the partner's mTLS identity, RSA,
 * issued with keyEncipherment by the partner CA) and is pinned together with its signing certificate, so
 * sealing needs no second key to distribute, rotate or pin. An ephemeral ECDH (X25519) scheme would need an
 * extra key-agreement certificate per gateway and brings no forward secrecy against the static recipient
 * key either. Security-parameter messages are rare, so RSA decryption (~1 ms) is no burden.
 *
 * The additional authenticated data binds the block to its message (messageId, source, target) and to the
 * recipient key, so a sealed block cannot be replayed inside another message or to another partner. The
 * whole SealedData lies inside the signed record value.
 */
import {
  type KeyObject,
  X509Certificate,
  constants,
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  privateDecrypt,
  publicEncrypt,
  randomBytes
} from 'node:crypto'
import { GatewayError } from '../errors.ts'
import { keyIdOf } from './signing.ts'

export const sealingAlgorithm = 'RSA_OAEP_256_A256GCM'

export interface SealedData {
  algorithm: string
  recipientKeyId: string
  wrappedKey: Buffer
  iv: Buffer
  ciphertext: Buffer
  tag: Buffer
}

export interface SealingRecipient {
  keyId: string
  publicKey: KeyObject
}

export interface UnsealingKey {
  keyId: string
  privateKey: KeyObject
}

export interface SealingContext {
  messageId: string
  sourceSystem: string
  targetSystem: string
}

const aadTag = 'mcx-acm-gateway/sealed-security-parameters/v1'

export function sealingAad(context: SealingContext, recipientKeyId: string): Buffer {
  const parts = [aadTag, context.messageId, context.sourceSystem, context.targetSystem, recipientKeyId]
  return Buffer.concat(
    parts.flatMap((p) => {
      const bytes = Buffer.from(p, 'utf8')
      const length = Buffer.alloc(4)
      length.writeUInt32BE(bytes.length)
      return [length, bytes]
    })
  )
}

const oaep = (key: KeyObject) => ({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' })

export function seal(plaintext: Uint8Array, recipient: SealingRecipient, context: SealingContext): SealedData {
  const contentKey = randomBytes(32)
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', contentKey, iv)
  cipher.setAAD(sealingAad(context, recipient.keyId))
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return {
    algorithm: sealingAlgorithm,
    recipientKeyId: recipient.keyId,
    wrappedKey: publicEncrypt(oaep(recipient.publicKey), contentKey),
    iv,
    ciphertext,
    tag: cipher.getAuthTag()
  }
}

function failed(message: string, cause?: unknown): GatewayError {
  return new GatewayError('ACMGW_DECRYPT_FAILED', message, { path: 'sealed', cause })
}

export function unseal(sealed: SealedData, key: UnsealingKey, context: SealingContext): Buffer {
  if (sealed.algorithm !== sealingAlgorithm) throw failed(`unsupported sealing algorithm ${sealed.algorithm}`)
  if (sealed.recipientKeyId !== key.keyId) {
    throw failed(`the block is sealed to key ${sealed.recipientKeyId}, not to this gateway's key ${key.keyId}`)
  }
  if (sealed.iv.length !== 12 || sealed.tag.length !== 16) throw failed('the nonce or tag has the wrong length')
  let contentKey: Buffer
  try {
    contentKey = privateDecrypt(oaep(key.privateKey), sealed.wrappedKey)
  } catch (cause) {
    throw failed('the content key does not unwrap with this gateway key', cause)
  }
  if (contentKey.length !== 32) throw failed('the unwrapped content key is not 256 bits')
  try {
    const decipher = createDecipheriv('aes-256-gcm', contentKey, sealed.iv)
    decipher.setAAD(sealingAad(context, key.keyId))
    decipher.setAuthTag(sealed.tag)
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()])
  } catch (cause) {
    throw failed('the sealed block does not authenticate for this message', cause)
  }
}

/** This gateway's unsealing key: the RSA key of its gateway (TLS) certificate. */
export function createUnsealingKey(privateKeyPem: string, certificatePem: string): UnsealingKey {
  let privateKey: KeyObject
  let cert: X509Certificate
  try {
    privateKey = createPrivateKey(privateKeyPem)
    cert = new X509Certificate(certificatePem)
  } catch (cause) {
    throw new GatewayError('ACMGW_PKI_INVALID', 'the gateway key or certificate cannot be read', { cause })
  }
  if (privateKey.asymmetricKeyType !== 'rsa' || !cert.checkPrivateKey(privateKey)) {
    throw new GatewayError('ACMGW_PKI_INVALID', 'the unsealing key must be the RSA key of the gateway certificate')
  }
  return { keyId: keyIdOf(cert.publicKey), privateKey }
}
