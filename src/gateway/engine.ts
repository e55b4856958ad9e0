/**
 * The gateway's heart: what happens to each record a partner sent, and to each request the local MCX core
 * makes. I/O is injected (publish to Kafka, the local-system adapter, the codec, the clock), so the same code
 * runs against the real broker and in tests.
 *
 * Inbound, per record: verify and decode (codec) → envelope checks incl. replay → agreement admission →
 * process indication → local policy (accept / reject / pending) → apply through the adapter → final answer →
 * inbox entry. Everything a batch of records causes (answers, state, dead letters) is staged and published
 * together with acks=all in one producer request before the caller commits the batch's offset; the adapter is
 * idempotent per (source, messageId) and answer ids are derived from the request, so a redelivery after a crash
 * changes nothing and answers the same. Local actions (send, approve, …) are units of work of their own.
 */
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { admit, isStatusKind, transition, type StatusKind } from '../agreements/lifecycle.ts'
import type { Agreement, AgreementStatus, TopicCategory } from '../agreements/model.ts'
import type { Effect, ItemResult, LocalSystemAdapter } from '../adapters/effects.ts'
import { itemOf } from '../adapters/effects.ts'
import { type AcmKind, isAcmKind, kinds, parseTopic } from '../codec/catalogue.ts'
import type { AcmCodec, DecodedMessage, ProducedRecord, SecuritySecrets, SignatureVerdicts } from '../codec/codec.ts'
import type { GatewayConfig } from '../config/schema.ts'
import { parseDuration } from '../config/schema.ts'
import type { AcmMessage, Envelope, McServiceUser } from '../envelope/envelope.ts'
import { GatewayError } from '../errors.ts'
import type { InboundRecord } from '../kafka/records.ts'
import { decide } from '../policy/decide.ts'
import {
  cooperationAccepted,
  finalResponse,
  type Handling,
  outcomeOf,
  processIndication,
  refusal,
  requestEnvelope
} from './messages.ts'
import { cooperationEffects, effectsOf, entityKeyOf, isVersioned } from './procedures.ts'
import type {
  Approver,
  DeadLetter,
  GatewayService,
  OutboundRequest,
  PendingRequest,
  RequestTrace,
  SendReceipt,
  TraceEvent
} from './service.ts'
import { openStage, type Stage, type StagedBatch } from './stage.ts'
import {
  expiredInbox,
  forgottenTraces,
  type GatewayState,
  inboxKey,
  type InboxEntry,
  type StoredRecord,
  recordPlace,
  versionKey
} from './state.ts'

/** A record for the dead-letter topic, with the original coordinates and bytes for a redrive. */
export interface DeadLetterRecord extends DeadLetter {
  record: StoredRecord
}

export interface EngineIo {
  /** Sends records, state writes and dead letters with acks=all; resolves when all are acknowledged. */
  publish(batch: StagedBatch): Promise<void>
}

export interface EngineDeps {
  config: GatewayConfig
  codec: AcmCodec
  adapter: LocalSystemAdapter
  io: EngineIo
  state: GatewayState
  /** Dead letters followed from the dead-letter topic, by id. */
  deadLetters: Map<string, DeadLetterRecord>
  log: Logger
  now?: () => number
  newId?: () => string
  /** Called for every decision, for the audit trail and metrics. */
  onEvent?: (event: EngineEvent) => void
}

export interface EngineEvent {
  type:
    | 'received'
    | 'sent'
    | 'applied'
    | 'rejected'
    | 'pending'
    | 'decided'
    | 'dead-lettered'
    | 'duplicate'
    | 'answer'
    /** The local side of an agreement changed status (a local suspend, resume, terminate or proposal). */
    | 'status-changed'
  direction: 'inbound' | 'outbound'
  partner: string | null
  kind: string | null
  messageId: string | null
  outcome?: string
  reasonCode?: string
  /** Who decided: an MC service id; null or absent when nobody did (automatic). */
  approver?: string | null
  /** The local policy rule behind an automatic decision; "(default)" for the policy default. */
  rule?: string
  agreementId?: string
  latencyMs?: number
}

/** The rule name reported when no policy rule matched and the default decided. */
export const defaultRule = '(default)'

/** What the consumer offers while a batch is handled. */
export interface BatchControl {
  /** True once a rebalance took the partition away: stop early. */
  isStale(): boolean
  /** Keeps the group membership alive during long work. */
  heartbeat(): Promise<void>
}

const idle: BatchControl = { isStale: () => false, heartbeat: () => Promise.resolve() }

export interface Engine {
  /**
   * Handles records of one partition in order as one unit of work; resolves with the offset of the last record
   * handled once everything they caused is acknowledged (commit up to there), or rejects with nothing published.
   */
  handleBatch(records: readonly InboundRecord[], control?: BatchControl): Promise<string | undefined>
  /** Expires pending requests, and forgets expired inbox entries and old finished traces; call periodically. */
  sweep(): Promise<void>
  readonly service: GatewayService
}

const ms = (text: string) => parseDuration(text) ?? 0

