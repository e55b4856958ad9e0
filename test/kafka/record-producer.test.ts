/**
 * The record producer starts a new idempotent session after a failed send: the broker may have written part of
 * the failed request while kafkajs kept that partition's sequence number, and a reused number makes the broker
 * drop the next batch as a duplicate while answering success (docs/faults.md, run 5). A fake client stands in
 * for kafkajs here; the fault suite exercises the real one.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Kafka } from 'kafkajs'
import { createRecordProducer } from '../../src/kafka/records.ts'

test('a failed send is followed by a fresh producer session; a successful one keeps the session', async () => {
  const sessions: { id: number; connected: boolean; batches: number }[] = []
  let failNext = false
  const kafka = {
    producer: () => {
      const session = { id: sessions.length + 1, connected: false, batches: 0 }
      sessions.push(session)
      return {
        connect: () => Promise.resolve(void (session.connected = true)),
        disconnect: () => Promise.resolve(void (session.connected = false)),
        sendBatch: ({ topicMessages }: { topicMessages: { topic: string; messages: { partition: number }[] }[] }) => {
          session.batches++
          if (failNext) {
            failNext = false
            return Promise.reject(new Error('the leader went away'))
          }
          return Promise.resolve(
            topicMessages.flatMap((t) => t.messages.map((m) => ({ topicName: t.topic, partition: m.partition })))
          )
        }
      }
    },
    admin: () => ({
      connect: () => Promise.resolve(),
      disconnect: () => Promise.resolve(),
      fetchTopicMetadata: () =>
        Promise.resolve({
          topics: [
            { name: 't', partitions: [{ partitionId: 0, leader: 1, replicas: [1], isr: [1], offlineReplicas: [] }] }
          ]
        })
    })
  } as unknown as Kafka
  const producer = await createRecordProducer(kafka)
  const record = { topic: 't', key: Buffer.from('k'), value: Buffer.from('v') }

  await producer.send([record])
  await producer.send([record])
  assert.equal(sessions.length, 1, 'successful sends keep their session')

  failNext = true
  await assert.rejects(producer.send([record]), /leader went away/)
  await producer.send([record])
  assert.equal(sessions.length, 2, 'the send after a failure runs in a new session')
  assert.equal(sessions[0]?.connected, false, 'the old session is closed')
  assert.equal(sessions[1]?.connected, true)
  assert.equal(sessions[1]?.batches, 1)

  await producer.close()
  assert.equal(sessions[1]?.connected, false)
})
