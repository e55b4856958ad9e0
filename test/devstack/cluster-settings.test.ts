import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { clusterOverrides, renderClusterNodeProperties, renderServerProperties } from '../../src/devstack/settings.ts'

function properties(text: string): Map<string, string> {
  const lines = text.trim().split('\n')
  const keys = lines.map((line) => line.slice(0, line.indexOf('=')))
  assert.equal(new Set(keys).size, keys.length, 'no key twice')
  return new Map(lines.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]))
}

const voters = [
  { nodeId: 1, controllerPort: 2001 },
  { nodeId: 2, controllerPort: 2002 },
  { nodeId: 3, controllerPort: 2003 }
]

const node = (nodeId: number) => ({
  host: 'localhost',
  listenHost: 'localhost',
  nodeId,
  ports: { broker: 1000 + nodeId, controller: 2000 + nodeId },
  files: { keystore: '/k/broker.pem', truststore: '/k/ca.crt', dataDir: `/d/node-${nodeId}` }
})

describe('cluster node server.properties', () => {
  const second = properties(renderClusterNodeProperties(node(2), { voters }))

  test('every node is broker and controller of one static quorum, with its own id, ports and data', () => {
    assert.equal(second.get('process.roles'), 'broker,controller')
    assert.equal(second.get('node.id'), '2')
    assert.equal(second.get('controller.quorum.voters'), '1@localhost:2001,2@localhost:2002,3@localhost:2003')
    assert.equal(second.get('listeners'), 'SSL://localhost:1002,CONTROLLER://localhost:2002')
    assert.equal(second.get('advertised.listeners'), 'SSL://localhost:1002')
    assert.equal(second.get('log.dirs'), '/d/node-2')
  })

  test('replication factor 3 and min.insync.replicas 2 for topics, offsets and transaction state', () => {
    assert.equal(second.get('default.replication.factor'), '3')
    assert.equal(second.get('min.insync.replicas'), '2')
    assert.equal(second.get('offsets.topic.replication.factor'), '3')
    assert.equal(second.get('transaction.state.log.replication.factor'), '3')
    assert.equal(second.get('transaction.state.log.min.isr'), '2')
    assert.equal(second.get('share.coordinator.state.topic.replication.factor'), '3')
    assert.equal(second.get('unclean.leader.election.enable'), 'false')
  })

  test('the same mTLS and ACL settings as the single node: only quorum and replication differ', () => {
    const single = properties(renderServerProperties(node(2)))
    const changed = new Set(clusterOverrides({ voters }).map(([key]) => key))
    for (const [key, value] of single) {
      if (!changed.has(key)) assert.equal(second.get(key), value, key)
    }
    assert.equal(second.get('ssl.client.auth'), 'required')
    assert.equal(second.get('allow.everyone.if.no.acl.found'), 'false')
    assert.equal(second.get('listener.security.protocol.map'), 'SSL:SSL,CONTROLLER:SSL')
  })

  test('replication never exceeds the node count, min ISR never exceeds replication', () => {
    const two = new Map(clusterOverrides({ voters: voters.slice(0, 2) }))
    assert.equal(two.get('default.replication.factor'), 2)
    assert.equal(two.get('min.insync.replicas'), 2)
    const one = new Map(clusterOverrides({ voters: voters.slice(0, 1), replicationFactor: 3, minInsyncReplicas: 2 }))
    assert.equal(one.get('default.replication.factor'), 1)
    assert.equal(one.get('min.insync.replicas'), 1)
  })

  test('the single node stays as it was: one voter, replication 1', () => {
    const single = properties(renderServerProperties(node(1)))
    assert.equal(single.get('controller.quorum.voters'), '1@localhost:2001')
    assert.equal(single.get('offsets.topic.replication.factor'), '1')
    assert.equal(single.has('min.insync.replicas'), false)
  })
})
