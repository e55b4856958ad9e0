/**
 * The gateway's durable state: one compacted topic only its own principal can read (`acm.<self>.state`), keyed
 * by `<section>/<id>`, JSON values, a tombstone deletes. Every replica follows it from the beginning and folds
 * it into memory with `applyStateRecord`; writers produce `stateRecord(...)` with acks=all before they commit
 * the offsets of the work that caused them. Pure.
 */
import type { Agreement } from '../agreements/model.ts'
import type { PendingRequest, RequestTrace } from './service.ts'

/** A received message already handled: its outcome, so that a redelivery changes nothing. */
export interface InboxEntry {
  at: number
  kind: string
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
  const section = key.slice(0, slash) as StateSection
  const id = key.slice(slash + 1)
  const target = sections[section] as keyof GatewayState | undefined
  if (target === undefined) return
  const map = state[target] as Map<string, unknown>
  if (value === null) map.delete(id)
  else map.set(id, JSON.parse(value) as unknown)
}

/** Tombstones for inbox entries older than the replay window: compaction then forgets them. */
export function expiredInbox(state: GatewayState, now: number, replayWindowMs: number): StateWrite[] {
  return [...state.inbox]
    .filter(([, entry]) => now - entry.at > replayWindowMs)
    .map(([id]) => stateRecord('inbox', id, undefined))
}
