/**
 * The ACM record codec: message → signed Kafka record, and Kafka record → verified, decoded, checked message.
 *
 * Decoding order (each step refuses with a stable GatewayError code before the next one runs):
 *   1. sizes of value, key and headers                           ACMGW_CODEC_OVERSIZE
 *   2. topic name: a category topic addressed to this gateway   ACMGW_ENVELOPE_WRONG_TOPIC / _WRONG_TARGET
 *   3. frame header: writer schema allowed on this category      ACMGW_CODEC_UNKNOWN_SCHEMA
 *   4. signer key id pinned, not revoked by a current partner    ACMGW_SIGNATURE_MISSING / ACMGW_SIGNER_* /
 *      CRL, and pinned for the topic's source                    ACMGW_CRL_INVALID
 *   5. Ed25519 signature over topic, key and raw value           ACMGW_SIGNATURE_INVALID
 *   6. bounded pre-scan of the Avro binary                       ACMGW_CODEC_TRUNCATED / _TOO_MANY_ITEMS / …
 *   7. avsc decode with the pinned reader schema (resolver)      ACMGW_CODEC_INVALID
 *   8. no evolution-default UNKNOWN symbols; envelope checks     ACMGW_ENVELOPE_* (incl. _REPLAYED)
 *   9. sealed security parameters opened for this gateway        ACMGW_DECRYPT_FAILED
 * Nothing decoded is looked at before step 5 has passed; steps 1–4 read only sizes, the topic, headers and the
 * 5- or 10-byte frame header, and they keep unsigned junk from costing a signature check.
 */
import type { KeyObject } from 'node:crypto'
import type avro from 'avsc'
import { GatewayError } from '../errors.ts'
import { assertSystemId } from '../identity/names.ts'
import {
  type AcmMessage,
  type Envelope,
  type SeenCheck,
  checkEnvelopeShape,
  checkReceivedEnvelope
} from '../envelope/envelope.ts'
import type { TrustStore } from '../envelope/pins.ts'
import { type SealedData, type UnsealingKey, seal, unseal } from '../envelope/sealing.ts'
import {
  type RecordSigner,
  signatureHeader,
  signatureLength,
  signerHeader,
  verifyRecordSignature,
  verifyRecordSignatureAsync
} from '../envelope/signing.ts'
import {
  type AcmKind,
  type TopicCategory,
  isAcmKind,
  kinds,
  parseTopic,
  sealedSecretsRecord,
  topicName
} from './catalogue.ts'
import { singleObjectHeaderLength, singleObjectMarker } from './fingerprint.ts'
import { type DecodeLimits, type ScanPlan, compileScanPlan, defaultDecodeLimits, scanRecord } from './guard.ts'
import type { SchemaSet } from './schema-set.ts'
import { compileUnknownSymbolFinder } from './unknown-symbols.ts'
import type { Wire } from './wire.ts'

export type HeaderValue = Buffer | string | (Buffer | string)[] | undefined

/** What a producer sends: kafkajs `Message` fields. */
export interface ProducedRecord {
  topic: string
  key: Buffer
  value: Buffer
  headers: Record<string, Buffer>
}

/** What a consumer received: kafkajs `KafkaMessage` fields plus the topic. */
export interface ConsumedRecord {
  topic: string
  key: Buffer | null
  value: Buffer | null
  headers?: Record<string, HeaderValue>
}

/** The sensitive part of security parameters (schemas/org.mcx.acm.SecuritySecrets.avsc). */
export interface SecuritySecrets {
  groupKeys: {
    mcServiceGroupId: string
    gmkId: string
    keyMaterial: Buffer
    activationTime: number
    expiryTime: number | null
  }[]
  secrets: Record<string, Buffer>
}

export interface DecodedMessage {
  kind: AcmKind
  category: TopicCategory
  record: string
  message: AcmMessage
  signer: { systemId: string; keyId: string }
  /** The writer schema's fingerprint (embedded) or registry id. */
  writerSchema: string
  /** The opened sealed part of SECURITY_PARAMETERS, when there is one. */
  secrets?: SecuritySecrets
}

