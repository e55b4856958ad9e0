import assert from 'node:assert/strict'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import type { AuditRecord } from '../../src/audit/chain.ts'
import { openAuditFile } from '../../src/audit/file.ts'
import { acmgw } from '../helpers/cli.ts'

const officer = 'sip:duty-officer@nl-police.example'
const records: AuditRecord[] = [
  { type: 'request-received', partner: 'be-police', kind: 'MIGRATION_USERS_ADD', messageId: 'm-1' },
  {
    type: 'decision',
    partner: 'be-police',
    kind: 'MIGRATION_USERS_ADD',
    messageId: 'm-1',
    outcome: 'PENDING',
    decidedBy: 'automatic',
    rule: 'hold-migrations'
  },
  {
    type: 'decision',
    partner: 'be-police',
    kind: 'MIGRATION_USERS_ADD',
    messageId: 'm-1',
    outcome: 'APPROVED',
    decidedBy: officer
  },
  { type: 'request-sent', partner: 'be-police', kind: 'GROUP_CREATE', messageId: 'm-2' }
]

/** A fresh four-entry log; returns its path, its lines and its head. */
async function fourEntryLog(): Promise<{ file: string; lines: string[]; head: { seq: number; hash: string } }> {
  const file = join(await mkdtemp(join(tmpdir(), 'acmgw-cli-audit-')), 'gw.audit.jsonl')
  const log = await openAuditFile(file)
  for (const r of records) log.append(r)
  await log.close()
  const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '')
  return { file, lines, head: log.head() }
}

describe('acmgw audit', () => {
  test('verify: an intact log exits 0 with the count and the last hash', async () => {
    const { file, head } = await fourEntryLog()
    const run = await acmgw(['audit', 'verify', file])
    assert.equal(run.code, 0, run.err)
    assert.equal(run.out, `${file}: intact, 4 entries; last 4:${head.hash}`)
    const json = await acmgw(['audit', 'verify', file, '--json'])
    assert.equal(json.code, 0, json.err)
    assert.deepEqual(JSON.parse(json.out), { ok: true, file, count: 4, head })
  })

  const tampering: { name: string; edit: (lines: string[]) => string[]; line: number; reason: string }[] = [
    {
      name: 'a field edited',
      edit: (l) => l.map((x, i) => (i === 2 ? x.replace(officer, 'sip:someone-else@nl-police.example') : x)),
      line: 3,
      reason: 'modified'
    },
    { name: 'a line deleted', edit: (l) => l.filter((_, i) => i !== 1), line: 2, reason: 'removed' },
    { name: 'two lines swapped', edit: (l) => [l[0], l[2], l[1], l[3]] as string[], line: 2, reason: 'reordered' },
    {
      name: 'a line that is not JSON',
      edit: (l) => [l[0], '{oops', ...l.slice(1)] as string[],
      line: 2,
      reason: 'malformed'
    }
  ]
  for (const t of tampering) {
    test(`verify: ${t.name} fails with ACMGW_AUDIT_TAMPERED naming line ${t.line}`, async () => {
      const { file, lines } = await fourEntryLog()
      await writeFile(file, `${t.edit(lines).join('\n')}\n`)
      const run = await acmgw(['audit', 'verify', file])
      assert.equal(run.code, 65)
      assert.equal(run.out, '')
      assert.match(run.err, new RegExp(`^error ACMGW_AUDIT_TAMPERED: ${file} line ${t.line}: .* \\[${t.reason}\\]$`))
      const json = await acmgw(['audit', 'verify', file, '--json'])
      assert.equal(json.code, 65)
      const verdict = JSON.parse(json.out) as { ok: boolean; line: number; reason: string }
      assert.deepEqual([verdict.ok, verdict.line, verdict.reason], [false, t.line, t.reason])
    })
  }

  test('verify: an anchor kept elsewhere catches a cut tail and an addition', async () => {
    const { file, lines, head } = await fourEntryLog()
    const anchor = `${head.seq}:${head.hash}`
    assert.equal((await acmgw(['audit', 'verify', file, '--anchor', anchor, '--anchor-last'])).code, 0)
    await writeFile(file, `${lines.slice(0, 3).join('\n')}\n`)
    const cut = await acmgw(['audit', 'verify', file, '--anchor', anchor])
    assert.equal(cut.code, 65)
    assert.match(cut.err, /line 4: the log ends at entry 3 but the anchor names entry 4.*\[truncated\]/)
    await writeFile(file, `${lines.join('\n')}\n`)
    const log = await openAuditFile(file)
    log.append({ type: 'request-sent', partner: 'be-police', kind: 'GROUP_CREATE', messageId: 'm-3' })
    await log.close()
    assert.equal((await acmgw(['audit', 'verify', file, '--anchor', anchor])).code, 0)
    const added = await acmgw(['audit', 'verify', file, '--anchor', anchor, '--anchor-last'])
    assert.equal(added.code, 65)
    assert.match(added.err, /line 5: entry 5 comes after the anchored last entry 4 \[extended\]/)
    const bad = await acmgw(['audit', 'verify', file, '--anchor', 'latest'])
    assert.equal(bad.code, 64)
  })

  test('show: every entry on a line, --tail, --json; a tampered log is shown raw and refused', async () => {
    const { file, lines } = await fourEntryLog()
    const all = await acmgw(['audit', 'show', file])
    assert.equal(all.code, 0, all.err)
    const shown = all.out.split('\n')
    assert.equal(shown.length, 4)
    assert.match(
      shown[1] ?? '',
      /^ {5}2 {2}\S+Z {2}decision {10}be-police {2}MIGRATION_USERS_ADD {2}m-1 {2}PENDING by automatic \(rule hold-migrations\)$/
    )
    assert.match(shown[2] ?? '', /APPROVED by sip:duty-officer@nl-police\.example$/)
    const tail = await acmgw(['audit', 'show', file, '--tail', '1', '--json'])
    assert.equal(tail.code, 0, tail.err)
    assert.deepEqual(JSON.parse(tail.out), JSON.parse(lines[3] as string))
    await writeFile(file, `${[lines[0], lines[2], lines[3]].join('\n')}\n`)
    const tampered = await acmgw(['audit', 'show', file])
    assert.equal(tampered.code, 65)
    assert.equal(tampered.out.split('\n').length, 3)
    assert.match(tampered.err, /line 2: .*the entries above cannot be trusted/)
  })
})
