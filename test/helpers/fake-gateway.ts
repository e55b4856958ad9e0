/**
 * An in-memory GatewayService for testing the edges (HTTP API, CLI) without a broker: it keeps requests,
 * traces, pending requests, agreements and dead letters, checks agreements with the real lifecycle rules, and
 * lets a test play the partner (indicate, answer, time out) or deliver an inbound request. A `holdSends()` gate
 * stands for the broker's acknowledgement, so a test can prove that nothing is answered before it.
 */
import { randomUUID } from 'node:crypto'
import { admit, transition, type StatusKind } from '../../src/agreements/lifecycle.ts'
import type { Agreement, TopicCategory } from '../../src/agreements/model.ts'
import { GatewayError } from '../../src/errors.ts'
import type {
  Approver,
  DeadLetter,
  GatewayService,
  OutboundRequest,
  PendingRequest,
  RequestTrace,
  SendReceipt,
  TraceEvent
} from '../../src/gateway/service.ts'

const categoryOfKind: Record<string, TopicCategory> = {
  COOPERATION_PROPOSED: 'status',
  COOPERATION_ACCEPTED: 'status',
  COOPERATION_SUSPENDED: 'status',
  COOPERATION_RESUMED: 'status',
  COOPERATION_TERMINATED: 'status',
  USER_CONFIGURATION_SHARED: 'users',
  USER_CONFIGURATION_WITHDRAWN: 'users',
  INTERCONNECTION_GROUP_IDENTITY_PROVISION: 'groups',
  GROUP_MEMBERSHIP_UPDATE: 'groups',
  JOINT_GROUP_CREATE: 'groups',
  JOINT_GROUP_UPDATE: 'groups',
  JOINT_GROUP_DISSOLVE: 'groups',
  MIGRATION_USERS_ADD: 'migration',
  MIGRATION_USERS_REMOVE: 'migration',
  VISITING_USER_SERVICE_AUTHORISATION: 'migration',
  SECURITY_PARAMETERS: 'security'
}

const statusKindOf: Record<'propose' | 'suspend' | 'resume' | 'terminate', StatusKind> = {
  propose: 'COOPERATION_PROPOSED',
  suspend: 'COOPERATION_SUSPENDED',
  resume: 'COOPERATION_RESUMED',
  terminate: 'COOPERATION_TERMINATED'
}

export interface InboundRequest {
  partner: string
  kind: string
  agreementId: string
  requester: { mcServiceId: string; functionalAlias?: string | null }
  urgency?: string
  body: Record<string, unknown>
  decideWithinSeconds?: number
}

export interface ItemOutcome {
  item: string
  result: string
  reasonCode?: string | null
  reason?: string | null
}

export class FakeGateway implements GatewayService {
  readonly systemId: string
  /** Every request that was acknowledged, in order. */
  readonly sent: OutboundRequest[] = []
  private readonly now: () => Date
  private readonly traces = new Map<string, RequestTrace>()
  private readonly pending = new Map<string, PendingRequest>()
  private readonly agreementsById = new Map<string, Agreement>()
  private readonly letters = new Map<string, DeadLetter>()
  private gate: Promise<void> | undefined
  private nextFailure: Error | undefined

  constructor(options: { systemId?: string; agreements?: Agreement[]; now?: () => Date } = {}) {
    this.systemId = options.systemId ?? 'alpha'
    this.now = options.now ?? (() => new Date())
    for (const a of options.agreements ?? []) this.agreementsById.set(a.id, structuredClone(a))
  }

  // --- test controls

  /** Until the returned function is called, every send waits (as for a broker that has not acknowledged). */
  holdSends(): () => void {
    let release!: () => void
    this.gate = new Promise<void>((resolve) => (release = resolve))
    return () => {
      this.gate = undefined
      release()
    }
  }

  /** The next send fails with `error` (e.g. a GatewayError ACMGW_KAFKA_UNREACHABLE). */
  failNextSend(error: Error): void {
    this.nextFailure = error
  }

  /** The partner's process indication arrived. */
  indicate(messageId: string, detail = 'received, being assessed'): void {
    const trace = this.mustTrace(messageId)
    this.event(trace, { type: 'process-indication', detail })
    if (trace.status === 'sent') trace.status = 'indicated'
  }