export interface CodecOptions {
  /** This gateway's system id: the only source it encodes for and the only target it accepts. */
  localSystem: string
  schemas: SchemaSet
  wire: Wire
  signer: RecordSigner
  trust: TrustStore
  /** This gateway's RSA key, to open security parameters sealed to it. */
  unsealingKey?: UnsealingKey
  limits?: Partial<DecodeLimits>
  /** How far in the future createdAt may lie (partners' clocks). Default 5 minutes. */
  maxClockSkewMs?: number
  /** Replay memory of the runtime; without it the codec does not check replay. */
  seen?: SeenCheck
  now?: () => number
}

/**
 * Signature verdicts of a batch, computed ahead on the thread pool. A verdict is used by `decode` only for the
 * same value buffer, topic, key, signature and pinned key object; anything else is verified again in line.
 */
export type SignatureVerdicts = WeakMap<Uint8Array, SignatureVerdict>

interface SignatureVerdict {
  publicKey: KeyObject
  topic: string
  key: Buffer
  signature: Buffer
  ok: boolean
}

export interface DecodeOptions {
  now?: number
  seen?: SeenCheck
  signatures?: SignatureVerdicts
}

export interface AcmCodec {
  readonly mode: Wire['mode']
  readonly limits: Readonly<DecodeLimits>
  encode(message: AcmMessage, options?: { secrets?: SecuritySecrets }): ProducedRecord
  /** Verifies the signatures of records about to be decoded, in parallel off the event loop. Never throws. */
  verifySignatures(records: readonly ConsumedRecord[]): Promise<SignatureVerdicts>
  decode(record: ConsumedRecord, options?: DecodeOptions): DecodedMessage
}

interface RecordRuntime {
  type: avro.Type
  findUnknown: (value: unknown) => string | undefined
}

function oversize(message: string, path?: string): GatewayError {
  return new GatewayError('ACMGW_CODEC_OVERSIZE', message, { path })
}

function headerBuffer(headers: Record<string, HeaderValue> | undefined, name: string): Buffer | undefined {
  const raw = headers?.[name]
  if (raw === undefined) return undefined
  if (Array.isArray(raw)) {
    if (raw.length !== 1) {
      throw new GatewayError('ACMGW_SIGNATURE_INVALID', `header ${name} appears ${raw.length} times`, { path: name })
    }
    const only = raw[0] as Buffer | string
    return typeof only === 'string' ? Buffer.from(only, 'utf8') : only
  }
  return typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw
}

/** avsc's first complaint about a value, as a field path. */
function invalidPath(type: avro.Type, value: unknown): string | undefined {
  // The hook makes avsc track paths for every field; only pay for that once we know something is wrong.
  if (type.isValid(value, { noUndeclaredFields: true })) return undefined
  let path: string | undefined
  type.isValid(value, {
    noUndeclaredFields: true,
    errorHook: (segments: string[]) => {
      path ??= segments.reduce((out, s) => (/^\d+$/.test(s) ? `${out}[${s}]` : out === '' ? s : `${out}.${s}`), '')
    }
  })
  return path ?? '(record)'
}

