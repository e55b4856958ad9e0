import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { promisify } from 'node:util'
import { checkOffline } from '../../src/codec/compatibility.ts'
import { loadSchemaSet, readSchemaDir, rootRecords, shippedSchemaDir } from '../../src/codec/schema-files.ts'
import { buildSchemaSet } from '../../src/codec/schema-set.ts'
import { acmgw } from '../helpers/cli.ts'

const run = promisify(execFile)

/** A throw-away git repository whose `schemas/` starts as the shipped folder. */
async function repoWithSchemas(): Promise<{ repo: string; dir: string; commit: (message: string) => Promise<void> }> {
  const repo = await mkdtemp(join(tmpdir(), 'acmgw-schemas-'))
  const dir = join(repo, 'schemas')
  await cp(shippedSchemaDir, dir, { recursive: true })
  const git = (...args: string[]) =>
    run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.org', ...args], { cwd: repo })
  await git('init', '-q')
  const commit = async (message: string) => {
    await git('add', '-A')
    await git('commit', '-q', '-m', message)
  }
  await commit('v1')
  return { repo, dir, commit }
}

async function editRecord(dir: string, name: string, change: (schema: { fields: Record<string, unknown>[] }) => void) {
  const path = join(dir, `org.mcx.acm.${name}.avsc`)
  const schema = JSON.parse(await readFile(path, 'utf8')) as { fields: Record<string, unknown>[] }
  change(schema)
  await writeFile(path, JSON.stringify(schema, null, 2))
}

describe('FULL_TRANSITIVE compatibility, offline', () => {
  test('the same schemas are compatible with themselves', async () => {
    const set = await loadSchemaSet()
    const findings = checkOffline(set, [{ label: 'self', set }])
    assert.equal(findings.length, rootRecords.length)
    assert.ok(findings.every((f) => f.ok))
  })

  test('an optional field with a default, and an enum symbol, are compatible both ways', async () => {
    const { dir } = await repoWithSchemas()
    await editRecord(dir, 'GroupMembershipUpdate', (s) =>
      s.fields.push({ name: 'note', type: ['null', 'string'], default: null, doc: 'a note' })
    )
    const kind = join(dir, 'org.mcx.acm.MembershipOperation.avsc')
    const e = JSON.parse(await readFile(kind, 'utf8')) as { symbols: string[] }
    e.symbols.push('REPLACE')
    await writeFile(kind, JSON.stringify(e))
    const result = await acmgw(['schemas', 'check', '--dir', dir])
    assert.equal(result.code, 0, result.err)
    assert.match(result.out, /ok {3}org\.mcx\.acm\.GroupMembershipUpdate vs [0-9a-f]{12}: compatible both ways/)
  })

  test('a required field without default breaks backward compatibility; removing one breaks forward', async () => {
    const { dir } = await repoWithSchemas()
    await editRecord(dir, 'GroupMembershipUpdate', (s) => s.fields.push({ name: 'reason', type: 'string', doc: 'why' }))
    const added = await acmgw(['schemas', 'check', '--dir', dir])
    assert.equal(added.code, 65)
    assert.match(
      added.out,
      /FAIL org\.mcx\.acm\.GroupMembershipUpdate vs .*the new schema cannot read data written with/
    )
    assert.match(added.err, /ACMGW_SCHEMA_INCOMPATIBLE/)
    const { dir: dir2 } = await repoWithSchemas()
    await editRecord(dir2, 'JointGroupDissolve', (s) => {
      s.fields = s.fields.filter((f) => f.name !== 'effectiveAt')
    })
    const removed = await acmgw(['schemas', 'check', '--dir', dir2])
    assert.equal(removed.code, 65)
    assert.match(
      removed.out,
      /FAIL org\.mcx\.acm\.JointGroupDissolve vs .* cannot read data written with the new schema/
    )
  })

  test('transitive: compared with every commit that changed the folder, or with the revisions named', async () => {
    const { dir, commit } = await repoWithSchemas()
    await editRecord(dir, 'JointGroupDissolve', (s) =>
      s.fields.push({ name: 'x', type: ['null', 'string'], default: null, doc: 'x' })
    )
    await commit('v2')
    // v3 makes x a required int: v1 lacks it (no default to fill in) and v2 has it as a string
    await editRecord(dir, 'JointGroupDissolve', (s) => {
      const x = s.fields.find((f) => f.name === 'x') as Record<string, unknown>
      x.type = 'int'
      delete x.default
    })
    const all = await acmgw(['schemas', 'check', '--dir', dir, '--json'])
    assert.equal(all.code, 65)
    const findings = JSON.parse(all.out) as { record: string; against: string; ok: boolean }[]
    const dissolve = findings.filter((f) => f.record === 'org.mcx.acm.JointGroupDissolve')
    assert.equal(dissolve.length, 2, 'one finding per earlier commit')
    assert.ok(dissolve.every((f) => !f.ok))
    const onlyHead = await acmgw(['schemas', 'check', '--dir', dir, '--against', 'HEAD~1'])
    assert.equal(onlyHead.code, 65)
  })

  test('a removed record is reported', async () => {
    const set = await loadSchemaSet()
    const { dir } = await repoWithSchemas()
    const files = (await readSchemaDir(dir)).filter((f) => f.name !== 'org.mcx.acm.JointGroupDissolve.avsc')
    const smaller = buildSchemaSet(
      files,
      rootRecords.filter((r) => r !== 'org.mcx.acm.JointGroupDissolve')
    )
    const findings = checkOffline(smaller, [{ label: 'v1', set }])
    assert.deepEqual(
      findings.filter((f) => !f.ok).map((f) => [f.record, f.detail.split(':')[0]]),
      [['org.mcx.acm.JointGroupDissolve', 'removed']]
    )
  })
})
