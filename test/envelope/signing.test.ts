import assert from 'node:assert/strict'
import { X509Certificate, generateKeyPairSync } from 'node:crypto'
import { describe, test } from 'node:test'
import { createRecordSigner, keyIdOf, signingInput, verifyRecordSignature } from '../../src/envelope/signing.ts'
import { GatewayError } from '../../src/errors.ts'
import { testPki } from '../helpers/acm.ts'

describe('record signatures', () => {
  const alpha = testPki().gateways.alpha
  const publicKey = new X509Certificate(alpha.signing.certificatePem).publicKey

  test('the signed bytes are a domain tag and length-prefixed topic, key and value', () => {
    const input = signingInput('acm.a.b.c', Buffer.from('k'), Buffer.from([1, 2]))
    const tag = Buffer.from('mcx-acm-gateway/record-signature/v1\u0000')
    assert.deepEqual(input.subarray(0, tag.length), tag)
    assert.deepEqual(
      input.subarray(tag.length),
      Buffer.from([0, 0, 0, 9, ...Buffer.from('acm.a.b.c'), 0, 0, 0, 1, 0x6b, 0, 0, 0, 2, 1, 2])
    )
    // length prefixes keep the parts apart: moving a byte from key to topic changes the input
    assert.notDeepEqual(
      signingInput('ab', Buffer.from('c'), Buffer.alloc(0)),
      signingInput('a', Buffer.from('bc'), Buffer.alloc(0))
    )
  })

  test('a signature verifies for exactly the topic, key and value it was made over', () => {
    const key = Buffer.from('group:1')
    const value = Buffer.from('value bytes')
    const sig = alpha.signer.sign('acm.alpha.bravo.groups', key, value)
    assert.equal(sig.length, 64)
    assert.equal(verifyRecordSignature(publicKey, 'acm.alpha.bravo.groups', key, value, sig), true)
    assert.equal(verifyRecordSignature(publicKey, 'acm.alpha.charlie.groups', key, value, sig), false)
    assert.equal(verifyRecordSignature(publicKey, 'acm.alpha.bravo.groups', Buffer.from('group:2'), value, sig), false)
    assert.equal(
      verifyRecordSignature(publicKey, 'acm.alpha.bravo.groups', key, Buffer.from('value bytez'), sig),
      false
    )
    assert.equal(verifyRecordSignature(publicKey, 'acm.alpha.bravo.groups', key, value, sig.subarray(0, 63)), false)
  })

  test('Ed25519 is deterministic and the key id is the SPKI hash', () => {
    const a = alpha.signer.sign('t', Buffer.from('k'), Buffer.from('v'))
    assert.deepEqual(alpha.signer.sign('t', Buffer.from('k'), Buffer.from('v')), a)
    assert.equal(alpha.signer.keyId, keyIdOf(publicKey))
    assert.match(alpha.signer.keyId, /^[A-Za-z0-9_-]{43}$/)
  })

  test('a signer whose key does not belong to its certificate is refused', () => {
    const other = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    assert.throws(
      () => createRecordSigner('alpha', other, alpha.signing.certificatePem),
      (e: unknown) => GatewayError.is(e) && e.code === 'ACMGW_PKI_INVALID'
    )
    assert.throws(
      () => createRecordSigner('alpha', alpha.tls.privateKeyPem, alpha.tls.certificatePem),
      (e: unknown) => GatewayError.is(e) && e.code === 'ACMGW_PKI_INVALID',
      'an RSA TLS key is not a signing key'
    )
  })
})
