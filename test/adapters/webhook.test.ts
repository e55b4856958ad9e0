import assert from 'node:assert/strict'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import { createWebhookAdapter } from '../../src/adapters/webhook.ts'
import type { EffectBatch } from '../../src/adapters/effects.ts'
import { GatewayError } from '../../src/errors.ts'

const batch: EffectBatch = {
  idempotencyKey: 'be-police/m1',
  partner: 'be-police',
  messageId: 'm1',
  kind: 'GROUP_MEMBERSHIP_UPDATE',
  effects: [{ type: 'group.member.add', mcServiceGroupId: 'g', mcServiceId: 'u' }],
  limits: {}
}

async function server(t: TestContext, answers: ((req: IncomingMessage, body: string) => [number, string])[]) {
  const seen: { key: string | undefined; body: string }[] = []
  const http = createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => (body += d.toString()))
    req.on('end', () => {
      seen.push({ key: req.headers['idempotency-key'] as string | undefined, body })
      const answer = answers[Math.min(seen.length - 1, answers.length - 1)]!
      const [status, text] = answer(req, body)
      res.writeHead(status, { 'content-type': 'application/json' }).end(text)
    })
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => http.close(() => resolve())))
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/acm`, seen }
}

const ok = (): [number, string] => [
  200,
  JSON.stringify({ results: [{ item: 'group:g/user:u', result: 'ACCEPTED', reasonCode: null, reason: null }] })
]

test('retries 5xx with the same idempotency key, then returns the item results', async (t) => {
  const { url, seen } = await server(t, [() => [503, ''], () => [502, ''], ok])
  const adapter = createWebhookAdapter({ url, timeoutMs: 1000, retries: 3, backoffMs: 1 })
  const results = await adapter.apply(batch)
  assert.equal(results[0]?.result, 'ACCEPTED')
  assert.equal(seen.length, 3)
  assert.ok(seen.every((s) => s.key === 'be-police/m1'))
  assert.equal((JSON.parse(seen[0]!.body) as { event: string }).event, 'effects')
})

test('gives up after the bounded retries and says how often it tried; a 4xx is final at once', async (t) => {
  const failing = await server(t, [() => [500, '']])
  const adapter = createWebhookAdapter({ url: failing.url, timeoutMs: 1000, retries: 2, backoffMs: 1 })
  await assert.rejects(
    adapter.apply(batch),
    (e: unknown) => GatewayError.is(e) && e.code === 'ACMGW_ADAPTER_FAILED' && /after 3 attempt\(s\)/.test(e.message)
  )
  assert.equal(failing.seen.length, 3)

  const refusing = await server(t, [() => [422, '{}']])
  const strict = createWebhookAdapter({ url: refusing.url, timeoutMs: 1000, retries: 5, backoffMs: 1 })
  await assert.rejects(strict.apply(batch), /after 1 attempt\(s\): HTTP 422/)
})

test('an answer without one result per effect is an adapter failure, not a silent accept', async (t) => {
  const { url } = await server(t, [() => [200, '{"results":[]}']])
  const adapter = createWebhookAdapter({ url, timeoutMs: 1000, retries: 0, backoffMs: 1 })
  await assert.rejects(adapter.apply(batch), /without one item result per effect/)
})
