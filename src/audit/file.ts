/**
 * The audit log on disk: JSON Lines, one entry per line, appended with O_APPEND and fsync'd once per batch.
 * Appends are serialised in the process: `append` assigns the sequence number and hash at once (so the chain
 * follows the order of the calls), and one writer loop drains the queue. On open the whole file is verified and a
 * chain that does not verify is never continued. One process per file: replicas each need their own path.
 */
import { mkdir, open, readFile } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { GatewayError, isErrnoException } from '../errors.ts'
import {
  type AuditAnchor,
  type AuditEntry,
  type AuditFailureReason,
  type AuditHead,
  type AuditRecord,
  genesis,
  nextEntry,
  verifyChain
} from './chain.ts'

export interface AuditFileLines {
  /** Parsed JSON of each non-empty line, or the parse error. */
  values: ({ ok: true; value: unknown } | { ok: false; error: string })[]
  /** The 1-based line number of each value. */
  lines: number[]
}

/** Reads a log file; a missing file is an empty log only when `missingIsEmpty`. */
export async function readAuditLines(
  path: string,
  options: { missingIsEmpty?: boolean } = {}
): Promise<AuditFileLines> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if (options.missingIsEmpty === true && isErrnoException(error) && error.code === 'ENOENT') {
      return { values: [], lines: [] }
    }
    throw new GatewayError('ACMGW_FILE_UNREADABLE', `cannot read the audit log ${path}: ${String(error)}`, {
      cause: error,
      path
    })
  }
  const rows = text.split('\n')
  // A final newline ends the last entry; it does not start an empty one.
  if (rows.at(-1) === '') rows.pop()
  const values: AuditFileLines['values'] = []
  const lines: number[] = []
  rows.forEach((row, i) => {
    lines.push(i + 1)
    try {
      values.push({ ok: true, value: JSON.parse(row) as unknown })
    } catch (error) {
      const torn = i === rows.length - 1 && !text.endsWith('\n') ? ' (an incomplete last line: a torn write?)' : ''
      values.push({ ok: false, error: `not JSON${torn}: ${(error as Error).message}` })
    }
  })
  return { values, lines }
}

export type AuditFileVerdict =
  | { ok: true; file: string; count: number; head: AuditHead }
  | {
      ok: false
      file: string
      line: number
      seq: number
      reason: AuditFailureReason
      message: string
      verified: number
    }

/** Verifies a file; the first bad line wins, whether it fails to parse or to chain. */
export async function verifyAuditFile(
  path: string,
  options: { anchor?: AuditAnchor; missingIsEmpty?: boolean } = {}
): Promise<AuditFileVerdict> {
  const { values, lines } = await readAuditLines(path, options)
  const unparsable = values.findIndex((v) => !v.ok)
  const parsed = (unparsable < 0 ? values : values.slice(0, unparsable)).map((v) => (v.ok ? v.value : undefined))
  // A parse error ends what can be verified; an anchor beyond it is checked only when the rest parses.
  const verdict = verifyChain(parsed, unparsable < 0 ? options : {})
  if (!verdict.ok) {
    return {
      ok: false,
      file: path,
      line: lines[verdict.index] ?? lines.length + 1,
      seq: verdict.seq,
      reason: verdict.reason,
      message: verdict.message,
      verified: verdict.verified
    }
  }
  if (unparsable >= 0) {
    const bad = values[unparsable] as { ok: false; error: string }
    return {
      ok: false,
      file: path,
      line: lines[unparsable] ?? unparsable + 1,
      seq: verdict.head.seq + 1,
      reason: 'malformed',
      message: `not an audit entry: ${bad.error}`,
      verified: verdict.count
    }
  }
  return { ok: true, file: path, count: verdict.count, head: verdict.head }
}

/** The stable error for a log that does not verify: names the file, the line and the reason. */
export function tamperedError(verdict: Extract<AuditFileVerdict, { ok: false }>, what = ''): GatewayError {
  return new GatewayError(
    'ACMGW_AUDIT_TAMPERED',
    `${verdict.file} line ${verdict.line}: ${verdict.message} [${verdict.reason}]${what}`,
    {
      path: verdict.file,
      details: { line: verdict.line, seq: verdict.seq, reason: verdict.reason, verified: verdict.verified }
    }
  )
}

