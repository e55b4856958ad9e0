import { parseTopic } from '../codec/catalogue.ts'

/**
 * Consumer lag of the links into this gateway, evaluated from offsets and record timestamps. Pure: the samples
 * come from src/kafka/lag.ts (the broker) and the evaluation carries its own memory from one interval to the
 * next, so a caller keeps only the last evaluation per link.
 */

export const linkStatuses = ['OK', 'LAGGING', 'STALLED', 'STOPPED'] as const
export type LinkStatus = (typeof linkStatuses)[number]

/** One partition as read from the broker at one instant. Offsets are decimal strings (Kafka int64). */
export interface PartitionOffsets {
  topic: string
  partition: number
  /** The next offset the reading group will consume; null when the group never committed on this partition. */
  committed: string | null
  /** Log start offset (first record still kept). */
  low: string
  /** Log end offset (the offset the next record will get). */
  high: string
  /** Broker timestamp (ms) of the first unconsumed record; null when there is none or it was not read. */
  headTimestamp: number | null
}

/** A link is what one partner sends this gateway: every partition of every `acm.<partner>.<self>.*` topic. */
export interface LinkSample {
  partner: string
  self: string
  /** The reading group, `acmgw.<self>`. */
  group: string
  /** When the sample was taken, ms since the epoch. */
  at: number
  /** Members of the reading group (0: no gateway replica is consuming). */
  members: number
  partitions: PartitionOffsets[]
}

export interface PartitionLag {
  topic: string
  partition: number
  committed: string | null
  /** Where the group reads next: the committed offset, or the log start when there is none (it reads from the beginning). */
  position: string
  end: string
  lagMessages: number
  /** Age of the first unconsumed record; 0 when caught up; null when lag exists but its timestamp is unknown. */
  lagSeconds: number | null
  /** Consecutive intervals in which lag was present and the position did not move. */
  unmovedIntervals: number
}

export interface LinkLag {
  partner: string
  self: string
  group: string
  at: number
  status: LinkStatus
  /** One line that says why the status is what it is. */
  reason: string
  members: number
  lagMessages: number
  /** The largest partition lag in seconds (null when some lag has no known timestamp and none is known). */
  lagSeconds: number | null
  partitions: PartitionLag[]
}

export interface LagOptions {
  /** LAGGING above this age of the oldest unconsumed record. */
  thresholdMs: number
  /** STALLED after this many consecutive intervals with lag and no progress. */
  stalledIntervals: number
}

const max = (a: bigint, b: bigint) => (a > b ? a : b)
const min = (a: bigint, b: bigint) => (a < b ? a : b)

/** Where the group reads next, clamped into the log (an offset below the start was deleted by retention). */
export function readingPosition(p: Pick<PartitionOffsets, 'committed' | 'low' | 'high'>): bigint {
  const low = BigInt(p.low)
  const high = BigInt(p.high)
  return min(max(p.committed === null ? low : BigInt(p.committed), low), high)
}

function partitionLag(p: PartitionOffsets, at: number, previous: PartitionLag | undefined): PartitionLag {
  const position = readingPosition(p)
  const lag = BigInt(p.high) - position
  const lagMessages = Number(lag)
  let lagSeconds: number | null = 0
  if (lag > 0n) lagSeconds = p.headTimestamp === null ? null : Math.max(0, (at - p.headTimestamp) / 1000)
  // Progress is judged on the position: a lag that only just appeared has not had an interval to move yet.
  const stuck = lag > 0n && previous !== undefined && previous.lagMessages > 0 && previous.position === String(position)
  return {
    topic: p.topic,
    partition: p.partition,
    committed: p.committed,
    position: String(position),
    end: p.high,
    lagMessages,
    lagSeconds,
    unmovedIntervals: stuck ? previous.unmovedIntervals + 1 : 0
  }
}

const slot = (p: { topic: string; partition: number }) => `${p.topic}/${p.partition}`

function seconds(value: number): string {
  return value < 10 ? `${value.toFixed(1)} s` : `${Math.round(value)} s`
}

