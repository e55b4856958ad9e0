/**
 * The composition root of a running gateway: reads the key material the configuration names, builds the codec,
 * the Kafka producer and consumers, the adapter, the engine and the HTTP API, and stops them in reverse order.
 */
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { Agreement, TopicCategory } from '../agreements/model.ts'
import { createDirectoryAdapter } from '../adapters/directory.ts'
import { auditListener, withAuditFlush } from '../audit/gateway.ts'
import { openAuditFile } from '../audit/file.ts'
import type { LocalSystemAdapter } from '../adapters/effects.ts'
import { createKafkaTopicAdapter } from '../adapters/kafka-topic.ts'
import { createWebhookAdapter } from '../adapters/webhook.ts'
import { type AcmCodec, createCodec } from '../codec/codec.ts'
import { topicCategories, topicName } from '../codec/catalogue.ts'
import { loadSchemaSet } from '../codec/schema-files.ts'
import { createEmbeddedWire } from '../codec/wire.ts'
import { type GatewayConfig, parseDuration } from '../config/schema.ts'
import { buildTrustStore } from '../envelope/pins.ts'
import { type PartnerCrl, withRevocation } from '../envelope/revocation.ts'
import { createUnsealingKey } from '../envelope/sealing.ts'
import { createRecordSigner } from '../envelope/signing.ts'
import { createKafkaClient } from '../kafka/client.ts'
import { createBrokerProbe } from '../kafka/health.ts'
import { createLagReader } from '../kafka/lag.ts'
import {
  type BatchConsumer,
  createRecordProducer,
  followStateTopics,
  type InboundRecord,
  type OutboundRecord,
  type RecordProducer,
  startBatchConsumer,
  type StateFollower
} from '../kafka/records.ts'
import { type Activity, createActivity } from '../ops/activity.ts'
import { certificateCheck, loadCertificateValidity } from '../ops/certificates.ts'
import { linksFromTopics, type LinkLag } from '../ops/lag.ts'
import { createGatewayMetrics, type GatewayMetrics } from '../ops/metrics.ts'
import { type LagMonitor, startLagMonitor } from '../ops/monitor.ts'
import { readTextFile } from '../pki/store.ts'
import { createEngine, type DeadLetterRecord, type Engine } from './engine.ts'
import { composeEventListeners, type EngineEventListener } from './event-listeners.ts'
import { handleLocalRequest } from './local-requests.ts'
import type { GatewayService } from './service.ts'
import { createShutdown } from './shutdown.ts'
import { applyStateRecord, emptyState, type GatewayState, stateRecord, type StateWrite } from './state.ts'

/** The gateway's private topics (its principal alone may read and write them). */
export function privateTopics(self: string): { state: string; deadLetters: string } {
  return { state: `acm.${self}.state`, deadLetters: `acm.${self}.dlq` }
}

/** Names the replica (instance id) that wrote a state record. */
const stateWriterHeader = 'acmgw-writer'

/** The consumer group the replicas of one gateway share. */
export function gatewayGroup(self: string): string {
  return `acmgw.${self}`
}

/** Topics a gateway reads: what each partner with a live agreement sends it, per category in scope. */
export function inboundTopics(self: string, agreements: Iterable<Agreement>): string[] {
  const topics = new Set<string>()
  for (const a of agreements) {
    if (a.status === 'TERMINATED') continue
    const categories = new Set<TopicCategory>(['status', 'responses', ...a.categories])
    for (const category of topicCategories) {
      if (categories.has(category)) topics.add(topicName(a.partner, self, category))
    }
  }
  return [...topics].sort()
}