/** Reads the entries of a file that verifies (for `audit show`); refuses one that does not. */
export async function readAuditFile(path: string): Promise<AuditEntry[]> {
  const verdict = await verifyAuditFile(path)
  if (!verdict.ok) throw tamperedError(verdict)
  const { values } = await readAuditLines(path)
  return values.map((v) => (v as { ok: true; value: unknown }).value as AuditEntry)
}

export interface AuditWriter {
  readonly path: string
  /** Chains the record at once (order of calls = order of the chain) and queues it for the disk. */
  append(record: AuditRecord): AuditEntry
  /** Resolves when every entry appended so far is written and fsync'd; rejects once a write has failed. */
  flush(): Promise<void>
  head(): AuditHead
  /** The write failure that stopped the log, if any. */
  failure(): GatewayError | undefined
  close(): Promise<void>
}

/** Logs open for appending in this process: a second writer on one file would fork its chain. */
const openLogs = new Set<string>()

export interface AuditWriterOptions {
  now?: () => number
}

/**
 * Opens (or creates) a log and continues its chain. Refuses, with ACMGW_AUDIT_TAMPERED naming the file and
 * line, a file that does not verify: appending to it would vouch for entries nobody can trust.
 */
export async function openAuditFile(path: string, options: AuditWriterOptions = {}): Promise<AuditWriter> {
  const now = options.now ?? Date.now
  const key = resolve(path)
  if (openLogs.has(key)) {
    throw new GatewayError(
      'ACMGW_FILE_UNWRITABLE',
      `the audit log ${path} is already open in this process; each gateway needs its own audit.file`,
      { path }
    )
  }
  const verdict = await verifyAuditFile(path, { missingIsEmpty: true })
  if (!verdict.ok) {
    throw tamperedError(verdict, '; not continuing a chain that does not verify (see docs/audit.md)')
  }
  let handle: FileHandle
  try {
    await mkdir(dirname(path), { recursive: true })
    handle = await open(path, 'a', 0o600)
  } catch (error) {
    throw new GatewayError('ACMGW_FILE_UNWRITABLE', `cannot open the audit log ${path}: ${String(error)}`, {
      cause: error,
      path
    })
  }
  if (openLogs.has(key)) {
    await handle.close()
    throw new GatewayError('ACMGW_FILE_UNWRITABLE', `the audit log ${path} was opened twice at once`, { path })
  }
  openLogs.add(key)
  let head = verdict.head.seq === 0 ? genesis : verdict.head
  const queue: string[] = []
  let draining: Promise<void> | undefined
  let failed: GatewayError | undefined
  let closed = false

  async function drain(): Promise<void> {
    try {
      while (queue.length > 0 && failed === undefined) {
        const batch = queue.splice(0, queue.length).join('')
        await handle.appendFile(batch, 'utf8')
        await handle.sync()
      }
    } catch (error) {
      failed = new GatewayError(
        'ACMGW_AUDIT_WRITE_FAILED',
        `cannot append to the audit log ${path}: ${String(error)}`,
        {
          cause: error,
          path
        }
      )
    } finally {
      draining = undefined
    }
  }

  const writer: AuditWriter = {
    path,
    append(record) {
      if (failed !== undefined) throw failed
      if (closed) throw new GatewayError('ACMGW_AUDIT_WRITE_FAILED', `the audit log ${path} is closed`, { path })
      const entry = nextEntry(head, record, new Date(now()).toISOString())
      head = { seq: entry.seq, hash: entry.hash }
      queue.push(`${JSON.stringify(entry)}\n`)
      draining ??= drain()
      return entry
    },
    async flush() {
      while (draining !== undefined) await draining
      if (failed !== undefined) throw failed
    },
    head: () => head,
    failure: () => failed,
    async close() {
      if (closed) return
      closed = true
      try {
        await writer.flush()
      } finally {
        openLogs.delete(key)
        await handle.close()
      }
    }
  }
  return writer
}
