/**
 * The engine's units of work without a broker: two engines (alpha sends, bravo receives) with real codecs, an
 * in-memory publish that can be made to fail, and records handed over by hand. The real-broker behaviour is in
 * test/integration/gateway*.test.ts; this file pins down what one batch publishes, and what a failed publish
 * leaves behind.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { pino } from 'pino'
import { type EffectBatch, itemOf, type LocalSystemAdapter } from '../../src/adapters/effects.ts'
import type { ProducedRecord } from '../../src/codec/codec.ts'
import { validateConfig } from '../../src/config/load.ts'
import { createEngine, type DeadLetterRecord, type Engine, type EngineEvent } from '../../src/gateway/engine.ts'
import type { StagedBatch } from '../../src/gateway/stage.ts'
import { emptyState, type GatewayState } from '../../src/gateway/state.ts'
import type { InboundRecord } from '../../src/kafka/records.ts'
import { body, codecFor, type TestSystem } from '../helpers/acm.ts'

const agreementId = 'agr-alpha-bravo-2026'
const requester = { mcServiceId: 'sip:chief.ops@alpha.example' }

interface Side {
  engine: Engine
  state: GatewayState
  published: StagedBatch[]
  events: EngineEvent[]
  applied: EffectBatch[]
  /** Set to make the next publishes fail, as a broker that does not acknowledge. */
  failPublish: boolean
}

async function side(
  self: TestSystem,
  partner: TestSystem,
  options: { now: () => number; limits?: Record<string, unknown> }
): Promise<Side> {
  const config = validateConfig(
    {
      system: { id: self },
      kafka: { brokers: ['localhost:9093'], tls: { ca: 'ca.crt', cert: 'gw.crt', key: 'gw.key' } },
      signing: { key: 'sign.key', certificate: 'sign.crt' },
      partners: [{ id: partner, signingCertificates: ['p.sign.crt'], encryptionCertificate: 'p.crt' }],
      agreements: [{ id: agreementId, partner, services: ['MCPTT', 'MCDATA'], categories: ['status', 'migration'] }],
      policy: { default: 'accept' },
      limits: { requestTtl: '1h', maxClockSkew: '5m', ...options.limits }
    },
    `${self}.yaml`
  )
  const state = emptyState()
  for (const a of config.agreements) state.agreements.set(a.id, a)
  const result: Side = {
    engine: undefined as unknown as Engine,
    state,
    published: [],
    events: [],
    applied: [],
    failPublish: false
  }
  const adapter: LocalSystemAdapter = {
    name: 'memory',
    apply: (batch) => {
      result.applied.push(batch)
      return Promise.resolve(
        batch.effects.map((e) => ({ item: itemOf(e), result: 'ACCEPTED' as const, reasonCode: null, reason: null }))
      )
    },
    notifyPending: () => Promise.resolve(),
    close: () => Promise.resolve()
  }
  result.engine = createEngine({
    config,
    codec: await codecFor(self),
    adapter,
    io: {
      publish: (batch) => {
        if (result.failPublish) return Promise.reject(new Error('not acknowledged'))
        result.published.push(batch)
        return Promise.resolve()
      }
    },
    state,
    deadLetters: new Map<string, DeadLetterRecord>(),
    log: pino({ level: 'silent' }),
    now: options.now,
    onEvent: (e) => result.events.push(e)
  })
  return result
}

let offset = 0
function delivered(record: ProducedRecord): InboundRecord {
  return { ...record, partition: 0, offset: String(offset++), timestamp: Date.now() }
}

async function sendRequests(alpha: Side, count: number, ttlSeconds?: number): Promise<InboundRecord[]> {
  const records: InboundRecord[] = []
  for (let i = 0; i < count; i++) {
    const before = alpha.published.length
    await alpha.engine.service.send({
      kind: 'MIGRATION_USERS_ADD',
      partner: 'bravo',
      agreementId,
      requester,
      ttlSeconds,
      body: body('MIGRATION_USERS_ADD')
    })
    records.push(...alpha.published.slice(before).flatMap((b) => b.records.map(delivered)))
  }
  return records
}

