import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import pino from 'pino'
import { errorCatalogue, type ErrorCode, GatewayError } from '../../src/errors.ts'
import type { Agreement } from '../../src/agreements/model.ts'
import type {
  Approver,
  DeadLetter,
  OutboundRequest,
  PendingRequest,
  RequestTrace,
  SendReceipt,
  TraceEvent
} from '../../src/gateway/service.ts'
import { buildHttpApp, type HttpAppDeps } from '../../src/http/app.ts'
import { httpStatusOf } from '../../src/http/errors.ts'
import { openApiDocument } from '../../src/http/openapi.ts'
import { routeSpecs } from '../../src/http/routes.ts'
import * as s from '../../src/http/schemas.ts'
import { openApiFile, renderOpenApiFile } from '../../scripts/openapi-file.ts'
import { agreementFixture, FakeGateway } from '../helpers/fake-gateway.ts'

const requester = { mcServiceId: 'sip:dispatcher@alpha.example' }
const approver = { mcServiceId: 'sip:supervisor@alpha.example', functionalAlias: 'duty-officer' }

const outbound = (overrides: Record<string, unknown> = {}) => ({
  kind: 'MIGRATION_USERS_ADD',
  partner: 'bravo',
  agreementId: 'alpha-bravo-1',
  requester,
  urgency: 'HIGH',
  ttlSeconds: 600,
  body: { users: [{ mcServiceId: 'sip:officer-1@alpha.example' }] },
  ...overrides
})

function setup(deps: Partial<HttpAppDeps> = {}) {
  const fake = new FakeGateway({
    agreements: [
      agreementFixture(),
      agreementFixture({ id: 'alpha-charlie-1', partner: 'charlie', status: 'SUSPENDED' })
    ]
  })
  const app = buildHttpApp({ service: fake, ...deps })
  return { fake, app }
}

interface ErrorAnswer {
  error: { code: string; message: string; path?: string }
}

