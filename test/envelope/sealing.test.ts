import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { describe, test } from 'node:test'
import { seal, unseal } from '../../src/envelope/sealing.ts'
import { keyIdOf } from '../../src/envelope/signing.ts'
import { GatewayError } from '../../src/errors.ts'
import { testPki } from '../helpers/acm.ts'

const failed = (error: unknown) => GatewayError.is(error) && error.code === 'ACMGW_DECRYPT_FAILED'

describe('sealing to the recipient gateway', () => {
  const pki = testPki()
  const bravoCert = new X509Certificate(pki.gateways.bravo.tls.certificatePem)
  const recipient = { keyId: keyIdOf(bravoCert.publicKey), publicKey: bravoCert.publicKey }
  const context = { messageId: '0b7a3b8e-3a5c-4a8e-9d7b-1c2d3e4f5a6b', sourceSystem: 'alpha', targetSystem: 'bravo' }
  const plaintext = Buffer.from('group master key material')

  test('opens with the recipient key and context', () => {
    const sealed = seal(plaintext, recipient, context)
    assert.equal(sealed.recipientKeyId, pki.gateways.bravo.unsealingKey.keyId)
    assert.equal(sealed.iv.length, 12)
    assert.equal(sealed.tag.length, 16)
    assert.equal(sealed.wrappedKey.length, 256, 'RSA-2048 OAEP block')
    assert.deepEqual(unseal(sealed, pki.gateways.bravo.unsealingKey, context), plaintext)
  })

  test("the other partner's key cannot open it, even when it claims the key id", () => {
    const sealed = seal(plaintext, recipient, context)
    assert.throws(() => unseal(sealed, pki.gateways.charlie.unsealingKey, context), failed)
    const charlie = { ...pki.gateways.charlie.unsealingKey, keyId: recipient.keyId }
    assert.throws(() => unseal(sealed, charlie, context), failed)
  })

  test('another messageId, source or target, or a changed byte, does not authenticate', () => {
    const sealed = seal(plaintext, recipient, context)
    const key = pki.gateways.bravo.unsealingKey
    for (const other of [
      { ...context, messageId: '1b7a3b8e-3a5c-4a8e-9d7b-1c2d3e4f5a6b' },
      { ...context, sourceSystem: 'charlie' },
      { ...context, targetSystem: 'charlie' }
    ]) {
      assert.throws(() => unseal(sealed, key, other), failed)
    }
    const flipped = Buffer.from(sealed.ciphertext)
    flipped[0] = (flipped[0] ?? 0) ^ 1
    assert.throws(() => unseal({ ...sealed, ciphertext: flipped }, key, context), failed)
    assert.throws(() => unseal({ ...sealed, tag: Buffer.alloc(16) }, key, context), failed)
    assert.throws(() => unseal({ ...sealed, algorithm: 'UNKNOWN' }, key, context), failed)
  })

  test('each seal uses a fresh key and nonce', () => {
    const a = seal(plaintext, recipient, context)
    const b = seal(plaintext, recipient, context)
    assert.notDeepEqual(a.iv, b.iv)
    assert.notDeepEqual(a.ciphertext, b.ciphertext)
  })
})
