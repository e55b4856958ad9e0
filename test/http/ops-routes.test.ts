import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { buildHttpApp } from '../../src/http/app.ts'
import type { StatusView } from '../../src/ops/status.ts'
import { FakeGateway } from '../helpers/fake-gateway.ts'

const view: StatusView = {
  system: 'alpha',
  at: '2026-11-25T10:00:00.000Z',
  lag: { intervalMs: 30_000, at: null, error: null },
  links: [],
  agreements: [],
  rejections: [],
  decisions: [],
  deadLetters: []
}

const ops = {
  metrics: () => Promise.resolve({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: 'acmgw_x 1\n' }),
  status: () => Promise.resolve(view)
}

describe('operators’ routes', () => {
  test('the status page is open, self-contained and locked down by its CSP, also when a token is set', async () => {
    const app = buildHttpApp({ service: new FakeGateway(), token: 'secret-token', ops })
    const page = await app.inject({ url: '/' })
    assert.equal(page.statusCode, 200)
    assert.match(page.headers['content-type'] ?? '', /^text\/html/)
    const csp = String(page.headers['content-security-policy'])
    assert.match(csp, /default-src 'none'/)
    assert.match(csp, /script-src 'sha256-[A-Za-z0-9+/=]+'/)
    assert.match(csp, /connect-src 'self'/)
    // Nothing to fetch from elsewhere: no absolute URL, no external script or stylesheet.
    assert.doesNotMatch(page.body, /https?:\/\//)
    assert.doesNotMatch(page.body, /<script src|<link rel="stylesheet"/)
    assert.match(page.body, /sessionStorage/)
    assert.doesNotMatch(page.body, /localStorage/)
    await app.close()
  })

  test('/metrics is open and text; /v1/status needs the token', async () => {
    const app = buildHttpApp({ service: new FakeGateway(), token: 'secret-token', ops })
    const metrics = await app.inject({ url: '/metrics' })
    assert.equal(metrics.statusCode, 200)
    assert.equal(metrics.body, 'acmgw_x 1\n')
    assert.match(metrics.headers['content-type'] ?? '', /^text\/plain; version=0\.0\.4/)
    assert.equal((await app.inject({ url: '/v1/status' })).statusCode, 401)
    const status = await app.inject({ url: '/v1/status', headers: { authorization: 'Bearer secret-token' } })
    assert.equal(status.statusCode, 200)
    assert.deepEqual(status.json(), view)
    await app.close()
  })

  test('without an operators’ view the routes answer 404 and the page still loads', async () => {
    const app = buildHttpApp({ service: new FakeGateway() })
    assert.equal((await app.inject({ url: '/metrics' })).statusCode, 404)
    assert.equal((await app.inject({ url: '/v1/status' })).statusCode, 404)
    assert.equal((await app.inject({ url: '/' })).statusCode, 200)
    await app.close()
  })
})