describe('POST /v1/requests', () => {
  test('answers 202 only after the service resolved, i.e. after the broker acknowledged', async () => {
    const { fake, app } = setup()
    const release = fake.holdSends()
    let answered = false
    const call = app.inject({ method: 'POST', url: '/v1/requests', payload: outbound() }).then((r) => {
      answered = true
      return r
    })
    await sleep(100)
    assert.equal(answered, false, 'nothing may be answered before the acknowledgement')
    assert.equal(fake.sent.length, 0)
    release()
    const response = await call
    assert.equal(response.statusCode, 202)
    const receipt = response.json<SendReceipt>()
    assert.deepEqual(Object.keys(receipt).sort(), ['acknowledged', 'messageId', 'topic'])
    assert.equal(receipt.acknowledged, true)
    assert.equal(receipt.topic, 'acm.alpha.bravo.migration')
    assert.equal(fake.sent.length, 1)
    assert.deepEqual(fake.sent[0]?.body, outbound().body)
    await app.close()
  })

  test('schema violations answer 400 naming the field', async () => {
    const { fake, app } = setup()
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [outbound({ kind: undefined }), 'kind', /^kind is required$/],
      [outbound({ requester: { mcServiceId: 7 } }), 'requester.mcServiceId', /must be string/],
      [outbound({ agreement: 'x' }), 'agreement', /is not a known field/],
      [outbound({ urgency: 'SOON' }), 'urgency', /must be one of LOW, NORMAL, HIGH, IMMEDIATE/],
      [outbound({ partner: 'Bravo!' }), 'partner', /must match pattern/],
      [outbound({ ttlSeconds: '60' }), 'ttlSeconds', /must be integer/],
      [outbound({ body: [1, 2] }), 'body', /must be object/],
      [outbound({ target: { mcServiceId: 'sip:x@y', extra: 1 } }), 'target.extra', /is not a known field/]
    ]
    for (const [payload, path, message] of cases) {
      const response = await app.inject({ method: 'POST', url: '/v1/requests', payload })
      assert.equal(response.statusCode, 400, path)
      const { error } = response.json<ErrorAnswer>()
      assert.equal(error.code, 'ACMGW_REQUEST_INVALID')
      assert.equal(error.path, path)
      assert.match(error.message, message)
    }
    const badJson = await app.inject({
      method: 'POST',
      url: '/v1/requests',
      headers: { 'content-type': 'application/json' },
      payload: '{"kind": "sip:leaked@alpha.example'
    })
    assert.equal(badJson.statusCode, 400)
    assert.equal(badJson.json<ErrorAnswer>().error.code, 'ACMGW_REQUEST_INVALID')
    assert.doesNotMatch(badJson.body, /leaked/)
    const text = await app.inject({
      method: 'POST',
      url: '/v1/requests',
      payload: 'x',
      headers: { 'content-type': 'text/plain' }
    })
    assert.equal(text.statusCode, 400)
    assert.deepEqual(text.json(), {
      error: { code: 'ACMGW_REQUEST_INVALID', message: 'the body must be object' }
    })
    const xml = await app.inject({
      method: 'POST',
      url: '/v1/requests',
      payload: '<x/>',
      headers: { 'content-type': 'application/xml' }
    })
    assert.equal(xml.statusCode, 415)
    assert.equal(xml.json<ErrorAnswer>().error.code, 'ACMGW_REQUEST_INVALID')
    assert.equal(fake.sent.length, 0)
    await app.close()
  })

  test('service errors map to their statuses; an unexpected one leaks nothing', async () => {
    const { fake, app } = setup()
    const post = (payload: unknown) => app.inject({ method: 'POST', url: '/v1/requests', payload: payload as object })

    const unknownAgreement = await post(outbound({ agreementId: 'nope' }))
    assert.equal(unknownAgreement.statusCode, 404)
    assert.equal(unknownAgreement.json<ErrorAnswer>().error.code, 'ACMGW_NOT_FOUND')

    const suspended = await post(outbound({ partner: 'charlie', agreementId: 'alpha-charlie-1' }))
    assert.equal(suspended.statusCode, 409)
    assert.match(suspended.json<ErrorAnswer>().error.message, /AGREEMENT_SUSPENDED/)

    const outOfScope = await post(outbound({ kind: 'SECURITY_PARAMETERS' }))
    assert.equal(outOfScope.statusCode, 409)
    assert.match(outOfScope.json<ErrorAnswer>().error.message, /CATEGORY_OUT_OF_SCOPE/)

    const unknownKind = await post(outbound({ kind: 'TELEPORT' }))
    assert.equal(unknownKind.statusCode, 400)
    assert.equal(unknownKind.json<ErrorAnswer>().error.path, 'kind')

    fake.failNextSend(new GatewayError('ACMGW_KAFKA_UNREACHABLE', 'no broker answered within 10 s'))
    const down = await post(outbound())
    assert.equal(down.statusCode, 503)
    assert.deepEqual(down.json(), {
      error: { code: 'ACMGW_KAFKA_UNREACHABLE', message: 'no broker answered within 10 s' }
    })

    fake.failNextSend(new Error('socket closed while writing sip:private@alpha.example'))
    const crash = await post(outbound())
    assert.equal(crash.statusCode, 500)
    assert.equal(crash.json<ErrorAnswer>().error.code, 'ACMGW_INTERNAL')
    assert.doesNotMatch(crash.body, /private|socket/)
    assert.equal(fake.sent.length, 0)
    await app.close()
  })
})

