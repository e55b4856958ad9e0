import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createCertificateAuthority } from '../../src/pki/certificates.ts'
import { certificateCheck, type CertificateValidity, daysLeft, parseValidity } from '../../src/ops/certificates.ts'
import { createActivity } from '../../src/ops/activity.ts'
import { evaluateLink } from '../../src/ops/lag.ts'
import { createGatewayMetrics } from '../../src/ops/metrics.ts'
import type { EngineEvent } from '../../src/gateway/engine.ts'

const day = 86_400_000
const t0 = Date.parse('2026-11-25T10:00:00Z')

function metrics(certificates: CertificateValidity[] = []) {
  const pending: string[] = []
  const letters: (string | null)[] = []
  const m = createGatewayMetrics({
    partners: ['bravo', 'charlie'],
    pendingByPartner: () => pending,
    deadLetterPartners: () => letters,
    certificates,
    now: () => t0
  })
  return { m, pending, letters }
}

function line(text: string, prefix: string): string | undefined {
  return text.split('\n').find((l) => l.startsWith(prefix))
}

const event = (over: Partial<EngineEvent>): EngineEvent => ({
  type: 'received',
  direction: 'inbound',
  partner: 'bravo',
  kind: 'MIGRATION_USERS_ADD',
  messageId: '7f1c7d8e-0000-4000-8000-000000000001',
  ...over
})

describe('metrics', () => {
  test('messages are counted by direction, partner, kind, event and outcome; labels stay bounded', async () => {
    const { m } = metrics()
    m.onEvent(event({}))
    m.onEvent(event({ type: 'applied', outcome: 'ACCEPTED', latencyMs: 1500 }))
    m.onEvent(event({ type: 'rejected', reasonCode: 'AGREEMENT_STATE', approver: 'sip:secret-person@x' }))
    m.onEvent(event({ partner: 'mallory', kind: 'NOT_A_KIND' }))
    m.onEvent(event({ type: 'dead-lettered', partner: null, kind: null, reasonCode: 'bad text with spaces' }))
    const text = await m.render()
    const base = 'acmgw_messages_total{direction="inbound",'
    assert.match(
      text,
      new RegExp(`${base}partner="bravo",kind="MIGRATION_USERS_ADD",event="received",outcome="none"} 1`)
    )
    assert.match(text, /event="applied",outcome="ACCEPTED"} 1/)
    assert.match(text, /event="rejected",outcome="AGREEMENT_STATE"} 1/)
    assert.match(text, /partner="other",kind="other",event="received",outcome="none"} 1/)
    assert.match(text, /partner="none",kind="none",event="dead-lettered",outcome="other"} 1/)
    assert.match(
      text,
      /acmgw_message_latency_seconds_bucket\{le="2.5",direction="inbound",partner="bravo",kind="MIGRATION_USERS_ADD"\} 1/
    )
    assert.doesNotMatch(text, /7f1c7d8e|secret-person|mallory|NOT_A_KIND|spaces/)
  })

  test('distinct outcome codes are capped: the 65th new code counts as "other"', async () => {
    const { m } = metrics()
    for (let i = 0; i < 70; i++) m.onEvent(event({ type: 'rejected', reasonCode: `CODE_${i}` }))
    const text = await m.render()
    assert.match(text, /outcome="CODE_63"} 1/)
    assert.doesNotMatch(text, /outcome="CODE_64"/)
    assert.match(text, /outcome="other"} 6/)
  })

  test('lag gauges per partner, topic and partition; status as one-hot; unknown age is left out', async () => {
    const { m } = metrics()
    const link = evaluateLink(
      {
        partner: 'bravo',
        self: 'alpha',
        group: 'acmgw.alpha',
        at: t0,
        members: 1,
        partitions: [
          {
            topic: 'acm.bravo.alpha.users',
            partition: 0,
            committed: '3',
            low: '0',
            high: '5',
            headTimestamp: t0 - 90_000
          },
          { topic: 'acm.bravo.alpha.users', partition: 1, committed: '1', low: '0', high: '2', headTimestamp: null }
        ]
      },
      undefined,
      { thresholdMs: 60_000, stalledIntervals: 3 }
    )
    m.onLag([link])
    const text = await m.render()
    assert.match(text, /acmgw_lag_messages\{partner="bravo",topic="acm.bravo.alpha.users",partition="0"\} 2/)
    assert.match(text, /acmgw_lag_messages\{partner="bravo",topic="acm.bravo.alpha.users",partition="1"\} 1/)
    assert.match(text, /acmgw_lag_seconds\{partner="bravo",topic="acm.bravo.alpha.users",partition="0"\} 90/)
    assert.equal(
      line(text, 'acmgw_lag_seconds{partner="bravo",topic="acm.bravo.alpha.users",partition="1"}'),
      undefined
    )
    assert.match(text, /acmgw_link_status\{partner="bravo",status="LAGGING"\} 1/)
    assert.match(text, /acmgw_link_status\{partner="bravo",status="OK"\} 0/)
    m.onLag([])
    assert.doesNotMatch(await m.render(), /acmgw_lag_messages\{/)
  })

  test('pending requests and dead letters are read when scraped, every configured partner listed', async () => {
    const { m, pending, letters } = metrics()
    pending.push('bravo', 'bravo', 'zulu')
    letters.push(null, 'charlie')
    const text = await m.render()
    assert.match(text, /acmgw_pending_requests\{partner="bravo"\} 2/)
    assert.match(text, /acmgw_pending_requests\{partner="charlie"\} 0/)
    assert.match(text, /acmgw_pending_requests\{partner="other"\} 1/)
    assert.match(text, /acmgw_dead_letters\{partner="none"\} 1/)
    assert.match(text, /acmgw_dead_letters\{partner="charlie"\} 1/)
    pending.length = 0
    assert.match(await m.render(), /acmgw_pending_requests\{partner="bravo"\} 0/)
  })

  test('days until each certificate expires, negative once expired', async () => {
    const { m } = metrics([
      { certificate: 'tls', system: 'alpha', subject: 'CN=x', notBefore: t0 - day, notAfter: t0 + 30 * day },
      {
        certificate: 'partner-signing',
        system: 'bravo',
        subject: 'CN=y',
        notBefore: t0 - 9 * day,
        notAfter: t0 - day / 2
      }
    ])
    const text = await m.render()
    assert.match(text, /acmgw_certificate_expiry_days\{system="alpha",certificate="tls"\} 30/)
    assert.match(text, /acmgw_certificate_expiry_days\{system="bravo",certificate="partner-signing"\} -0.5/)
  })

  test('two gateways in one process have separate registries', async () => {
    const one = metrics().m
    const two = metrics().m
    one.onEvent(event({}))
    assert.match(await one.render(), /event="received",outcome="none"} 1/)
    assert.doesNotMatch(await two.render(), /event="received"/)
  })
})

