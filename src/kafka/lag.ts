/**
 * Reads what lag evaluation needs from the broker (src/ops/lag.ts evaluates it): the reading group's committed
 * offsets, the partitions' start and end offsets, the group's members, and the timestamp of the first unconsumed
 * record of each partition that has lag.
 *
 * Cost per sample: one OffsetFetch (all topics at once), one DescribeGroups, and per topic the two ListOffsets
 * kafkajs sends (earliest and latest, one per partition leader). The timestamp needs a fetch, which kafkajs
 * offers only to a group member: a short-lived consumer in a group of the gateway's own
 * (`acmgw.<self>.state.lag-<uuid>`, covered by the PREFIXED READ grant on `acmgw.<self>.state.`) seeks to the
 * reading position and reads one record. It runs only for partitions whose reading position changed since the
 * last look, so a stopped or stalled link costs no fetch after the first. A binary search with
 * fetchTopicOffsetsByTimestamp would cost about twenty ListOffsets per partition and return wrong answers where
 * CreateTime timestamps are not monotonic (two partner replicas with slightly different clocks).
 */
import { randomUUID } from 'node:crypto'
import type { Admin, Consumer, Kafka } from 'kafkajs'
import { linksFromTopics, type LinkSample, type PartitionOffsets, partitionsNeedingTimestamps } from '../ops/lag.ts'
import { classifyKafkaError } from './client.ts'

export interface LinkTopics {
  partner: string
  topics: readonly string[]
}

export interface LagReaderOptions {
  self: string
  /** The group whose lag is read: `acmgw.<self>`. */
  group: string
  /** Groups of the timestamp probe start with this (`acmgw.<self>.state.lag-`). */
  probeGroupPrefix: string
  /** How long the probe waits for its records before the sample goes without their timestamps (default 10 s). */
  probeTimeoutMs?: number
}

export interface LagReaderStats {
  samples: number
  /** Requests the admin client sent (metadata and coordinator look-ups included), in all and by API. */
  adminRequests: number
  adminRequestsByApi: Record<string, number>
  /** Timestamp probes run (each a short group membership and a fetch). */
  probes: number
  probeRequests: number
  lastProbeError?: string
}

export interface LagReader {
  /** The `acm.<partner>.<self>.*` topics this principal can see, by partner (restricted to `partners` if given). */
  discoverLinks(partners?: readonly string[]): Promise<LinkTopics[]>
  sample(links: readonly LinkTopics[]): Promise<LinkSample[]>
  stats(): LagReaderStats
  close(): Promise<void>
}

const slot = (topic: string, partition: number) => `${topic}/${partition}`