describe('GET /v1/requests/:id', () => {
  test('shows the trace as the partner answers, 404 for an unknown id', async () => {
    const { fake, app } = setup()
    const sent = await app.inject({ method: 'POST', url: '/v1/requests', payload: outbound() })
    const { messageId } = sent.json<SendReceipt>()
    const first = await app.inject({ url: `/v1/requests/${messageId}` })
    assert.equal(first.statusCode, 200)
    assert.equal(first.json<RequestTrace>().status, 'sent')

    fake.indicate(messageId)
    fake.answer(messageId, 'PARTIALLY_ACCEPTED', [
      { item: 'sip:officer-1@alpha.example', result: 'ACCEPTED' },
      { item: 'sip:officer-2@alpha.example', result: 'REJECTED', reasonCode: 'USER_LIMIT', reason: 'limit of 50' }
    ])
    const trace = (await app.inject({ url: `/v1/requests/${messageId}` })).json<RequestTrace>()
    assert.equal(trace.status, 'answered')
    assert.equal(trace.outcome, 'PARTIALLY_ACCEPTED')
    assert.deepEqual(
      trace.events.map((e) => e.type),
      ['sent', 'process-indication', 'final-response']
    )
    assert.deepEqual(trace.events[2]?.items?.[1], {
      item: 'sip:officer-2@alpha.example',
      result: 'REJECTED',
      reasonCode: 'USER_LIMIT',
      reason: 'limit of 50'
    })
    assert.deepEqual(trace, fake.trace(messageId))

    const tooLong = await app.inject({ url: `/v1/requests/${'x'.repeat(300)}` })
    assert.equal(tooLong.statusCode, 414)
    assert.deepEqual(tooLong.json(), {
      error: { code: 'ACMGW_REQUEST_INVALID', message: 'an id in the path is longer than 256 characters' }
    })
    const badEncoding = await app.inject({ url: '/v1/requests/%E0%A4%A' })
    assert.equal(badEncoding.statusCode, 400)
    assert.equal(badEncoding.json<ErrorAnswer>().error.code, 'ACMGW_REQUEST_INVALID')
    const missing = await app.inject({ url: '/v1/requests/4b1d2c5e-0000-4000-8000-000000000000' })
    assert.equal(missing.statusCode, 404)
    assert.equal(missing.json<ErrorAnswer>().error.code, 'ACMGW_NOT_FOUND')
    await app.close()
  })
})

describe('pending requests', () => {
  const inbound = {
    partner: 'bravo',
    kind: 'MIGRATION_USERS_ADD',
    agreementId: 'alpha-bravo-1',
    requester: { mcServiceId: 'sip:chief@bravo.example' },
    urgency: 'HIGH',
    body: { users: [{ mcServiceId: 'sip:medic-7@bravo.example' }] }
  }

  test('list, show, approve: the trace records the approver and the request leaves the list', async () => {
    const { fake, app } = setup()
    const id = fake.receive(inbound)
    const list = await app.inject({ url: '/v1/pending' })
    assert.equal(list.statusCode, 200)
    assert.deepEqual(
      list.json<PendingRequest[]>().map((p) => p.messageId),
      [id]
    )
    const shown = (await app.inject({ url: `/v1/pending/${id}` })).json<PendingRequest>()
    assert.deepEqual(shown.body, inbound.body)
    assert.deepEqual(shown.requester, { mcServiceId: 'sip:chief@bravo.example', functionalAlias: null })

    const approved = await app.inject({
      method: 'POST',
      url: `/v1/pending/${id}/approve`,
      payload: { approver, reason: 'known team' }
    })
    assert.equal(approved.statusCode, 200)
    const trace = approved.json<RequestTrace>()
    assert.equal(trace.outcome, 'ACCEPTED')
    assert.match(trace.events.at(-1)?.detail ?? '', /approved by sip:supervisor@alpha\.example: known team/)
    assert.deepEqual((await app.inject({ url: '/v1/pending' })).json(), [])

    const again = await app.inject({ method: 'POST', url: `/v1/pending/${id}/approve`, payload: { approver } })
    assert.equal(again.statusCode, 404)
    assert.equal((await app.inject({ url: `/v1/pending/${id}` })).statusCode, 404)
    await app.close()
  })

  test('reject needs a reason and an approver, then answers REJECTED', async () => {
    const { fake, app } = setup()
    const id = fake.receive(inbound)
    const noReason = await app.inject({ method: 'POST', url: `/v1/pending/${id}/reject`, payload: { approver } })
    assert.equal(noReason.statusCode, 400)
    assert.equal(noReason.json<ErrorAnswer>().error.path, 'reason')
    const noApprover = await app.inject({ method: 'POST', url: `/v1/pending/${id}/reject`, payload: { reason: 'no' } })
    assert.equal(noApprover.json<ErrorAnswer>().error.path, 'approver')
    const emptyId = await app.inject({
      method: 'POST',
      url: `/v1/pending/${id}/reject`,
      payload: { approver: { mcServiceId: '' }, reason: 'no' }
    })
    assert.equal(emptyId.json<ErrorAnswer>().error.path, 'approver.mcServiceId')
    assert.equal(fake.listPending().length, 1, 'invalid calls decide nothing')

    const rejected = await app.inject({
      method: 'POST',
      url: `/v1/pending/${id}/reject`,
      payload: { approver, reason: 'not during the exercise' }
    })
    assert.equal(rejected.statusCode, 200)
    assert.equal(rejected.json<RequestTrace>().outcome, 'REJECTED')
    assert.equal(fake.trace(id)?.status, 'answered')
    const unknown = await app.inject({
      method: 'POST',
      url: '/v1/pending/nope/reject',
      payload: { approver, reason: 'x' }
    })
    assert.equal(unknown.statusCode, 404)
    await app.close()
  })
})

