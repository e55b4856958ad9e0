import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { TopicCategory } from '../../src/agreements/model.ts'
import { topicName } from '../../src/codec/catalogue.ts'
import { GatewayError } from '../../src/errors.ts'
import type { AclBinding } from '../../src/kafka/admin.ts'
import { desiredState, type DesiredOptions, type DesiredState } from '../../src/topics/desired.ts'
import type { Interconnection } from '../../src/topics/interconnection.ts'
import { abcWorld, everyCategory, interconnection, shippedTemplates } from './fixtures.ts'

const templates = shippedTemplates()
const all: TopicCategory[] = [...everyCategory, 'responses']

function desired(world: Interconnection, options: DesiredOptions = {}): DesiredState {
  return desiredState(templates, world, options)
}

function aclText(acl: AclBinding): string {
  return `${acl.principal} ${acl.operation} ${acl.resourceType}:${acl.patternType}:${acl.resourceName}`
}

/**
 * An oracle written from the rules, independently of src/topics/desired.ts: per live link and direction the
 * sender writes and the receiver reads; per system its private topics and its groups.
 */
function oracle(
  links: { a: string; b: string; categories: TopicCategory[] }[],
  systems: string[],
  ns = ''
): { topics: string[]; acls: string[] } {
  const lead = ns === '' ? '' : `${ns}.`
  const topics: string[] = []
  const acls: string[] = []
  const grant = (system: string, ops: string[], resource: string) =>
    ops.forEach((op) => acls.push(`User:acmgw.${system} ${op} ${resource}`))
  for (const { a, b, categories } of links) {
    for (const [from, to] of [
      [a, b],
      [b, a]
    ]) {
      for (const category of categories) {
        const name = `${lead}acm.${from}.${to}.${category}`
        topics.push(name)
        grant(from as string, ['WRITE', 'DESCRIBE'], `TOPIC:LITERAL:${name}`)
        grant(to as string, ['READ', 'DESCRIBE'], `TOPIC:LITERAL:${name}`)
      }
    }
  }
  for (const system of systems) {
    for (const own of ['state', 'dlq']) {
      const name = `${lead}acm.${system}.${own}`
      topics.push(name)
      grant(system, ['READ', 'WRITE', 'DESCRIBE'], `TOPIC:LITERAL:${name}`)
    }
    grant(system, ['READ'], `GROUP:LITERAL:${lead}acmgw.${system}`)
    grant(system, ['READ'], `GROUP:LITERAL:${lead}acmgw.${system}.local`)
    grant(system, ['READ'], `GROUP:PREFIXED:${lead}acmgw.${system}.state.`)
  }
  return { topics: topics.sort(), acls: acls.sort() }
}

function actual(state: DesiredState): { topics: string[]; acls: string[] } {
  return { topics: state.topics.map((t) => t.name).sort(), acls: state.acls.map(aclText).sort() }
}

