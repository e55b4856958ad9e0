/**
 * Metrics and readiness of a real gateway pair on the real broker: messages counted by direction, partner,
 * kind and outcome, the end-to-end latency histogram, lag gauges, certificate expiry, /readyz checks; and two
 * gateways in one process keep separate registries.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { buildHttpApp } from '../../src/http/app.ts'
import { opsEndpoints } from '../../src/ops/status.ts'
import { body } from '../helpers/acm.ts'
import { gatewayPair, runGateway, waitFor } from '../helpers/gateway.ts'

const requester = { mcServiceId: 'sip:chief@a.example', functionalAlias: null }

/** The value of one sample line, by metric name and exact label set (order as prom-client writes it). */
function sampleValue(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue
    const inner = line.slice(name.length + 1, line.indexOf('}'))
    const got = new Map([...inner.matchAll(/(\w+)="([^"]*)"/g)].map((m): [string, string] => [m[1] ?? '', m[2] ?? '']))
    if (Object.keys(labels).length !== got.size) continue
    if (Object.entries(labels).every(([k, v]) => got.get(k) === v)) return Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return undefined
}

describe('metrics and readiness', () => {
  test('a decided request shows in both gateways’ metrics; /readyz checks broker, group and certificates', async (t) => {
    const pair = await gatewayPair(t, { categories: ['groups'] })
    const a = await runGateway(t, pair.configA)
    const b = await runGateway(t, pair.configB)
    const receipt = await a.service.send({
      kind: 'GROUP_MEMBERSHIP_UPDATE',
      partner: pair.b,
      agreementId: pair.agreementId,
      requester,
      target: { mcServiceId: 'sip:admin@b.example' },
      body: body('GROUP_MEMBERSHIP_UPDATE')
    })
    await waitFor('the answer', () => a.service.trace(receipt.messageId)?.status === 'answered')

    const app = buildHttpApp({ service: b.service, readiness: () => b.ready(), ops: opsEndpoints(b) })
    t.after(() => app.close())
    // The receiver commits its offset just after it answers: sample until the monitor sees it.
    const deadline = Date.now() + 30_000
    while (!(await b.lag.poll()).some((l) => l.partner === pair.a && l.lagMessages === 0)) {
      if (Date.now() > deadline) throw new Error('the link never caught up')
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    const response = await app.inject({ url: '/metrics' })
    assert.equal(response.statusCode, 200)
    assert.match(response.headers['content-type'] ?? '', /^text\/plain; version=0\.0\.4/)
    const text = response.body
    const inbound = { direction: 'inbound', partner: pair.a, kind: 'GROUP_MEMBERSHIP_UPDATE' }
    assert.equal(sampleValue(text, 'acmgw_messages_total', { ...inbound, event: 'received', outcome: 'none' }), 1)
    assert.equal(sampleValue(text, 'acmgw_messages_total', { ...inbound, event: 'applied', outcome: 'ACCEPTED' }), 1)
    assert.equal(sampleValue(text, 'acmgw_message_latency_seconds_count', inbound), 1)
    assert.equal(sampleValue(text, 'acmgw_pending_requests', { partner: pair.a }), 0)
    assert.equal(sampleValue(text, 'acmgw_dead_letters', { partner: pair.a }), 0)
    assert.equal(sampleValue(text, 'acmgw_link_status', { partner: pair.a, status: 'OK' }), 1)
    assert.equal(sampleValue(text, 'acmgw_link_status', { partner: pair.a, status: 'STOPPED' }), 0)
    const topic = `acm.${pair.a}.${pair.b}.groups`
    const lagged = [0, 1].map((p) =>
      sampleValue(text, 'acmgw_lag_messages', { partner: pair.a, topic, partition: String(p) })
    )
    assert.deepEqual(lagged, [0, 0])
    assert.equal(sampleValue(text, 'acmgw_lag_seconds', { partner: pair.a, topic, partition: '0' }), 0)
    for (const certificate of ['tls', 'signing', 'ca']) {
      const days = sampleValue(text, 'acmgw_certificate_expiry_days', { system: pair.b, certificate })
      assert.ok(days !== undefined && days > 0, `${certificate}: ${days}`)
    }
    for (const certificate of ['partner-signing', 'partner-encryption']) {
      const days = sampleValue(text, 'acmgw_certificate_expiry_days', { system: pair.a, certificate })
      assert.ok(days !== undefined && days > 0, `${certificate}: ${days}`)
    }
    assert.match(text, /^process_cpu_user_seconds_total /m)
    // Bounded labels: no message id, user or free text anywhere in the exposition.
    assert.doesNotMatch(text, new RegExp(receipt.messageId))
    assert.doesNotMatch(text, /sip:/)

    // The sender's registry is its own: outbound counts there, none of b's inbound ones.
    const aText = await a.metrics.render()
    const outbound = { direction: 'outbound', partner: pair.b, kind: 'GROUP_MEMBERSHIP_UPDATE' }
    assert.equal(sampleValue(aText, 'acmgw_messages_total', { ...outbound, event: 'sent', outcome: 'none' }), 1)
    assert.equal(sampleValue(aText, 'acmgw_message_latency_seconds_count', outbound), 1)
    assert.equal(
      sampleValue(aText, 'acmgw_messages_total', { ...inbound, event: 'received', outcome: 'none' }),
      undefined
    )

    const ready = await app.inject({ url: '/readyz' })
    assert.equal(ready.statusCode, 200, ready.body)
    const checks = ready.json<{ checks: Record<string, { ok: boolean; detail: string }> }>().checks
    assert.deepEqual(Object.keys(checks).sort(), ['broker', 'certificates', 'consumer', 'state'])
    assert.match(checks.broker?.detail ?? '', /broker\(s\) answered/)
    assert.match(checks.consumer?.detail ?? '', new RegExp(`in group acmgw\\.${pair.b} with \\d+ partition`))
    assert.match(checks.certificates?.detail ?? '', /valid; next to expire/)
    assert.equal((await app.inject({ url: '/livez' })).statusCode, 200)

    await b.stop()
    const after = await b.ready()
    assert.equal(after.ready, false, 'a stopped gateway is not ready')
    assert.equal(after.checks.consumer?.ok, false)
  })
})
