import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { GatewayError } from '../../src/errors.ts'
import { parseTemplates } from '../../src/topics/templates.ts'
import { shippedTemplates, shippedText } from './fixtures.ts'

function parseWith(topics: string, acls = shippedText('acls.yaml')) {
  return parseTemplates({
    topics: { file: 'topics/topics.yaml', text: topics },
    acls: { file: 'topics/acls.yaml', text: acls }
  })
}

function refusal(run: () => unknown): GatewayError {
  try {
    run()
  } catch (error) {
    assert.ok(GatewayError.is(error), String(error))
    return error
  }
  assert.fail('accepted')
}

const topicsYaml = shippedText('topics.yaml')
const aclsYaml = shippedText('acls.yaml')

describe('topic and ACL templates', () => {
  test('the shipped templates resolve: defaults applied, compaction where the category holds latest state', () => {
    const t = shippedTemplates()
    assert.equal(t.categories.status.cleanupPolicy, 'compact')
    assert.equal(t.categories.status.partitions, 1)
    assert.equal(t.categories.users.cleanupPolicy, 'compact,delete')
    assert.equal(t.categories.users.retentionMs, 30 * 86_400_000)
    assert.equal(t.categories.groups.retentionMs, 14 * 86_400_000)
    assert.equal(t.categories.groups.replicationFactor, 3)
    assert.equal(t.categories.groups.minInsyncReplicas, 2)
    assert.equal(t.categories.groups.configs['unclean.leader.election.enable'], 'false')
    assert.equal(t.categories.status.configs['delete.retention.ms'], '86400000')
    assert.deepEqual(Object.keys(t.private).sort(), ['dlq', 'state'])
    assert.equal(t.private.state?.cleanupPolicy, 'compact')
    assert.deepEqual(t.acls.link.writer, ['WRITE', 'DESCRIBE'])
    assert.deepEqual(t.acls.link.reader, ['READ', 'DESCRIBE'])
    assert.equal(t.acls.groups.stateFollowers?.prefix, 'state.')
  })

  const topicCases: { name: string; edit: (yaml: string) => string; message: RegExp }[] = [
    {
      name: 'YAML syntax',
      edit: (y) => `${y}\ncategories: [`,
      message: /^topics\/topics\.yaml has \d+ problems:[\s\S]*line \d+, column \d+/
    },
    {
      name: 'a duplicate key',
      edit: (y) => `${y}\ndefaults: {}\n`,
      message: /line \d+, column \d+: Map keys must be unique/
    },
    {
      name: 'zero partitions',
      edit: (y) => y.replace('  status:\n    partitions: 1', '  status:\n    partitions: 0'),
      message: /^topics\/topics\.yaml: categories\.status\.partitions: Too small: expected number to be >=1$/
    },
    {
      name: 'a fractional replication factor',
      edit: (y) => y.replace('replicationFactor: 3', 'replicationFactor: 2.5'),
      message: /defaults\.replicationFactor: Invalid input: expected int, received number/
    },
    {
      name: 'an unknown field (a typo)',
      edit: (y) => y.replace('  groups: {}', '  groups: { partition: 6 }'),
      message: /categories\.groups: unknown key\(s\): partition/
    },
    {
      name: 'a missing category',
      edit: (y) => y.replace('  migration: {}\n', ''),
      message: /categories\.migration: Invalid input: expected object, received undefined/
    },
    {
      name: 'an unknown category',
      edit: (y) => y.replace('  migration: {}\n', '  migration: {}\n  weather: {}\n'),
      message: /categories: unknown key\(s\): weather/
    },
    {
      name: 'a bad cleanup policy',
      edit: (y) => y.replace('  groups: {}', '  groups: { cleanupPolicy: forever }'),
      message:
        /categories\.groups\.cleanupPolicy: Invalid option: expected one of "delete"\|"compact"\|"compact,delete"/
    },
    {
      name: 'a bad retention',
      edit: (y) => y.replace('  retention: 14d', '  retention: 14 days'),
      message: /defaults\.retention: must be a duration such as 12h or 14d, or forever/
    },
    {
      name: 'retention on a compact-only topic',
      edit: (y) => y.replace('  state:\n    partitions: 1\n', '  state:\n    partitions: 1\n    retention: 7d\n'),
      message: /private\.state\.retention: has no effect on a compact-only topic/
    },
    {
      name: 'min.insync.replicas above the replication factor',
      edit: (y) => y.replace('  groups: {}', '  groups: { replicationFactor: 1 }'),
      message: /categories\.groups\.minInsyncReplicas: 2 is more than replicationFactor 1/
    },
    {
      name: 'a typed setting given as a raw config',
      edit: (y) =>
        y.replace(
          '    message.timestamp.type: CreateTime',
          '    message.timestamp.type: CreateTime\n    cleanup.policy: compact'
        ),
      message: /defaults\.configs\["cleanup\.policy"\]: set it with the template field cleanupPolicy/
    },
    {
      name: 'a private topic name of two segments (it could collide with a link topic)',
      edit: (y) => y.replace('  dlq:\n', '  state.pending:\n'),
      message: /private\["state\.pending"\]: key must be one name segment/
    },
    {
      name: 'a config value that is a mapping',
      edit: (y) => y.replace('max.message.bytes: 1048576', 'max.message.bytes: { a: 1 }'),
      message: /defaults\.configs\["max\.message\.bytes"\]: Invalid input/
    }
  ]
  for (const c of topicCases) {
    test(`topics.yaml: ${c.name} is refused with the file and field path`, () => {
      const edited = c.edit(topicsYaml)
      assert.notEqual(edited, topicsYaml, 'the edit applies')
      const error = refusal(() => parseWith(edited))
      assert.equal(error.code, 'ACMGW_TOPICS_FILE_INVALID')
      assert.equal(error.exitCode, 65)
      assert.match(error.message, c.message)
    })
  }

  const aclCases: { name: string; edit: (yaml: string) => string; message: RegExp }[] = [
    {
      name: 'an operation a gateway never gets (ALTER)',
      edit: (y) => y.replace('writer: [WRITE, DESCRIBE]', 'writer: [WRITE, ALTER]'),
      message:
        /topics\/acls\.yaml: link\.writer\[1\]: Invalid option: expected one of "READ"\|"WRITE"\|"DESCRIBE"\|"DESCRIBE_CONFIGS"/
    },
    {
      name: 'ALL',
      edit: (y) => y.replace('owner: [READ, WRITE, DESCRIBE]', 'owner: [ALL]'),
      message: /private\.owner\[0\]: Invalid option/
    },
    {
      name: 'an operation listed twice',
      edit: (y) => y.replace('reader: [READ, DESCRIBE]', 'reader: [READ, READ]'),
      message: /link\.reader: lists an operation twice/
    },
    {
      name: 'no operation',
      edit: (y) => y.replace('reader: [READ, DESCRIBE]', 'reader: []'),
      message: /link\.reader: Too small: expected array to have >=1 items/
    },
    {
      name: 'WRITE on a group',
      edit: (y) => y.replace("    name: ''\n    operations: [READ]", "    name: ''\n    operations: [WRITE]"),
      message: /groups\.inbound\.operations\[0\]: Invalid option: expected one of "READ"\|"DESCRIBE"/
    },
    {
      name: 'a group grant with both name and prefix',
      edit: (y) => y.replace("    name: ''\n", "    name: ''\n    prefix: x.\n"),
      message: /groups\.inbound: give exactly one of name and prefix/
    },
    {
      name: 'a prefix without the closing dot (it would reach acmgw.<system>.statefoo too)',
      edit: (y) => y.replace('prefix: state.', 'prefix: state'),
      message: /groups\.stateFollowers\.prefix: must be dot-separated \[a-z0-9-\] segments ending with "\."/
    },
    {
      name: 'a wildcard group name',
      edit: (y) => y.replace("name: ''", "name: '*'"),
      message: /groups\.inbound\.name: must be empty or dot-separated/
    }
  ]
  for (const c of aclCases) {
    test(`acls.yaml: ${c.name} is refused`, () => {
      const edited = c.edit(aclsYaml)
      assert.notEqual(edited, aclsYaml, 'the edit applies')
      const error = refusal(() => parseWith(topicsYaml, edited))
      assert.equal(error.code, 'ACMGW_TOPICS_FILE_INVALID')
      assert.match(error.message, c.message)
    })
  }

  test('every problem of a file is reported at once, each on its own line', () => {
    const edited = topicsYaml.replace('partitions: 3', 'partitions: -1').replace('  groups: {}', '  groups: { foo: 1 }')
    const error = refusal(() => parseWith(edited))
    assert.match(error.message, /^topics\/topics\.yaml has 2 problems:\n/)
    assert.match(error.message, /\n {2}topics\/topics\.yaml: defaults\.partitions: /)
    assert.match(error.message, /\n {2}topics\/topics\.yaml: categories\.groups: unknown key\(s\): foo/)
    assert.equal((error.details.problems as unknown[]).length, 2)
  })
})
