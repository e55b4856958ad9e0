/**
 * The envelope every ACM record carries (schemas/org.mcx.acm.Envelope.avsc) and the checks a receiving
 * gateway makes on it once the signature has verified and the record has decoded: kind, topic, source, target,
 * record key, formats, time window and replay. Pure: the clock and the replay memory are passed in.
 */
import { GatewayError } from '../errors.ts'
import { systemIdPattern } from '../identity/names.ts'
import { type AcmKind, type ParsedTopic, isAcmKind, kinds } from '../codec/catalogue.ts'

export interface McServiceUser {
  mcServiceId: string
  functionalAlias: string | null
}

export interface TargetAddress {
  mcServiceId: string | null
  functionalAlias: string | null
}

export type Urgency = 'NORMAL' | 'LOW' | 'HIGH' | 'IMMEDIATE'

export interface Envelope {
  messageId: string
  kind: AcmKind
  sourceSystem: string
  targetSystem: string
  agreementId: string
  correlationId: string | null
  /** Milliseconds since the Unix epoch. */
  createdAt: number
  expiresAt: number
  urgency: Urgency
  requester: McServiceUser
  target: TargetAddress | null
  approver: McServiceUser | null
  entityKey: string
  entityVersion: number
}

/** An ACM record: the envelope and the procedure's own fields. */
export interface AcmMessage {
  envelope: Envelope
  [field: string]: unknown
}

/** Is `(sourceSystem, messageId)` already applied? Supplied by the runtime, which owns the replay window. */
export type SeenCheck = (sourceSystem: string, messageId: string) => boolean

export interface EnvelopeCheckContext {
  /** This gateway's system id. */
  localSystem: string
  topic: ParsedTopic
  /** The Kafka record key as text. */
  recordKey: string
  /** The record schema the value was decoded with. */
  record: string
  now: number
  maxClockSkewMs: number
  seen?: SeenCheck
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function reject(code: ConstructorParameters<typeof GatewayError>[0], message: string, path: string): never {
  throw new GatewayError(code, message, { path })
}

/** Structure and formats: also what the sender checks before it signs. */
export function checkEnvelopeShape(envelope: Envelope, record: string): void {
  const kind = envelope.kind
  if (!isAcmKind(kind)) reject('ACMGW_CODEC_INVALID', `unknown kind ${String(kind)}`, 'envelope.kind')
  if (kinds[kind].record !== record) {
    reject(
      'ACMGW_ENVELOPE_KIND_MISMATCH',
      `kind ${kind} travels as ${kinds[kind].record}, not as ${record}`,
      'envelope.kind'
    )
  }
  if (!uuidPattern.test(envelope.messageId)) {
    reject('ACMGW_CODEC_INVALID', 'messageId is not a UUID', 'envelope.messageId')
  }
  for (const field of ['sourceSystem', 'targetSystem'] as const) {
    if (!systemIdPattern.test(envelope[field])) {
      reject('ACMGW_CODEC_INVALID', `${field} is not a system id`, `envelope.${field}`)
    }
  }
  if (envelope.agreementId.length === 0) reject('ACMGW_CODEC_INVALID', 'agreementId is empty', 'envelope.agreementId')
  if (envelope.entityKey.length === 0) reject('ACMGW_CODEC_INVALID', 'entityKey is empty', 'envelope.entityKey')
  if (envelope.entityVersion < 0) {
    reject('ACMGW_CODEC_INVALID', 'entityVersion is negative', 'envelope.entityVersion')
  }
  if (envelope.requester.mcServiceId.length === 0) {
    reject('ACMGW_CODEC_INVALID', 'the requester has no MC service ID', 'envelope.requester.mcServiceId')
  }
  if (envelope.expiresAt <= envelope.createdAt) {
    reject('ACMGW_CODEC_INVALID', 'expiresAt is not after createdAt', 'envelope.expiresAt')
  }
  const info = kinds[kind]
  const target = envelope.target
  if (target !== null && target.mcServiceId === null && target.functionalAlias === null) {
    reject('ACMGW_CODEC_INVALID', 'a target needs an MC service ID or a functional alias', 'envelope.target')
  }
  if (info.target === 'required' && target === null) {
    reject('ACMGW_CODEC_INVALID', `${kind} needs a target user or functional alias`, 'envelope.target')
  }
  if (info.target === 'none' && target !== null) {
    reject('ACMGW_CODEC_INVALID', `${kind} takes no target user`, 'envelope.target')
  }
  if (info.role === 'answer' && envelope.correlationId === null) {
    reject('ACMGW_CODEC_INVALID', `${kind} answers a request and needs its correlationId`, 'envelope.correlationId')
  }
}

/** Everything a receiver checks, in order: shape, topic, source, target, key, time, replay. */
export function checkReceivedEnvelope(envelope: Envelope, ctx: EnvelopeCheckContext): void {
  checkEnvelopeShape(envelope, ctx.record)
  const kind = envelope.kind
  if (kinds[kind].category !== ctx.topic.category) {
    reject(
      'ACMGW_ENVELOPE_WRONG_TOPIC',
      `kind ${kind} belongs on a ${kinds[kind].category} topic, not on ${ctx.topic.category}`,
      'envelope.kind'
    )
  }
  if (envelope.sourceSystem !== ctx.topic.from) {
    reject(
      'ACMGW_ENVELOPE_WRONG_SOURCE',
      `sourceSystem ${envelope.sourceSystem} does not match the topic's source ${ctx.topic.from}`,
      'envelope.sourceSystem'
    )
  }
  if (envelope.targetSystem !== ctx.localSystem || envelope.targetSystem !== ctx.topic.to) {
    reject(
      'ACMGW_ENVELOPE_WRONG_TARGET',
      `targetSystem ${envelope.targetSystem} is not this gateway (${ctx.localSystem}) or not the topic's target`,
      'envelope.targetSystem'
    )
  }
  if (envelope.entityKey !== ctx.recordKey) {
    reject('ACMGW_ENVELOPE_KEY_MISMATCH', 'the record key is not the envelope entityKey', 'envelope.entityKey')
  }
  if (envelope.expiresAt <= ctx.now) {
    reject(
      'ACMGW_ENVELOPE_EXPIRED',
      `the message expired at ${new Date(envelope.expiresAt).toISOString()}`,
      'envelope.expiresAt'
    )
  }
  if (envelope.createdAt > ctx.now + ctx.maxClockSkewMs) {
    reject(
      'ACMGW_ENVELOPE_NOT_YET_VALID',
      `the message claims creation at ${new Date(envelope.createdAt).toISOString()}, beyond the allowed clock skew`,
      'envelope.createdAt'
    )
  }
  if (ctx.seen?.(envelope.sourceSystem, envelope.messageId) === true) {
    reject(
      'ACMGW_ENVELOPE_REPLAYED',
      `message ${envelope.messageId} from ${envelope.sourceSystem} was seen before`,
      'envelope.messageId'
    )
  }
}
