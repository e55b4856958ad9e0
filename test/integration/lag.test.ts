/**
 * Lag on the real broker: `acmgw lag` and the gateway's own monitor see a link go STOPPED (with lag in messages
 * and in seconds) while the receiving gateway is down and the sender keeps sending, and OK again when it returns.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { loadConfig } from '../../src/config/load.ts'
import { gatewayGroup } from '../../src/gateway/runtime.ts'
import { createKafkaClient } from '../../src/kafka/client.ts'
import { createLagReader } from '../../src/kafka/lag.ts'
import type { LinkLag } from '../../src/ops/lag.ts'
import { body } from '../helpers/acm.ts'
import { acmgw } from '../helpers/cli.ts'
import { gatewayPair, runGateway, waitFor } from '../helpers/gateway.ts'

const requester = { mcServiceId: 'sip:chief@a.example', functionalAlias: null }

async function lagOf(configFile: string, partner: string): Promise<LinkLag> {
  const run = await acmgw(['lag', '--config', configFile, '--partner', partner, '--json'])
  assert.equal(run.code, 0, run.err)
  const links = JSON.parse(run.out) as LinkLag[]
  assert.equal(links.length, 1)
  return links[0] as LinkLag
}

async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

describe('lag of a link', () => {
  test('a link goes STOPPED while the receiving gateway is down and the sender keeps sending, and OK when it returns', async (t) => {
    const pair = await gatewayPair(t, { categories: ['groups'] })
    const a = await runGateway(t, pair.configA)
    let b = await runGateway(t, pair.configB)
    const send = () =>
      a.service.send({
        kind: 'GROUP_MEMBERSHIP_UPDATE',
        partner: pair.b,
        agreementId: pair.agreementId,
        requester,
        target: { mcServiceId: 'sip:admin@b.example' },
        body: body('GROUP_MEMBERSHIP_UPDATE')
      })
    const first = await send()
    await waitFor('the first answer', () => a.service.trace(first.messageId)?.status === 'answered')
    let link: LinkLag | undefined
    await eventually('the link to be caught up', async () => {
      link = await lagOf(pair.configB, pair.a)
      return link.status === 'OK' && link.lagMessages === 0
    })
    assert.equal(link?.lagSeconds, 0)
    assert.equal(link?.group, gatewayGroup(pair.b))
    assert.ok(link?.partitions.every((p) => p.topic.startsWith(`acm.${pair.a}.${pair.b}.`)))

    await b.stop()
    const whileDown = [await send(), await send()]
    await eventually('the link to show the receiver gone', async () => {
      link = await lagOf(pair.configB, pair.a)
      return link.status === 'STOPPED' && link.lagMessages >= 2
    })
    assert.match(link?.reason ?? '', /no member in group/)
    assert.ok(link?.lagSeconds !== null && (link?.lagSeconds ?? -1) >= 0, 'lag in seconds from record timestamps')
    const behind = link?.partitions.filter((p) => p.lagMessages > 0) ?? []
    assert.ok(behind.length > 0)
    for (const p of behind) assert.equal(BigInt(p.end) - BigInt(p.position), BigInt(p.lagMessages))

    // --watch keeps the history that STALLED needs; with the group empty the link stays STOPPED.
    const watched = await acmgw([
      'lag',
      '--config',
      pair.configB,
      '--partner',
      pair.a,
      '--watch',
      '--interval',
      '200ms',
      '--samples',
      '3',
      '--json'
    ])
    assert.equal(watched.code, 0, watched.err)
    const lines = watched.out.split('\n').map((l) => JSON.parse(l) as LinkLag[])
    assert.equal(lines.length, 3)
    assert.ok(lines.every((l) => l[0]?.status === 'STOPPED'))
    assert.ok((lines[2]?.[0]?.partitions.find((p) => p.lagMessages > 0)?.unmovedIntervals ?? 0) >= 2)

    b = await runGateway(t, pair.configB)
    for (const receipt of whileDown) {
      await waitFor('the answers after the restart', () => a.service.trace(receipt.messageId)?.status === 'answered')
    }
    await eventually('the link to be OK again', async () => {
      link = await lagOf(pair.configB, pair.a)
      return link.status === 'OK' && link.lagMessages === 0
    })
    // The gateway's own monitor reads the same link.
    await eventually('the in-process monitor to see it', async () => {
      const links = await b.lag.poll()
      return links.some((l) => l.partner === pair.a && l.status === 'OK' && l.lagMessages === 0)
    })
    const snapshot = b.lag.snapshot()
    assert.ok((snapshot.history[pair.a]?.length ?? 0) >= 1)
    assert.equal(snapshot.error, null)
  })

  test('the cost of a sample: requests per interval, with and without a timestamp probe', async (t) => {
    const pair = await gatewayPair(t, { categories: ['groups', 'migration'] })
    const a = await runGateway(t, pair.configA)
    const config = await loadConfig(pair.configB)
    const kafka = await createKafkaClient({
      brokers: config.kafka.brokers,
      tls: { caFile: config.kafka.tls.ca, certFile: config.kafka.tls.cert, keyFile: config.kafka.tls.key },
      clientId: 'lag-cost'
    })
    const reader = createLagReader(kafka, {
      self: pair.b,
      group: gatewayGroup(pair.b),
      probeGroupPrefix: `${gatewayGroup(pair.b)}.state.lag-`
    })
    t.after(() => reader.close())
    const links = await reader.discoverLinks([pair.a])
    const topics = links[0]?.topics.length ?? 0
    assert.equal(topics, 4, 'status, groups, migration, responses')
    await reader.sample(links) // connects and loads metadata
    const before = reader.stats()
    await reader.sample(links)
    const quiet = reader.stats()
    const perQuietSample = quiet.adminRequests - before.adminRequests
    const byApi = Object.entries(quiet.adminRequestsByApi)
      .map(([api, n]) => `${api} ${n - (before.adminRequestsByApi[api] ?? 0)}`)
      .filter((x) => !x.endsWith(' 0'))
      .join(', ')
    assert.equal(quiet.probes, before.probes, 'no lag, no probe')

    // b is not running: a's record waits, so the next sample probes its timestamp once and then remembers it.
    await a.service.send({
      kind: 'GROUP_MEMBERSHIP_UPDATE',
      partner: pair.b,
      agreementId: pair.agreementId,
      requester,
      target: { mcServiceId: 'sip:admin@b.example' },
      body: body('GROUP_MEMBERSHIP_UPDATE')
    })
    const [probed] = await reader.sample(links)
    const afterProbe = reader.stats()
    assert.equal(afterProbe.probes, quiet.probes + 1)
    const first = probed?.partitions.find((p) => p.headTimestamp !== null)
    assert.ok(first, 'the probe read the timestamp of the first unconsumed record')
    await reader.sample(links)
    const remembered = reader.stats()
    assert.equal(remembered.probes, afterProbe.probes, 'an unmoved position is not probed again')
    t.diagnostic(
      `lag sample cost for ${topics} topics: ${perQuietSample} admin requests (${byApi}); ` +
        `a timestamp probe: ${afterProbe.probeRequests - quiet.probeRequests} consumer requests`
    )
  })
})
