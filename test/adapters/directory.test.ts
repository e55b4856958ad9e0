import assert from 'node:assert/strict'
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { applyBatch, emptyDirectory } from '../../src/adapters/directory-model.ts'
import { createDirectoryAdapter, readDirectory } from '../../src/adapters/directory.ts'
import type { EffectBatch } from '../../src/adapters/effects.ts'

const user = (id: string) => ({ mcServiceId: id, partnerMcServiceId: null, services: ['MCPTT'], validUntil: null })

function batch(key: string, effects: EffectBatch['effects'], limits: EffectBatch['limits'] = {}): EffectBatch {
  return { idempotencyKey: `be-police/${key}`, partner: 'be-police', messageId: key, kind: 'TEST', effects, limits }
}

describe('directory model', () => {
  test('per-item results: limits, not applicable and dependencies', () => {
    const doc = emptyDirectory()
    const first = applyBatch(
      doc,
      batch(
        'm1',
        [
          { type: 'migration.authorise', user: user('sip:a@be') },
          { type: 'migration.authorise', user: user('sip:b@be') },
          { type: 'migration.authorise', user: user('sip:c@be') }
        ],
        { maxMigratedUsers: 2 }
      ),
      1
    )
    assert.deepEqual(
      first.results.map((r) => r.result),
      ['ACCEPTED', 'ACCEPTED', 'REJECTED']
    )
    assert.equal(first.results[2]?.reasonCode, 'LIMIT_REACHED')
    const second = applyBatch(
      doc,
      batch('m2', [
        {
          type: 'visiting-service.set',
          mcServiceId: 'sip:a@be',
          authorisation: { service: 'MCDATA', feature: 'sds', enabled: true }
        },
        {
          type: 'visiting-service.set',
          mcServiceId: 'sip:z@be',
          authorisation: { service: 'MCDATA', feature: 'sds', enabled: true }
        },
        { type: 'migration.revoke', mcServiceId: 'sip:nobody@be' }
      ]),
      2
    )
    assert.deepEqual(
      second.results.map((r) => [r.result, r.reasonCode]),
      [
        ['ACCEPTED', null],
        ['REJECTED', 'NOT_AUTHORISED'],
        ['NOT_APPLICABLE', 'NOT_AUTHORISED']
      ]
    )
  })

  test('a repeated idempotency key changes nothing and answers the same', () => {
    const doc = emptyDirectory()
    const once = applyBatch(
      doc,
      batch('m1', [{ type: 'group.member.add', mcServiceGroupId: 'g', mcServiceId: 'u' }]),
      1
    )
    const before = structuredClone(doc)
    const twice = applyBatch(
      doc,
      batch('m1', [{ type: 'group.member.remove', mcServiceGroupId: 'g', mcServiceId: 'u' }]),
      2
    )
    assert.equal(twice.repeated, true)
    assert.deepEqual(doc, before)
    assert.deepEqual(twice.results, once.results)
    assert.deepEqual(doc.partners['be-police']?.groupMembers.g, ['u'])
  })

  test('termination revokes migration, visiting services and the partner’s joint-group memberships', () => {
    const doc = emptyDirectory()
    applyBatch(
      doc,
      batch('m1', [
        { type: 'migration.authorise', user: user('sip:a@be') },
        {
          type: 'visiting-service.set',
          mcServiceId: 'sip:a@be',
          authorisation: { service: 'MCPTT', feature: 'emergency-call', enabled: true }
        },
        {
          type: 'joint-group.upsert',
          group: {
            mcServiceGroupId: 'jg-1',
            homeSystem: 'nl-police',
            displayName: 'Border patrol',
            services: ['MCPTT'],
            members: [
              { mcServiceId: 'sip:x@nl', system: 'nl-police' },
              { mcServiceId: 'sip:a@be', system: 'be-police' }
            ],
            validUntil: null
          }
        }
      ]),
      1
    )
    applyBatch(doc, batch('m2', [{ type: 'partner.revoke-all', agreementId: 'nl-be' }]), 2)
    const records = doc.partners['be-police']
    assert.deepEqual(records?.migrationAuthorisations, {})
    assert.deepEqual(records?.visitingServices, {})
    assert.deepEqual(records?.jointGroups['jg-1']?.members, [{ mcServiceId: 'sip:x@nl', system: 'nl-police' }])
  })
})

