/**
 * The gateway's record I/O over kafkajs: an idempotent producer with acks=all, a batch consumer that commits
 * only what the handler says is done, and a reader that follows compacted state topics. Nothing outside
 * src/kafka sees a kafkajs type.
 */
import type { Consumer, IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs'
import { classifyKafkaError } from './client.ts'

export interface OutboundRecord {
  topic: string
  key: Buffer
  /** null: a tombstone (deletes the key from a compacted topic). */
  value: Buffer | null
  headers?: Record<string, Buffer>
}

export interface InboundRecord {
  topic: string
  partition: number
  offset: string
  /** Broker timestamp, milliseconds since the epoch. */
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  headers: Record<string, Buffer>
}

export interface RecordProducer {
  /** Resolves once every record is acknowledged by all in-sync replicas. */
  send(records: OutboundRecord[]): Promise<void>
  close(): Promise<void>
}

function toHeaders(headers: IHeaders | undefined): Record<string, Buffer> {
  const out: Record<string, Buffer> = {}
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (Buffer.isBuffer(value)) out[name] = value
    else if (typeof value === 'string') out[name] = Buffer.from(value)
    else if (Array.isArray(value) && value[0] !== undefined) {
      out[name] = Buffer.isBuffer(value[0]) ? value[0] : Buffer.from(value[0])
    }
  }
  return out
}

function toInbound(topic: string, partition: number, message: KafkaMessage): InboundRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    timestamp: Number(message.timestamp),
    key: message.key,
    value: message.value,
    headers: toHeaders(message.headers)
  }
}

interface QueuedSend {
  records: OutboundRecord[]
  resolve: () => void
  reject: (error: unknown) => void
}

export async function createRecordProducer(kafka: Kafka): Promise<RecordProducer> {
  // Idempotent, one request in flight: retries never duplicate or reorder within a partition.
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false })
  await producer.connect()
  // Group commit: what callers send while a request is in flight goes out together in the next one, in call
  // order, instead of one request (and one broker round trip) per caller. Each caller still resolves only once
  // its own records are acknowledged; when a request fails, every caller in it gets the error.
  let queue: QueuedSend[] = []
  let draining = false
  const sendNow = async (records: OutboundRecord[]) => {
    const byTopic = new Map<string, OutboundRecord[]>()
    for (const r of records) {
      const list = byTopic.get(r.topic)
      if (list === undefined) byTopic.set(r.topic, [r])
      else list.push(r)
    }
    try {
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, list]) => ({
          topic,
          messages: list.map((r) => ({ key: r.key, value: r.value, headers: r.headers }))
        }))
      })
    } catch (error) {
      throw classifyKafkaError(error, `produce to ${[...byTopic.keys()].join(', ')}`)
    }
  }
  const drain = async () => {
    draining = true
    while (queue.length > 0) {
      const group = queue
      queue = []
      try {
        await sendNow(group.flatMap((q) => q.records))
        for (const q of group) q.resolve()
      } catch (error) {
        for (const q of group) q.reject(error)
      }
    }
    draining = false
  }
  return {
    send(records) {
      if (records.length === 0) return Promise.resolve()
      return new Promise<void>((resolve, reject) => {
        queue.push({ records, resolve, reject })
        if (!draining) void drain()
      })
    },
    close: () => producer.disconnect()
  }
}

export interface PartitionBatch {
  topic: string
  partition: number
  records: InboundRecord[]
  /** Keep the group membership alive during long work. */
  heartbeat(): Promise<void>
  /** True after a rebalance took this partition away: stop and do not commit. */
  isStale(): boolean
}

export interface BatchConsumerOptions {
  groupId: string
  topics: readonly string[]
  /** Returns the offset of the last record fully handled (effect and answer durable), or undefined for none. */
  handle(batch: PartitionBatch): Promise<string | undefined>
  onCrash?(error: Error): void
  sessionTimeoutMs?: number
  maxBytesPerPartition?: number
}

export interface BatchConsumer {
  stop(): Promise<void>
}

/**
 * Consumes with explicit commits: an offset is committed only after the handler reports the records before it
 * done, so a crash redelivers rather than loses (the gateway's inbox turns that into exactly-once effect).
 */
export async function startBatchConsumer(kafka: Kafka, options: BatchConsumerOptions): Promise<BatchConsumer> {
  const consumer: Consumer = kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: options.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: 3_000,
    maxBytesPerPartition: options.maxBytesPerPartition ?? 1_048_576,
    allowAutoTopicCreation: false,
    retry: { retries: 8 }
  })
  consumer.on(consumer.events.CRASH, (event) => options.onCrash?.(event.payload.error))
  await consumer.connect()
  await consumer.subscribe({ topics: [...options.topics], fromBeginning: true })
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async (payload) => {
      const { batch } = payload
      const done = await options.handle({
        topic: batch.topic,
        partition: batch.partition,
        records: batch.messages.map((m) => toInbound(batch.topic, batch.partition, m)),
        heartbeat: () => payload.heartbeat(),
        isStale: () => payload.isStale()
      })
      if (done === undefined || payload.isStale()) return
      payload.resolveOffset(done)
      // The committed offset is the next one to read: last handled + 1.
      await consumer.commitOffsets([
        { topic: batch.topic, partition: batch.partition, offset: (BigInt(done) + 1n).toString() }
      ])
    }
  })
  return { stop: () => consumer.disconnect() }
}

export interface StateFollowerOptions {
  groupId: string
  topics: readonly string[]
  apply(record: InboundRecord): void
  onCrash?(error: Error): void
}

export interface StateFollower {
  /** Resolves when every record that existed at start has been applied. */
  caughtUp: Promise<void>
  stop(): Promise<void>
}

/**
 * Follows compacted state topics from the beginning, for every replica alike: the group id is the replica's
 * own and nothing is committed, so each start replays the whole (compacted) state.
 */
export async function followStateTopics(kafka: Kafka, options: StateFollowerOptions): Promise<StateFollower> {
  const admin = kafka.admin()
  await admin.connect()
  const remaining = new Map<string, bigint>()
  try {
    for (const topic of options.topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(p.high) > BigInt(p.low)) remaining.set(`${topic}/${p.partition}`, BigInt(p.high))
      }
    }
  } catch (error) {
    throw classifyKafkaError(error, `read the end offsets of ${options.topics.join(', ')}`)
  } finally {
    await admin.disconnect()
  }
  let markCaughtUp: () => void = () => undefined
  const caughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve))
  if (remaining.size === 0) markCaughtUp()
  const consumer = kafka.consumer({ groupId: options.groupId, allowAutoTopicCreation: false, retry: { retries: 8 } })
  consumer.on(consumer.events.CRASH, (event) => options.onCrash?.(event.payload.error))
  await consumer.connect()
  await consumer.subscribe({ topics: [...options.topics], fromBeginning: true })
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      options.apply(toInbound(topic, partition, message))
      const slot = `${topic}/${partition}`
      const end = remaining.get(slot)
      if (end !== undefined && BigInt(message.offset) + 1n >= end) {
        remaining.delete(slot)
        if (remaining.size === 0) markCaughtUp()
      }
      return Promise.resolve()
    }
  })
  return { caughtUp, stop: () => consumer.disconnect() }
}
