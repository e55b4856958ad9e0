import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  type AuditAnchor,
  type AuditEntry,
  type AuditFailureReason,
  type AuditRecord,
  canonicalJson,
  entryHash,
  genesis,
  genesisHash,
  nextEntry,
  verifyChain
} from '../../src/audit/chain.ts'

const records: AuditRecord[] = [
  { type: 'request-sent', partner: 'be-police', kind: 'MIGRATION_USERS_ADD', messageId: 'm-1' },
  { type: 'request-received', partner: 'be-police', kind: 'MIGRATION_USERS_ADD', messageId: 'm-2' },
  {
    type: 'decision',
    partner: 'be-police',
    kind: 'MIGRATION_USERS_ADD',
    messageId: 'm-2',
    outcome: 'PENDING',
    decidedBy: 'automatic',
    rule: 'hold-migrations'
  },
  {
    type: 'decision',
    partner: 'be-police',
    kind: 'MIGRATION_USERS_ADD',
    messageId: 'm-2',
    outcome: 'ACCEPTED',
    decidedBy: 'sip:duty-officer@nl-police.example'
  },
  {
    type: 'rejection',
    partner: 'be-police',
    kind: 'GROUP_CREATE',
    messageId: 'm-3',
    reasonCode: 'CATEGORY_OUT_OF_SCOPE',
    decidedBy: 'automatic'
  },
  { type: 'dead-letter', partner: 'be-police', kind: null, messageId: null, reasonCode: 'ACMGW_SIGNATURE_INVALID' }
]

function chain(n = records.length): AuditEntry[] {
  const entries: AuditEntry[] = []
  let head = genesis
  for (const [i, record] of records.slice(0, n).entries()) {
    const entry = nextEntry(head, record, new Date(Date.UTC(2026, 10, 25, 10, 0, i)).toISOString())
    entries.push(entry)
    head = entry
  }
  return entries
}

/** Re-hashes an entry after a change, as a forger who knows the format would. */
function rehash(entry: AuditEntry): AuditEntry {
  return { ...entry, hash: entryHash(entry) }
}