async function buildCodec(config: GatewayConfig): Promise<AcmCodec> {
  const self = config.system.id
  const defaultCa = await readTextFile(config.kafka.tls.ca, 'CA certificate')
  const partners = await Promise.all(
    config.partners.map(async (p) => ({
      systemId: p.id,
      caPems: [p.ca === undefined ? defaultCa : await readTextFile(p.ca, `CA of ${p.id}`)],
      signingCertificatePems: await Promise.all(
        p.signingCertificates.map((f, i) => readTextFile(f, `partners.${p.id}.signingCertificates[${i}]`))
      ),
      encryptionCertificatePem: await readTextFile(p.encryptionCertificate, `partners.${p.id}.encryptionCertificate`)
    }))
  )
  // Checked before anything connects: an unreadable, invalid or stale CRL stops the start, naming the file.
  const trust = await withRevocation(
    buildTrustStore(partners),
    config.partners.flatMap((p, i): PartnerCrl[] => {
      const caPems = partners[i]?.caPems ?? []
      return p.crl === undefined ? [] : [{ systemId: p.id, path: p.crl, caPems }]
    })
  )
  const encryption = config.encryption ?? { key: config.kafka.tls.key, certificate: config.kafka.tls.cert }
  const schemas = await loadSchemaSet()
  if (config.codec.mode === 'registry') {
    const { createRegistryWireFromConfig } = await import('../codec/registry.ts')
    const wire = await createRegistryWireFromConfig(schemas, config.codec.registry)
    return finishCodec(config, schemas, wire, encryption)
  }
  return finishCodec(config, schemas, createEmbeddedWire(schemas), encryption)

  async function finishCodec(
    cfg: GatewayConfig,
    set: Awaited<ReturnType<typeof loadSchemaSet>>,
    wire: Parameters<typeof createCodec>[0]['wire'],
    keys: { key: string; certificate: string }
  ): Promise<AcmCodec> {
    return createCodec({
      localSystem: self,
      schemas: set,
      wire,
      signer: createRecordSigner(
        self,
        await readTextFile(cfg.signing.key, 'signing key'),
        await readTextFile(cfg.signing.certificate, 'signing certificate')
      ),
      trust,
      unsealingKey: createUnsealingKey(
        await readTextFile(keys.key, 'encryption key'),
        await readTextFile(keys.certificate, 'encryption certificate')
      ),
      maxClockSkewMs: parseDuration(cfg.limits.maxClockSkew),
      limits: { maxRecordBytes: cfg.limits.maxRecordBytes }
    })
  }
}

async function buildAdapter(config: GatewayConfig, producer: RecordProducer): Promise<LocalSystemAdapter> {
  const adapter = config.adapter
  switch (adapter.type) {
    case 'directory':
      return createDirectoryAdapter({ path: adapter.path })
    case 'webhook':
      return createWebhookAdapter({
        url: adapter.url,
        timeoutMs: parseDuration(adapter.timeout) ?? 5_000,
        retries: adapter.retries,
        backoffMs: parseDuration(adapter.backoff) ?? 200
      })
    case 'kafka':
      return createKafkaTopicAdapter({ topic: adapter.topic, send: (records) => producer.send(records) })
  }
}

export interface RunningGateway {
  service: GatewayService
  engine: Engine
  state: GatewayState
  /** Lag of the links into this gateway, sampled every ops.lagInterval, with the last hour's history. */
  lag: LagMonitor
  /** Prometheus metrics of this gateway (its own registry). */
  metrics: GatewayMetrics
  /** Recent decisions, rejections and dead letters, for the status page. */
  activity: Activity
  /** Ready when the broker answers, the inbound consumer is in its group and every certificate is valid. */
  ready(): Promise<{ ready: boolean; checks: Record<string, { ok: boolean; detail: string }> }>
  /** Stops everything in reverse order, each step bounded by ops.stopTimeout; complete: no step was left behind. */
  stop(): Promise<{ complete: boolean }>
}

export interface GatewayRuntimeDeps {
  log: Logger
  /** Engine events for metrics and the like; several listeners may be given. The audit log listens anyway. */
  onEvent?: EngineEventListener | readonly EngineEventListener[]
  /** Unique per replica; default a random UUID. */
  instanceId?: string
  sweepIntervalMs?: number
  /** The local system adapter to use instead of the one the configuration names (benchmarks, embedding). */
  adapter?: LocalSystemAdapter
  /** Called after each lag sample (metrics). */
  onLag?: (links: readonly LinkLag[]) => void
}

