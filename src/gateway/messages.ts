/**
 * Building the messages a gateway sends: requests from the local MCX core, and its own answers (process
 * indication, final response, cooperation acceptance). Pure; the clock and ids are passed in.
 */
import { createHash } from 'node:crypto'
import type { ItemResult } from '../adapters/effects.ts'
import { type AcmKind, kinds } from '../codec/catalogue.ts'
import type { AcmMessage, Envelope, McServiceUser, Urgency } from '../envelope/envelope.ts'

/** Answers get ids derived from the request: a redelivered request yields the very same answer ids. */
export function derivedMessageId(source: string, messageId: string, stage: string): string {
  const hex = createHash('sha256').update(`${source}/${messageId}/${stage}`).digest('hex')
  // RFC 9562 version 8 (custom) UUID, variant 10.
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

/** The identity that signs automatic decisions: the system's ACM server. */
export function acmServerIdentity(self: string): McServiceUser {
  return { mcServiceId: `acms@${self}`, functionalAlias: null }
}

export interface AnswerContext {
  self: string
  request: Envelope
  now: number
  ttlMs: number
  approver: McServiceUser | null
}

/** An answer given at the last moment of its request (e.g. "expired") still has this long to reach the requester. */
export const minimumAnswerLifetimeMs = 60_000

/**
 * An answer lives as long as the request it answers (nobody waits for it after that), at least
 * `minimumAnswerLifetimeMs` and at most the answering gateway's own TTL. The receiver remembers its id against
 * replay just as long, so short-lived requests keep its memory small.
 */
function answerExpiry(ctx: AnswerContext): number {
  const remaining = Math.max(ctx.request.expiresAt - ctx.now, minimumAnswerLifetimeMs)
  return ctx.now + Math.min(ctx.ttlMs, remaining)
}

function answerEnvelope(ctx: AnswerContext, kind: AcmKind, stage: string): Envelope {
  const { request } = ctx
  return {
    messageId: derivedMessageId(request.sourceSystem, request.messageId, stage),
    kind,
    sourceSystem: ctx.self,
    targetSystem: request.sourceSystem,
    agreementId: request.agreementId,
    correlationId: request.messageId,
    createdAt: ctx.now,
    expiresAt: answerExpiry(ctx),
    urgency: request.urgency,
    requester: ctx.approver ?? acmServerIdentity(ctx.self),
    // Answers go to the requester (3GPP: the authorised primary user the response is addressed to), where the
    // kind carries a target at all.
    target:
      kinds[kind].target === 'none'
        ? null
        : { mcServiceId: request.requester.mcServiceId, functionalAlias: request.requester.functionalAlias },
    approver: ctx.approver,
    entityKey: request.entityKey,
    entityVersion: request.entityVersion
  }
}

export type Handling = 'AUTOMATIC' | 'MANUAL'

export function processIndication(
  ctx: AnswerContext,
  state: 'BEING_ASSESSED' | 'PENDING_APPROVAL',
  handling: Handling,
  expectedDecisionBy: number | null
): AcmMessage {
  return {
    envelope: answerEnvelope(ctx, 'PROCESS_INDICATION', 'indication'),
    state,
    handling,
    expectedDecisionBy
  }
}

export type Outcome = 'ACCEPTED' | 'REJECTED' | 'PARTIALLY_ACCEPTED'

/** NOT_APPLICABLE items (already so, nothing to do) neither accept nor refuse. */
export function outcomeOf(items: readonly ItemResult[]): Outcome {
  const accepted = items.filter((i) => i.result === 'ACCEPTED').length
  const rejected = items.filter((i) => i.result === 'REJECTED').length
  if (rejected === 0) return 'ACCEPTED'
  return accepted === 0 ? 'REJECTED' : 'PARTIALLY_ACCEPTED'
}

export function finalResponse(
  ctx: AnswerContext,
  items: ItemResult[],
  handling: Handling,
  outcome = outcomeOf(items)
): AcmMessage {
  return {
    envelope: answerEnvelope(ctx, 'FINAL_RESPONSE', 'final'),
    requestKind: ctx.request.kind,
    outcome,
    handling,
    decidedAt: ctx.now,
    items
  }
}

/** A refusal of the whole request, as one item that names the request. */
export function refusal(ctx: AnswerContext, reasonCode: string, reason: string, handling: Handling): AcmMessage {
  return finalResponse(
    ctx,
    [{ item: `request:${ctx.request.messageId}`, result: 'REJECTED', reasonCode, reason }],
    handling,
    'REJECTED'
  )
}

export function cooperationAccepted(ctx: AnswerContext, termsVersion: number): AcmMessage {
  return {
    envelope: answerEnvelope(ctx, 'COOPERATION_ACCEPTED', 'accepted'),
    termsVersion,
    effectiveAt: ctx.now,
    reason: null
  }
}

export interface RequestEnvelopeInput {
  self: string
  messageId: string
  kind: AcmKind
  partner: string
  agreementId: string
  requester: McServiceUser
  target: Envelope['target']
  urgency: Urgency
  now: number
  ttlMs: number
  entityKey: string
  entityVersion: number
  correlationId?: string | null
}

export function requestEnvelope(input: RequestEnvelopeInput): Envelope {
  return {
    messageId: input.messageId,
    kind: input.kind,
    sourceSystem: input.self,
    targetSystem: input.partner,
    agreementId: input.agreementId,
    correlationId: input.correlationId ?? null,
    createdAt: input.now,
    expiresAt: input.now + input.ttlMs,
    urgency: input.urgency,
    requester: input.requester,
    target: input.target,
    approver: null,
    entityKey: input.entityKey,
    entityVersion: input.entityVersion
  }
}
