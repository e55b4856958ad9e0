/**
 * What a running gateway offers its edges (HTTP API, CLI, local Kafka topic): the operations and the shapes
 * they exchange. The HTTP routes and CLI commands are thin translations of this interface.
 */
import type { Agreement } from '../agreements/model.ts'

export type RequestedKind = string

/** A request (or notice) the local MCX core asks the gateway to send to a partner. */
export interface OutboundRequest {
  kind: RequestedKind
  /** Partner system id. */
  partner: string
  agreementId: string
  requester: { mcServiceId: string; functionalAlias?: string | null }
  target?: { mcServiceId?: string | null; functionalAlias?: string | null } | null
  urgency?: 'LOW' | 'NORMAL' | 'HIGH' | 'IMMEDIATE'
  /** Seconds until the partner must not apply it any more; default limits.requestTtl. */
  ttlSeconds?: number
  /** The procedure's own fields, as in docs/catalogue.md (without the envelope). */
  body: Record<string, unknown>
}

export interface SendReceipt {
  messageId: string
  topic: string
  /** Always true when returned: the broker acknowledged the record with acks=all. */
  acknowledged: true
}

export type TraceEventType =
  | 'sent'
  | 'process-indication'
  | 'pending'
  | 'final-response'
  | 'cooperation-accepted'
  | 'timed-out'
  | 'received'
  | 'rejected'
  | 'applied'
  | 'dead-lettered'

export interface TraceEvent {
  at: string
  type: TraceEventType
  detail: string
  items?: { item: string; result: string; reasonCode: string | null; reason: string | null }[]
}

export type RequestStatus = 'sent' | 'indicated' | 'pending' | 'answered' | 'timed-out'

/** One request's story: outbound (we asked) or inbound (a partner asked us). */
export interface RequestTrace {
  messageId: string
  direction: 'outbound' | 'inbound'
  kind: string
  partner: string
  agreementId: string
  status: RequestStatus
  outcome: string | null
  expiresAt: string
  events: TraceEvent[]
}

export interface PendingRequest {
  messageId: string
  partner: string
  kind: string
  agreementId: string
  requester: { mcServiceId: string; functionalAlias: string | null }
  urgency: string
  receivedAt: string
  /** When it is answered "expired" if nobody decides. */
  decideBy: string
  /** The request's fields as received (decoded, signature verified). */
  body: Record<string, unknown>
}

export interface Approver {
  mcServiceId: string
  functionalAlias?: string | null
}

export interface DeadLetter {
  id: string
  at: string
  reasonCode: string
  reason: string
  original: { topic: string; partition: number; offset: string; key: string | null; timestamp: number }
  /** The partner, when the record could be attributed to one. */
  partner: string | null
  messageId: string | null
}

export interface GatewayService {
  readonly systemId: string
  send(request: OutboundRequest): Promise<SendReceipt>
  trace(messageId: string): RequestTrace | undefined
  listPending(): PendingRequest[]
  getPending(messageId: string): PendingRequest | undefined
  approve(messageId: string, approver: Approver, reason?: string): Promise<RequestTrace>
  reject(messageId: string, approver: Approver, reason: string): Promise<RequestTrace>
  agreements(): Agreement[]
  /** Local cooperation actions: each changes the local agreement and notifies the partner. */
  changeCooperation(
    agreementId: string,
    action: 'propose' | 'suspend' | 'resume' | 'terminate',
    requester: Approver,
    reason?: string
  ): Promise<SendReceipt>
  deadLetters(): Promise<DeadLetter[]>
  redrive(id: string): Promise<{ redriven: boolean; detail: string }>
}