function stateValue(write: StateWrite): Buffer | null {
  return write.value === undefined ? null : Buffer.from(JSON.stringify(write.value))
}

export async function startGateway(config: GatewayConfig, deps: GatewayRuntimeDeps): Promise<RunningGateway> {
  const self = config.system.id
  const log = deps.log.child({ system: self })
  const topics = privateTopics(self)
  const instance = deps.instanceId ?? randomUUID()
  // New on every start (an instance id may be reused): the replay at start must never skip a record.
  const writerToken = randomUUID()
  const codec = await buildCodec(config)
  const certificates = await loadCertificateValidity(config)
  const kafka = await createKafkaClient(
    {
      brokers: config.kafka.brokers,
      tls: { caFile: config.kafka.tls.ca, certFile: config.kafka.tls.cert, keyFile: config.kafka.tls.key },
      clientId: config.kafka.clientId ?? gatewayGroup(self)
    },
    { logger: log }
  )
  const state = emptyState()
  const deadLetters = new Map<string, DeadLetterRecord>()
  const { onStop, stopAll } = createShutdown(log, parseDuration(config.ops.stopTimeout) ?? 10_000)
  try {
    // First: a log that does not verify stops the start before anything is consumed. Closed last.
    const audit = await openAuditFile(config.audit.file ?? `${self}.audit.jsonl`)
    onStop('audit log', () => audit.close())
    const producer: RecordProducer = await createRecordProducer(kafka)
    onStop('producer', () => producer.close())
    const follower: StateFollower = await followStateTopics(kafka, {
      groupId: `${gatewayGroup(self)}.state.${instance}`,
      topics: [topics.state, topics.deadLetters],
      apply: (record: InboundRecord) => {
        if (record.topic === topics.deadLetters) {
          if (record.value !== null) {
            const letter = JSON.parse(record.value.toString()) as DeadLetterRecord
            deadLetters.set(letter.id, letter)
          }
          return
        }
        // This process's own writes are in memory already, and possibly newer than the echo.
        if (record.headers[stateWriterHeader]?.toString() === writerToken) return
        if (record.key !== null) applyStateRecord(state, record.key.toString(), record.value?.toString() ?? null)
      },
      onCrash: (error) => log.error({ err: String(error) }, 'state follower crashed')
    })
    onStop('state follower', () => follower.stop())
    await follower.caughtUp

    const writer = { [stateWriterHeader]: Buffer.from(writerToken) }
    const publish = async (batch: {
      records?: OutboundRecord[]
      state?: StateWrite[]
      deadLetters?: DeadLetterRecord[]
    }) => {
      await producer.send([
        ...(batch.records ?? []),
        ...(batch.deadLetters ?? []).map((d) => ({
          topic: topics.deadLetters,
          key: Buffer.from(d.id),
          value: Buffer.from(JSON.stringify(d))
        })),
        ...(batch.state ?? []).map((w) => ({
          topic: topics.state,
          key: Buffer.from(w.key),
          value: stateValue(w),
          headers: writer
        }))
      ])
    }

    // Agreements named in the configuration seed the state once; afterwards the state is authoritative.
    const seeds = config.agreements.filter((a) => !state.agreements.has(a.id))
    if (seeds.length > 0) {
      for (const a of seeds) state.agreements.set(a.id, a)
      await publish({ state: seeds.map((a) => stateRecord('agreement', a.id, a)) })
    }

    const adapter = deps.adapter ?? (await buildAdapter(config, producer))
    onStop('adapter', () => adapter.close())
    const metrics = createGatewayMetrics({
      partners: config.partners.map((p) => p.id),
      pendingByPartner: () => [...state.pending.values()].map((p) => p.request.partner),
      deadLetterPartners: () => [...deadLetters.values()].map((d) => d.partner),
      certificates
    })
    const activity = createActivity()
    const engine = createEngine({
      config,
      codec,
      adapter,
      io: { publish },
      state,
      deadLetters,
      log,
      onEvent: composeEventListeners(log, [
        auditListener(audit, log),
        (e) => metrics.onEvent(e),
        (e) => activity.onEvent(e),
        ...[deps.onEvent ?? []].flat()
      ])
    })

    const service = withAuditFlush(engine.service, audit)

    let consumerError: string | undefined
    const subscribed = inboundTopics(self, state.agreements.values())
    const sessionTimeoutMs = parseDuration(config.kafka.sessionTimeout)
    const consumer: BatchConsumer = await startBatchConsumer(kafka, {
      groupId: gatewayGroup(self),
      topics: subscribed,
      // Partitions in parallel: their answers share producer requests and audit fsyncs (src/kafka/records.ts).
      concurrency: 4,
      sessionTimeoutMs,
      handle: async (batch) => {
        const done = await engine.handleBatch(batch.records, batch)
        // Offsets are committed only once the batch's audit entries are on disk.
        await audit.flush()
        return done
      },
      onCrash: (error) => {
        consumerError = error.message
        log.error({ err: error.message }, 'inbound consumer crashed')
      }
    })
    onStop('inbound consumer', () => consumer.stop())
    const broker = createBrokerProbe(kafka)
    onStop('broker probe', () => broker.close())

    const local = config.localRequests
    if (local !== undefined) {
      const localConsumer = await startBatchConsumer(kafka, {
        groupId: `${gatewayGroup(self)}.local`,
        sessionTimeoutMs,
        topics: [local.topic],
        handle: async (batch) => {
          let done: string | undefined
          for (const record of batch.records) {
            if (batch.isStale()) break
            await producer.send([await handleLocalRequest(service, record, local.resultsTopic)])
            done = record.offset
          }
          return done
        },
        onCrash: (error) => log.error({ err: error.message }, 'local request consumer crashed')
      })
      onStop('local request consumer', () => localConsumer.stop())
    }

    // Lag of what this gateway consumes (the topics it subscribed to at start), read like an outsider would.
    const lagReader = createLagReader(kafka, {
      self,
      group: gatewayGroup(self),
      probeGroupPrefix: `${gatewayGroup(self)}.state.lag-`
    })
    const lagLinks = linksFromTopics(self, subscribed)
    const lag = startLagMonitor({
      intervalMs: Math.max(100, parseDuration(config.ops.lagInterval) ?? 30_000),
      thresholdMs: parseDuration(config.ops.lagThreshold) ?? 60_000,
      stalledIntervals: config.ops.stalledIntervals,
      sample: () => lagReader.sample(lagLinks),
      close: () => lagReader.close(),
      onUpdate: (links) => {
        metrics.onLag(links)
        deps.onLag?.(links)
      },
      onError: (error) => log.warn({ err: error instanceof Error ? error.message : String(error) }, 'lag sample failed')
    })
    onStop('lag monitor', () => lag.stop())

    const sweepTimer = setInterval(() => {
      engine.sweep().catch((error: unknown) => log.warn({ err: String(error) }, 'sweep failed'))
    }, deps.sweepIntervalMs ?? 5_000)
    sweepTimer.unref()
    onStop('sweep timer', () => Promise.resolve(clearInterval(sweepTimer)))
    log.info(
      { topics: inboundTopics(self, state.agreements.values()).length, agreements: state.agreements.size },
      'gateway started'
    )

    return {
      service,
      engine,
      state,
      lag,
      metrics,
      activity,
      ready: async () => {
        const membership = consumer.membership()
        const checks = {
          broker: await broker.check(),
          consumer:
            consumerError !== undefined
              ? { ok: false, detail: consumerError }
              : membership.joined
                ? {
                    ok: true,
                    detail: `in group ${gatewayGroup(self)} with ${membership.partitions} partition(s) assigned`
                  }
                : { ok: false, detail: `not (yet) in group ${gatewayGroup(self)}` },
          certificates: certificateCheck(certificates, Date.now()),
          state: { ok: true, detail: `${state.agreements.size} agreements, ${state.pending.size} pending` }
        }
        return { ready: Object.values(checks).every((c) => c.ok), checks }
      },
      stop: stopAll
    }
  } catch (error) {
    await stopAll()
    throw error
  }
}