/** Evaluates one sample of a link against the previous evaluation of the same link (undefined at first). */
export function evaluateLink(sample: LinkSample, previous: LinkLag | undefined, options: LagOptions): LinkLag {
  const before = new Map((previous?.partitions ?? []).map((p) => [slot(p), p]))
  const partitions = sample.partitions
    .map((p) => partitionLag(p, sample.at, before.get(slot(p))))
    .sort((x, y) => (x.topic === y.topic ? x.partition - y.partition : x.topic < y.topic ? -1 : 1))
  const lagMessages = partitions.reduce((n, p) => n + p.lagMessages, 0)
  const known = partitions.flatMap((p) => (p.lagSeconds === null ? [] : [p.lagSeconds]))
  const unknown = partitions.some((p) => p.lagSeconds === null)
  const lagSeconds = known.length === 0 ? (unknown ? null : 0) : Math.max(...known)
  const stalled = partitions.filter((p) => p.unmovedIntervals >= options.stalledIntervals)
  let status: LinkStatus = 'OK'
  let reason = lagMessages === 0 ? 'caught up' : `${lagMessages} behind, ${seconds(lagSeconds ?? 0)} old`
  if (lagMessages > 0 && lagSeconds === null) reason = `${lagMessages} behind, age not known`
  if (sample.members === 0) {
    status = 'STOPPED'
    reason = `no member in group ${sample.group}` + (lagMessages > 0 ? `; ${lagMessages} waiting` : '')
  } else if (stalled.length > 0) {
    const worst = stalled.reduce((a, b) => (b.unmovedIntervals > a.unmovedIntervals ? b : a))
    status = 'STALLED'
    reason =
      `${slot(worst)} has not moved for ${worst.unmovedIntervals} intervals with ${worst.lagMessages} behind` +
      (stalled.length > 1 ? ` (${stalled.length} partitions stalled)` : '')
  } else if (lagSeconds !== null && lagSeconds * 1000 > options.thresholdMs) {
    status = 'LAGGING'
    reason = `oldest unconsumed record is ${seconds(lagSeconds)} old (threshold ${seconds(options.thresholdMs / 1000)})`
  }
  return {
    partner: sample.partner,
    self: sample.self,
    group: sample.group,
    at: sample.at,
    status,
    reason,
    members: sample.members,
    lagMessages,
    lagSeconds,
    partitions
  }
}

/** Groups the topics into `self` by the partner that writes them (`acm.<partner>.<self>.<category>`). */
export function linksFromTopics(self: string, topics: readonly string[]): { partner: string; topics: string[] }[] {
  const byPartner = new Map<string, string[]>()
  for (const topic of [...topics].sort()) {
    const parsed = parseTopic(topic)
    if (parsed === undefined || parsed.to !== self) continue
    byPartner.set(parsed.from, [...(byPartner.get(parsed.from) ?? []), topic])
  }
  return [...byPartner].sort(([a], [b]) => (a < b ? -1 : 1)).map(([partner, list]) => ({ partner, topics: list }))
}

/** Partitions whose first unconsumed record's timestamp a sample needs (lag present). */
export function partitionsNeedingTimestamps(
  partitions: readonly Pick<PartitionOffsets, 'topic' | 'partition' | 'committed' | 'low' | 'high'>[]
): { topic: string; partition: number; offset: string }[] {
  return partitions.flatMap((p) => {
    const position = readingPosition(p)
    return position < BigInt(p.high) ? [{ topic: p.topic, partition: p.partition, offset: String(position) }] : []
  })
}

/** The text `acmgw lag` prints: one block per link, one line per partition with lag or a commit. */
export function formatLinks(links: readonly LinkLag[]): string {
  if (links.length === 0) return 'no links: no partner topics into this system are visible'
  const lines: string[] = []
  for (const link of links) {
    const age = link.lagSeconds === null ? 'age unknown' : seconds(link.lagSeconds)
    lines.push(`${link.partner} → ${link.self}  ${link.status}  ${link.lagMessages} msgs  ${age}  (${link.reason})`)
    const rows = [['topic', 'partition', 'committed', 'end', 'lag', 'lag s']]
    for (const p of link.partitions) {
      rows.push([
        p.topic,
        String(p.partition),
        p.committed ?? '-',
        p.end,
        String(p.lagMessages),
        p.lagSeconds === null ? '?' : p.lagSeconds.toFixed(1)
      ])
    }
    const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0))) ?? []
    for (const row of rows) lines.push(('  ' + row.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')).trimEnd())
  }
  return lines.join('\n')
}