function storedRecord(record: InboundRecord): StoredRecord {
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: (record.key ?? Buffer.alloc(0)).toString('base64'),
    value: (record.value ?? Buffer.alloc(0)).toString('base64'),
    headers: Object.fromEntries(Object.entries(record.headers).map(([k, v]) => [k, v.toString('base64')]))
  }
}

function restoredRecord(stored: StoredRecord): InboundRecord {
  return {
    topic: stored.topic,
    partition: stored.partition,
    offset: stored.offset,
    timestamp: 0,
    key: Buffer.from(stored.key, 'base64'),
    value: Buffer.from(stored.value, 'base64'),
    headers: Object.fromEntries(Object.entries(stored.headers).map(([k, v]) => [k, Buffer.from(v, 'base64')]))
  }
}

/** Request kinds the local core may send through `send`; status changes go through changeCooperation. */
const sendableKinds = new Set<AcmKind>(
  (Object.keys(kinds) as AcmKind[]).filter((k) => kinds[k].role !== 'answer' && !isStatusKind(k))
)

function bodyOf(message: AcmMessage): Record<string, unknown> {
  const { envelope: _envelope, ...body } = message
  return body
}

export function createEngine(deps: EngineDeps): Engine {
  const { config, codec, adapter, io, state, log } = deps
  const self = config.system.id
  const now = deps.now ?? Date.now
  const newId = deps.newId ?? randomUUID
  const emit = deps.onEvent ?? (() => undefined)
  const answerTtlMs = ms(config.limits.requestTtl)
  const pendingTtlMs = ms(config.policy.pendingTtl)
  const clockSkewMs = ms(config.limits.maxClockSkew)
  const traceRetentionMs = ms(config.limits.traceRetention)
  const agreementLimits = (id: string) => state.agreements.get(id)?.limits ?? {}
  const deciding = new Set<string>()

  const iso = (t: number) => new Date(t).toISOString()

  /** Runs one unit of work and publishes what it staged in one acknowledged request; undone if that fails. */
  async function within<T>(work: (stage: Stage) => Promise<T>): Promise<T> {
    const stage = openStage(state)
    let result: T
    try {
      result = await work(stage)
    } catch (error) {
      stage.rollback()
      throw error
    }
    await stage.commit((batch) => io.publish(batch))
    return result
  }

  /** Events reach the audit log and metrics only once what they report is durable. */
  const report = (stage: Stage, event: EngineEvent) => stage.afterwards(() => emit(event))

  /** The common fields of an event about a message a partner sent. */
  const about = (env: Envelope) => ({
    direction: 'inbound' as const,
    partner: env.sourceSystem,
    kind: env.kind,
    messageId: env.messageId
  })

  function traceUpdate(
    stage: Stage,
    trace: RequestTrace,
    event: Omit<TraceEvent, 'at'>,
    patch: Partial<RequestTrace> = {}
  ): void {
    const next: RequestTrace = { ...trace, ...patch, events: [...trace.events, { at: iso(now()), ...event }] }
    stage.put('trace', trace.messageId, next)
  }

  /** Where each message in hand was read from, for the inbox entry that records it. */
  const places = new Map<string, string>()

  function inbox(stage: Stage, envelope: Envelope, outcome: InboxEntry['outcome']): void {
    const key = inboxKey(envelope.sourceSystem, envelope.messageId)
    const entry: InboxEntry = {
      until: envelope.expiresAt + clockSkewMs,
      outcome,
      record: places.get(key) ?? state.inbox.get(key)?.record
    }
    if (outcome !== 'pending') places.delete(key)
    stage.put('inbox', key, entry)
  }

  function versionWrite(stage: Stage, envelope: Envelope): void {
    if (isVersioned(envelope.entityKey)) {
      stage.put('version', versionKey(envelope.sourceSystem, envelope.entityKey), envelope.entityVersion)
    }
  }

  const agreementWrite = (stage: Stage, agreement: Agreement) => stage.put('agreement', agreement.id, agreement)

  function inboundTrace(decoded: DecodedMessage): RequestTrace {
    const env = decoded.message.envelope
    const existing = state.traces.get(env.messageId)
    if (existing !== undefined) return existing
    return {
      messageId: env.messageId,
      direction: 'inbound',
      kind: env.kind,
      partner: env.sourceSystem,
      agreementId: env.agreementId,
      status: 'indicated',
      outcome: null,
      expiresAt: iso(env.expiresAt),
      events: [{ at: iso(now()), type: 'received', detail: `from ${env.sourceSystem} on ${decoded.category}` }]
    }
  }

  function deadLetter(
    stage: Stage,
    record: InboundRecord,
    reasonCode: string,
    reason: string,
    envelope?: Envelope
  ): void {
    const parsed = parseTopic(record.topic)
    const letter: DeadLetterRecord = {
      id: newId(),
      at: iso(now()),
      reasonCode,
      reason,
      original: {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        key: record.key?.toString('utf8') ?? null,
        timestamp: record.timestamp
      },
      partner: envelope?.sourceSystem ?? parsed?.from ?? null,
      messageId: envelope?.messageId ?? null,
      record: storedRecord(record)
    }
    stage.deadLetter(letter)
    if (envelope !== undefined) inbox(stage, envelope, 'dead-lettered')
    log.warn(
      { reasonCode, topic: record.topic, partition: record.partition, offset: record.offset, partner: letter.partner },
      'dead-lettered'
    )
    stage.afterwards(() => {
      deps.deadLetters.set(letter.id, letter)
      emit({
        type: 'dead-lettered',
        direction: 'inbound',
        partner: letter.partner,
        kind: envelope?.kind ?? null,
        messageId: letter.messageId,
        reasonCode
      })
    })
  }

  async function applyWithRetries(effects: Effect[], envelope: Envelope): Promise<ItemResult[]> {
    const batch = {
      idempotencyKey: inboxKey(envelope.sourceSystem, envelope.messageId),
      partner: envelope.sourceSystem,
      messageId: envelope.messageId,
      kind: envelope.kind,
      effects,
      limits: agreementLimits(envelope.agreementId)
    }
    let lastError: unknown
    for (let attempt = 1; attempt <= config.limits.processingAttempts; attempt++) {
      try {
        return await adapter.apply(batch)
      } catch (error) {
        lastError = error
        log.warn(
          { attempt, kind: envelope.kind, partner: envelope.sourceSystem, err: String(error) },
          'adapter attempt failed'
        )
      }
    }
    throw new GatewayError(
      'ACMGW_ADAPTER_FAILED',
      `the ${adapter.name} adapter failed ${config.limits.processingAttempts} times: ${String(lastError)}`,
      {
        cause: lastError
      }
    )
  }

  /** Accept a request: apply its effects and answer. Used by automatic decisions and approvals alike. */
  async function applyAndAnswer(
    stage: Stage,
    decoded: DecodedMessage,
    record: InboundRecord,
    approver: McServiceUser | null,
    handling: Handling,
    rule?: string
  ): Promise<void> {
    const env = decoded.message.envelope
    const ctx = { self, request: env, now: now(), ttlMs: answerTtlMs, approver }
    const trace = inboundTrace(decoded)
    if (env.kind === 'COOPERATION_PROPOSED') {
      const current = state.agreements.get(env.agreementId)
      const next = transition(current?.status, 'COOPERATION_ACCEPTED')
      const agreement = acceptedAgreement(current, decoded)
      if (!next.ok || agreement === undefined) {
        const reason = next.ok ? 'no local agreement with that id' : next.reason
        stage.send(codec.encode(refusal(ctx, 'AGREEMENT_STATE', reason, handling)))
        inbox(stage, env, 'rejected')
        traceUpdate(stage, trace, { type: 'rejected', detail: reason }, { status: 'answered', outcome: 'REJECTED' })
        report(stage, { type: 'rejected', ...about(env), reasonCode: 'AGREEMENT_STATE' })
        return
      }
      await applyWithRetries(cooperationEffects(agreement.id, 'ACTIVE'), env)
      const termsVersion = Number((decoded.message.terms as { termsVersion?: number } | undefined)?.termsVersion ?? 1)
      stage.send(codec.encode(cooperationAccepted(ctx, termsVersion)))
      agreementWrite(stage, { ...agreement, status: 'ACTIVE' })
      inbox(stage, env, 'answered')
      versionWrite(stage, env)
      traceUpdate(
        stage,
        trace,
        { type: 'cooperation-accepted', detail: `agreement ${agreement.id} is ACTIVE` },
        { status: 'answered', outcome: 'ACCEPTED' }
      )
      report(stage, {
        type: 'decided',
        ...about(env),
        outcome: 'ACCEPTED',
        approver: approver?.mcServiceId ?? null,
        rule,
        agreementId: agreement.id
      })
      return
    }
    let items: ItemResult[]
    try {
      items = await applyWithRetries(
        effectsOf(env.kind, bodyOf(decoded.message), env.sourceSystem, decoded.secrets),
        env
      )
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      stage.send(
        codec.encode(refusal(ctx, 'LOCAL_SYSTEM_UNAVAILABLE', 'the local system could not apply the request', handling))
      )
      deadLetter(stage, record, 'ACMGW_ADAPTER_FAILED', reason, env)
      return
    }
    const outcome = outcomeOf(items)
    stage.send(codec.encode(finalResponse(ctx, items, handling)))
    inbox(stage, env, 'applied')
    versionWrite(stage, env)
    traceUpdate(
      stage,
      trace,
      { type: 'final-response', detail: `${outcome} (${handling.toLowerCase()})`, items },
      { status: 'answered', outcome }
    )
    log.info(
      {
        kind: env.kind,
        partner: env.sourceSystem,
        messageId: env.messageId,
        outcome,
        handling,
        approver: approver?.mcServiceId
      },
      'request decided'
    )
    report(stage, {
      type: 'applied',
      ...about(env),
      outcome,
      approver: approver?.mcServiceId ?? null,
      rule,
      latencyMs: now() - env.createdAt
    })
  }

  /** The agreement a proposal leads to: the local definition (local authority decides the scope). */
  function acceptedAgreement(current: Agreement | undefined, decoded: DecodedMessage): Agreement | undefined {
    if (current === undefined) return undefined
    return { ...current, partner: decoded.message.envelope.sourceSystem }
  }

  function rejectRequest(
    stage: Stage,
    decoded: DecodedMessage,
    reasonCode: string,
    reason: string,
    handling: Handling,
    approver: McServiceUser | null,
    rule?: string
  ): void {
    const env = decoded.message.envelope
    const ctx = { self, request: env, now: now(), ttlMs: answerTtlMs, approver }
    stage.send(codec.encode(refusal(ctx, reasonCode, reason, handling)))
    inbox(stage, env, 'rejected')
    traceUpdate(
      stage,
      inboundTrace(decoded),
      { type: 'rejected', detail: `${reasonCode}: ${reason}` },
      { status: 'answered', outcome: 'REJECTED' }
    )
    log.info({ kind: env.kind, partner: env.sourceSystem, messageId: env.messageId, reasonCode }, 'request rejected')
    report(stage, { type: 'rejected', ...about(env), reasonCode, approver: approver?.mcServiceId ?? null, rule })
  }

  async function handleRequest(stage: Stage, decoded: DecodedMessage, record: InboundRecord): Promise<void> {
    const env = decoded.message.envelope
    const applied = state.versions.get(versionKey(env.sourceSystem, env.entityKey))
    if (applied !== undefined && applied >= env.entityVersion) {
      rejectRequest(
        stage,
        decoded,
        'SUPERSEDED',
        `version ${env.entityVersion} of ${env.entityKey} is not newer than the applied ${applied}`,
        'AUTOMATIC',
        null
      )
      return
    }
    const policy = decide(config.policy, {
      kind: env.kind,
      partner: env.sourceSystem,
      urgency: env.urgency,
      requester: env.requester.mcServiceId
    })
    const ctx = { self, request: env, now: now(), ttlMs: answerTtlMs, approver: null }
    if (policy.decision === 'pending') {
      const decideBy = Math.min(now() + pendingTtlMs, env.expiresAt)
      const pending: PendingRequest = {
        messageId: env.messageId,
        partner: env.sourceSystem,
        kind: env.kind,
        agreementId: env.agreementId,
        requester: env.requester,
        urgency: env.urgency,
        receivedAt: iso(now()),
        decideBy: iso(decideBy),
        body: JSON.parse(
          JSON.stringify(bodyOf(decoded.message), (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))
        ) as Record<string, unknown>
      }
      stage.send(codec.encode(processIndication(ctx, 'PENDING_APPROVAL', 'MANUAL', decideBy)))
      stage.put('pending', env.messageId, { request: pending, record: storedRecord(record) })
      inbox(stage, env, 'pending')
      traceUpdate(stage, inboundTrace(decoded), { type: 'pending', detail: policy.reason }, { status: 'pending' })
      log.info(
        { kind: env.kind, partner: env.sourceSystem, messageId: env.messageId, rule: policy.rule },
        'request held pending'
      )
      stage.afterwards(async () => {
        await adapter.notifyPending({
          messageId: env.messageId,
          partner: env.sourceSystem,
          kind: env.kind,
          requester: env.requester.mcServiceId
        })
        emit({ type: 'pending', ...about(env), rule: policy.rule ?? defaultRule })
      })
      return
    }
    // Published with the final answer of the same unit of work, and before it: the partner sees both in order.
    stage.send(codec.encode(processIndication(ctx, 'BEING_ASSESSED', 'AUTOMATIC', null)))
    if (policy.decision === 'reject') {
      rejectRequest(stage, decoded, 'POLICY', policy.reason, 'AUTOMATIC', null, policy.rule ?? defaultRule)
      return
    }
    await applyAndAnswer(stage, decoded, record, null, 'AUTOMATIC', policy.rule ?? defaultRule)
  }

  async function handleStatusNotice(stage: Stage, decoded: DecodedMessage, kind: StatusKind): Promise<void> {
    const env = decoded.message.envelope
    const current = state.agreements.get(env.agreementId)
    const next = transition(current?.status, kind)
    if (!next.ok || current === undefined) {
      inbox(stage, env, 'rejected')
      log.warn(
        {
          kind,
          partner: env.sourceSystem,
          agreementId: env.agreementId,
          reason: next.ok ? 'unknown agreement' : next.reason
        },
        'status change refused'
      )
      report(stage, { type: 'rejected', ...about(env), kind, reasonCode: 'AGREEMENT_STATE' })
      return
    }
    await applyWithRetries(cooperationEffects(current.id, next.status), env)
    const correlated = env.correlationId === null ? undefined : state.traces.get(env.correlationId)
    agreementWrite(stage, { ...current, status: next.status })
    inbox(stage, env, 'noted')
    versionWrite(stage, env)
    if (correlated !== undefined) {
      traceUpdate(
        stage,
        correlated,
        { type: 'cooperation-accepted', detail: `agreement ${current.id} is ${next.status}` },
        { status: 'answered', outcome: 'ACCEPTED' }
      )
    }
    log.info(
      { kind, partner: env.sourceSystem, agreementId: current.id, status: next.status },
      'agreement status changed by partner'
    )
    report(stage, { type: 'applied', ...about(env), kind, outcome: next.status, agreementId: current.id })
  }

  function handleAnswer(stage: Stage, decoded: DecodedMessage): void {
    const env = decoded.message.envelope
    const trace = env.correlationId === null ? undefined : state.traces.get(env.correlationId)
    inbox(stage, env, 'noted')
    if (trace === undefined || trace.direction !== 'outbound') {
      log.warn(
        { kind: env.kind, partner: env.sourceSystem, correlationId: env.correlationId },
        'answer to an unknown request'
      )
    } else if (env.kind === 'PROCESS_INDICATION') {
      const pending = decoded.message.state === 'PENDING_APPROVAL'
      traceUpdate(
        stage,
        trace,
        {
          type: pending ? 'pending' : 'process-indication',
          detail: `${String(decoded.message.state)} (${String(decoded.message.handling)})`
        },
        trace.status === 'answered' ? {} : { status: pending ? 'pending' : 'indicated' }
      )
    } else {
      const items = (decoded.message.items ?? []) as ItemResult[]
      const outcome = String(decoded.message.outcome)
      const approver = env.approver === null ? 'automatic' : `by ${env.approver.mcServiceId}`
      traceUpdate(
        stage,
        trace,
        { type: 'final-response', detail: `${outcome} (${approver})`, items },
        { status: 'answered', outcome }
      )
      report(stage, {
        type: 'answer',
        direction: 'outbound',
        partner: env.sourceSystem,
        kind: trace.kind,
        messageId: trace.messageId,
        outcome,
        approver: env.approver?.mcServiceId ?? null,
        latencyMs: now() - Date.parse(trace.events[0]?.at ?? iso(now()))
      })
    }
  }

  async function handleRecord(stage: Stage, record: InboundRecord, signatures?: SignatureVerdicts): Promise<void> {
    if (record.value === null) {
      deadLetter(stage, record, 'ACMGW_CODEC_INVALID', 'the record has no value')
      return
    }
    let decoded: DecodedMessage
    let asked: { source: string; id: string } | undefined
    try {
      decoded = codec.decode(
        { topic: record.topic, key: record.key, value: record.value, headers: record.headers },
        {
          now: now(),
          signatures,
          seen: (source, id) => {
            asked = { source, id }
            return state.inbox.has(inboxKey(source, id))
          }
        }
      )
    } catch (error) {
      const earlier = asked === undefined ? undefined : state.inbox.get(inboxKey(asked.source, asked.id))
      const redelivery = earlier?.record === undefined || earlier.record === recordPlace(record)
      if (GatewayError.is(error) && error.code === 'ACMGW_ENVELOPE_REPLAYED' && !redelivery) {
        deadLetter(stage, record, error.code, `${error.message}, first at ${earlier?.record ?? '?'}`)
        return
      }
      if (GatewayError.is(error) && error.code === 'ACMGW_ENVELOPE_REPLAYED') {
        log.info({ topic: record.topic, offset: record.offset }, 'duplicate delivery ignored')
        // Named, with what its first handling decided: after a crash between that handling's publish and its audit
        // fsync, this is the audit's only entry for the message.
        const first = asked === undefined ? undefined : state.traces.get(asked.id)
        report(stage, {
          type: 'duplicate',
          direction: 'inbound',
          partner: asked?.source ?? parseTopic(record.topic)?.from ?? null,
          kind: first?.kind ?? null,
          messageId: asked?.id ?? null,
          ...(first?.outcome == null ? {} : { outcome: first.outcome })
        })
        return
      }
      const code = GatewayError.is(error) ? error.code : 'ACMGW_CODEC_INVALID'
      deadLetter(stage, record, code, error instanceof Error ? error.message : String(error))
      return
    }
    const env = decoded.message.envelope
    places.set(inboxKey(env.sourceSystem, env.messageId), recordPlace(record))
    report(stage, { type: 'received', ...about(env) })
    const admission = admit(state.agreements.get(env.agreementId), {
      partner: env.sourceSystem,
      category: decoded.category,
      now: now()
    })
    const role = kinds[decoded.kind].role
    if (!admission.admitted) {
      if (role === 'answer' || isStatusKind(decoded.kind)) {
        inbox(stage, env, 'rejected')
        log.warn(
          { kind: env.kind, partner: env.sourceSystem, reasonCode: admission.reasonCode },
          'message refused by agreement'
        )
        report(stage, { type: 'rejected', ...about(env), reasonCode: admission.reasonCode })
        return
      }
      rejectRequest(stage, decoded, admission.reasonCode, admission.reason, 'AUTOMATIC', null)
      return
    }
    if (
      decoded.kind === 'COOPERATION_ACCEPTED' ||
      (isStatusKind(decoded.kind) && decoded.kind !== 'COOPERATION_PROPOSED')
    ) {
      await handleStatusNotice(stage, decoded, decoded.kind)
      return
    }
    if (role === 'answer') {
      handleAnswer(stage, decoded)
      return
    }
    await handleRequest(stage, decoded, record)
  }

  async function handleBatch(
    records: readonly InboundRecord[],
    control: BatchControl = idle
  ): Promise<string | undefined> {
    let done: string | undefined
    // Every signature of the batch at once on the thread pool (Ed25519 verification was the largest share of the
    // event loop's time per request); decode still makes every other check, in order, per record.
    const signatures = await codec.verifySignatures(records)
    await within(async (stage) => {
      for (const record of records) {
        if (control.isStale()) break
        await handleRecord(stage, record, signatures)
        done = record.offset
        await control.heartbeat()
      }
    })
    return done
  }

  async function decidePending(
    messageId: string,
    approver: Approver,
    verdict: 'approve' | 'reject',
    reason?: string
  ): Promise<RequestTrace> {
    const entry = state.pending.get(messageId)
    if (entry === undefined || deciding.has(messageId)) {
      throw new GatewayError('ACMGW_NOT_FOUND', `no pending request ${messageId}`, { path: 'messageId' })
    }
    deciding.add(messageId)
    try {
      return await within(async (stage) => {
        const record = restoredRecord(entry.record)
        const decoded = codec.decode(
          { topic: record.topic, key: record.key, value: record.value, headers: record.headers },
          { now: now() }
        )
        const who: McServiceUser = {
          mcServiceId: approver.mcServiceId,
          functionalAlias: approver.functionalAlias ?? null
        }
        if (verdict === 'approve') await applyAndAnswer(stage, decoded, record, who, 'MANUAL')
        else rejectRequest(stage, decoded, 'REJECTED_BY_OPERATOR', reason ?? 'rejected', 'MANUAL', who)
        settlePending(stage, entry.request, verdict, approver.mcServiceId)
        const trace = state.traces.get(messageId)
        if (trace === undefined) throw new GatewayError('ACMGW_NOT_FOUND', `no trace of ${messageId}`)
        return trace
      })
    } catch (error) {
      if (GatewayError.is(error) && error.code.startsWith('ACMGW_ENVELOPE_EXPIRED')) {
        await within((stage) => Promise.resolve(expirePending(stage, messageId)))
      }
      throw error
    } finally {
      deciding.delete(messageId)
    }
  }

  function expirePending(stage: Stage, messageId: string): void {
    const entry = state.pending.get(messageId)
    if (entry === undefined) return
    const record = restoredRecord(entry.record)
    try {
      // Decoded without the time check so that the partner still learns its request expired unanswered.
      const decoded = codec.decode(
        { topic: record.topic, key: record.key, value: record.value, headers: record.headers },
        { now: Date.parse(entry.request.receivedAt) }
      )
      const env = decoded.message.envelope
      stage.send(
        codec.encode(
          refusal(
            { self, request: env, now: now(), ttlMs: answerTtlMs, approver: null },
            'EXPIRED',
            'nobody decided the pending request in time',
            'MANUAL'
          )
        )
      )
      inbox(stage, env, 'answered')
      traceUpdate(
        stage,
        inboundTrace(decoded),
        { type: 'timed-out', detail: 'pending request expired' },
        { status: 'answered', outcome: 'EXPIRED' }
      )
    } catch (error) {
      log.warn({ messageId, err: String(error) }, 'an expired pending request could not be answered')
    }
    settlePending(stage, entry.request, 'expired')
  }

  /** A pending request is no longer pending: decided by a person, or expired. */
  function settlePending(stage: Stage, request: PendingRequest, outcome: string, approver?: string): void {
    stage.put('pending', request.messageId, undefined)
    report(stage, {
      type: 'decided',
      direction: 'inbound',
      partner: request.partner,
      kind: request.kind,
      messageId: request.messageId,
      outcome,
      approver
    })
  }

  async function sweep(): Promise<void> {
    const t = now()
    await within((stage) => {
      for (const [id, entry] of [...state.pending]) {
        if (Date.parse(entry.request.decideBy) <= t && !deciding.has(id)) expirePending(stage, id)
      }
      for (const trace of [...state.traces.values()]) {
        if (
          trace.direction === 'outbound' &&
          trace.status !== 'answered' &&
          trace.status !== 'timed-out' &&
          Date.parse(trace.expiresAt) < t
        ) {
          traceUpdate(
            stage,
            trace,
            { type: 'timed-out', detail: 'no final answer before the request expired' },
            { status: 'timed-out' }
          )
        }
      }
      for (const id of expiredInbox(state, t)) stage.put('inbox', id, undefined)
      for (const id of forgottenTraces(state, t, traceRetentionMs, config.limits.maxTraces)) {
        stage.put('trace', id, undefined)
      }
      return Promise.resolve()
    })
  }

  function nextVersion(entityKey: string): number {
    return Math.max((state.sentVersions.get(entityKey) ?? 0) + 1, now())
  }

  function sendMessage(
    stage: Stage,
    message: AcmMessage,
    category: TopicCategory,
    secrets?: SecuritySecrets
  ): SendReceipt {
    const env = message.envelope
    let produced: ProducedRecord
    try {
      produced = codec.encode(message, secrets === undefined ? {} : { secrets })
    } catch (error) {
      if (GatewayError.is(error)) throw error
      throw new GatewayError('ACMGW_REQUEST_INVALID', `the request does not fit its schema: ${String(error)}`, {
        cause: error
      })
    }
    stage.send(produced)
    if (isVersioned(env.entityKey)) stage.put('sent', env.entityKey, env.entityVersion)
    stage.put('trace', env.messageId, {
      messageId: env.messageId,
      direction: 'outbound',
      kind: env.kind,
      partner: env.targetSystem,
      agreementId: env.agreementId,
      status: 'sent',
      outcome: null,
      expiresAt: iso(env.expiresAt),
      events: [{ at: iso(now()), type: 'sent', detail: `to ${produced.topic}` }]
    } satisfies RequestTrace)
    log.info({ kind: env.kind, partner: env.targetSystem, messageId: env.messageId, category }, 'request sent')
    report(stage, {
      type: 'sent',
      direction: 'outbound',
      partner: env.targetSystem,
      kind: env.kind,
      messageId: env.messageId
    })
    return { messageId: env.messageId, topic: produced.topic, acknowledged: true }
  }

  const service: GatewayService = {
    systemId: self,
    async send(request: OutboundRequest): Promise<SendReceipt> {
      if (!isAcmKind(request.kind) || !sendableKinds.has(request.kind)) {
        throw new GatewayError(
          'ACMGW_REQUEST_INVALID',
          `kind ${request.kind} cannot be sent; one of ${[...sendableKinds].join(', ')}`,
          { path: 'kind' }
        )
      }
      const kind = request.kind
      const category = kinds[kind].category
      const agreement = state.agreements.get(request.agreementId)
      const admission = admit(agreement, { partner: request.partner, category, now: now() })
      if (!admission.admitted) {
        throw new GatewayError('ACMGW_CONFLICT', `${admission.reasonCode}: ${admission.reason}`, {
          path: 'agreementId',
          details: { reasonCode: admission.reasonCode }
        })
      }
      const messageId = newId()
      const { secrets, ...fields } = request.body as Record<string, unknown> & { secrets?: unknown }
      const body = projectOutbound(kind, fields, agreement as Agreement)
      const entityKey = entityKeyOf(kind, body, request.agreementId, messageId)
      const envelope = requestEnvelope({
        self,
        messageId,
        kind,
        partner: request.partner,
        agreementId: request.agreementId,
        requester: {
          mcServiceId: request.requester.mcServiceId,
          functionalAlias: request.requester.functionalAlias ?? null
        },
        target:
          request.target == null
            ? null
            : {
                mcServiceId: request.target.mcServiceId ?? null,
                functionalAlias: request.target.functionalAlias ?? null
              },
        urgency: request.urgency ?? 'NORMAL',
        now: now(),
        ttlMs: request.ttlSeconds === undefined ? answerTtlMs : request.ttlSeconds * 1000,
        entityKey,
        entityVersion: nextVersion(entityKey)
      })
      return within((stage) =>
        Promise.resolve(
          sendMessage(
            stage,
            { envelope, ...body },
            category,
            secrets === undefined ? undefined : secretsFromJson(secrets)
          )
        )
      )
    },
    trace: (id) => state.traces.get(id),
    listPending: () =>
      [...state.pending.values()].map((p) => p.request).sort((a, b) => a.receivedAt.localeCompare(b.receivedAt)),
    getPending: (id) => state.pending.get(id)?.request,
    approve: (id, approver, reason) => decidePending(id, approver, 'approve', reason),
    reject: (id, approver, reason) => decidePending(id, approver, 'reject', reason),
    agreements: () => [...state.agreements.values()].sort((a, b) => a.id.localeCompare(b.id)),
    async changeCooperation(agreementId, action, requester, reason) {
      const current = state.agreements.get(agreementId)
      if (current === undefined)
        throw new GatewayError('ACMGW_NOT_FOUND', `no agreement ${agreementId}`, { path: 'agreementId' })
      const kind = (
        {
          propose: 'COOPERATION_PROPOSED',
          suspend: 'COOPERATION_SUSPENDED',
          resume: 'COOPERATION_RESUMED',
          terminate: 'COOPERATION_TERMINATED'
        } as const
      )[action]
      const next = transition(current.status, kind)
      if (!next.ok) throw new GatewayError('ACMGW_CONFLICT', next.reason, { path: 'agreementId' })
      const messageId = newId()
      const entityKey = entityKeyOf(kind, {}, agreementId, messageId)
      const envelope = requestEnvelope({
        self,
        messageId,
        kind,
        partner: current.partner,
        agreementId,
        requester: { mcServiceId: requester.mcServiceId, functionalAlias: requester.functionalAlias ?? null },
        target: null,
        urgency: 'NORMAL',
        now: now(),
        ttlMs: answerTtlMs,
        entityKey,
        entityVersion: nextVersion(entityKey)
      })
      const body =
        kind === 'COOPERATION_PROPOSED'
          ? {
              terms: {
                termsVersion: 1,
                services: current.services,
                dataCategories: ['status', ...current.categories.filter((c) => c !== 'status'), 'responses'].map((c) =>
                  c.toUpperCase()
                ),
                validFrom: current.validFrom === undefined ? now() : Date.parse(current.validFrom),
                validUntil: current.validUntil === undefined ? null : Date.parse(current.validUntil),
                maxMigratedUsers: current.limits.maxMigratedUsers ?? null,
                maxJointGroups: null,
                description: reason ?? null
              }
            }
          : { termsVersion: 1, effectiveAt: now(), reason: reason ?? null }
      return within(async (stage) => {
        const receipt = sendMessage(stage, { envelope, ...body }, 'status')
        // The local side changes at once, and a termination cascades locally too (DESIGN §6: both sides).
        await applyLocalCooperation(stage, current, next.status, messageId, kind, requester.mcServiceId)
        return receipt
      })
    },
    deadLetters: () =>
      Promise.resolve(
        [...deps.deadLetters.values()]
          .map(({ record: _record, ...letter }) => letter)
          .sort((a, b) => a.at.localeCompare(b.at))
      ),
    async redrive(id) {
      const letter = deps.deadLetters.get(id)
      if (letter === undefined) throw new GatewayError('ACMGW_NOT_FOUND', `no dead letter ${id}`, { path: 'id' })
      const record = restoredRecord(letter.record)
      const before = deps.deadLetters.size
      await within(async (stage) => {
        if (letter.messageId !== null) stage.put('inbox', inboxKey(letter.partner ?? '', letter.messageId), undefined)
        await handleRecord(stage, record)
      })
      const again = deps.deadLetters.size > before
      return { redriven: !again, detail: again ? 'processed again and dead-lettered again' : 'processed again' }
    }
  }

  async function applyLocalCooperation(
    stage: Stage,
    agreement: Agreement,
    status: AgreementStatus,
    messageId: string,
    kind: StatusKind,
    requester: string
  ): Promise<void> {
    if (status === agreement.status) return
    const effects = cooperationEffects(agreement.id, status)
    await adapter.apply({
      idempotencyKey: `${self}/${messageId}`,
      partner: agreement.partner,
      messageId,
      kind: 'LOCAL_STATUS',
      effects,
      limits: agreement.limits
    })
    agreementWrite(stage, { ...agreement, status })
    log.info({ agreementId: agreement.id, status, items: effects.map(itemOf) }, 'agreement status changed locally')
    report(stage, {
      type: 'status-changed',
      direction: 'outbound',
      partner: agreement.partner,
      kind,
      messageId,
      outcome: status,
      approver: requester,
      agreementId: agreement.id
    })
  }

  return { handleBatch, sweep, service }
}

