/**
 * The status page in a real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core): a request
 * from a waits pending at b; the page served by b's HTTP app shows it, an operator fills the approver and clicks
 * approve, and the final answer reaches a. A screenshot is saved to test-results/status-page.png. The test fails
 * (never skips) when Chromium cannot start.
 */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { chromium } from 'playwright-core'
import { buildHttpApp } from '../../src/http/app.ts'
import { opsEndpoints } from '../../src/ops/status.ts'
import { body } from '../helpers/acm.ts'
import { gatewayPair, runGateway, waitFor } from '../helpers/gateway.ts'

const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
]

describe('status page', () => {
  test('shows a pending request and approves it with a click; the answer reaches the sender', async (t) => {
    const pair = await gatewayPair(t, { categories: ['groups'], policy: { b: { default: 'pending' } } })
    const a = await runGateway(t, pair.configA)
    const b = await runGateway(t, pair.configB)
    const app = buildHttpApp({ service: b.service, readiness: () => b.ready(), ops: opsEndpoints(b) })
    t.after(() => app.close())
    const address = await app.listen({ host: '127.0.0.1', port: 0 })

    const receipt = await a.service.send({
      kind: 'GROUP_MEMBERSHIP_UPDATE',
      partner: pair.b,
      agreementId: pair.agreementId,
      requester: { mcServiceId: 'sip:chief@a.example', functionalAlias: null },
      target: { mcServiceId: 'sip:admin@b.example' },
      body: body('GROUP_MEMBERSHIP_UPDATE')
    })
    await waitFor('the pending request at b', () => b.service.getPending(receipt.messageId))
    await b.lag.poll()

    const profile = await mkdtemp(join(tmpdir(), 'acmgw-chromium-'))
    t.after(() => rm(profile, { recursive: true, force: true }))
    // A fresh profile directory per run (playwright passes it to Chromium as --user-data-dir).
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      args: chromiumArgs,
      viewport: { width: 1280, height: 1000 },
      timeout: 60_000
    })
    t.after(() => browser.close())
    const page = await browser.newPage()
    const foreign: string[] = []
    page.on('request', (request) => {
      if (!request.url().startsWith(address)) foreign.push(request.url())
    })
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    // A failed fetch is logged too ("Failed to load resource", e.g. /readyz answering 503 while not ready): the
    // page shows those itself; what must not happen is a script error.
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        pageErrors.push(message.text())
      }
    })

    await page.goto(`${address}/`)
    const row = page.locator(`tr[data-id="${receipt.messageId}"]`)
    await row.waitFor({ timeout: 20_000 })
    assert.match((await row.textContent()) ?? '', /GROUP_MEMBERSHIP_UPDATE/)
    await page.locator(`.link[data-partner="${pair.a}"] svg`).waitFor({ timeout: 20_000 })
    assert.match((await page.locator('#agreements').textContent()) ?? '', new RegExp(pair.agreementId))
    assert.match((await page.locator('#system').textContent()) ?? '', new RegExp(pair.b))

    // Approving without an approver is refused by the page itself.
    await page.click(`button[data-approve="${receipt.messageId}"]`)
    assert.match((await page.locator('#decision').textContent()) ?? '', /approver/)
    assert.ok(b.service.getPending(receipt.messageId), 'still pending')

    await page.fill('#approver', 'sip:duty-officer@b.example')
    await page.click(`button[data-approve="${receipt.messageId}"]`)
    await page.locator('#decision.notice').waitFor({ timeout: 20_000 })
    assert.match((await page.locator('#decision').textContent()) ?? '', /approved .*ACCEPTED/)
    await row.waitFor({ state: 'detached', timeout: 20_000 })

    const trace = await waitFor('the final answer at a', () => {
      const tr = a.service.trace(receipt.messageId)
      return tr?.status === 'answered' ? tr : undefined
    })
    assert.equal(trace.outcome, 'ACCEPTED')
    assert.match(trace.events.at(-1)?.detail ?? '', /sip:duty-officer@b\.example/)

    await mkdir('test-results', { recursive: true })
    await page.screenshot({ path: join('test-results', 'status-page.png'), fullPage: true })
    assert.deepEqual(foreign, [], 'the page fetched nothing outside the gateway')
    assert.deepEqual(pageErrors, [])
  })
})