  /** The partner holds the request for a person. */
  hold(messageId: string, detail = 'held for a decision'): void {
    const trace = this.mustTrace(messageId)
    this.event(trace, { type: 'pending', detail })
    trace.status = 'pending'
  }

  /** The partner's final answer arrived. */
  answer(messageId: string, outcome: string, items: ItemOutcome[] = [], detail = outcome): void {
    const trace = this.mustTrace(messageId)
    this.event(trace, {
      type: 'final-response',
      detail,
      items: items.map((i) => ({
        item: i.item,
        result: i.result,
        reasonCode: i.reasonCode ?? null,
        reason: i.reason ?? null
      }))
    })
    trace.status = 'answered'
    trace.outcome = outcome
  }

  /** No final answer came before the request expired. */
  timeOut(messageId: string): void {
    const trace = this.mustTrace(messageId)
    this.event(trace, { type: 'timed-out', detail: `no final answer by ${trace.expiresAt}` })
    trace.status = 'timed-out'
  }

  /** A partner's request arrived and local policy held it for a person; returns its message id. */
  receive(request: InboundRequest): string {
    const messageId = randomUUID()
    const at = this.now()
    const decideBy = new Date(at.getTime() + (request.decideWithinSeconds ?? 3600) * 1000).toISOString()
    this.pending.set(messageId, {
      messageId,
      partner: request.partner,
      kind: request.kind,
      agreementId: request.agreementId,
      requester: {
        mcServiceId: request.requester.mcServiceId,
        functionalAlias: request.requester.functionalAlias ?? null
      },
      urgency: request.urgency ?? 'NORMAL',
      receivedAt: at.toISOString(),
      decideBy,
      body: structuredClone(request.body)
    })
    const trace: RequestTrace = {
      messageId,
      direction: 'inbound',
      kind: request.kind,
      partner: request.partner,
      agreementId: request.agreementId,
      status: 'pending',
      outcome: null,
      expiresAt: decideBy,
      events: []
    }
    this.traces.set(messageId, trace)
    this.event(trace, { type: 'received', detail: `from ${request.partner}, signature verified` })
    this.event(trace, { type: 'process-indication', detail: 'sent: received, being assessed' })
    this.event(trace, { type: 'pending', detail: 'held by local policy for a person' })
    return messageId
  }

  addDeadLetter(letter: Partial<DeadLetter> & Pick<DeadLetter, 'reasonCode' | 'reason'>): DeadLetter {
    const complete: DeadLetter = {
      id: letter.id ?? randomUUID(),
      at: letter.at ?? this.now().toISOString(),
      reasonCode: letter.reasonCode,
      reason: letter.reason,
      original: letter.original ?? {
        topic: `acm.bravo.${this.systemId}.users`,
        partition: 0,
        offset: String(this.letters.size),
        key: null,
        timestamp: this.now().getTime()
      },
      partner: letter.partner ?? null,
      messageId: letter.messageId ?? null
    }
    this.letters.set(complete.id, complete)
    return structuredClone(complete)
  }

  // --- GatewayService

  async send(request: OutboundRequest): Promise<SendReceipt> {
    const category = categoryOfKind[request.kind]
    if (category === undefined) {
      throw new GatewayError('ACMGW_REQUEST_INVALID', `unknown kind ${request.kind}`, { path: 'kind' })
    }
    const agreement = this.agreementsById.get(request.agreementId)
    if (agreement === undefined) throw new GatewayError('ACMGW_NOT_FOUND', `no agreement ${request.agreementId}`)
    const admission = admit(agreement, { partner: request.partner, category, now: this.now().getTime() })
    if (!admission.admitted) {
      throw new GatewayError('ACMGW_CONFLICT', `${admission.reasonCode}: ${admission.reason}`, {
        path: 'agreementId'
      })
    }
    await this.gate
    const failure = this.nextFailure
    this.nextFailure = undefined
    if (failure !== undefined) throw failure
    this.sent.push(structuredClone(request))
    return this.startTrace(request.kind, agreement, category, request.ttlSeconds ?? 3600, 'record acknowledged')
  }

  trace(messageId: string): RequestTrace | undefined {
    const trace = this.traces.get(messageId)
    return trace === undefined ? undefined : structuredClone(trace)
  }

