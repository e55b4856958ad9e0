/**
 * The hostile-input guard: a bounded pre-scan of Avro binary against the writer schema, run after the size
 * check and before avsc decodes anything.
 *
 * Why a pre-scan: avsc trusts wire counts (`new Array(n)` and `while (n--)` on the declared block count, even
 * after the buffer has run out), reads varints without a length bound and only notices truncation at the
 * end. The scan walks the same structure avsc will, but checks every length, count and index against the bytes
 * that are actually there and against fixed limits, so that when avsc runs, every allocation and loop it makes
 * is already known to be small. It allocates nothing per item and costs about what a decode costs.
 *
 * What it enforces: varints of at most 10 bytes (5 for int) and in range; string/bytes lengths within the
 * remaining bytes; array/map counts non-negative, at most `maxItems` per array or map and `maxTotalItems` per
 * record, and never more items than the remaining bytes can hold (count × smallest encoded item); enum and
 * union indexes in range; booleans 0 or 1; nesting at most `maxDepth`; no bytes after the last field; and a
 * time budget checked every few thousand steps. Every fault is a GatewayError with the Avro field path.
 */
import { performance } from 'node:perf_hooks'
import type avro from 'avsc'
import { type ErrorCode, GatewayError } from '../errors.ts'

export interface DecodeLimits {
  /** Largest Kafka record value accepted, in bytes, checked before anything else. */
  maxRecordBytes: number
  maxKeyBytes: number
  /** Largest single header value (the signature headers are tiny). */
  maxHeaderBytes: number
  maxHeaders: number
  /** Items in one array or map. */
  maxItems: number
  /** Items in all arrays and maps of one record together. */
  maxTotalItems: number
  /** Nesting of records, arrays, maps and unions. */
  maxDepth: number
  /** Wall-clock budget for the pre-scan of one record, in milliseconds. */
  timeBudgetMs: number
}

export const defaultDecodeLimits: DecodeLimits = Object.freeze({
  maxRecordBytes: 1024 * 1024,
  maxKeyBytes: 512,
  maxHeaderBytes: 1024,
  maxHeaders: 16,
  maxItems: 10_000,
  maxTotalItems: 100_000,
  maxDepth: 32,
  timeBudgetMs: 25
})

const K = {
  null: 0,
  boolean: 1,
  int: 2,
  long: 3,
  float: 4,
  double: 5,
  bytes: 6,
  string: 7,
  fixed: 8,
  enum: 9,
  array: 10,
  map: 11,
  union: 12,
  record: 13
} as const

interface Plan {
  k: number
  /** Smallest number of bytes a value of this type takes. */
  min: number
  size: number
  symbols: number
  inner: Plan | undefined
  branches: Plan[]
  fields: { name: string; plan: Plan }[]
}

/** A scan plan compiled once per writer schema; shared by every record of that schema. */
export interface ScanPlan {
  root: Plan
}

function primitiveKind(typeName: string): number | undefined {
  return (K as Record<string, number>)[typeName]
}

export function compileScanPlan(type: avro.Type): ScanPlan {
  const memo = new Map<avro.Type, Plan>()
  const visiting = new Set<Plan>()
  const build = (t: avro.Type): Plan => {
    const known = memo.get(t)
    if (known !== undefined) return known
    const plan: Plan = { k: 0, min: 0, size: 0, symbols: 0, inner: undefined, branches: [], fields: [] }
    memo.set(t, plan)
    const name = t.typeName
    const any = t as unknown as {
      fields: { name: string; type: avro.Type }[]
      itemsType: avro.Type
      valuesType: avro.Type
      types: avro.Type[]
      symbols: string[]
      size: number
      underlyingType: avro.Type
    }
    if (name === 'record' || name === 'error') {
      plan.k = K.record
      plan.fields = any.fields.map((f) => ({ name: f.name, plan: build(f.type) }))
    } else if (name === 'array') {
      plan.k = K.array
      plan.inner = build(any.itemsType)
    } else if (name === 'map') {
      plan.k = K.map
      plan.inner = build(any.valuesType)
    } else if (name.startsWith('union')) {
      plan.k = K.union
      plan.branches = any.types.map(build)
    } else if (name === 'enum') {
      plan.k = K.enum
      plan.symbols = any.symbols.length
    } else if (name === 'fixed') {
      plan.k = K.fixed
      plan.size = any.size
    } else if (name.startsWith('logical:')) {
      return Object.assign(plan, build(any.underlyingType))
    } else {
      const k = primitiveKind(name)
      if (k === undefined) throw new GatewayError('ACMGW_SCHEMA_INVALID', `cannot scan Avro type ${name}`)
      plan.k = k
    }
    return plan
  }
  const root = build(type)
  // Smallest sizes; a recursive (test-only) schema contributes 0 on the cycle, which is safe (it only weakens
  // the count × size bound, and the per-array and total item limits still hold).
  const minOf = (p: Plan): number => {
    if (visiting.has(p)) return 0
    visiting.add(p)
    let min: number
    switch (p.k) {
      case K.null:
        min = 0
        break
      case K.float:
        min = 4
        break
      case K.double:
        min = 8
        break
      case K.fixed:
        min = p.size
        break
      case K.record:
        min = p.fields.reduce((sum, f) => sum + minOf(f.plan), 0)
        break
      case K.union:
        min = 1 + Math.min(...p.branches.map(minOf))
        break
      case K.array:
      case K.map:
        minOf(p.inner as Plan)
        min = 1
        break
      default:
        min = 1
    }
    visiting.delete(p)
    p.min = min
    return min
  }
  minOf(root)
  return { root }
}

