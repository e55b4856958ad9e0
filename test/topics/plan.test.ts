import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { AclBinding, TopicState } from '../../src/kafka/admin.ts'
import { desiredState, type DesiredState } from '../../src/topics/desired.ts'
import {
  type ActualState,
  changeCount,
  planChanges,
  renderDesired,
  renderPlan,
  type TopicsPlan
} from '../../src/topics/plan.ts'
import { interconnection, shippedTemplates } from './fixtures.ts'

const templates = shippedTemplates()
const want: DesiredState = desiredState(
  templates,
  interconnection(['alpha', 'bravo'], [{ id: 'ab', systems: ['alpha', 'bravo'], categories: ['status'] }]),
  { replicationFactor: 1 }
)

/** The cluster exactly as desired. */
function matching(): ActualState {
  return {
    brokers: 1,
    topics: want.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions,
      replicationFactor: t.replicationFactor,
      configs: { ...t.configs }
    })),
    acls: want.acls.map(({ resourceType, resourceName, patternType, principal, host, operation, permission }) => ({
      resourceType,
      resourceName,
      patternType,
      principal,
      host,
      operation,
      permission
    }))
  }
}

function acl(partial: Partial<AclBinding>): AclBinding {
  return {
    resourceType: 'TOPIC',
    resourceName: 'acm.alpha.bravo.status',
    patternType: 'LITERAL',
    principal: 'User:acmgw.charlie',
    host: '*',
    operation: 'READ',
    permission: 'ALLOW',
    ...partial
  }
}

function withTopic(actual: ActualState, name: string, change: (t: TopicState) => TopicState): ActualState {
  return { ...actual, topics: actual.topics.map((t) => (t.name === name ? change(t) : t)) }
}

interface Case {
  name: string
  actual: () => ActualState
  prune?: boolean
  expect: (plan: TopicsPlan) => void
}

