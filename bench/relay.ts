/**
 * The baseline R: a raw kafkajs relay with the gateway's client settings and nothing else. A load producer writes
 * ~1 KiB records to `bench.<name>.in`; the relay consumes them with eachBatch and produces each fetched batch with
 * one send (acks=-1, idempotent, one request in flight, as the gateway's producer) to `bench.<name>.out`, then
 * commits; a sink consumer on `out` measures the end-to-end latency from the load producer's send.
 */
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import kafkajs, { type Admin, type Consumer, type KafkaConfig, type Producer } from 'kafkajs'
import { paced, sleep } from './harness.ts'

const { Kafka } = kafkajs

export interface ThroughputRun {
  messages: number
  seconds: number
  perSecond: number
}

export interface LatencyRun {
  messages: number
  /** Milliseconds, sorted ascending. */
  latencies: number[]
}

export interface Relay {
  readonly name: string
  throughput(messages: number): Promise<ThroughputRun>
  latency(rate: number, seconds: number): Promise<LatencyRun>
  stop(): Promise<void>
}

interface Run {
  id: string
  expected: number
  received: number
  latencies: number[]
  lastAt: number
  done: () => void
}

const partitions = 2
/** The load producer's batch size and sends in flight at maximum load. */
const loadBatch = 100
const loadInFlight = 8

function joined(consumer: Consumer): Promise<void> {
  return new Promise((resolve) => {
    const off = consumer.on(consumer.events.GROUP_JOIN, () => {
      off()
      resolve()
    })
  })
}

export async function startRelay(options: {
  name: string
  client: KafkaConfig
  admin: Admin
  valueBytes: number
}): Promise<Relay> {
  const topicIn = `bench.${options.name}.in`
  const topicOut = `bench.${options.name}.out`
  await options.admin.createTopics({
    waitForLeaders: true,
    topics: [topicIn, topicOut].map((topic) => ({ topic, numPartitions: partitions }))
  })
  const kafka = new Kafka(options.client)
  const value = randomBytes(options.valueBytes)
  const load: Producer = kafka.producer({ allowAutoTopicCreation: false })
  const relayOut: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false })
  const relay = kafka.consumer({
    groupId: `bench.${options.name}.relay`,
    maxBytesPerPartition: 1_048_576,
    allowAutoTopicCreation: false
  })
  const sink = kafka.consumer({ groupId: `bench.${options.name}.sink`, allowAutoTopicCreation: false })
  let current: Run | undefined
  await Promise.all([load.connect(), relayOut.connect(), relay.connect(), sink.connect()])
  const ready = Promise.all([joined(relay), joined(sink)])
  await relay.subscribe({ topics: [topicIn], fromBeginning: true })
  await sink.subscribe({ topics: [topicOut], fromBeginning: true })
  await relay.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async (payload) => {
      const { batch } = payload
      const last = batch.messages.at(-1)
      if (last === undefined) return
      await relayOut.send({
        topic: topicOut,
        acks: -1,
        messages: batch.messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers }))
      })
      if (payload.isStale()) return
      payload.resolveOffset(last.offset)
      await relay.commitOffsets([
        { topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }
      ])
    }
  })
  await sink.run({
    eachBatch: async ({ batch }) => {
      const now = performance.now()
      const run = current
      if (run === undefined) return
      for (const m of batch.messages) {
        if (m.headers?.run?.toString() !== run.id) continue
        run.received++
        run.latencies.push(now - Number(m.headers.ts?.toString()))
      }
      run.lastAt = now
      if (run.received >= run.expected) run.done()
      return Promise.resolve()
    }
  })
  await ready

  let runs = 0
  const begin = (expected: number) => {
    let done: () => void = () => undefined
    const finished = new Promise<void>((resolve) => (done = resolve))
    const run: Run = { id: `${options.name}-${runs++}`, expected, received: 0, latencies: [], lastAt: 0, done }
    current = run
    return { run, finished }
  }
  const message = (run: Run, i: number, at: number) => ({
    key: `entity-${i % 64}`,
    value,
    headers: { run: run.id, ts: at.toFixed(3) }
  })
  const within = async (finished: Promise<void>, run: Run, ms: number) => {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`relay ${options.name}: ${run.received} of ${run.expected} arrived in ${ms} ms`)),
        ms
      )
    })
    try {
      await Promise.race([finished, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  return {
    name: options.name,
    async throughput(messages) {
      const { run, finished } = begin(messages)
      const t0 = performance.now()
      let next = 0
      const worker = async () => {
        while (next < messages) {
          const from = next
          next = Math.min(messages, next + loadBatch)
          const batch = []
          for (let i = from; i < next; i++) batch.push(message(run, i, t0))
          await load.send({ topic: topicIn, acks: -1, messages: batch })
        }
      }
      await Promise.all(Array.from({ length: loadInFlight }, worker))
      await within(finished, run, 120_000)
      const seconds = (run.lastAt - t0) / 1000
      current = undefined
      return { messages, seconds, perSecond: messages / seconds }
    },
    async latency(rate, seconds) {
      const count = Math.max(1, Math.round(rate * seconds))
      const { run, finished } = begin(count)
      await paced(count, rate, (i) =>
        load.send({ topic: topicIn, acks: -1, messages: [message(run, i, performance.now())] })
      )
      await within(finished, run, 60_000)
      current = undefined
      return { messages: count, latencies: run.latencies.sort((a, b) => a - b) }
    },
    async stop() {
      await Promise.all([relay.disconnect(), sink.disconnect()])
      await Promise.all([load.disconnect(), relayOut.disconnect()])
      await sleep(0)
    }
  }
}