/** Internal: collects the field path while it unwinds, then becomes a GatewayError in scanRecord. */
class Fault extends Error {
  readonly code: ErrorCode
  readonly segments: string[] = []
  constructor(code: ErrorCode, message: string) {
    super(message)
    this.code = code
  }
}

interface ScanState {
  buf: Uint8Array
  pos: number
  end: number
  items: number
  steps: number
  deadline: number
  limits: DecodeLimits
}

function truncated(what: string): Fault {
  return new Fault('ACMGW_CODEC_TRUNCATED', `the record ends inside ${what}`)
}

/** Zig-zag varint, at most `maxBytes` bytes; exact below 2^53, which is all the limits need. */
function readVarint(s: ScanState, maxBytes: number, what: string): number {
  let n = 0
  let mult = 1
  let b: number
  let i = 0
  do {
    if (s.pos >= s.end) throw truncated(what)
    b = s.buf[s.pos++] as number
    if (++i > maxBytes) throw new Fault('ACMGW_CODEC_INVALID', `${what} is a varint longer than ${maxBytes} bytes`)
    n += (b & 0x7f) * mult
    mult *= 128
  } while (b & 0x80)
  return n % 2 === 1 ? -(n + 1) / 2 : n / 2
}

function tick(s: ScanState): void {
  if (++s.steps % 4096 === 0 && performance.now() > s.deadline) {
    throw new Fault('ACMGW_CODEC_TIME_BUDGET', `the record took more than ${s.limits.timeBudgetMs} ms to scan`)
  }
}

function skip(s: ScanState, n: number, what: string): void {
  if (n > s.end - s.pos) throw truncated(what)
  s.pos += n
}

function scanLength(s: ScanState, what: string): void {
  const len = readVarint(s, 10, `the length of ${what}`)
  if (len < 0) throw new Fault('ACMGW_CODEC_INVALID', `${what} has a negative length`)
  skip(s, len, what)
}

function scanBlocks(s: ScanState, p: Plan, depth: number, isMap: boolean): void {
  const inner = p.inner as Plan
  const minItem = inner.min + (isMap ? 1 : 0)
  const what = isMap ? 'map' : 'array'
  let total = 0
  for (;;) {
    let count = readVarint(s, 10, `the block count of an ${what}`)
    if (count === 0) return
    if (count < 0) {
      count = -count
      const blockBytes = readVarint(s, 10, `the block size of an ${what}`)
      if (blockBytes < 0 || blockBytes > s.end - s.pos) {
        throw new Fault('ACMGW_CODEC_TRUNCATED', `an ${what} block declares ${blockBytes} bytes`)
      }
    }
    total += count
    if (total > s.limits.maxItems) {
      throw new Fault(
        'ACMGW_CODEC_TOO_MANY_ITEMS',
        `an ${what} declares ${total} items, more than the limit of ${s.limits.maxItems}`
      )
    }
    s.items += count
    if (s.items > s.limits.maxTotalItems) {
      throw new Fault(
        'ACMGW_CODEC_TOO_MANY_ITEMS',
        `the record declares ${s.items} items in its arrays and maps, more than the limit of ${s.limits.maxTotalItems}`
      )
    }
    if (count * minItem > s.end - s.pos) {
      throw new Fault(
        'ACMGW_CODEC_TRUNCATED',
        `an ${what} declares ${count} items but only ${s.end - s.pos} bytes remain`
      )
    }
    const base = total - count
    for (let i = 0; i < count; i++) {
      try {
        if (isMap) scanLength(s, 'a map key')
        scan(s, inner, depth + 1)
      } catch (fault) {
        if (fault instanceof Fault) fault.segments.unshift(`[${base + i}]`)
        throw fault
      }
    }
  }
}