describe('agreements', () => {
  test('list, suspend (202 receipt), conflicting action 409, unknown 404', async () => {
    const { fake, app } = setup()
    const list = (await app.inject({ url: '/v1/agreements' })).json<{ id: string; status: string }[]>()
    assert.deepEqual(
      list.map((a) => [a.id, a.status]),
      [
        ['alpha-bravo-1', 'ACTIVE'],
        ['alpha-charlie-1', 'SUSPENDED']
      ]
    )
    assert.deepEqual(list[0], agreementFixture())

    const suspend = await app.inject({
      method: 'POST',
      url: '/v1/agreements/alpha-bravo-1/suspend',
      payload: { requester, reason: 'exercise over' }
    })
    assert.equal(suspend.statusCode, 202)
    const receipt = suspend.json<SendReceipt>()
    assert.equal(receipt.topic, 'acm.alpha.bravo.status')
    assert.equal(fake.trace(receipt.messageId)?.kind, 'COOPERATION_SUSPENDED')
    assert.equal(fake.agreements()[0]?.status, 'SUSPENDED')

    const twice = await app.inject({
      method: 'POST',
      url: '/v1/agreements/alpha-bravo-1/suspend',
      payload: { requester }
    })
    assert.equal(twice.statusCode, 409)
    assert.equal(twice.json<ErrorAnswer>().error.code, 'ACMGW_CONFLICT')

    const resume = await app.inject({
      method: 'POST',
      url: '/v1/agreements/alpha-bravo-1/resume',
      payload: { requester }
    })
    assert.equal(resume.statusCode, 202)
    const unknown = await app.inject({ method: 'POST', url: '/v1/agreements/nope/terminate', payload: { requester } })
    assert.equal(unknown.statusCode, 404)
    const noRequester = await app.inject({ method: 'POST', url: '/v1/agreements/alpha-bravo-1/terminate', payload: {} })
    assert.equal(noRequester.json<ErrorAnswer>().error.path, 'requester')
    const badAction = await app.inject({
      method: 'POST',
      url: '/v1/agreements/alpha-bravo-1/accept',
      payload: { requester }
    })
    assert.equal(badAction.statusCode, 404)
    await app.close()
  })
})

describe('dead letters', () => {
  test('list, show, redrive, and 404 for what is not there', async () => {
    const { fake, app } = setup()
    const letter = fake.addDeadLetter({
      reasonCode: 'ACMGW_SIGNATURE_INVALID',
      reason: 'bad signature',
      partner: 'bravo'
    })
    const list = await app.inject({ url: '/v1/dead-letters' })
    assert.deepEqual(list.json(), [letter])
    assert.deepEqual((await app.inject({ url: `/v1/dead-letters/${letter.id}` })).json(), letter)
    assert.equal((await app.inject({ url: '/v1/dead-letters/nope' })).statusCode, 404)

    const redrive = await app.inject({ method: 'POST', url: `/v1/dead-letters/${letter.id}/redrive` })
    assert.equal(redrive.statusCode, 200)
    assert.deepEqual(redrive.json(), { redriven: true, detail: `re-queued to ${letter.original.topic}` })
    assert.deepEqual((await app.inject({ url: '/v1/dead-letters' })).json(), [])
    const again = await app.inject({ method: 'POST', url: `/v1/dead-letters/${letter.id}/redrive` })
    assert.equal(again.statusCode, 404)
    await app.close()
  })
})

