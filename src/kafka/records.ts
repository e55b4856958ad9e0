/**
 * The gateway's record I/O over kafkajs: an idempotent producer with acks=all, a batch consumer that commits
 * only what the handler says is done, and a reader that follows compacted state topics. Nothing outside
 * src/kafka sees a kafkajs type.
 */
import kafkajs, {
  type Admin,
  type Consumer,
  type IHeaders,
  type Kafka,
  type KafkaMessage,
  type PartitionMetadata,
  type Producer
} from 'kafkajs'
import { classifyKafkaError } from './client.ts'

// kafkajs is CommonJS; named imports of its values are not reliable under ESM.
const { Partitioners } = kafkajs

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

/** One topic's messages with the partition each goes to, as sendBatch takes them. */
export interface PartitionedTopicMessages {
  topic: string
  messages: { key: Buffer; value: Buffer | null; headers?: Record<string, Buffer>; partition: number }[]
}

/**
 * Sends until every partition of the batch is acknowledged. kafkajs 2.2.4 can resolve sendBatch without ever
 * sending some partitions: its retry keeps the responses per broker, so a partition whose leader moved (after a
 * failed attempt) to a broker that had already answered within the same call is skipped, and the call
 * succeeds. The fault suite saw acknowledged records missing from the log after a leader kill. Records of a
 * partition absent from the answers are sent again; a partition that is sent twice is deduplicated by the
 * idempotent producer or, at worst, by the receiving gateway's inbox. Gives up after `maxRounds`.
 */
export async function sendCoveringEveryPartition(
  sendBatch: (topicMessages: PartitionedTopicMessages[]) => Promise<{ topicName: string; partition: number }[]>,
  topicMessages: PartitionedTopicMessages[],
  maxRounds = 5
): Promise<void> {
  let pending = topicMessages.filter((t) => t.messages.length > 0)
  for (let round = 1; pending.length > 0; round++) {
    if (round > maxRounds) {
      const missing = pending.map((t) => `${t.topic}/${[...new Set(t.messages.map((m) => m.partition))].join(',')}`)
      throw new Error(`the producer did not acknowledge ${missing.join('; ')} after ${maxRounds} rounds`)
    }
    const answered = new Set((await sendBatch(pending)).map((r) => `${r.topicName}/${r.partition}`))
    pending = pending
      .map((t) => ({ topic: t.topic, messages: t.messages.filter((m) => !answered.has(`${t.topic}/${m.partition}`)) }))
      .filter((t) => t.messages.length > 0)
  }
}

/** The partition kafkajs's default partitioner picks for a key (murmur2, as the Java client), cached per topic. */
function createPartitionLocator(kafka: Kafka): {
  partitionOf(topic: string, key: Buffer): Promise<number>
  close(): Promise<void>
} {
  const partitioner = Partitioners.DefaultPartitioner()
  const metadata = new Map<string, PartitionMetadata[]>()
  let admin: Admin | undefined
  return {
    async partitionOf(topic, key) {
      let partitions = metadata.get(topic)
      if (partitions === undefined) {
        if (admin === undefined) {
          admin = kafka.admin()
          await admin.connect()
        }
        partitions = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions ?? []
        if (partitions.length === 0) throw new Error(`no partitions known for ${topic}`)
        metadata.set(topic, partitions)
      }
      return partitioner({ topic, partitionMetadata: partitions, message: { key, value: null } })
    },
    close: async () => {
      await admin?.disconnect()
    }
  }
}

export async function createRecordProducer(kafka: Kafka): Promise<RecordProducer> {
  // Idempotent, one request in flight: retries never duplicate or reorder within a partition.
  const session = async (): Promise<Producer> => {
    const fresh = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false })
    await fresh.connect()
    return fresh
  }
  let producer: Producer = await session()
  // After a failed send the broker may hold part of it while kafkajs did not advance that partition's sequence
  // number; the next batch would then reuse the number and be dropped as a duplicate, with success returned
  // (docs/faults.md, run 5). A new session (a new producer id) starts every sequence afresh.
  let stale = false
  const renew = async () => {
    await producer.disconnect().catch(() => undefined)
    producer = await session()
    stale = false
  }
  const locator = createPartitionLocator(kafka)
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
      if (stale) await renew()
      const topicMessages = await Promise.all(
        [...byTopic].map(async ([topic, list]) => ({
          topic,
          messages: await Promise.all(
            list.map(async (r) => ({
              key: r.key,
              value: r.value,
              headers: r.headers,
              partition: await locator.partitionOf(topic, r.key)
            }))
          )
        }))
      )
      await sendCoveringEveryPartition((batch) => producer.sendBatch({ acks: -1, topicMessages: batch }), topicMessages)
    } catch (error) {
      stale = true
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
    close: async () => {
      await producer.disconnect()
      await locator.close()
    }
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
  /** Partition batches handled at once (each partition stays in order); default 1. */
  concurrency?: number
  /** How often handled offsets are committed; default 1 s. A crash redelivers at most that much handled work. */
  commitIntervalMs?: number
}

export interface GroupMembership {
  /** In the group with an assignment; false before the first join and during a rebalance. */
  joined: boolean
  /** Partitions assigned to this member (0 is normal when other replicas hold them all). */
  partitions: number
}

export interface BatchConsumer {
  membership(): GroupMembership
  stop(): Promise<void>
}

/**
 * Consumes with commits of handled work only: an offset is marked once the handler reports the records before it
 * done, and marked offsets are committed every `commitIntervalMs` (and on a rebalance or stop) rather than one
 * broker round trip per batch. A crash redelivers rather than loses (the gateway's inbox turns that into
 * exactly-once effect).
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
  const membership: GroupMembership = { joined: false, partitions: 0 }
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    membership.joined = true
    membership.partitions = Object.values(event.payload.memberAssignment).reduce((n, list) => n + list.length, 0)
  })
  consumer.on(consumer.events.REBALANCING, () => (membership.joined = false))
  consumer.on(consumer.events.STOP, () => (membership.joined = false))
  await consumer.connect()
  await consumer.subscribe({ topics: [...options.topics], fromBeginning: true })
  await consumer.run({
    autoCommit: true,
    autoCommitInterval: options.commitIntervalMs ?? 1_000,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: options.concurrency ?? 1,
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
      // Marks `done` handled: kafkajs commits done + 1 (the next to read) at its next commit.
      payload.resolveOffset(done)
    }
  })
  return { membership: () => ({ ...membership }), stop: () => consumer.disconnect() }
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