/**
 * Data minimisation on the way out: only services the agreement covers, only the user attributes it names.
 * The partner never receives what its agreement does not allow, whatever the local core sent.
 */
export function projectOutbound(
  kind: AcmKind,
  body: Record<string, unknown>,
  agreement: Agreement
): Record<string, unknown> {
  const services = new Set<string>(agreement.services)
  const keepServices = (list: unknown) => (Array.isArray(list) ? list.filter((s) => services.has(String(s))) : list)
  const allowedAttributes = new Set(agreement.sharedUserAttributes ?? [])
  switch (kind) {
    case 'MIGRATION_USERS_ADD':
      return {
        ...body,
        users: ((body.users ?? []) as Record<string, unknown>[]).map((u) => ({
          ...u,
          services: keepServices(u.services)
        }))
      }
    case 'VISITING_USER_SERVICE_AUTHORISATION':
      return {
        ...body,
        authorisations: ((body.authorisations ?? []) as Record<string, unknown>[]).filter((a) =>
          services.has(String(a.service))
        )
      }
    case 'SECURITY_PARAMETERS':
      // JSON carries certificates as base64; Avro wants bytes.
      return {
        ...body,
        trustAnchors: ((body.trustAnchors ?? []) as Record<string, unknown>[]).map((a) => ({
          ...a,
          certificateDer: Buffer.isBuffer(a.certificateDer)
            ? a.certificateDer
            : Buffer.from(typeof a.certificateDer === 'string' ? a.certificateDer : '', 'base64')
        }))
      }
    case 'USER_CONFIGURATION_SHARED':
      return {
        ...body,
        users: ((body.users ?? []) as Record<string, unknown>[]).map((u) => ({
          ...u,
          services: keepServices(u.services),
          attributes: Object.fromEntries(
            Object.entries((u.attributes ?? {}) as Record<string, unknown>).filter(([k]) => allowedAttributes.has(k))
          )
        }))
      }
    default:
      return body
  }
}

/** JSON (base64 for bytes) → the SecuritySecrets record. */
function secretsFromJson(value: unknown): SecuritySecrets {
  const input = (value ?? {}) as { groupKeys?: Record<string, unknown>[]; secrets?: Record<string, string> }
  return {
    groupKeys: (input.groupKeys ?? []).map((k) => ({
      mcServiceGroupId: String(k.mcServiceGroupId),
      gmkId: String(k.gmkId),
      keyMaterial: Buffer.from(typeof k.keyMaterial === 'string' ? k.keyMaterial : '', 'base64'),
      activationTime: Number(k.activationTime ?? 0),
      expiryTime: k.expiryTime == null ? null : Number(k.expiryTime)
    })),
    secrets: Object.fromEntries(Object.entries(input.secrets ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]))
  }
}