  listPending(): PendingRequest[] {
    return [...this.pending.values()].map((p) => structuredClone(p))
  }

  getPending(messageId: string): PendingRequest | undefined {
    const found = this.pending.get(messageId)
    return found === undefined ? undefined : structuredClone(found)
  }

  async approve(messageId: string, approver: Approver, reason?: string): Promise<RequestTrace> {
    return this.decide(messageId, 'ACCEPTED', `approved by ${approver.mcServiceId}${reason ? `: ${reason}` : ''}`)
  }

  async reject(messageId: string, approver: Approver, reason: string): Promise<RequestTrace> {
    return this.decide(messageId, 'REJECTED', `rejected by ${approver.mcServiceId}: ${reason}`)
  }

  agreements(): Agreement[] {
    return [...this.agreementsById.values()].map((a) => structuredClone(a))
  }

  async changeCooperation(
    agreementId: string,
    action: 'propose' | 'suspend' | 'resume' | 'terminate',
    _requester: Approver,
    reason?: string
  ): Promise<SendReceipt> {
    const agreement = this.agreementsById.get(agreementId)
    if (agreement === undefined) throw new GatewayError('ACMGW_NOT_FOUND', `no agreement ${agreementId}`)
    const kind = statusKindOf[action]
    const next = transition(agreement.status, kind)
    if (!next.ok) throw new GatewayError('ACMGW_CONFLICT', `cannot ${action} agreement ${agreementId}: ${next.reason}`)
    await this.gate
    agreement.status = next.status
    return this.startTrace(kind, agreement, 'status', 3600, reason ?? `${action} notice acknowledged`)
  }

  async deadLetters(): Promise<DeadLetter[]> {
    return [...this.letters.values()].map((d) => structuredClone(d))
  }

  async redrive(id: string): Promise<{ redriven: boolean; detail: string }> {
    const letter = this.letters.get(id)
    if (letter === undefined) throw new GatewayError('ACMGW_NOT_FOUND', `no dead letter ${id}`)
    this.letters.delete(id)
    return { redriven: true, detail: `re-queued to ${letter.original.topic}` }
  }

  // --- internals

  private startTrace(
    kind: string,
    agreement: Agreement,
    category: TopicCategory,
    ttlSeconds: number,
    detail: string
  ): SendReceipt {
    const messageId = randomUUID()
    const topic = `acm.${this.systemId}.${agreement.partner}.${category}`
    const trace: RequestTrace = {
      messageId,
      direction: 'outbound',
      kind,
      partner: agreement.partner,
      agreementId: agreement.id,
      status: 'sent',
      outcome: null,
      expiresAt: new Date(this.now().getTime() + ttlSeconds * 1000).toISOString(),
      events: []
    }
    this.traces.set(messageId, trace)
    this.event(trace, { type: 'sent', detail: `${detail} on ${topic}` })
    return { messageId, topic, acknowledged: true }
  }

  private async decide(messageId: string, outcome: string, detail: string): Promise<RequestTrace> {
    const pending = this.pending.get(messageId)
    if (pending === undefined) throw new GatewayError('ACMGW_NOT_FOUND', `no pending request ${messageId}`)
    this.pending.delete(messageId)
    const trace = this.mustTrace(messageId)
    if (outcome === 'ACCEPTED') this.event(trace, { type: 'applied', detail: 'effects delivered to the adapter' })
    this.event(trace, { type: 'final-response', detail })
    trace.status = 'answered'
    trace.outcome = outcome
    return structuredClone(trace)
  }

  private mustTrace(messageId: string): RequestTrace {
    const trace = this.traces.get(messageId)
    if (trace === undefined) throw new Error(`the fake has no trace ${messageId}`)
    return trace
  }

  private event(trace: RequestTrace, event: Omit<TraceEvent, 'at'>): void {
    trace.events.push({ at: this.now().toISOString(), ...event })
  }
}

export function agreementFixture(overrides: Partial<Agreement> = {}): Agreement {
  return {
    id: 'alpha-bravo-1',
    partner: 'bravo',
    status: 'ACTIVE',
    services: ['MCPTT', 'MCDATA'],
    categories: ['users', 'groups', 'migration'],
    limits: { maxMigratedUsers: 50 },
    ...overrides
  }
}
