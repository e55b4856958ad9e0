/**
 * The three-node harness itself: replication factor 3 and min.insync.replicas 2 are in force, a killed node
 * leaves the cluster writable with acks=all, a frozen node comes back, and a restarted node rejoins.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import kafkajs from 'kafkajs'
import {
  killNode,
  liveBrokers,
  nodePid,
  pauseNode,
  resumeNode,
  startNode,
  waitForBrokers
} from '../../src/devstack/cluster.ts'
import { adminEndpoint } from '../../src/devstack/stack.ts'
import { connectedAdmin, kafkaFor, uniqueName } from '../helpers/stack.ts'
import { createTopicAndWait, faultCluster, partitionLeader, untilItSucceeds } from './harness.ts'

const { ConfigResourceTypes } = kafkajs

const cluster = faultCluster

test('three live brokers; new topics get replication factor 3 and min.insync.replicas 2', async (t) => {
  const info = await cluster()
  assert.deepEqual(await liveBrokers(info), [1, 2, 3])
  const admin = await connectedAdmin(t)
  const topic = uniqueName('faults-harness')
  await createTopicAndWait(admin, topic, 2)
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] })
  for (const p of metadata.topics[0]?.partitions ?? []) assert.equal(p.replicas.length, 3)
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas'] }]
  })
  assert.equal(described.resources[0]?.configEntries[0]?.configValue, '2')
  await admin.deleteTopics({ topics: [topic] })
})

test('SIGKILL of a node keeps acks=all writes going; SIGSTOP/SIGCONT and restart bring it back', async (t) => {
  const info = await cluster()
  const admin = await connectedAdmin(t)
  const topic = uniqueName('faults-harness')
  await createTopicAndWait(admin, topic, 1)
  const leader = await partitionLeader(admin, topic, 0)

  const producer = (await kafkaFor(adminEndpoint(info), { retries: 10 })).producer({ idempotent: true })
  await producer.connect()
  t.after(() => producer.disconnect())
  await killNode(info, leader)
  assert.equal(await nodePid(info, leader), undefined)
  // The first attempts may meet the dead leader: kafkajs gives up on a refused connection, the client retries.
  let attempts = 0
  await untilItSucceeds(() => {
    attempts++
    return producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'with one node down' }] })
  }, 60_000)
  await startNode(info, leader)
  await waitForBrokers(info, [1, 2, 3], 120_000)

  const current = await partitionLeader(admin, topic, 0)
  const frozen = [1, 2, 3].find((id) => id !== current) ?? 1
  await pauseNode(info, frozen)
  await untilItSucceeds(() => {
    attempts++
    return producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'with one node frozen' }] })
  }, 60_000)
  await resumeNode(info, frozen)
  await waitForBrokers(info, [1, 2, 3], 120_000)
  // Both acknowledged writes are in the log (a send that threw may have landed too: a new call is a new write).
  const offsets = await admin.fetchTopicOffsets(topic)
  assert.ok(Number(offsets[0]?.high) >= 2, `high watermark ${offsets[0]?.high}`)
  console.log(
    `harness: leader ${leader} killed and restarted, node ${frozen} frozen and thawed, ${attempts} send attempts`
  )
  await admin.deleteTopics({ topics: [topic] })
})