export function createCodec(options: CodecOptions): AcmCodec {
  const localSystem = assertSystemId(options.localSystem, 'localSystem')
  const limits: DecodeLimits = Object.freeze({ ...defaultDecodeLimits, ...options.limits })
  const maxClockSkewMs = options.maxClockSkewMs ?? 5 * 60_000
  const clock = options.now ?? Date.now
  const { wire, signer, trust, schemas } = options
  if (signer.systemId !== localSystem) {
    throw new GatewayError('ACMGW_PKI_INVALID', `the signer is ${signer.systemId}, not ${localSystem}`)
  }
  const runtimes = new Map<string, RecordRuntime>()
  for (const name of new Set(Object.values(kinds).map((k) => k.record))) {
    const type = schemas.get(name).type
    runtimes.set(name, { type, findUnknown: compileUnknownSymbolFinder(type) })
  }
  const secretsRecord = schemas.get(sealedSecretsRecord)
  const secretsHeader = Buffer.concat([singleObjectMarker, secretsRecord.fingerprint])
  const secretsPlan: ScanPlan = compileScanPlan(secretsRecord.type)
  const findUnknownSecret = compileUnknownSymbolFinder(secretsRecord.type)

  function encode(message: AcmMessage, encodeOptions: { secrets?: SecuritySecrets } = {}): ProducedRecord {
    const envelope = message.envelope as Envelope | undefined
    if (envelope === undefined || !isAcmKind(envelope.kind)) {
      throw new GatewayError('ACMGW_CODEC_INVALID', 'the message has no envelope with a known kind', {
        path: 'envelope.kind'
      })
    }
    const info = kinds[envelope.kind]
    if (envelope.sourceSystem !== localSystem) {
      throw new GatewayError(
        'ACMGW_ENVELOPE_WRONG_SOURCE',
        `this gateway is ${localSystem} and cannot send as ${envelope.sourceSystem}`,
        { path: 'envelope.sourceSystem' }
      )
    }
    checkEnvelopeShape(envelope, info.record)
    let value: AcmMessage = message
    if (encodeOptions.secrets !== undefined) {
      if (envelope.kind !== 'SECURITY_PARAMETERS') {
        throw new GatewayError('ACMGW_CODEC_INVALID', `only SECURITY_PARAMETERS carry sealed secrets`, {
          path: 'sealed'
        })
      }
      const recipient = trust.recipient(envelope.targetSystem)
      if (recipient === undefined) {
        throw new GatewayError(
          'ACMGW_RECIPIENT_UNKNOWN',
          `no encryption certificate pinned for ${envelope.targetSystem}`,
          {
            path: 'sealed'
          }
        )
      }
      const secretPath = invalidPath(secretsRecord.type, encodeOptions.secrets)
      if (secretPath !== undefined) {
        throw new GatewayError(
          'ACMGW_CODEC_INVALID',
          `the secrets do not fit ${sealedSecretsRecord} at ${secretPath}`,
          {
            path: `secrets.${secretPath}`
          }
        )
      }
      const plaintext = Buffer.concat([secretsHeader, secretsRecord.type.toBuffer(encodeOptions.secrets)])
      value = { ...message, sealed: seal(plaintext, recipient, envelope) }
    }
    const runtime = runtimes.get(info.record) as RecordRuntime
    const path = invalidPath(runtime.type, value)
    if (path !== undefined) {
      throw new GatewayError('ACMGW_CODEC_INVALID', `the message does not fit ${info.record} at ${path}`, { path })
    }
    const body = runtime.type.toBuffer(value)
    const header = wire.header(info.record)
    const encoded = Buffer.allocUnsafe(header.length + body.length)
    header.copy(encoded, 0)
    body.copy(encoded, header.length)
    if (encoded.length > limits.maxRecordBytes) {
      throw oversize(`the encoded record is ${encoded.length} bytes, more than ${limits.maxRecordBytes}`)
    }
    const key = Buffer.from(envelope.entityKey, 'utf8')
    if (key.length > limits.maxKeyBytes)
      throw oversize(`the entity key is longer than ${limits.maxKeyBytes} bytes`, 'envelope.entityKey')
    const topic = topicName(localSystem, envelope.targetSystem, info.category)
    return {
      topic,
      key,
      value: encoded,
      headers: {
        [signatureHeader]: signer.sign(topic, key, encoded),
        [signerHeader]: Buffer.from(signer.keyId, 'utf8')
      }
    }
  }

  function openSecrets(sealed: SealedData, envelope: Envelope): SecuritySecrets {
    if (options.unsealingKey === undefined) {
      throw new GatewayError('ACMGW_DECRYPT_FAILED', 'this gateway has no unsealing key configured', { path: 'sealed' })
    }
    const plaintext = unseal(sealed, options.unsealingKey, envelope)
    if (plaintext.length < singleObjectHeaderLength || !plaintext.subarray(0, 10).equals(secretsHeader)) {
      throw new GatewayError(
        'ACMGW_CODEC_UNKNOWN_SCHEMA',
        'the sealed secrets are not a known SecuritySecrets schema',
        {
          path: 'sealed.ciphertext'
        }
      )
    }
    scanRecord(secretsPlan, plaintext, singleObjectHeaderLength, plaintext.length, limits)
    let secrets: SecuritySecrets
    try {
      secrets = secretsRecord.type.fromBuffer(plaintext.subarray(singleObjectHeaderLength)) as SecuritySecrets
    } catch (cause) {
      throw new GatewayError('ACMGW_CODEC_INVALID', `the sealed secrets do not decode: ${String(cause)}`, {
        path: 'sealed.ciphertext',
        cause
      })
    }
    const unknown = findUnknownSecret(secrets)
    if (unknown !== undefined) {
      throw new GatewayError('ACMGW_CODEC_INVALID', `secrets.${unknown} holds a symbol this gateway does not know`, {
        path: `secrets.${unknown}`
      })
    }
    return secrets
  }

  async function verifySignatures(records: readonly ConsumedRecord[]): Promise<SignatureVerdicts> {
    const verdicts: SignatureVerdicts = new WeakMap()
    await Promise.all(
      records.map(async (record) => {
        let checked: ReturnType<typeof beforeSignature>
        try {
          checked = beforeSignature(record)
        } catch {
          return // refused before its signature: decode says why, and no signature check is spent on it
        }
        const { value, key, signature, pinned } = checked
        const ok = await verifyRecordSignatureAsync(pinned.publicKey, record.topic, key, value, signature)
        verdicts.set(value, { publicKey: pinned.publicKey, topic: record.topic, key, signature, ok })
      })
    )
    return verdicts
  }

  function signatureVerifies(
    verdicts: SignatureVerdicts | undefined,
    publicKey: KeyObject,
    topic: string,
    key: Buffer,
    value: Buffer,
    signature: Buffer
  ): boolean {
    const ahead = verdicts?.get(value)
    if (
      ahead !== undefined &&
      ahead.publicKey === publicKey &&
      ahead.topic === topic &&
      ahead.key.equals(key) &&
      ahead.signature.equals(signature)
    ) {
      return ahead.ok
    }
    return verifyRecordSignature(publicKey, topic, key, value, signature)
  }

  /** Steps 1–4: what decode checks before it spends a signature check (also before one is spent ahead). */
  function beforeSignature(record: ConsumedRecord) {
    const value = record.value
    // 1. sizes, before anything else
    if (value === null || value.length === 0) {
      throw new GatewayError('ACMGW_CODEC_INVALID', 'the record has no value (tombstones are not ACM messages)')
    }
    if (value.length > limits.maxRecordBytes) {
      throw oversize(`the record is ${value.length} bytes, more than ${limits.maxRecordBytes}`)
    }
    const key = record.key ?? Buffer.alloc(0)
    if (key.length > limits.maxKeyBytes) throw oversize(`the record key is longer than ${limits.maxKeyBytes} bytes`)
    const headers = record.headers
    if (headers !== undefined) {
      let count = 0
      for (const name in headers) {
        const h = headers[name]
        const items = Array.isArray(h) ? h : [h]
        for (const item of items) {
          if (item !== undefined && item.length > limits.maxHeaderBytes) {
            throw oversize(`header ${name} is longer than ${limits.maxHeaderBytes} bytes`, name)
          }
          count++
        }
      }
      if (count > limits.maxHeaders) throw oversize(`the record has ${count} headers, more than ${limits.maxHeaders}`)
    }
    // 2. topic
    const topic = parseTopic(record.topic)
    if (topic === undefined) {
      throw new GatewayError('ACMGW_ENVELOPE_WRONG_TOPIC', `${record.topic} is not an acm.<from>.<to>.<category> topic`)
    }
    if (topic.to !== localSystem) {
      throw new GatewayError('ACMGW_ENVELOPE_WRONG_TARGET', `topic ${record.topic} is not addressed to ${localSystem}`)
    }
    // 3. allowed writer schema
    const writer = wire.writer(value, topic.category)
    // 4. signer
    const signature = headerBuffer(headers, signatureHeader)
    const keyIdBytes = headerBuffer(headers, signerHeader)
    if (signature === undefined || keyIdBytes === undefined) {
      throw new GatewayError(
        'ACMGW_SIGNATURE_MISSING',
        `the record lacks the ${signatureHeader} or ${signerHeader} header`
      )
    }
    const keyId = keyIdBytes.toString('utf8')
    const pinned = trust.signer(keyId)
    if (pinned === undefined) {
      const revoked = trust.revoked(keyId)
      if (revoked !== undefined) {
        throw new GatewayError(
          'ACMGW_SIGNER_REVOKED',
          `the signing certificate of ${revoked.systemId} with key id ${keyId} (serial ${revoked.serialNumber}) is revoked since ${revoked.revokedAt.toISOString()} by ${revoked.crl}`,
          { path: signerHeader }
        )
      }
      throw new GatewayError('ACMGW_SIGNER_UNKNOWN', `no pinned signing certificate has key id ${keyId}`, {
        path: signerHeader
      })
    }
    if (pinned.systemId !== topic.from) {
      throw new GatewayError(
        'ACMGW_SIGNER_MISMATCH',
        `the record on ${record.topic} is signed by ${pinned.systemId}'s key, not by ${topic.from}`,
        { path: signerHeader }
      )
    }
    return { value, key, topic, writer, signature, keyId, pinned }
  }

  function decode(record: ConsumedRecord, decodeOptions: DecodeOptions = {}): DecodedMessage {
    const { value, key, topic, writer, signature, keyId, pinned } = beforeSignature(record)
    // 5. signature over the raw bytes
    if (
      signature.length !== signatureLength ||
      !signatureVerifies(decodeOptions.signatures, pinned.publicKey, record.topic, key, value, signature)
    ) {
      throw new GatewayError(
        'ACMGW_SIGNATURE_INVALID',
        `the signature of the record on ${record.topic} does not verify`,
        {
          path: signatureHeader
        }
      )
    }
    // 6. bounded pre-scan, 7. decode with the pinned reader
    scanRecord(writer.plan, value, wire.headerLength, value.length, limits)
    let message: AcmMessage
    try {
      message = writer.reader.fromBuffer(value.subarray(wire.headerLength), writer.resolver) as AcmMessage
    } catch (cause) {
      throw new GatewayError(
        'ACMGW_CODEC_INVALID',
        `the record does not decode as ${writer.record}: ${String(cause)}`,
        {
          cause
        }
      )
    }
    // 8. semantic checks
    const runtime = runtimes.get(writer.record) as RecordRuntime
    const unknown = runtime.findUnknown(message)
    if (unknown !== undefined) {
      throw new GatewayError('ACMGW_CODEC_INVALID', `${unknown} holds a symbol this gateway does not know`, {
        path: unknown
      })
    }
    const envelope = message.envelope
    checkReceivedEnvelope(envelope, {
      localSystem,
      topic,
      recordKey: key.toString('utf8'),
      record: writer.record,
      now: decodeOptions.now ?? clock(),
      maxClockSkewMs,
      seen: decodeOptions.seen ?? options.seen
    })
    const decoded: DecodedMessage = {
      kind: envelope.kind,
      category: topic.category,
      record: writer.record,
      message,
      signer: { systemId: pinned.systemId, keyId },
      writerSchema: writer.id
    }
    // 9. sealed secrets
    const sealed = (message as { sealed?: SealedData | null }).sealed
    if (sealed !== undefined && sealed !== null) decoded.secrets = openSecrets(sealed, envelope)
    return decoded
  }

  return { mode: wire.mode, limits, encode, verifySignatures, decode }
}
