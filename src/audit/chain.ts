/**
 * The audit log as a hash chain, pure: building the next entry and verifying a sequence of entries. Each entry
 * carries `prev`, the hash of the entry before it (the first one chains to `genesisHash`), and `hash`, the
 * SHA-256 of its own canonical form (every field but `hash`, as JSON with sorted keys and no whitespace). Any
 * change to an entry breaks its own hash; removing, inserting or reordering entries breaks a link or the
 * sequence numbers. Truncating the tail, or rewriting the whole chain, is only visible against an anchor: a
 * (seq, hash) pair kept somewhere else (see docs/audit.md).
 *
 * Entries hold identifiers and outcomes only: never message bodies, secrets, or personal data beyond the MC
 * service ids that envelopes already carry.
 */
import { createHash } from 'node:crypto'

export const auditEntryTypes = [
  'request-sent',
  'request-received',
  'answer-received',
  'decision',
  'rejection',
  'dead-letter',
  'agreement-status',
  'acl-change'
] as const

export type AuditEntryType = (typeof auditEntryTypes)[number]

/** What `decidedBy` holds when no person decided: the local policy, a limit or a state rule did. */
export const automatic = 'automatic'

/** One ACL binding added or removed by `acmgw topics apply`. */
export interface AuditAcl {
  action: 'add' | 'remove'
  resourceType: string
  resourceName: string
  patternType: string
  principal: string
  host: string
  operation: string
  permission: string
}

/** What a caller records; the chain adds seq, time, prev and hash. */
export interface AuditRecord {
  type: AuditEntryType
  /** The partner system the entry concerns, if any. */
  partner: string | null
  /** The ACM message kind, if any. */
  kind: string | null
  messageId: string | null
  /** ACCEPTED, PARTIAL, REJECTED, PENDING, APPROVED, EXPIRED, an agreement status… */
  outcome?: string
  /** The approver's MC service id, or "automatic". */
  decidedBy?: string
  /** The policy rule that decided automatically ("(default)" for the policy default). */
  rule?: string
  reasonCode?: string
  agreementId?: string
  acl?: AuditAcl
}

export interface AuditEntry extends AuditRecord {
  seq: number
  /** ISO 8601, UTC. */
  time: string
  prev: string
  hash: string
}

export interface AuditHead {
  seq: number
  hash: string
}

/** What the first entry chains to: 64 zeros, so that an empty log has a head too. */
export const genesisHash = '0'.repeat(64)
export const genesis: AuditHead = { seq: 0, hash: genesisHash }

function canonicalValue(value: unknown): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value)
  if (typeof value === 'number') {
    // Only integers: float formatting is where "the same JSON" stops being the same bytes.
    if (!Number.isSafeInteger(value)) throw new TypeError(`not a safe integer: ${value}`)
    return String(value)
  }
  if (Array.isArray(value)) return `[${value.map(canonicalValue).join(',')}]`
  if (typeof value === 'object') {
    const object = value as Record<string, unknown>
    const keys = Object.keys(object)
      .filter((k) => object[k] !== undefined)
      .sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalValue(object[k])}`).join(',')}}`
  }
  throw new TypeError(`no canonical JSON for a ${typeof value}`)
}

/** Deterministic JSON: sorted keys, no whitespace, undefined members left out, integers only. */
export function canonicalJson(value: unknown): string {
  return canonicalValue(value)
}

/** The hash of an entry: SHA-256 over the canonical form of every field except `hash`, lower-case hex. */
export function entryHash(entry: Omit<AuditEntry, 'hash'> & { hash?: string }): string {
  const { hash: _hash, ...rest } = entry
  return createHash('sha256').update(canonicalJson(rest), 'utf8').digest('hex')
}

/** The entry that follows `head`. Undefined optional fields are left out, so they do not show as nulls. */
export function nextEntry(head: AuditHead, record: AuditRecord, time: string): AuditEntry {
  const body = Object.fromEntries(
    Object.entries({ seq: head.seq + 1, time, prev: head.hash, ...record }).filter(([, v]) => v !== undefined)
  ) as Omit<AuditEntry, 'hash'>
  return { ...body, hash: entryHash(body) }
}

export type AuditFailureReason =
  | 'malformed'
  | 'modified'
  | 'removed'
  | 'reordered'
  | 'inserted'
  | 'broken-link'
  | 'anchor-mismatch'
  | 'truncated'
  | 'extended'

export interface AuditAnchor extends AuditHead {
  /** The anchor was the last entry: any entry after it is an addition. */
  last?: boolean
}