describe('bearer token', () => {
  test('required on /v1 (and on unknown paths), accepted when right, refused when wrong', async () => {
    const { app } = setup({ token: 's3cret-token' })
    const none = await app.inject({ url: '/v1/pending' })
    assert.equal(none.statusCode, 401)
    assert.equal(none.headers['www-authenticate'], 'Bearer realm="acmgw"')
    assert.equal(none.json<ErrorAnswer>().error.code, 'ACMGW_UNAUTHORIZED')

    for (const authorization of [
      'Bearer s3cret-tokeN',
      'Bearer s3cret-token-and-more',
      'Basic s3cret-token',
      'Bearer'
    ]) {
      const wrong = await app.inject({ url: '/v1/pending', headers: { authorization } })
      assert.equal(wrong.statusCode, 401, authorization)
    }
    const right = await app.inject({ url: '/v1/pending', headers: { authorization: 'Bearer s3cret-token' } })
    assert.equal(right.statusCode, 200)
    const lower = await app.inject({ url: '/v1/pending', headers: { authorization: 'bearer s3cret-token' } })
    assert.equal(lower.statusCode, 200)

    // Checked before validation: a stranger learns nothing about the body schema.
    const post = await app.inject({ method: 'POST', url: '/v1/requests', payload: {} })
    assert.equal(post.statusCode, 401)
    assert.equal((await app.inject({ url: '/v1/secret-route' })).statusCode, 401)
    const known = await app.inject({ url: '/v1/secret-route', headers: { authorization: 'Bearer s3cret-token' } })
    assert.equal(known.statusCode, 404)

    for (const url of ['/livez', '/readyz', '/openapi.json']) {
      assert.equal((await app.inject({ url })).statusCode, 200, url)
    }
    await app.close()
  })

  test('without a token the API is open', async () => {
    const { app } = setup()
    assert.equal((await app.inject({ url: '/v1/agreements' })).statusCode, 200)
    await app.close()
  })
})

describe('health', () => {
  test('livez answers without asking anything', async () => {
    let asked = 0
    const { app } = setup({
      readiness: async () => {
        asked++
        return { ready: true, checks: {} }
      }
    })
    const live = await app.inject({ url: '/livez' })
    assert.equal(live.statusCode, 200)
    assert.deepEqual(live.json(), { status: 'ok' })
    assert.equal(asked, 0)
    await app.close()
  })

  test('readyz: 200 when ready, 503 with the checks when not, failing or too slow', async () => {
    let state: 'ready' | 'broker-down' | 'throws' | 'hangs' = 'ready'
    const { app } = setup({
      readinessTimeoutMs: 200,
      readiness: async () => {
        if (state === 'throws') throw new Error('state topic not readable')
        if (state === 'hangs') return new Promise(() => undefined)
        const brokerOk = state === 'ready'
        return {
          ready: brokerOk,
          checks: {
            broker: { ok: brokerOk, detail: brokerOk ? 'connected to 1 broker' : 'no broker answered' },
            state: { ok: true, detail: 'rebuilt from 12 records' }
          }
        }
      }
    })
    const ready = await app.inject({ url: '/readyz' })
    assert.equal(ready.statusCode, 200)
    assert.equal(ready.json<{ checks: Record<string, unknown> }>().checks.state !== undefined, true)

    state = 'broker-down'
    const down = await app.inject({ url: '/readyz' })
    assert.equal(down.statusCode, 503)
    assert.deepEqual(down.json<{ checks: Record<string, unknown> }>().checks.broker, {
      ok: false,
      detail: 'no broker answered'
    })

    state = 'throws'
    const thrown = await app.inject({ url: '/readyz' })
    assert.equal(thrown.statusCode, 503)
    assert.deepEqual(thrown.json(), {
      ready: false,
      checks: { readiness: { ok: false, detail: 'state topic not readable' } }
    })

    state = 'hangs'
    const started = Date.now()
    const slow = await app.inject({ url: '/readyz' })
    assert.equal(slow.statusCode, 503)
    assert.match(slow.body, /no answer within 200 ms/)
    assert.ok(Date.now() - started < 2000)
    await app.close()
  })

  test('readyz without a readiness check is ready', async () => {
    const { app } = setup()
    assert.deepEqual((await app.inject({ url: '/readyz' })).json(), { ready: true, checks: {} })
    await app.close()
  })
})

