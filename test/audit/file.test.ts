import assert from 'node:assert/strict'
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import type { AuditEntry, AuditRecord } from '../../src/audit/chain.ts'
import { openAuditFile, readAuditFile, verifyAuditFile } from '../../src/audit/file.ts'
import { GatewayError } from '../../src/errors.ts'

const record = (messageId: string): AuditRecord => ({
  type: 'request-received',
  partner: 'be-police',
  kind: 'GROUP_CREATE',
  messageId
})

async function freshLog(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'acmgw-audit-')), 'logs', 'nl-police.audit.jsonl')
}

async function lines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '')
}

describe('audit file', () => {
  test('appends one JSON line per entry, creates folders, mode 0600, and verifies', async () => {
    const path = await freshLog()
    let t = Date.UTC(2026, 10, 25, 10, 0, 0)
    const log = await openAuditFile(path, { now: () => t++ })
    const first = log.append(record('m-1'))
    const second = log.append(record('m-2'))
    await log.flush()
    assert.equal(first.seq, 1)
    assert.equal(second.prev, first.hash)
    assert.deepEqual(log.head(), { seq: 2, hash: second.hash })
    const stored = (await lines(path)).map((l) => JSON.parse(l) as AuditEntry)
    assert.deepEqual(stored, [first, second])
    assert.equal(stored[0]?.time, '2026-11-25T10:00:00.000Z')
    assert.equal((await stat(path)).mode & 0o777, 0o600)
    await log.close()
    assert.deepEqual(await verifyAuditFile(path), { ok: true, file: path, count: 2, head: log.head() })
    assert.throws(() => log.append(record('m-3')), /is closed/)
  })

  test('appends made in one tick are serialised into one chain, in call order', async () => {
    const path = await freshLog()
    const log = await openAuditFile(path)
    const made = Array.from({ length: 200 }, (_, i) => log.append(record(`m-${i}`)))
    await Promise.all([log.flush(), log.flush()])
    await log.close()
    const stored = (await lines(path)).map((l) => JSON.parse(l) as AuditEntry)
    assert.deepEqual(
      stored.map((e) => e.messageId),
      made.map((e) => e.messageId)
    )
    assert.equal((await verifyAuditFile(path)).ok, true)
  })

  test('a restart continues the chain where it ended', async () => {
    const path = await freshLog()
    const before = await openAuditFile(path)
    before.append(record('m-1'))
    const last = before.append(record('m-2'))
    await before.close()
    const after = await openAuditFile(path)
    assert.deepEqual(after.head(), { seq: 2, hash: last.hash })
    const next = after.append(record('m-3'))
    await after.close()
    assert.equal(next.seq, 3)
    assert.equal(next.prev, last.hash)
    const verdict = await verifyAuditFile(path)
    assert.ok(verdict.ok)
    assert.equal(verdict.count, 3)
    assert.deepEqual(
      (await readAuditFile(path)).map((e) => e.messageId),
      ['m-1', 'm-2', 'm-3']
    )
  })

  test('refuses to continue a file that does not verify, naming the file and the line', async () => {
    const path = await freshLog()
    const log = await openAuditFile(path)
    for (const id of ['m-1', 'm-2', 'm-3']) log.append(record(id))
    await log.close()
    const [l1, l2, l3] = await lines(path)
    const broken = [
      { text: `${l1}\n${l3}\n`, line: 2, reason: 'removed' },
      { text: `${l1}\n${l2?.replace('m-2', 'm-X')}\n${l3}\n`, line: 2, reason: 'modified' },
      { text: `${l1}\n${l3}\n${l2}\n`, line: 2, reason: 'reordered' },
      { text: `${l1}\n\n${l2}\n`, line: 2, reason: 'malformed' },
      { text: `${l1}\n${l2}\n${l3?.slice(0, 40)}`, line: 3, reason: 'malformed' }
    ]
    for (const b of broken) {
      await writeFile(path, b.text)
      await assert.rejects(openAuditFile(path), (error: unknown) => {
        assert.ok(GatewayError.is(error))
        assert.equal(error.code, 'ACMGW_AUDIT_TAMPERED')
        assert.equal(error.path, path)
        assert.equal(error.details.line, b.line, b.reason)
        assert.equal(error.details.reason, b.reason)
        assert.ok(error.message.startsWith(`${path} line ${b.line}: `), error.message)
        assert.match(error.message, /not continuing a chain that does not verify/)
        return true
      })
    }
    const torn = await verifyAuditFile(path)
    assert.match(torn.ok ? '' : torn.message, /incomplete last line/)
    assert.equal(await readFile(path, 'utf8'), broken.at(-1)?.text, 'a refused file is left as it was')
  })

  test('a second writer on one file in the process is refused until the first closes', async () => {
    const path = await freshLog()
    const first = await openAuditFile(path)
    await assert.rejects(openAuditFile(path), /already open in this process; each gateway needs its own audit\.file/)
    await first.close()
    const second = await openAuditFile(path)
    await second.close()
  })

  test('a path that is not a readable file is refused before anything is written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'acmgw-audit-'))
    await assert.rejects(openAuditFile(dir), (error: unknown) => {
      assert.ok(GatewayError.is(error))
      assert.equal(error.code, 'ACMGW_FILE_UNREADABLE')
      assert.match(error.message, /cannot read the audit log/)
      return true
    })
  })
})
