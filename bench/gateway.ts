/**
 * The gateway G end to end on the benchmark broker: two real gateways A and B started with startGateway from
 * configuration files (mutual TLS with their own identities and ACLs, Ed25519 signatures, Avro, verification,
 * policy, audit log, info-level logging to a file). Requests go in through A's `service.send`; B verifies, decides
 * by policy, applies through a no-op in-process adapter and answers; a request counts when A's trace reaches
 * 'answered' (round trip). B's 'applied' event gives the one-way time.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Admin } from 'kafkajs'
import { pino } from 'pino'
import { stringify } from 'yaml'
import { type Effect, itemOf, type LocalSystemAdapter } from '../src/adapters/effects.ts'
import { loadConfig } from '../src/config/load.ts'
import type { GatewayConfigInput } from '../src/config/schema.ts'
import type { EngineEvent } from '../src/gateway/engine.ts'
import { minimumAnswerLifetimeMs } from '../src/gateway/messages.ts'
import { type RunningGateway, startGateway } from '../src/gateway/runtime.ts'
import type { OutboundRequest } from '../src/gateway/service.ts'
import { pkiLayout } from '../src/pki/store.ts'
import { provisionLink } from '../test/helpers/gateway.ts'
import type { BenchStack } from './harness.ts'
import { paced } from './harness.ts'
import type { LatencyRun, ThroughputRun } from './relay.ts'

/** Users per MIGRATION_USERS_ADD request: 20 make a record value of about 1 KiB (plus ~130 bytes of headers). */
const usersPerRequest = 20
/** Requests in flight (sent, not yet answered) at maximum load. */
const window = 256
/**
 * Short retention windows, so that the memory measurement can look past them: a request lives 10 s and its answers
 * 60 s (their minimum), each id is remembered against replay for that plus 2 s of clock skew, a finished trace for
 * 5 s (at most 1 000).
 */
const requestTtlSeconds = 10
const limits = { maxClockSkew: '2s', traceRetention: '5s', maxTraces: 1000 }
/** After this long without traffic every retained entry of a run is forgotten (windows plus sweeps). */
export const gatewayRetentionMs = Math.max(requestTtlSeconds * 1000, minimumAnswerLifetimeMs) + 2_000 + 3_000

export interface GatewayLatencyRun extends LatencyRun {
  /** Send call to B's 'applied' event, sorted ascending. */
  oneWay: number[]
}

export interface GatewayBench {
  throughput(messages: number): Promise<ThroughputRun & { oneWayPerSecond: number }>
  latency(rate: number, seconds: number): Promise<GatewayLatencyRun>
  /** Outcomes of every answered request so far, e.g. { ACCEPTED: 12345 }. */
  outcomes(): Record<string, number>
  stop(): Promise<void>
}

/** Accepts every effect and remembers nothing: the local MCX system costs nothing in this benchmark. */
export function noopAdapter(): LocalSystemAdapter {
  return {
    name: 'bench-noop',
    apply: (batch) =>
      Promise.resolve(
        batch.effects.map((effect: Effect) => ({
          item: itemOf(effect),
          result: 'ACCEPTED' as const,
          reasonCode: null,
          reason: null
        }))
      ),
    notifyPending: () => Promise.resolve(),
    close: () => Promise.resolve()
  }
}

async function writeConfig(stack: BenchStack, self: string, partner: string, agreementId: string): Promise<string> {
  const p = (name: string) => join(stack.info.pki.dir, name)
  const config: GatewayConfigInput = {
    system: { id: self },
    kafka: {
      brokers: stack.info.bootstrapServers,
      tls: { ca: p(pkiLayout.caCert), cert: p(pkiLayout.gatewayCert(self)), key: p(pkiLayout.gatewayKey(self)) }
    },
    signing: { key: p(pkiLayout.gatewaySigningKey(self)), certificate: p(pkiLayout.gatewaySigningCert(self)) },
    partners: [
      {
        id: partner,
        signingCertificates: [p(pkiLayout.gatewaySigningCert(partner))],
        encryptionCertificate: p(pkiLayout.gatewayCert(partner))
      }
    ],
    agreements: [
      {
        id: agreementId,
        partner,
        status: 'ACTIVE',
        services: ['MCPTT', 'MCDATA'],
        categories: ['migration'],
        limits: {},
        sharedUserAttributes: ['rank']
      }
    ],
    policy: { default: 'accept' },
    limits,
    // Replaced by the no-op adapter below; the configuration schema wants one.
    adapter: { type: 'directory', path: join(stack.dir, `${self}-directory`) },
    http: { port: 0 }
  }
  const file = join(stack.dir, `${self}.yaml`)
  await writeFile(file, stringify(config))
  return file
}