describe('audit chain', () => {
  test('entries chain from the genesis value, hash their canonical form, and leave out absent fields', () => {
    const entries = chain()
    assert.equal(entries[0]?.prev, genesisHash)
    assert.equal(entries[0]?.seq, 1)
    for (let i = 1; i < entries.length; i++) assert.equal(entries[i]?.prev, entries[i - 1]?.hash)
    assert.ok(!('outcome' in (entries[0] as object)))
    const [first] = entries
    assert.ok(first)
    assert.equal(first.hash, entryHash(first))
    assert.equal(canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined }), '{"a":[true,null,"x"],"b":1}')
    assert.throws(() => canonicalJson({ a: 1.5 }), /safe integer/)
    const verdict = verifyChain(entries)
    assert.deepEqual(verdict, { ok: true, count: 6, head: { seq: 6, hash: entries[5]?.hash } })
    assert.deepEqual(verifyChain([]), { ok: true, count: 0, head: genesis })
  })

  const cases: {
    name: string
    tamper: (entries: AuditEntry[]) => unknown[]
    anchor?: (entries: AuditEntry[]) => AuditAnchor
    index: number
    seq: number
    reason: AuditFailureReason
    message: RegExp
  }[] = [
    {
      name: 'a field edited',
      tamper: (e) => e.map((x, i) => (i === 3 ? { ...x, decidedBy: 'sip:someone-else@nl-police.example' } : x)),
      index: 3,
      seq: 4,
      reason: 'modified',
      message: /entry 4 was modified/
    },
    {
      name: 'a field added',
      tamper: (e) => e.map((x, i) => (i === 1 ? { ...x, outcome: 'ACCEPTED' } : x)),
      index: 1,
      seq: 2,
      reason: 'modified',
      message: /entry 2 was modified/
    },
    {
      name: 'a sequence number edited',
      tamper: (e) => e.map((x, i) => (i === 2 ? { ...x, seq: 9 } : x)),
      index: 2,
      seq: 3,
      reason: 'modified',
      message: /entry 9 was modified/
    },
    {
      name: 'an entry removed',
      tamper: (e) => e.filter((_, i) => i !== 2),
      index: 2,
      seq: 3,
      reason: 'removed',
      message: /entry 3 is missing: entry 4 follows entry 2/
    },
    {
      name: 'several entries removed',
      tamper: (e) => e.filter((_, i) => i !== 1 && i !== 2),
      index: 1,
      seq: 2,
      reason: 'removed',
      message: /entries 2–3 are missing/
    },
    {
      name: 'the first entry removed',
      tamper: (e) => e.slice(1),
      index: 0,
      seq: 1,
      reason: 'removed',
      message: /entry 1 is missing/
    },
    {
      name: 'two entries swapped',
      tamper: (e) => [e[0], e[2], e[1], ...e.slice(3)],
      index: 1,
      seq: 2,
      reason: 'reordered',
      message: /entry 3 is where entry 2 belongs/
    },
    {
      name: 'an entry duplicated',
      tamper: (e) => [...e.slice(0, 3), e[2], ...e.slice(3)],
      index: 3,
      seq: 4,
      reason: 'inserted',
      message: /entry 3 repeats a sequence number/
    },
    {
      name: 'an entry removed and the rest renumbered and re-hashed',
      tamper: (e) => e.filter((_, i) => i !== 2).map((x, i) => (i >= 2 ? rehash({ ...x, seq: i + 1 }) : x)),
      index: 2,
      seq: 3,
      reason: 'broken-link',
      message: /entry 3 does not chain to entry 2/
    },
    {
      name: 'an entry edited and re-hashed',
      tamper: (e) => e.map((x, i) => (i === 3 ? rehash({ ...x, outcome: 'REJECTED' }) : x)),
      index: 4,
      seq: 5,
      reason: 'broken-link',
      message: /entry 5 does not chain to entry 4/
    },
    {
      name: 'a first entry that does not start at the genesis value',
      tamper: (e) => [rehash({ ...(e[0] as AuditEntry), prev: 'f'.repeat(64) }), ...e.slice(1)],
      index: 0,
      seq: 1,
      reason: 'broken-link',
      message: /does not chain to the genesis value/
    },
    {
      name: 'something that is not an entry',
      tamper: (e) => [e[0], { seq: 2, note: 'hello' }, ...e.slice(2)],
      index: 1,
      seq: 2,
      reason: 'malformed',
      message: /time is not an ISO 8601 time/
    },
    {
      name: 'an unknown type',
      tamper: (e) => e.map((x, i) => (i === 0 ? rehash({ ...x, type: 'coffee' as AuditEntry['type'] }) : x)),
      index: 0,
      seq: 1,
      reason: 'malformed',
      message: /unknown type "coffee"/
    },
    {
      name: 'the tail cut off (against an anchor)',
      tamper: (e) => e.slice(0, 4),
      anchor: (e) => ({ seq: 6, hash: e[5]?.hash as string }),
      index: 4,
      seq: 5,
      reason: 'truncated',
      message: /ends at entry 4 but the anchor names entry 6/
    },
    {
      name: 'the whole chain rewritten (against an anchor)',
      tamper: (e) => {
        const forged: AuditEntry[] = []
        let head = genesis
        for (const x of e) {
          const { hash: _h, prev: _p, seq: _s, time, ...record } = x
          const next = nextEntry(head, { ...record, outcome: 'FORGED' }, time)
          forged.push(next)
          head = next
        }
        return forged
      },
      anchor: (e) => ({ seq: 3, hash: e[2]?.hash as string }),
      index: 2,
      seq: 3,
      reason: 'anchor-mismatch',
      message: /entry 3 differs from the anchor/
    },
    {
      name: 'entries added after an anchored last entry',
      tamper: (e) => e,
      anchor: (e) => ({ seq: 5, hash: e[4]?.hash as string, last: true }),
      index: 5,
      seq: 6,
      reason: 'extended',
      message: /entry 6 comes after the anchored last entry 5/
    }
  ]

  for (const c of cases) {
    test(`detects ${c.name}`, () => {
      const entries = chain()
      const tampered = c.tamper(structuredClone(entries))
      const anchor = c.anchor?.(entries)
      const verdict = verifyChain(tampered, anchor === undefined ? {} : { anchor })
      assert.equal(verdict.ok, false, 'the tampered chain verified')
      if (verdict.ok) return
      assert.equal(verdict.reason, c.reason)
      assert.equal(verdict.index, c.index)
      assert.equal(verdict.seq, c.seq)
      assert.equal(verdict.verified, c.index)
      assert.match(verdict.message, c.message)
    })
  }

  test('an anchor that matches, and a growing log after a non-last anchor, verify', () => {
    const entries = chain()
    assert.equal(verifyChain(entries, { anchor: { seq: 4, hash: entries[3]?.hash as string } }).ok, true)
    assert.equal(verifyChain(entries, { anchor: { seq: 6, hash: entries[5]?.hash as string, last: true } }).ok, true)
  })
})