const cases: Case[] = [
  {
    name: 'an empty cluster: every topic and every ACL to create',
    actual: () => ({ brokers: 1, topics: [], acls: [] }),
    expect: (plan) => {
      assert.equal(plan.topicsToCreate.length, want.topics.length)
      assert.equal(plan.aclsToAdd.length, want.acls.length)
      assert.equal(plan.drift, true)
      assert.equal(changeCount(plan), want.topics.length + want.acls.length)
    }
  },
  {
    name: 'a cluster as desired: no drift',
    actual: matching,
    expect: (plan) => {
      assert.equal(plan.drift, false)
      assert.equal(changeCount(plan), 0)
      assert.deepEqual([plan.conflicts, plan.warnings, plan.topicsRetained], [[], [], []])
    }
  },
  {
    name: 'an extra grant on a managed topic is removed',
    actual: () => ({ ...matching(), acls: [...matching().acls, acl({})] }),
    expect: (plan) => {
      assert.deepEqual(plan.aclsToRemove, [acl({})])
      assert.equal(plan.aclsToAdd.length, 0)
      assert.equal(plan.drift, true)
    }
  },
  {
    name: 'a DENY, a PREFIXED grant or another host inside the managed names are removed too',
    actual: () => ({
      ...matching(),
      acls: [
        ...matching().acls,
        acl({ permission: 'DENY', principal: 'User:acmgw.alpha', operation: 'WRITE' }),
        acl({ patternType: 'PREFIXED', resourceName: 'acm.alpha.' }),
        acl({ resourceType: 'GROUP', resourceName: 'acmgw.alpha', principal: 'User:acmgw.bravo' }),
        acl({
          host: '10.0.0.1',
          principal: 'User:acmgw.bravo',
          operation: 'READ',
          resourceName: 'acm.alpha.bravo.status'
        })
      ]
    }),
    expect: (plan) => assert.equal(plan.aclsToRemove.length, 4)
  },
  {
    name: 'a missing grant is added back',
    actual: () => ({
      ...matching(),
      acls: matching().acls.filter(
        (a) =>
          !(a.principal === 'User:acmgw.bravo' && a.operation === 'READ' && a.resourceName === 'acm.alpha.bravo.status')
      )
    }),
    expect: (plan) => {
      assert.deepEqual(
        plan.aclsToAdd.map((a) => [a.principal, a.operation, a.resourceName, a.role]),
        [['User:acmgw.bravo', 'READ', 'acm.alpha.bravo.status', 'reader']]
      )
      assert.equal(plan.aclsToRemove.length, 0)
    }
  },
  {
    name: 'ACLs outside the managed names are never touched, however broad',
    actual: () => ({
      ...matching(),
      acls: [
        ...matching().acls,
        acl({ resourceName: 'orders', principal: 'User:shop' }),
        acl({ resourceType: 'GROUP', resourceName: 'shop', principal: 'User:shop' }),
        acl({ resourceType: 'CLUSTER', resourceName: 'kafka-cluster', operation: 'DESCRIBE' }),
        acl({ resourceName: 't1.acm.alpha.bravo.status' })
      ]
    }),
    expect: (plan) => {
      assert.equal(plan.drift, false)
      assert.deepEqual(plan.warnings, [])
    }
  },
  {
    name: 'a wildcard or a shorter prefix reaching managed names is a warning, not a change',
    actual: () => ({
      ...matching(),
      acls: [
        ...matching().acls,
        acl({ resourceName: '*', principal: 'User:monitor', operation: 'DESCRIBE' }),
        acl({ patternType: 'PREFIXED', resourceName: 'ac', principal: 'User:x' }),
        acl({ resourceType: 'GROUP', patternType: 'PREFIXED', resourceName: 'acmgw', principal: 'User:x' })
      ]
    }),
    expect: (plan) => {
      assert.equal(plan.drift, false)
      assert.equal(plan.warnings.length, 3)
      assert.match(
        plan.warnings[0]?.message ?? '',
        /ALLOW User:monitor DESCRIBE on every topic \(LITERAL "\*"\) also covers the managed resources/
      )
      assert.match(plan.warnings[1]?.message ?? '', /every topic starting with "ac" \(PREFIXED\)/)
    }
  },
  {
    name: 'a config changed by hand is set back; the whole set is sent (AlterConfigs replaces it)',
    actual: () =>
      withTopic(matching(), 'acm.alpha.bravo.responses', (t) => ({
        ...t,
        configs: { ...t.configs, 'retention.ms': '1000', 'segment.ms': '60000' }
      })),
    expect: (plan) => {
      assert.equal(plan.topicsToAlter.length, 1)
      const alteration = plan.topicsToAlter[0]
      assert.deepEqual(alteration?.configs, [
        { key: 'retention.ms', from: '1000', to: '1209600000' },
        { key: 'segment.ms', from: '60000', to: null }
      ])
      assert.equal(alteration?.partitions, null)
      assert.deepEqual(
        alteration?.desiredConfigs,
        want.topics.find((t) => t.name === 'acm.alpha.bravo.responses')?.configs
      )
    }
  },
  {
    name: 'cleanup.policy in another order is the same policy',
    actual: () =>
      withTopic(matching(), 'acm.alpha.bravo.responses', (t) => ({
        ...t,
        configs: { ...t.configs, 'cleanup.policy': 'delete' }
      })),
    expect: (plan) => assert.equal(plan.drift, false)
  },
  {
    name: 'fewer partitions than the template: grown',
    actual: () => withTopic(matching(), 'acm.alpha.bravo.responses', (t) => ({ ...t, partitions: 1 })),
    expect: (plan) => {
      assert.deepEqual(plan.topicsToAlter[0]?.partitions, { from: 1, to: 3 })
      assert.deepEqual(plan.topicsToAlter[0]?.configs, [])
      assert.equal(plan.warnings[0]?.topic, 'acm.alpha.bravo.responses')
      assert.match(plan.warnings[0]?.message ?? '', /more partitions move keys to other partitions/)
    }
  },
  {
    name: 'more partitions than the template: a conflict (Kafka cannot shrink)',
    actual: () => withTopic(matching(), 'acm.alpha.bravo.status', (t) => ({ ...t, partitions: 4 })),
    expect: (plan) => {
      assert.equal(plan.conflicts.length, 1)
      assert.match(
        plan.conflicts[0]?.message ?? '',
        /has 4 partitions, the template says 1: Kafka cannot remove partitions/
      )
      assert.equal(plan.drift, false)
    }
  },
  {
    name: 'another replication factor: a conflict',
    actual: () => withTopic(matching(), 'acm.alpha.bravo.status', (t) => ({ ...t, replicationFactor: 2 })),
    expect: (plan) => assert.match(plan.conflicts[0]?.message ?? '', /replication factor 2, the template says 1/)
  },
  {
    name: 'a replication factor the cluster cannot hold: a conflict naming the way out',
    actual: () => ({ brokers: 0, topics: [], acls: [] }),
    expect: (plan) => {
      assert.equal(plan.topicsToCreate.length, 0)
      assert.match(plan.conflicts[0]?.message ?? '', /needs 1 brokers, the cluster has 0/)
    }
  },
  {
    name: 'a managed topic nothing desires is kept, not drift',
    actual: () => ({
      ...matching(),
      topics: [
        ...matching().topics,
        { name: 'acm.alpha.bravo.users', partitions: 3, replicationFactor: 1, configs: {} }
      ]
    }),
    expect: (plan) => {
      assert.deepEqual(plan.topicsRetained, ['acm.alpha.bravo.users'])
      assert.deepEqual(plan.topicsToDelete, [])
      assert.equal(plan.drift, false)
    }
  },
  {
    name: '… and deleted with --prune',
    prune: true,
    actual: () => ({
      ...matching(),
      topics: [
        ...matching().topics,
        { name: 'acm.alpha.bravo.users', partitions: 3, replicationFactor: 1, configs: {} }
      ]
    }),
    expect: (plan) => {
      assert.deepEqual(plan.topicsToDelete, ['acm.alpha.bravo.users'])
      assert.deepEqual(plan.topicsRetained, [])
      assert.equal(plan.drift, true)
    }
  },
  {
    name: 'topics outside the managed names are never listed',
    prune: true,
    actual: () => ({
      ...matching(),
      topics: [
        ...matching().topics,
        { name: 'orders', partitions: 1, replicationFactor: 1, configs: {} },
        { name: '__consumer_offsets', partitions: 3, replicationFactor: 1, configs: {} }
      ]
    }),
    expect: (plan) => assert.equal(plan.drift, false)
  }
]