export async function startGatewayBench(stack: BenchStack, admin: Admin): Promise<GatewayBench> {
  const [a, b] = ['bench-a', 'bench-b'] as const
  await provisionLink(admin, a, b, ['migration'])
  const agreementId = `agr-${a}-${b}`
  const appliedAt = new Map<string, number>()
  const outcomes: Record<string, number> = {}
  let onAnswer: (messageId: string, at: number) => void = () => undefined
  let onApplied: (messageId: string, at: number) => void = () => undefined
  const started: RunningGateway[] = []
  const start = async (self: string, partner: string, onEvent: (e: EngineEvent) => void) => {
    const config = await loadConfig(await writeConfig(stack, self, partner, agreementId))
    // Production logging: info level, one line per request sent and per request decided, to a file.
    const log = pino({ level: 'info' }, pino.destination({ dest: join(stack.dir, `${self}.log`), sync: false }))
    const gateway = await startGateway(config, { log, onEvent, adapter: noopAdapter(), sweepIntervalMs: 1000 })
    started.push(gateway)
    return gateway
  }
  const gatewayB = await start(b, a, (e) => {
    if (e.type === 'applied' && e.messageId !== null) onApplied(e.messageId, performance.now())
  })
  const gatewayA = await start(a, b, (e) => {
    if (e.type === 'answer' && e.messageId !== null) {
      outcomes[e.outcome ?? 'unknown'] = (outcomes[e.outcome ?? 'unknown'] ?? 0) + 1
      onAnswer(e.messageId, performance.now())
    }
  })
  void gatewayB

  let sequence = 0
  const request = (): OutboundRequest => {
    const n = sequence++
    return {
      kind: 'MIGRATION_USERS_ADD',
      partner: b,
      agreementId,
      requester: { mcServiceId: 'sip:chief@bench-a.example', functionalAlias: null },
      ttlSeconds: requestTtlSeconds,
      body: {
        users: Array.from({ length: usersPerRequest }, (_, i) => ({
          mcServiceId: `sip:officer-${String(i).padStart(3, '0')}-${n % 1000}@bench-a.example`,
          partnerMcServiceId: null,
          services: ['MCPTT', 'MCDATA'],
          validFrom: null,
          validUntil: Date.now() + 86_400_000
        }))
      }
    }
  }

  return {
    async throughput(messages) {
      let answered = 0
      let applied = 0
      let lastApplied = 0
      let lastAnswer = 0
      let release: () => void = () => undefined
      let slot: (() => void) | undefined
      const finished = new Promise<void>((resolve) => (release = resolve))
      onApplied = (_id, at) => {
        applied++
        lastApplied = at
      }
      onAnswer = (_id, at) => {
        answered++
        lastAnswer = at
        slot?.()
        if (answered >= messages) release()
      }
      const t0 = performance.now()
      for (let i = 0; i < messages; i++) {
        while (i - answered >= window) await new Promise<void>((resolve) => (slot = resolve))
        // Not awaited: up to `window` requests are in flight; a failure stops the run.
        gatewayA.service.send(request()).catch((error: unknown) => {
          console.error(`send failed: ${String(error)}`)
          process.exitCode = 1
          release()
        })
      }
      await finished
      const seconds = (lastAnswer - t0) / 1000
      onAnswer = () => undefined
      onApplied = () => undefined
      return {
        messages,
        seconds,
        perSecond: answered / seconds,
        oneWayPerSecond: applied / ((lastApplied - t0) / 1000)
      }
    },
    async latency(rate, seconds) {
      const count = Math.max(1, Math.round(rate * seconds))
      const latencies: number[] = []
      const oneWay: number[] = []
      let release: () => void = () => undefined
      const finished = new Promise<void>((resolve) => (release = resolve))
      const starts = new Map<string, number>()
      // An answer may in principle arrive before send() has returned the message id: keep it until then.
      const early = new Map<string, number>()
      onApplied = (id, at) => {
        appliedAt.set(id, at)
      }
      const answeredAt = (id: string, t: number, at: number) => {
        latencies.push(at - t)
        const b1 = appliedAt.get(id)
        if (b1 !== undefined) oneWay.push(b1 - t)
        appliedAt.delete(id)
        if (latencies.length >= count) release()
      }
      onAnswer = (id, at) => {
        const t = starts.get(id)
        if (t === undefined) early.set(id, at)
        else answeredAt(id, t, at)
      }
      await paced(count, rate, async () => {
        const t = performance.now()
        const { messageId } = await gatewayA.service.send(request())
        starts.set(messageId, t)
        const at = early.get(messageId)
        if (at !== undefined) answeredAt(messageId, t, at)
      })
      await finished
      onAnswer = () => undefined
      onApplied = () => undefined
      return {
        messages: count,
        latencies: latencies.sort((x, y) => x - y),
        oneWay: oneWay.sort((x, y) => x - y)
      }
    },
    outcomes: () => ({ ...outcomes }),
    async stop() {
      for (const g of started.reverse()) await g.stop()
    }
  }
}
