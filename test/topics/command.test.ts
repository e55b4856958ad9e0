/** `acmgw topics …` up to the point where a cluster is needed: files, options, the offline `desired`. */
import assert from 'node:assert/strict'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { acmgw } from '../helpers/cli.ts'

const example = 'topics/interconnection.example.yaml'

test('desired prints every topic and grant of the example without a cluster, as text or JSON', async () => {
  const text = await acmgw(['topics', 'desired', '--agreements', example])
  assert.equal(text.code, 0, text.err)
  assert.match(text.out, /^desired topics and ACLs: namespace \(none\), shared cluster\n\ntopics \(24\)\n/)
  assert.match(text.out, /\nACLs \(99\)\n/)
  const json = await acmgw(['topics', 'desired', '--agreements', example, '--cluster-of', 'de-fire', '--json'])
  const parsed = JSON.parse(json.out) as { clusterOf: string; topics: { name: string }[]; acls: unknown[] }
  assert.equal(parsed.clusterOf, 'de-fire')
  assert.deepEqual(
    parsed.topics.map((t) => t.name),
    [
      'acm.de-fire.dlq',
      'acm.de-fire.state',
      'acm.nl-police.de-fire.groups',
      'acm.nl-police.de-fire.responses',
      'acm.nl-police.de-fire.status'
    ]
  )
})

test('file, option and connection mistakes are named, with their exit codes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'acmgw-topics-cli-'))
  const bad = join(dir, 'links.yaml')
  await writeFile(bad, 'systems:\n  - id: Alpha\nagreements: []\n')
  const badFile = await acmgw(['topics', 'desired', '--agreements', bad])
  assert.equal(badFile.code, 65)
  assert.equal(
    badFile.err,
    `error ACMGW_AGREEMENTS_FILE_INVALID: ${bad}: systems[0].id: must match ^[a-z][a-z0-9-]{1,31}$`
  )

  const relative = await acmgw(['topics', 'desired', '--agreements', 'links.yaml'], { cwd: dir })
  assert.match(relative.err, /^error ACMGW_AGREEMENTS_FILE_INVALID: links\.yaml: systems\[0\]\.id/)

  const missing = await acmgw(['topics', 'desired', '--agreements', join(dir, 'none.yaml')])
  assert.equal(missing.code, 66)
  assert.match(missing.err, /ACMGW_FILE_UNREADABLE: cannot read interconnection file .*none\.yaml \(ENOENT\)/)

  const noTemplates = await acmgw(['topics', 'desired', '--agreements', example, '--templates', dir])
  assert.equal(noTemplates.code, 66)
  assert.match(noTemplates.err, /cannot read (topic|ACL) templates/)

  const badNamespace = await acmgw(['topics', 'desired', '--agreements', example, '--namespace', 'a.b'])
  assert.equal(badNamespace.code, 64)
  assert.match(badNamespace.err, /namespace "a\.b" is not valid/)

  const badRf = await acmgw(['topics', 'desired', '--agreements', example, '--replication-factor', '0'])
  assert.equal(badRf.code, 64)

  const unknownSystem = await acmgw(['topics', 'desired', '--agreements', example, '--cluster-of', 'fr-police'])
  assert.equal(unknownSystem.code, 64)
  assert.match(unknownSystem.err, /--cluster-of fr-police: no such system in the interconnection file/)

  const noConnection = await acmgw(['topics', 'plan', '--agreements', example])
  assert.equal(noConnection.code, 64)
  assert.match(
    noConnection.err,
    /ACMGW_USAGE: say which cluster: --stack <dir>, or --bootstrap <host:port> with --ca, --cert and --key/
  )

  const both = await acmgw([
    'topics',
    'apply',
    '--agreements',
    example,
    '--stack',
    dir,
    '--bootstrap',
    'localhost:9093'
  ])
  assert.equal(both.code, 64)
  assert.match(both.err, /give either --stack or --bootstrap\/--ca\/--cert\/--key, not both/)

  const noStack = await acmgw(['topics', 'plan', '--agreements', example, '--stack', dir])
  assert.equal(noStack.code, 69)
  assert.match(
    noStack.err,
    /ACMGW_STACK_NOT_RUNNING: no local stack in .* \(no stack\.json\); start one with: acmgw kafka up --dir /
  )
})