describe('directory adapter (files)', () => {
  test('persists atomically, survives a new adapter on the same folder, and logs pending notifications', async () => {
    const path = await mkdtemp(join(tmpdir(), 'acmgw-dir-'))
    const first = await createDirectoryAdapter({ path })
    const results = await Promise.all([
      first.apply(batch('m1', [{ type: 'group.member.add', mcServiceGroupId: 'g', mcServiceId: 'u1' }])),
      first.apply(batch('m2', [{ type: 'group.member.add', mcServiceGroupId: 'g', mcServiceId: 'u2' }]))
    ])
    assert.deepEqual(
      results.flat().map((r) => r.result),
      ['ACCEPTED', 'ACCEPTED']
    )
    await first.notifyPending({
      messageId: 'm3',
      partner: 'be-police',
      kind: 'MIGRATION_USERS_ADD',
      requester: 'sip:r@be'
    })
    await first.close()
    const second = await createDirectoryAdapter({ path })
    const again = await second.apply(
      batch('m1', [{ type: 'group.member.add', mcServiceGroupId: 'g', mcServiceId: 'u1' }])
    )
    assert.deepEqual(
      again.map((r) => r.result),
      ['ACCEPTED']
    )
    await second.close()
    assert.deepEqual((await readDirectory(path)).partners['be-police']?.groupMembers.g, ['u1', 'u2'])
    assert.match(await readFile(join(path, 'pending-notifications.jsonl'), 'utf8'), /"messageId":"m3"/)
  })

  const add = (key: string, member: string) =>
    batch(key, [{ type: 'group.member.add', mcServiceGroupId: 'g', mcServiceId: member }])
  const journalOf = (path: string) => join(path, 'directory.journal.jsonl')
  const snapshotOf = (path: string) => join(path, 'directory.json')
  const line = (key: string, member: string) => JSON.stringify({ at: 1, batch: add(key, member) })

  test('a batch is one journal line; readers replay the journal; compaction folds it into a new generation', async () => {
    const path = await mkdtemp(join(tmpdir(), 'acmgw-dir-'))
    const adapter = await createDirectoryAdapter({ path, compactEvery: 3 })
    await adapter.apply(add('m1', 'u1'))
    await adapter.apply(add('m2', 'u2'))
    const journal = (await readFile(journalOf(path), 'utf8')).trimEnd().split('\n')
    assert.equal(journal.length, 3, 'the generation header and one line per batch')
    assert.deepEqual(JSON.parse(journal[0] ?? ''), { generation: 1 })
    const snapshot = JSON.parse(await readFile(snapshotOf(path), 'utf8')) as { generation: number; applied: object }
    assert.deepEqual([snapshot.generation, Object.keys(snapshot.applied)], [1, []], 'the snapshot is not rewritten')
    assert.deepEqual((await readDirectory(path)).partners['be-police']?.groupMembers.g, ['u1', 'u2'])

    await adapter.apply(add('m3', 'u3'))
    const folded = JSON.parse(await readFile(snapshotOf(path), 'utf8')) as { generation: number; applied: object }
    assert.equal(folded.generation, 2)
    assert.equal(Object.keys(folded.applied).length, 3)
    assert.equal(await readFile(journalOf(path), 'utf8'), '{"generation":2}\n')
    await adapter.apply(add('m4', 'u4'))
    await adapter.close()
    assert.equal(await readFile(journalOf(path), 'utf8'), '{"generation":3}\n', 'close folds the journal in')
    assert.deepEqual((await readDirectory(path)).partners['be-police']?.groupMembers.g, ['u1', 'u2', 'u3', 'u4'])
  })

  test('after a crash: an unfinished last line was never acknowledged and is left out; the rest is kept', async () => {
    const path = await mkdtemp(join(tmpdir(), 'acmgw-dir-'))
    // Two acknowledged batches, then the process died while appending m3: half a line, no newline.
    await writeFile(journalOf(path), ['{"generation":0}', line('m1', 'u1'), line('m2', 'u2'), ''].join('\n'))
    await appendFile(journalOf(path), '{"at":3,"batch":{"idempotencyKey":"be-police/m3"')
    assert.deepEqual((await readDirectory(path)).partners['be-police']?.groupMembers.g, ['u1', 'u2'])
    const second = await createDirectoryAdapter({ path })
    assert.deepEqual(
      (await second.apply(add('m3', 'u3'))).map((r) => r.result),
      ['ACCEPTED'],
      'the unacknowledged batch applies when it is redelivered'
    )
    await second.close()
    assert.deepEqual((await readDirectory(path)).partners['be-police']?.groupMembers.g, ['u1', 'u2', 'u3'])
  })

  test('a journal the snapshot already holds (crash between the two renames) is not replayed twice', async () => {
    const path = await mkdtemp(join(tmpdir(), 'acmgw-dir-'))
    const adapter = await createDirectoryAdapter({ path })
    await adapter.apply(add('m1', 'u1'))
    const staleJournal = await readFile(journalOf(path), 'utf8')
    await adapter.close()
    // The snapshot of generation 2 is written, the journal of generation 1 not yet replaced.
    await writeFile(journalOf(path), staleJournal.replace('"generation":2', '"generation":1'))
    const journal = (await readFile(journalOf(path), 'utf8')).split('\n')
    assert.deepEqual(JSON.parse(journal[0] ?? ''), { generation: 1 })
    // A removal journalled in the old generation would undo the add if it were replayed.
    await appendFile(
      journalOf(path),
      `${JSON.stringify({ at: 9, batch: batch('m9', [{ type: 'group.member.remove', mcServiceGroupId: 'g', mcServiceId: 'u1' }]) })}\n`
    )
    assert.deepEqual((await readDirectory(path)).partners['be-police']?.groupMembers.g, ['u1'])
  })

  test('a damaged journal or a missing snapshot stops with an error naming the file', async () => {
    const path = await mkdtemp(join(tmpdir(), 'acmgw-dir-'))
    await writeFile(
      journalOf(path),
      ['{"generation":0}', line('m1', 'u1'), '{"at":1,"batch":', line('m3', 'u3'), ''].join('\n')
    )
    await assert.rejects(readDirectory(path), (error: Error) => {
      assert.equal((error as { code?: string }).code, 'ACMGW_FILE_UNREADABLE')
      assert.match(error.message, /directory\.journal\.jsonl line 3 is not JSON/)
      return true
    })
    await assert.rejects(createDirectoryAdapter({ path }), /line 3 is not JSON/)
    await writeFile(snapshotOf(path), JSON.stringify({ ...emptyDirectory(), generation: 4 }))
    await writeFile(journalOf(path), '{"generation":7}\n')
    await assert.rejects(readDirectory(path), /generation 7, newer than .*directory\.json \(4\)/)
  })

  test('a failed compaction loses nothing: the batch is already journalled, and the next apply recovers first', async () => {
    const path = await mkdtemp(join(tmpdir(), 'acmgw-dir-'))
    const adapter = await createDirectoryAdapter({ path, compactEvery: 2 })
    await adapter.apply(add('m1', 'u1'))
    const snapshot = await readFile(snapshotOf(path), 'utf8')
    // A non-empty folder where the snapshot goes: the rename of the next snapshot fails, even for root.
    await rm(snapshotOf(path))
    await mkdir(join(snapshotOf(path), 'in-the-way'), { recursive: true })
    assert.deepEqual(
      (await adapter.apply(add('m2', 'u2'))).map((r) => r.result),
      ['ACCEPTED'],
      'journalled, so acknowledged, although folding it in failed'
    )
    await assert.rejects(adapter.apply(add('m3', 'u3')), (error: Error) => {
      assert.equal((error as { code?: string }).code, 'ACMGW_FILE_UNREADABLE')
      assert.match(error.message, /directory\.json/)
      return true
    })
    await rm(snapshotOf(path), { recursive: true })
    await writeFile(snapshotOf(path), snapshot)
    assert.deepEqual(
      (await adapter.apply(add('m3', 'u3'))).map((r) => r.result),
      ['ACCEPTED']
    )
    await adapter.close()
    assert.deepEqual((await readDirectory(path)).partners['be-police']?.groupMembers.g, ['u1', 'u2', 'u3'])
  })
})