export type ChainVerdict =
  | { ok: true; count: number; head: AuditHead }
  | {
      ok: false
      /** Position of the first bad entry in the input (for a truncated chain: one past the end). */
      index: number
      /** The sequence number expected at that position. */
      seq: number
      reason: AuditFailureReason
      message: string
      /** How many entries before it verified. */
      verified: number
    }

const hex64 = /^[0-9a-f]{64}$/

function malformation(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object'
  const e = value as Record<string, unknown>
  if (!Number.isSafeInteger(e.seq) || (e.seq as number) < 1) return 'seq is not a positive integer'
  if (typeof e.time !== 'string' || Number.isNaN(Date.parse(e.time))) return 'time is not an ISO 8601 time'
  if (!(auditEntryTypes as readonly unknown[]).includes(e.type)) return `unknown type ${JSON.stringify(e.type)}`
  for (const field of ['partner', 'kind', 'messageId'] as const) {
    if (e[field] !== null && typeof e[field] !== 'string') return `${field} is neither a string nor null`
  }
  for (const field of ['outcome', 'decidedBy', 'rule', 'reasonCode', 'agreementId'] as const) {
    if (e[field] !== undefined && typeof e[field] !== 'string') return `${field} is not a string`
  }
  if (e.acl !== undefined && (typeof e.acl !== 'object' || e.acl === null)) return 'acl is not an object'
  if (typeof e.prev !== 'string' || !hex64.test(e.prev)) return 'prev is not a SHA-256 hex digest'
  if (typeof e.hash !== 'string' || !hex64.test(e.hash)) return 'hash is not a SHA-256 hex digest'
  try {
    canonicalJson(e)
  } catch (error) {
    return `not canonical JSON: ${(error as Error).message}`
  }
  return undefined
}

/**
 * Checks a whole chain from its first entry. Reports the first bad position and why: an entry that is not one
 * (malformed), whose content does not match its hash (modified), whose sequence number skips (removed), comes
 * back later (reordered) or repeats (inserted), or that does not chain to the entry before (broken-link: an
 * entry before it was rewritten with a fresh hash, removed or inserted). With an anchor, also a chain that
 * differs at the anchor, ends before it (truncated) or, for a `last` anchor, goes on after it (extended).
 */
export function verifyChain(entries: readonly unknown[], options: { anchor?: AuditAnchor } = {}): ChainVerdict {
  const anchor = options.anchor
  let head = genesis
  const fail = (index: number, reason: AuditFailureReason, message: string): ChainVerdict => ({
    ok: false,
    index,
    seq: head.seq + 1,
    reason,
    message,
    verified: index
  })
  for (let index = 0; index < entries.length; index++) {
    const value = entries[index]
    const problem = malformation(value)
    if (problem !== undefined) return fail(index, 'malformed', `not an audit entry: ${problem}`)
    const entry = value as AuditEntry
    const expected = head.seq + 1
    if (entryHash(entry) !== entry.hash) {
      return fail(index, 'modified', `entry ${entry.seq} was modified: its content does not match its hash`)
    }
    if (entry.seq !== expected) {
      if (entry.seq < expected) {
        return fail(index, 'inserted', `entry ${entry.seq} repeats a sequence number already used (inserted)`)
      }
      const later = entries.slice(index + 1).some((e) => (e as { seq?: unknown } | null)?.seq === expected)
      if (later) return fail(index, 'reordered', `entry ${entry.seq} is where entry ${expected} belongs (reordered)`)
      const missing = entry.seq - expected === 1 ? `entry ${expected} is` : `entries ${expected}–${entry.seq - 1} are`
      return fail(index, 'removed', `${missing} missing: entry ${entry.seq} follows entry ${head.seq}`)
    }
    if (entry.prev !== head.hash) {
      const before = head.seq === 0 ? 'the genesis value' : `entry ${head.seq}`
      return fail(
        index,
        'broken-link',
        `entry ${entry.seq} does not chain to ${before}: an entry before it was rewritten, removed or inserted`
      )
    }
    if (anchor !== undefined && entry.seq === anchor.seq && entry.hash !== anchor.hash) {
      return fail(index, 'anchor-mismatch', `entry ${entry.seq} differs from the anchor (${anchor.hash.slice(0, 16)}…)`)
    }
    if (anchor?.last === true && entry.seq > anchor.seq) {
      return fail(index, 'extended', `entry ${entry.seq} comes after the anchored last entry ${anchor.seq}`)
    }
    head = { seq: entry.seq, hash: entry.hash }
  }
  if (anchor !== undefined && head.seq < anchor.seq) {
    return fail(
      entries.length,
      'truncated',
      `the log ends at entry ${head.seq} but the anchor names entry ${anchor.seq}: the tail was removed`
    )
  }
  return { ok: true, count: entries.length, head }
}