describe('OpenAPI', () => {
  test('served document is the generated one, and docs/openapi.json is current (npm run docs:openapi)', async () => {
    const { app } = setup()
    const served = await app.inject({ url: '/openapi.json' })
    assert.deepEqual(served.json(), openApiDocument())
    const committed = await readFile(openApiFile, 'utf8')
    assert.equal(committed, await renderOpenApiFile(), 'docs/openapi.json is stale: run npm run docs:openapi')
    await app.close()
  })

  test('every route is documented with its parameters, and every $ref resolves', async () => {
    const { app } = setup()
    const doc = openApiDocument() as {
      openapi: string
      paths: Record<string, Record<string, { parameters?: { name: string }[]; responses: Record<string, unknown> }>>
      components: { schemas: Record<string, unknown> }
    }
    assert.equal(doc.openapi, '3.1.0')
    for (const [name, spec] of Object.entries(routeSpecs)) {
      assert.equal(app.hasRoute({ method: spec.method, url: spec.url }), true, name)
      const path = spec.url.replace(/:(\w+)/g, '{$1}')
      const operation = doc.paths[path]?.[spec.method.toLowerCase()]
      assert.ok(operation, `${spec.method} ${path} is documented`)
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])
      assert.deepEqual(operation.parameters?.map((p) => p.name) ?? [], inPath, name)
      assert.deepEqual(Object.keys(operation.responses), Object.keys(spec.responses), name)
    }
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1])
    assert.ok(refs.length > 10)
    for (const ref of refs) assert.ok(ref !== undefined && ref in doc.components.schemas, `${ref} resolves`)
    await app.close()
  })
})

describe('logging', () => {
  test('one line per call with method, route, status and duration; never a body', async () => {
    const lines: string[] = []
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) })
    const { fake, app } = setup({ logger })
    const secret = 'sip:very-private-person@alpha.example'
    await app.inject({
      method: 'POST',
      url: '/v1/requests',
      payload: outbound({ body: { users: [{ mcServiceId: secret }] } })
    })
    await app.inject({
      method: 'POST',
      url: '/v1/requests',
      payload: outbound({ requester: { mcServiceId: secret, x: 1 } })
    })
    fake.failNextSend(new Error('broker went away'))
    await app.inject({
      method: 'POST',
      url: '/v1/requests',
      payload: outbound({ body: { users: [{ mcServiceId: secret }] } })
    })
    const id = fake.receive({
      partner: 'bravo',
      kind: 'MIGRATION_USERS_ADD',
      agreementId: 'alpha-bravo-1',
      requester: { mcServiceId: 'sip:chief@bravo.example' },
      body: { users: [{ mcServiceId: secret }] }
    })
    await app.inject({ url: `/v1/pending/${id}` })
    await app.inject({ method: 'POST', url: `/v1/pending/${id}/reject`, payload: { approver, reason: secret } })

    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    for (const line of lines) assert.doesNotMatch(line, /very-private-person/)
    const calls = records.filter((r) => r.msg === 'http')
    assert.deepEqual(
      calls.map((r) => [r.method, r.route, r.status]),
      [
        ['POST', '/v1/requests', 202],
        ['POST', '/v1/requests', 400],
        ['POST', '/v1/requests', 500],
        ['GET', '/v1/pending/:id', 200],
        ['POST', '/v1/pending/:id/reject', 200]
      ]
    )
    for (const call of calls) assert.equal(typeof call.durationMs, 'number')
    const failure = records.find((r) => r.msg === 'request failed')
    assert.equal((failure?.err as { message: string }).message, 'broker went away')
    await app.close()
  })
})