function scan(s: ScanState, p: Plan, depth: number): void {
  tick(s)
  switch (p.k) {
    case K.null:
      return
    case K.boolean: {
      if (s.pos >= s.end) throw truncated('a boolean')
      const b = s.buf[s.pos++]
      if (b !== 0 && b !== 1) throw new Fault('ACMGW_CODEC_INVALID', `a boolean is encoded as ${b}`)
      return
    }
    case K.int: {
      const v = readVarint(s, 5, 'an int')
      if (v < -2147483648 || v > 2147483647) throw new Fault('ACMGW_CODEC_INVALID', `an int is out of range`)
      return
    }
    case K.long: {
      const v = readVarint(s, 10, 'a long')
      if (!Number.isSafeInteger(v)) throw new Fault('ACMGW_CODEC_INVALID', 'a long is outside the safe integer range')
      return
    }
    case K.float:
      return skip(s, 4, 'a float')
    case K.double:
      return skip(s, 8, 'a double')
    case K.bytes:
      return scanLength(s, 'bytes')
    case K.string:
      return scanLength(s, 'a string')
    case K.fixed:
      return skip(s, p.size, 'a fixed')
    case K.enum: {
      const index = readVarint(s, 10, 'an enum index')
      if (index < 0 || index >= p.symbols) throw new Fault('ACMGW_CODEC_INVALID', `enum index ${index} is out of range`)
      return
    }
    default:
      break
  }
  if (depth >= s.limits.maxDepth) {
    throw new Fault('ACMGW_CODEC_TOO_DEEP', `the value nests deeper than ${s.limits.maxDepth} levels`)
  }
  switch (p.k) {
    case K.union: {
      const index = readVarint(s, 10, 'a union index')
      const branch = p.branches[index]
      if (branch === undefined) throw new Fault('ACMGW_CODEC_INVALID', `union index ${index} is out of range`)
      return scan(s, branch, depth + 1)
    }
    case K.array:
      return scanBlocks(s, p, depth, false)
    case K.map:
      return scanBlocks(s, p, depth, true)
    case K.record: {
      const fields = p.fields
      for (let i = 0; i < fields.length; i++) {
        const field = fields[i] as { name: string; plan: Plan }
        try {
          scan(s, field.plan, depth + 1)
        } catch (fault) {
          if (fault instanceof Fault) fault.segments.unshift(field.name)
          throw fault
        }
      }
      return
    }
  }
}

function joinPath(segments: string[]): string {
  let out = ''
  for (const seg of segments) out += seg.startsWith('[') || out === '' ? seg : `.${seg}`
  return out
}

/**
 * Scans `buf[start, end)` as one value of the plan's schema. Throws a GatewayError (code, message, `path` =
 * Avro field path) on the first fault; returns normally when avsc can decode it within the limits.
 */
export function scanRecord(plan: ScanPlan, buf: Uint8Array, start: number, end: number, limits: DecodeLimits): void {
  const s: ScanState = {
    buf,
    pos: start,
    end,
    items: 0,
    steps: 0,
    deadline: performance.now() + limits.timeBudgetMs,
    limits
  }
  try {
    scan(s, plan.root, 0)
    if (s.pos !== end) throw new Fault('ACMGW_CODEC_TRAILING_DATA', `${end - s.pos} bytes follow the last field`)
  } catch (fault) {
    if (fault instanceof Fault) {
      const path = joinPath(fault.segments)
      throw new GatewayError(fault.code, path === '' ? fault.message : `${fault.message} (at ${path})`, {
        path: path === '' ? undefined : path,
        details: { offset: s.pos - start }
      })
    }
    // A RangeError from a stack overflow would land here; the depth limit is there so that it cannot.
    throw new GatewayError('ACMGW_CODEC_INVALID', `the record could not be scanned: ${String(fault)}`, {
      cause: fault
    })
  }
}
