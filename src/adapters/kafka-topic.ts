/**
 * Hands effect batches to the local MCX system through a Kafka topic of the local cluster: one JSON record per
 * batch, keyed by the idempotency key (so a redelivered batch is recognisable downstream and stays in order per
 * key). The local system applies them asynchronously, so every effect is answered ACCEPTED with reason code
 * DELIVERED: "handed over", not "checked"; per-item refusals need the webhook or directory adapter.
 */
import type { EffectBatch, ItemResult, LocalSystemAdapter } from './effects.ts'
import { itemOf } from './effects.ts'

export interface TopicRecord {
  topic: string
  key: Buffer
  value: Buffer
}

export function createKafkaTopicAdapter(options: {
  topic: string
  /** Sends with acks=all and resolves once acknowledged (src/kafka/records.ts RecordProducer). */
  send: (records: TopicRecord[]) => Promise<void>
}): LocalSystemAdapter {
  const record = (key: string, value: unknown): TopicRecord => ({
    topic: options.topic,
    key: Buffer.from(key),
    value: Buffer.from(JSON.stringify(value))
  })
  return {
    name: 'kafka',
    async apply(batch: EffectBatch): Promise<ItemResult[]> {
      await options.send([record(batch.idempotencyKey, { event: 'effects', ...batch })])
      return batch.effects.map((effect) => ({
        item: itemOf(effect),
        result: 'ACCEPTED',
        reasonCode: 'DELIVERED',
        reason: `handed to ${options.topic}`
      }))
    },
    async notifyPending(notice) {
      await options.send([record(`pending/${notice.messageId}`, { event: 'pending', ...notice })])
    },
    close: () => Promise.resolve()
  }
}