describe('schemas', () => {
  // `satisfies Record<keyof T, 0>` fails the typecheck when a field is added to or removed from the service's
  // types, and the assertions fail when the schema does not list exactly those fields: answers cannot silently
  // lose a field the service returns.
  const fields = (schema: unknown) => Object.keys((schema as { properties: object }).properties).sort()
  const keys = (shape: Record<string, 0>) => Object.keys(shape).sort()

  test('every shape of src/gateway/service.ts is described field for field', () => {
    assert.deepEqual(
      fields(s.outboundRequest),
      keys({
        kind: 0,
        partner: 0,
        agreementId: 0,
        requester: 0,
        target: 0,
        urgency: 0,
        ttlSeconds: 0,
        body: 0
      } satisfies Record<keyof OutboundRequest, 0>)
    )
    assert.deepEqual(
      fields(s.sendReceipt),
      keys({ messageId: 0, topic: 0, acknowledged: 0 } satisfies Record<keyof SendReceipt, 0>)
    )
    assert.deepEqual(
      fields(s.requestTrace),
      keys({
        messageId: 0,
        direction: 0,
        kind: 0,
        partner: 0,
        agreementId: 0,
        status: 0,
        outcome: 0,
        expiresAt: 0,
        events: 0
      } satisfies Record<keyof RequestTrace, 0>)
    )
    assert.deepEqual(
      fields(s.traceEvent),
      keys({ at: 0, type: 0, detail: 0, items: 0 } satisfies Record<keyof TraceEvent, 0>)
    )
    assert.deepEqual(
      fields(s.pendingRequest),
      keys({
        messageId: 0,
        partner: 0,
        kind: 0,
        agreementId: 0,
        requester: 0,
        urgency: 0,
        receivedAt: 0,
        decideBy: 0,
        body: 0
      } satisfies Record<keyof PendingRequest, 0>)
    )
    assert.deepEqual(
      fields(s.agreement),
      keys({
        id: 0,
        partner: 0,
        status: 0,
        services: 0,
        categories: 0,
        validFrom: 0,
        validUntil: 0,
        sharedUserAttributes: 0,
        limits: 0
      } satisfies Record<keyof Agreement, 0>)
    )
    assert.deepEqual(
      fields(s.deadLetter),
      keys({
        id: 0,
        at: 0,
        reasonCode: 0,
        reason: 0,
        original: 0,
        partner: 0,
        messageId: 0
      } satisfies Record<keyof DeadLetter, 0>)
    )
    assert.deepEqual(
      fields((s.deadLetter.properties as Record<string, unknown>).original),
      keys({ topic: 0, partition: 0, offset: 0, key: 0, timestamp: 0 } satisfies Record<
        keyof DeadLetter['original'],
        0
      >)
    )
    assert.deepEqual(
      fields(s.mcServiceUser),
      keys({ mcServiceId: 0, functionalAlias: 0 } satisfies Record<keyof Approver, 0>)
    )
  })

  test('an agreement with every optional field comes back whole', async () => {
    const full = agreementFixture({
      validFrom: '2026-01-01T00:00:00Z',
      validUntil: '2026-12-31T23:59:59Z',
      sharedUserAttributes: ['displayName', 'organisation']
    })
    const app = buildHttpApp({ service: new FakeGateway({ agreements: [full] }) })
    assert.deepEqual((await app.inject({ url: '/v1/agreements' })).json(), [full])
    await app.close()
  })
})

describe('error statuses', () => {
  test('every registered code has one HTTP status, in the 4xx or 5xx range', () => {
    const expected: Partial<Record<ErrorCode, number>> = {
      ACMGW_REQUEST_INVALID: 400,
      ACMGW_UNAUTHORIZED: 401,
      ACMGW_NOT_FOUND: 404,
      ACMGW_CONFLICT: 409,
      ACMGW_CONFIG_INVALID: 422,
      ACMGW_CODEC_INVALID: 422,
      ACMGW_CODEC_OVERSIZE: 413,
      ACMGW_KAFKA_UNREACHABLE: 503,
      ACMGW_KAFKA_NOT_AUTHORIZED: 503,
      ACMGW_REGISTRY_FAILED: 503,
      ACMGW_ADAPTER_FAILED: 502,
      ACMGW_FILE_UNREADABLE: 500,
      ACMGW_INTERNAL: 500
    }
    for (const code of Object.keys(errorCatalogue) as ErrorCode[]) {
      const status = httpStatusOf(code)
      assert.ok(status >= 400 && status <= 599, `${code} → ${status}`)
      if (expected[code] !== undefined) assert.equal(status, expected[code], code)
    }
  })
})