export function createLagReader(kafka: Kafka, options: LagReaderOptions): LagReader {
  const stats: LagReaderStats = { samples: 0, adminRequests: 0, adminRequestsByApi: {}, probes: 0, probeRequests: 0 }
  /** The timestamp of the record at a reading position, remembered until the position moves. */
  const heads = new Map<string, { offset: string; timestamp: number }>()
  let admin: Admin | undefined
  let abortProbe: (() => void) | undefined

  async function connected(): Promise<Admin> {
    if (admin !== undefined) return admin
    const fresh = kafka.admin()
    fresh.on(fresh.events.REQUEST, (event) => {
      stats.adminRequests++
      stats.adminRequestsByApi[event.payload.apiName] = (stats.adminRequestsByApi[event.payload.apiName] ?? 0) + 1
    })
    await fresh.connect()
    admin = fresh
    return fresh
  }

  async function reset(): Promise<void> {
    const old = admin
    admin = undefined
    await old?.disconnect().catch(() => undefined)
  }

  async function probe(targets: { topic: string; partition: number; offset: string }[]): Promise<void> {
    stats.probes++
    const wanted = new Map(targets.map((t) => [slot(t.topic, t.partition), t.offset]))
    const consumer: Consumer = kafka.consumer({
      groupId: `${options.probeGroupPrefix}${randomUUID()}`,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 250,
      maxBytesPerPartition: 65_536,
      sessionTimeout: 10_000,
      retry: { retries: 2 }
    })
    consumer.on(consumer.events.REQUEST, () => void stats.probeRequests++)
    let complete: () => void = () => undefined
    const allFound = new Promise<void>((resolve) => (complete = resolve))
    let timer: NodeJS.Timeout | undefined
    try {
      await consumer.connect()
      await consumer.subscribe({ topics: [...new Set(targets.map((t) => t.topic))], fromBeginning: false })
      await consumer.run({
        autoCommit: false,
        eachBatch: ({ batch }) => {
          const key = slot(batch.topic, batch.partition)
          const offset = wanted.get(key)
          if (offset === undefined) return Promise.resolve()
          const first = batch.messages.find((m) => BigInt(m.offset) >= BigInt(offset))
          if (first !== undefined) {
            heads.set(key, { offset, timestamp: Number(first.timestamp) })
            wanted.delete(key)
            if (wanted.size === 0) complete()
          }
          return Promise.resolve()
        }
      })
      for (const t of targets) consumer.seek({ topic: t.topic, partition: t.partition, offset: t.offset })
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, options.probeTimeoutMs ?? 10_000)
        abortProbe = resolve
      })
      await Promise.race([allFound, late])
    } finally {
      abortProbe = undefined
      clearTimeout(timer)
      await consumer.disconnect().catch(() => undefined)
    }
  }

  return {
    async discoverLinks(partners) {
      try {
        const links = linksFromTopics(options.self, await (await connected()).listTopics())
        return partners === undefined ? links : links.filter((l) => partners.includes(l.partner))
      } catch (error) {
        await reset()
        throw classifyKafkaError(error, `list the topics into ${options.self}`)
      }
    },

    async sample(links) {
      stats.samples++
      const topics = [...new Set(links.flatMap((l) => l.topics))].sort()
      if (topics.length === 0) return []
      let partitions: PartitionOffsets[]
      let members: number
      try {
        const a = await connected()
        // Committed offsets first, end offsets after: the end can only be further on, so lag is never negative.
        const committed = new Map<string, string | null>()
        for (const t of await a.fetchOffsets({ groupId: options.group, topics })) {
          for (const p of t.partitions) committed.set(slot(t.topic, p.partition), p.offset === '-1' ? null : p.offset)
        }
        const described = await a.describeGroups([options.group])
        const group = described.groups[0]
        members = group === undefined || group.state === 'Dead' || group.state === 'Empty' ? 0 : group.members.length
        const ends = await Promise.all(
          topics.map(async (topic) => ({ topic, offsets: await a.fetchTopicOffsets(topic) }))
        )
        partitions = ends.flatMap(({ topic, offsets }) =>
          offsets.map((o) => ({
            topic,
            partition: o.partition,
            committed: committed.get(slot(topic, o.partition)) ?? null,
            low: o.low,
            high: o.high,
            headTimestamp: null
          }))
        )
      } catch (error) {
        await reset()
        throw classifyKafkaError(error, `read the lag of group ${options.group}`)
      }
      const needed = partitionsNeedingTimestamps(partitions)
      const unknown = needed.filter((n) => heads.get(slot(n.topic, n.partition))?.offset !== n.offset)
      if (unknown.length > 0) {
        try {
          await probe(unknown)
        } catch (error) {
          // Without timestamps the sample still carries offsets; lag in seconds shows as unknown.
          stats.lastProbeError = classifyKafkaError(error, 'read the first unconsumed records').message
        }
      }
      const live = new Set(needed.map((n) => slot(n.topic, n.partition)))
      for (const key of heads.keys()) if (!live.has(key)) heads.delete(key)
      for (const p of partitions) {
        const head = heads.get(slot(p.topic, p.partition))
        if (
          head !== undefined &&
          needed.some((n) => n.topic === p.topic && n.partition === p.partition && n.offset === head.offset)
        )
          p.headTimestamp = head.timestamp
      }
      const at = Date.now()
      return links.map((link) => ({
        partner: link.partner,
        self: options.self,
        group: options.group,
        at,
        members,
        partitions: partitions.filter((p) => link.topics.includes(p.topic))
      }))
    },

    stats: () => ({ ...stats, adminRequestsByApi: { ...stats.adminRequestsByApi } }),
    async close() {
      abortProbe?.()
      await reset()
    }
  }
}
