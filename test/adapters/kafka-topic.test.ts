import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createKafkaTopicAdapter, type TopicRecord } from '../../src/adapters/kafka-topic.ts'

test('each batch becomes one keyed JSON record; every effect is answered as delivered', async () => {
  const sent: TopicRecord[] = []
  const adapter = createKafkaTopicAdapter({
    topic: 'mcx.local.effects',
    send: (records) => Promise.resolve(void sent.push(...records))
  })
  const results = await adapter.apply({
    idempotencyKey: 'be-police/m1',
    partner: 'be-police',
    messageId: 'm1',
    kind: 'GROUP_MEMBERSHIP_UPDATE',
    effects: [
      { type: 'group.member.add', mcServiceGroupId: 'g', mcServiceId: 'u1' },
      { type: 'group.member.add', mcServiceGroupId: 'g', mcServiceId: 'u2' }
    ],
    limits: {}
  })
  assert.deepEqual(
    results.map((r) => [r.item, r.result, r.reasonCode]),
    [
      ['group:g/user:u1', 'ACCEPTED', 'DELIVERED'],
      ['group:g/user:u2', 'ACCEPTED', 'DELIVERED']
    ]
  )
  assert.equal(sent.length, 1)
  assert.equal(sent[0]?.key.toString(), 'be-police/m1')
  assert.equal((JSON.parse(sent[0].value.toString()) as { event: string; effects: unknown[] }).effects.length, 2)
  await adapter.notifyPending({ messageId: 'm2', partner: 'be-police', kind: 'X', requester: 'r' })
  assert.equal(sent[1]?.key.toString(), 'pending/m2')
})

test('a failed send is a failed apply (the gateway retries, then dead-letters)', async () => {
  const adapter = createKafkaTopicAdapter({ topic: 't', send: () => Promise.reject(new Error('broker gone')) })
  await assert.rejects(
    adapter.apply({ idempotencyKey: 'k', partner: 'p', messageId: 'm', kind: 'X', effects: [], limits: {} }),
    /broker gone/
  )
})