describe('certificates', () => {
  const cert = (notBefore: number, notAfter: number): CertificateValidity => ({
    certificate: 'tls',
    system: 'alpha',
    subject: 'CN=acmgw.alpha',
    notBefore,
    notAfter
  })
  const cases: [string, CertificateValidity[], boolean, RegExp][] = [
    [
      'all valid: the next to expire is named',
      [cert(t0 - day, t0 + 10 * day), cert(t0 - day, t0 + 400 * day)],
      true,
      /2 valid; next to expire: alpha tls in 10 days/
    ],
    ['one expired: not ready, named', [cert(t0 - 9 * day, t0 - day)], false, /alpha tls expired 2026-11-24/],
    ['not yet valid: not ready', [cert(t0 + day, t0 + 9 * day)], false, /not valid before 2026-11-26/],
    ['none: ready', [], true, /no certificates/]
  ]
  for (const [name, list, ok, detail] of cases) {
    test(name, () => {
      const got = certificateCheck(list, t0)
      assert.equal(got.ok, ok)
      assert.match(got.detail, detail)
    })
  }

  test('validity is read from a PEM certificate', () => {
    const ca = createCertificateAuthority('test CA', 10, new Date(t0))
    const v = parseValidity(ca.certificatePem, 'ca', 'alpha')
    assert.equal(v.system, 'alpha')
    assert.match(v.subject, /CN=test CA/)
    assert.ok(Math.abs(daysLeft(v, t0) - 10) < 1.01)
  })
})

describe('activity', () => {
  test('keeps decisions, rejections and dead letters, newest first, bounded', () => {
    let clock = t0
    const a = createActivity(3, () => clock)
    for (const type of ['received', 'rejected', 'sent', 'decided', 'dead-lettered', 'pending', 'rejected'] as const) {
      clock += 1000
      a.onEvent(event({ type }))
    }
    assert.deepEqual(
      a.recent().map((e) => e.type),
      ['rejected', 'pending', 'dead-lettered']
    )
    assert.deepEqual(
      a.recent(['rejected']).map((e) => e.at),
      [new Date(t0 + 7000).toISOString()]
    )
  })
})