describe('engine units of work', () => {
  test('a batch of requests is answered in one publish, and events follow the acknowledgement', async () => {
    let t = Date.now()
    const now = () => t
    const alpha = await side('alpha', 'bravo', { now })
    const bravo = await side('bravo', 'alpha', { now })
    const requests = await sendRequests(alpha, 5)
    assert.equal(requests.length, 5)

    const done = await bravo.engine.handleBatch(requests)
    assert.equal(done, requests.at(-1)?.offset)
    assert.equal(bravo.published.length, 1, 'one acknowledged request for the whole batch')
    const [batch] = bravo.published
    assert.ok(batch)
    // Per request: a process indication and the final response, in that order, to alpha's responses topic.
    assert.equal(batch.records.length, 10)
    assert.ok(batch.records.every((r) => r.topic === 'acm.bravo.alpha.responses'))
    assert.equal(bravo.applied.length, 5)
    assert.equal(bravo.events.filter((e) => e.type === 'applied').length, 5)
    assert.equal(bravo.state.inbox.size, 5)

    // Alpha handles all ten answers as one unit too: every trace answered, one publish.
    t += 10
    const published = alpha.published.length
    await alpha.engine.handleBatch(batch.records.map(delivered))
    assert.equal(alpha.published.length, published + 1)
    const traces = [...alpha.state.traces.values()]
    assert.equal(traces.length, 5)
    assert.ok(traces.every((trace) => trace.status === 'answered' && trace.outcome === 'ACCEPTED'))
  })

  test('a publish that is not acknowledged leaves no trace, and the redelivery is handled in full', async () => {
    const now = () => Date.now()
    const alpha = await side('alpha', 'bravo', { now })
    const bravo = await side('bravo', 'alpha', { now })
    const requests = await sendRequests(alpha, 3)

    bravo.failPublish = true
    await assert.rejects(bravo.engine.handleBatch(requests), /not acknowledged/)
    assert.equal(bravo.state.inbox.size, 0, 'no message counts as seen')
    assert.equal(bravo.state.versions.size, 0)
    assert.equal(bravo.state.traces.size, 0)
    assert.equal(bravo.events.length, 0, 'no audit event for what is not durable')

    // The consumer redelivers the same records (same places): handled again, not taken for duplicates.
    bravo.failPublish = false
    await bravo.engine.handleBatch(requests)
    assert.equal(bravo.published.length, 1)
    assert.equal(bravo.published[0]?.records.length, 6)
    assert.equal(bravo.events.filter((e) => e.type === 'applied').length, 3)
    // The adapter saw each request twice with the same idempotency key: that is its contract.
    assert.equal(new Set(bravo.applied.map((b) => b.idempotencyKey)).size, 3)

    // A further redelivery after success is a quiet duplicate: nothing new is published or applied.
    await bravo.engine.handleBatch(requests)
    assert.equal(bravo.published.length, 1)
    const duplicates = bravo.events.filter((e) => e.type === 'duplicate')
    assert.equal(duplicates.length, 3)
    // Each named, with its first handling's outcome: the audit keeps them even if the first entries were lost.
    const appliedIds = bravo.events.filter((e) => e.type === 'applied').map((e) => e.messageId)
    assert.deepEqual(
      duplicates.map((e) => [e.messageId, e.outcome]),
      appliedIds.map((id) => [id, 'ACCEPTED'])
    )
  })

  test('sweep forgets inbox entries once their messages expired, and old or excess finished traces', async () => {
    let t = Date.now()
    const now = () => t
    const limits = { maxTraces: 100, traceRetention: '10m' }
    const alpha = await side('alpha', 'bravo', { now, limits })
    const bravo = await side('bravo', 'alpha', { now, limits })
    const requests = await sendRequests(alpha, 120)
    await bravo.engine.handleBatch(requests)
    assert.equal(bravo.state.inbox.size, 120)
    assert.equal(bravo.state.traces.size, 120)

    await bravo.engine.sweep()
    assert.equal(bravo.state.traces.size, 100, 'the 20 oldest finished traces beyond maxTraces are gone')
    assert.equal(bravo.state.inbox.size, 120, 'inbox entries stay while their messages are valid')
    const tombstones = bravo.published.at(-1)?.state.filter((w) => w.value === undefined) ?? []
    assert.equal(tombstones.length, 20)
    assert.ok(tombstones.every((w) => w.key.startsWith('trace/')))

    t += 11 * 60_000
    await bravo.engine.sweep()
    assert.equal(bravo.state.traces.size, 0, 'finished traces older than traceRetention are gone')

    // After expiry plus the tolerated skew, a replay is refused by the envelope check, not the inbox.
    t += 3_600_000
    await bravo.engine.sweep()
    assert.equal(bravo.state.inbox.size, 0)
    // A request that is its own entity leaves no version behind on either side: nothing stays for good.
    assert.equal(bravo.state.versions.size, 0)
    assert.equal(alpha.state.sentVersions.size, 0)
    const before = bravo.published.length
    const replayed = requests.slice(0, 1).map((r) => ({ ...r, offset: String(offset++) }))
    await bravo.engine.handleBatch(replayed)
    const letters = bravo.published.slice(before).flatMap((b) => b.deadLetters)
    assert.deepEqual(
      letters.map((l) => l.reasonCode),
      ['ACMGW_ENVELOPE_EXPIRED']
    )
  })

  test('answers live as long as their requests, so the requester forgets their ids as soon', async () => {
    let t = Date.now()
    const now = () => t
    const alpha = await side('alpha', 'bravo', { now })
    const bravo = await side('bravo', 'alpha', { now })
    const requests = await sendRequests(alpha, 3, 120)
    await bravo.engine.handleBatch(requests)
    await alpha.engine.handleBatch((bravo.published[0]?.records ?? []).map(delivered))
    assert.equal(alpha.state.inbox.size, 6, 'an indication and a final answer per request')
    // Request TTL 2 min, clock skew 5 min: past both, the answers' ids are forgotten too (bravo's TTL is 1 h).
    t += 120_000 + 300_000 + 1
    await alpha.engine.sweep()
    assert.equal(alpha.state.inbox.size, 0)
  })
})