describe('desired state from agreements', () => {
  test('A–B every category, A–C status and groups: exactly the oracle, nothing more', () => {
    const state = desired(abcWorld())
    const expected = oracle(
      [
        { a: 'alpha', b: 'bravo', categories: all },
        { a: 'alpha', b: 'charlie', categories: ['status', 'groups', 'responses'] }
      ],
      ['alpha', 'bravo', 'charlie']
    )
    assert.deepEqual(actual(state), expected)
    assert.equal(state.topics.length, 12 + 6 + 6)
    assert.equal(state.acls.length, 18 * 4 + 6 * 3 + 3 * 3)
  })

  test('a category outside an agreement, or a pair without one, has no topic and no ACL', () => {
    const state = desired(abcWorld())
    const names = new Set([...state.topics.map((t) => t.name), ...state.acls.map((a) => a.resourceName)])
    for (const category of ['users', 'migration', 'security'] as const) {
      assert.equal(names.has(`acm.alpha.charlie.${category}`), false, category)
      assert.equal(names.has(`acm.charlie.alpha.${category}`), false, category)
    }
    for (const category of all) {
      assert.equal(names.has(`acm.bravo.charlie.${category}`), false)
      assert.equal(names.has(`acm.charlie.bravo.${category}`), false)
    }
  })

  test('every grant is ALLOW for host *, literal on topics, and names its holder in the resource', () => {
    const state = desired(abcWorld())
    for (const acl of state.acls) {
      assert.equal(acl.permission, 'ALLOW')
      assert.equal(acl.host, '*')
      assert.ok(!acl.resourceName.includes('*'), aclText(acl))
      if (acl.resourceType === 'TOPIC') assert.equal(acl.patternType, 'LITERAL', aclText(acl))
      if (acl.patternType === 'PREFIXED') {
        assert.ok(acl.resourceName.startsWith(`acmgw.${acl.system}.`) && acl.resourceName.endsWith('.'), aclText(acl))
      }
      assert.equal(acl.principal, `User:acmgw.${acl.system}`)
      const segments = acl.resourceName.split('.')
      assert.ok(segments.includes(acl.system), `${aclText(acl)} does not name ${acl.system}`)
    }
  })

  const lifecycle = [
    { status: 'PROPOSED', open: true },
    { status: 'ACTIVE', open: true },
    { status: 'SUSPENDED', open: true },
    { status: 'TERMINATED', open: false }
  ] as const
  for (const row of lifecycle) {
    test(`an A–B agreement that is ${row.status} ${row.open ? 'keeps its scope open' : 'grants nothing on the link'}`, () => {
      const state = desired(abcWorld({ ab: { status: row.status } }))
      const ab = state.acls.filter((acl) => /^acm\.(alpha\.bravo|bravo\.alpha)\./.test(acl.resourceName))
      assert.equal(ab.length, row.open ? 12 * 4 : 0)
      const bravoGrants = state.acls.filter((acl) => acl.system === 'bravo').map((acl) => acl.resourceName)
      if (!row.open) {
        // bravo keeps its own resources only.
        assert.deepEqual([...new Set(bravoGrants)].sort(), [
          'acm.bravo.dlq',
          'acm.bravo.state',
          'acmgw.bravo',
          'acmgw.bravo.local',
          'acmgw.bravo.state.'
        ])
        assert.equal(state.topics.filter((t) => t.owner.kind === 'link').length, 6)
      }
    })
  }

  test('narrowing A–B to status and groups leaves exactly those (plus responses)', () => {
    const state = desired(abcWorld({ ab: { categories: ['groups'] } }))
    const expected = oracle(
      [
        { a: 'alpha', b: 'bravo', categories: ['status', 'groups', 'responses'] },
        { a: 'alpha', b: 'charlie', categories: ['status', 'groups', 'responses'] }
      ],
      ['alpha', 'bravo', 'charlie']
    )
    assert.deepEqual(actual(state), expected)
  })

  test('a namespace prefixes every topic and group, never a principal', () => {
    const state = desired(abcWorld(), { namespace: 't1a2b3c4' })
    const expected = oracle(
      [
        { a: 'alpha', b: 'bravo', categories: all },
        { a: 'alpha', b: 'charlie', categories: ['status', 'groups', 'responses'] }
      ],
      ['alpha', 'bravo', 'charlie'],
      't1a2b3c4'
    )
    assert.deepEqual(actual(state), expected)
    assert.equal(state.names.topicPrefix, 't1a2b3c4.acm.')
    assert.equal(state.names.groupPrefix, 't1a2b3c4.acmgw.')
  })

  test('--cluster-of keeps what lives on that system’s own cluster: its inbound topics, private topics, groups', () => {
    const state = desired(abcWorld(), { clusterOf: 'charlie' })
    assert.deepEqual(
      state.topics.map((t) => t.name),
      [
        'acm.alpha.charlie.groups',
        'acm.alpha.charlie.responses',
        'acm.alpha.charlie.status',
        'acm.charlie.dlq',
        'acm.charlie.state'
      ]
    )
    assert.deepEqual([...new Set(state.acls.map((a) => a.principal))].sort(), [
      'User:acmgw.alpha',
      'User:acmgw.charlie'
    ])
    // alpha may write into charlie's inbound topics there, and nothing else.
    assert.deepEqual(
      state.acls
        .filter((a) => a.system === 'alpha')
        .map((a) => a.operation)
        .sort(),
      ['DESCRIBE', 'DESCRIBE', 'DESCRIBE', 'WRITE', 'WRITE', 'WRITE']
    )
    assert.throws(
      () => desired(abcWorld(), { clusterOf: 'delta' }),
      (e: unknown) => GatewayError.is(e) && e.code === 'ACMGW_USAGE' && /no such system/.test(e.message)
    )
  })

  test('topic settings come from the templates; a replication factor override lowers min.insync.replicas', () => {
    const byName = (state: DesiredState, name: string) => state.topics.find((t) => t.name === name)
    const prod = desired(abcWorld())
    assert.deepEqual(byName(prod, 'acm.alpha.bravo.status'), {
      name: 'acm.alpha.bravo.status',
      partitions: 1,
      replicationFactor: 3,
      configs: {
        'cleanup.policy': 'compact',
        'delete.retention.ms': '86400000',
        'max.message.bytes': '1048576',
        'message.timestamp.type': 'CreateTime',
        'min.insync.replicas': '2',
        'unclean.leader.election.enable': 'false'
      },
      owner: { kind: 'link', from: 'alpha', to: 'bravo', category: 'status', agreementId: 'ab', status: 'ACTIVE' }
    })
    assert.equal(byName(prod, 'acm.bravo.alpha.groups')?.configs['retention.ms'], String(14 * 86_400_000))
    assert.equal(byName(prod, 'acm.bravo.alpha.users')?.configs['cleanup.policy'], 'compact,delete')
    assert.equal(byName(prod, 'acm.alpha.state')?.configs['retention.ms'], undefined)
    const table = [
      { rf: 1, minIsr: '1' },
      { rf: 2, minIsr: '2' },
      { rf: 5, minIsr: '2' }
    ]
    for (const row of table) {
      const topic = byName(desired(abcWorld(), { replicationFactor: row.rf }), 'acm.alpha.bravo.groups')
      assert.equal(topic?.replicationFactor, row.rf)
      assert.equal(topic?.configs['min.insync.replicas'], row.minIsr)
    }
  })

  test('link topic names are the ones the gateway uses (src/codec/catalogue.ts)', () => {
    for (const topic of desired(abcWorld()).topics) {
      if (topic.owner.kind !== 'link') continue
      assert.equal(topic.name, topicName(topic.owner.from, topic.owner.to, topic.owner.category))
    }
  })

  test('systems without an agreement still get their private topics and groups', () => {
    const state = desired(interconnection(['alpha'], []))
    assert.deepEqual(
      state.topics.map((t) => t.name),
      ['acm.alpha.dlq', 'acm.alpha.state']
    )
    assert.equal(state.acls.length, 3 + 3 + 3)
  })
})
