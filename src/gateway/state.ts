/**
 * The gateway's durable state: one compacted topic only its own principal can read (`acm.<self>.state`), keyed
 * by `<section>/<id>`, JSON values, a tombstone deletes. Every replica follows it from the beginning and folds
 * it into memory with `applyStateRecord`; writers produce `stateRecord(...)` with acks=all before they commit
 * the offsets of the work that caused them. Pure.
 */
import type { Agreement } from '../agreements/model.ts'
import type { PendingRequest, RequestTrace } from './service.ts'

/**
 * A received message already handled: its outcome, so that a redelivery changes nothing. Kept until the message
 * has expired (plus the tolerated clock skew): from then on the envelope check refuses the message anyway, so
 * the entry is no longer needed against a replay and memory stays bounded by the request rate × TTL.
 */
export interface InboxEntry {
  /** Epoch ms after which the entry is forgotten. */
  until: number
  outcome: 'applied' | 'rejected' | 'pending' | 'answered' | 'dead-lettered' | 'noted'
  /**
   * `<topic>/<partition>/<offset>` of the record that carried the message: the same id at the same place again is
   * a redelivery (quietly skipped); the same id in a new record is a replay (dead-lettered).
   */
  record?: string
}

export function recordPlace(record: { topic: string; partition: number; offset: string }): string {
  return `${record.topic}/${record.partition}/${record.offset}`
}

/** The raw record of a pending request, kept so that it can be verified again and applied when decided. */
export interface StoredRecord {
  topic: string
  partition: number
  offset: string
  key: string
  value: string
  headers: Record<string, string>
}

export interface PendingEntry {
  request: PendingRequest
  record: StoredRecord
}

export interface GatewayState {
  agreements: Map<string, Agreement>
  inbox: Map<string, InboxEntry>
  /** Highest entity version applied per `<source>/<entityKey>`. */
  versions: Map<string, number>
  /** Highest entity version sent per entity key, so versions stay monotonic across restarts. */
  sentVersions: Map<string, number>
  pending: Map<string, PendingEntry>
  traces: Map<string, RequestTrace>
}

export function emptyState(): GatewayState {
  return {
    agreements: new Map(),
    inbox: new Map(),
    versions: new Map(),
    sentVersions: new Map(),
    pending: new Map(),
    traces: new Map()
  }
}

const sections = {
  agreement: 'agreements',
  inbox: 'inbox',
  version: 'versions',
  sent: 'sentVersions',
  pending: 'pending',
  trace: 'traces'
} as const satisfies Record<string, keyof GatewayState>

export type StateSection = keyof typeof sections

/** The in-memory map a state section folds into. */
export function sectionMap(state: GatewayState, section: StateSection): Map<string, unknown> {
  return state[sections[section]]
}

export interface StateWrite {
  key: string
  /** undefined: tombstone. */
  value: unknown
}

export const inboxKey = (source: string, messageId: string) => `${source}/${messageId}`
export const versionKey = (source: string, entityKey: string) => `${source}/${entityKey}`

export function stateRecord(section: StateSection, id: string, value: unknown): StateWrite {
  return { key: `${section}/${id}`, value }
}

/** Folds one state record into memory; unknown sections are ignored so that newer replicas can add some. */
export function applyStateRecord(state: GatewayState, key: string, value: string | null): void {
  const slash = key.indexOf('/')
  if (slash < 0) return
  const section = key.slice(0, slash)
  const id = key.slice(slash + 1)
  if (!Object.hasOwn(sections, section)) return
  const map = sectionMap(state, section as StateSection)
  if (value === null) map.delete(id)
  else map.set(id, JSON.parse(value) as unknown)
}

/** Inbox entries whose messages have expired: the envelope check now refuses them without the inbox. */
export function expiredInbox(state: GatewayState, now: number): string[] {
  const ids: string[] = []
  for (const [id, entry] of state.inbox) if (entry.until < now) ids.push(id)
  return ids
}

const finished = (trace: RequestTrace) => trace.status === 'answered' || trace.status === 'timed-out'

/**
 * Finished traces to forget: those last touched more than `retentionMs` ago, and beyond the newest `max` the
 * oldest (in order of creation). Unfinished ones stay: an answer may still come, or an operator still decides.
 */
export function forgottenTraces(state: GatewayState, now: number, retentionMs: number, max: number): string[] {
  const done = [...state.traces.values()].filter(finished)
  const excess = done.length - max
  return done
    .filter((trace, i) => i < excess || Date.parse(trace.events.at(-1)?.at ?? '') < now - retentionMs)
    .map((trace) => trace.messageId)
}
