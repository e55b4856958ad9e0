import assert from 'node:assert/strict'
import { test } from 'node:test'
import { pino } from 'pino'
import { createShutdown } from '../../src/gateway/shutdown.ts'

test('steps stop in reverse order; one that hangs is left behind and the rest still stop', async () => {
  const order: string[] = []
  const shutdown = createShutdown(pino({ level: 'silent' }), 50)
  shutdown.onStop('audit log', () => Promise.resolve(void order.push('audit log')))
  shutdown.onStop('producer', () => Promise.reject(new Error('already closed')))
  shutdown.onStop('consumer', () => new Promise<void>(() => order.push('consumer (never finishes)')))
  shutdown.onStop('timer', () => Promise.resolve(void order.push('timer')))
  const started = Date.now()
  assert.deepEqual(await shutdown.stopAll(), { complete: false })
  assert.ok(Date.now() - started < 1_000)
  assert.deepEqual(order, ['timer', 'consumer (never finishes)', 'audit log'])
  assert.deepEqual(await shutdown.stopAll(), { complete: true }, 'a second stop has nothing left to do')
})