describe('planning: desired vs actual', () => {
  for (const c of cases) {
    test(c.name, () => c.expect(planChanges(want, c.actual(), { prune: c.prune === true })))
  }

  test('the plan reads as a table: one section per kind of change, one aligned row per change', () => {
    const actual = withTopic(
      { ...matching(), acls: [...matching().acls, acl({})] },
      'acm.alpha.bravo.responses',
      (t) => ({ ...t, partitions: 1, configs: { ...t.configs, 'retention.ms': '1000' } })
    )
    actual.topics = actual.topics.filter((t) => t.name !== 'acm.bravo.dlq')
    actual.topics.push({ name: 'acm.alpha.bravo.users', partitions: 3, replicationFactor: 1, configs: {} })
    const text = renderPlan(planChanges(want, actual))
    assert.match(text, /^topics and ACLs plan: namespace \(none\), shared cluster; desired 8 topics and 34 ACLs\n/)
    assert.match(
      text,
      /\ntopics to create \(1\)\n {2}\+ {2}acm\.bravo\.dlq {2}partitions 1 {2}replicas 1 {2}cleanup\.policy=delete /
    )
    assert.match(
      text,
      /\ntopics to alter \(1\)\n {2}~ {2}acm\.alpha\.bravo\.responses {2}partitions 1 → 3; retention\.ms 1000 → 1209600000\n/
    )
    assert.match(
      text,
      /\nACLs to remove \(1\)\n {2}- {2}ALLOW {2}User:acmgw\.charlie {2}READ {2}topic {2}acm\.alpha\.bravo\.status\n/
    )
    assert.match(
      text,
      /\ntopics no longer desired, kept for their retention \(--prune --yes deletes them\) \(1\)\n {2}= {2}acm\.alpha\.bravo\.users\n/
    )
    assert.match(
      text,
      /\ndrift: 3 change\(s\): 1 topic\(s\) to create, 1 to alter, 0 to delete; 0 ACL\(s\) to add, 1 to remove$/
    )
    assert.match(
      renderPlan(planChanges(want, matching())),
      /\nno drift: the cluster matches the templates and agreements$/
    )
  })

  test('the desired state alone reads as two tables with the reason of every grant', () => {
    const text = renderDesired(want)
    assert.match(text, /^desired topics and ACLs: namespace \(none\), shared cluster\n\ntopics \(8\)\n/)
    assert.match(
      text,
      /\n {2}ALLOW {2}User:acmgw\.alpha {2}WRITE +topic {2}acm\.alpha\.bravo\.responses +\(writer, agreement ab, ACTIVE\)\n/
    )
    assert.match(
      text,
      /\n {2}ALLOW {2}User:acmgw\.bravo {2}READ +group {2}acmgw\.bravo\.state\. \(PREFIXED\) +\(group:stateFollowers, consumer group\)\n/
    )
  })
})
