import assert from 'node:assert/strict'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { freePort } from '../../src/devstack/processes.ts'
import type { PendingRequest, RequestTrace, SendReceipt } from '../../src/gateway/service.ts'
import { buildHttpApp } from '../../src/http/app.ts'
import { acmgw } from '../helpers/cli.ts'
import { agreementFixture, FakeGateway } from '../helpers/fake-gateway.ts'

const chief = 'sip:chief@alpha.example'
const supervisor = 'sip:supervisor@alpha.example'

let fake: FakeGateway
let app: FastifyInstance
let url: string
let cwd: string

/** A clean environment: the developer's own ACMGW_URL / ACMGW_TOKEN_FILE must not leak into the tests. */
const env = (extra: Record<string, string> = {}) => ({
  ...process.env,
  ACMGW_URL: url,
  ACMGW_TOKEN_FILE: undefined,
  ...extra
})
const run = (args: string[], extra: Record<string, string> = {}) => acmgw(args, { cwd, env: env(extra) })

/**
 * Reads aligned text output as the header names it: each cell is cut at its header's column, so a row that is
 * not aligned gives wrong cells (and a non-blank character just before a column start fails at once).
 */
function readTable(out: string): Record<string, string>[] {
  const [header = '', ...rows] = out.split('\n')
  const columns = [...header.matchAll(/\S+(?: \S+)*/g)].map((m) => ({ name: m[0], at: m.index }))
  return rows.map((row) =>
    Object.fromEntries(
      columns.map((c, i) => {
        if (c.at > 0) assert.equal(row[c.at - 1] ?? ' ', ' ', `column ${c.name} is aligned in ${JSON.stringify(row)}`)
        return [c.name, row.slice(c.at, columns[i + 1]?.at).trim()]
      })
    )
  )
}

before(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'acmgw-gateway-cli-'))
  fake = new FakeGateway({
    agreements: [agreementFixture(), agreementFixture({ id: 'alpha-charlie-1', partner: 'charlie' })]
  })
  app = buildHttpApp({ service: fake })
  url = await app.listen({ host: '127.0.0.1', port: 0 })
  await writeFile(join(cwd, 'users.json'), JSON.stringify({ users: [{ mcServiceId: 'sip:officer-1@alpha.example' }] }))
})

after(async () => {
  await app.close()
})

const sendArgs = ['send', '--kind', 'MIGRATION_USERS_ADD', '--partner', 'bravo', '--agreement', 'alpha-bravo-1']

async function sendOne(): Promise<string> {
  const sent = await run([...sendArgs, '--requester', chief, '--body', 'users.json', '--json'])
  assert.equal(sent.code, 0, sent.err)
  return (JSON.parse(sent.out) as SendReceipt).messageId
}

describe('acmgw send', () => {
  test('sends the request built from the options and the body file, and prints the receipt', async () => {
    const before = fake.sent.length
    const sent = await run([
      ...sendArgs,
      '--requester',
      chief,
      '--alias',
      'incident-commander',
      '--urgency',
      'HIGH',
      '--target',
      'sip:officer-1@alpha.example',
      '--ttl',
      '600',
      '--body',
      'users.json'
    ])
    assert.equal(sent.code, 0, sent.err)
    assert.match(
      sent.out,
      /^message id: +[0-9a-f-]{36}\ntopic: +acm\.alpha\.bravo\.migration\nacknowledged: +yes \(acks=all\)$/m
    )
    assert.match(sent.out, /follow it with: acmgw trace [0-9a-f-]{36} --wait 60/)
    assert.deepEqual(fake.sent[before], {
      kind: 'MIGRATION_USERS_ADD',
      partner: 'bravo',
      agreementId: 'alpha-bravo-1',
      requester: { mcServiceId: chief, functionalAlias: 'incident-commander' },
      target: { mcServiceId: 'sip:officer-1@alpha.example' },
      urgency: 'HIGH',
      ttlSeconds: 600,
      body: { users: [{ mcServiceId: 'sip:officer-1@alpha.example' }] }
    })

    const json = await run([...sendArgs, '--requester', chief, '--body', join(cwd, 'users.json'), '--json'])
    assert.equal(json.code, 0, json.err)
    const receipt = JSON.parse(json.out) as SendReceipt
    assert.equal(receipt.acknowledged, true)
    assert.ok(fake.trace(receipt.messageId))
  })

  test('refuses stdin, unreadable or non-object bodies, and reports the API’s refusal with its code', async () => {
    const stdin = await run([...sendArgs, '--requester', chief, '--body', '-'])
    assert.equal(stdin.code, 64)
    assert.match(stdin.err, /error ACMGW_USAGE: --body takes a file path/)

    const missing = await run([...sendArgs, '--requester', chief, '--body', 'nope.json'])
    assert.equal(missing.code, 66)
    assert.match(missing.err, /ACMGW_FILE_UNREADABLE: cannot read --body .*nope\.json \(ENOENT\)/)

    await writeFile(join(cwd, 'list.json'), '[1,2]')
    const list = await run([...sendArgs, '--requester', chief, '--body', 'list.json'])
    assert.equal(list.code, 65)
    assert.match(list.err, /must hold one JSON object/)

    const noKind = await run(['send', '--partner', 'bravo', '--agreement', 'a', '--requester', chief, '--body', 'x'])
    assert.equal(noKind.code, 64)
    assert.match(noKind.err, /required option '--kind <kind>' not specified/)

    const badPartner = await run([
      ...sendArgs.slice(0, 4),
      'Bravo!',
      ...sendArgs.slice(5),
      '--requester',
      chief,
      '--body',
      'users.json'
    ])
    assert.equal(badPartner.code, 65)
    assert.match(badPartner.err, /^error ACMGW_REQUEST_INVALID: partner must match pattern/)

    const outOfScope = await run([
      'send',
      '--kind',
      'SECURITY_PARAMETERS',
      '--partner',
      'bravo',
      '--agreement',
      'alpha-bravo-1',
      '--requester',
      chief,
      '--body',
      'users.json'
    ])
    assert.equal(outOfScope.code, 65)
    assert.match(outOfScope.err, /^error ACMGW_CONFLICT: CATEGORY_OUT_OF_SCOPE/)
  })
})

describe('acmgw trace', () => {
  test('prints the timeline with per-item results; --json prints the API trace', async () => {
    const id = await sendOne()
    fake.indicate(id)
    fake.answer(id, 'PARTIALLY_ACCEPTED', [
      { item: 'sip:officer-1@alpha.example', result: 'ACCEPTED' },
      { item: 'sip:officer-22@alpha.example', result: 'REJECTED', reasonCode: 'USER_LIMIT', reason: 'limit of 50' }
    ])
    const json = await run(['trace', id, '--json'])
    assert.equal(json.code, 0, json.err)
    assert.deepEqual(JSON.parse(json.out) as RequestTrace, fake.trace(id))

    const human = await run(['trace', id])
    assert.equal(human.code, 0, human.err)
    const lines = human.out.split('\n')
    assert.match(human.out, /^request: +[0-9a-f-]{36}\ndirection: +outbound, to bravo\nkind: +MIGRATION_USERS_ADD\n/)
    assert.match(human.out, /\nstatus: +answered: PARTIALLY_ACCEPTED\n/)
    const header = lines.findIndex((l) => l.startsWith('TIME'))
    const detailColumn = lines[header]?.indexOf('DETAIL') ?? -1
    assert.match(lines[header + 1] ?? '', /^\S+Z {2}sent {16}record acknowledged/)
    assert.match(lines[header + 2] ?? '', /^\S+Z {2}process-indication {2}received, being assessed$/)
    assert.match(lines[header + 3] ?? '', /final-response {6}PARTIALLY_ACCEPTED$/)
    // items sit under the detail column, in aligned columns of their own
    assert.equal(lines[header + 4]?.indexOf('sip:officer-1@'), detailColumn)
    assert.equal(lines[header + 4]?.indexOf('ACCEPTED'), lines[header + 5]?.indexOf('REJECTED'))
    assert.match(lines[header + 5] ?? '', /sip:officer-22@alpha\.example {2}REJECTED {2}USER_LIMIT {2}limit of 50$/)

    const unknown = await run(['trace', '00000000-0000-4000-8000-000000000000'])
    assert.equal(unknown.code, 66)
    assert.match(unknown.err, /error ACMGW_NOT_FOUND: no request with id 00000000/)
  })

  test('--wait returns as soon as the partner answers', async () => {
    const id = await sendOne()
    const started = Date.now()
    const waiting = run(['trace', id, '--wait', '20'])
    await sleep(700)
    fake.indicate(id)
    fake.answer(id, 'ACCEPTED', [{ item: 'sip:officer-1@alpha.example', result: 'ACCEPTED' }])
    const done = await waiting
    assert.equal(done.code, 0, done.err)
    assert.match(done.out, /\nstatus: +answered: ACCEPTED\n/)
    assert.match(done.out, /final-response/)
    assert.ok(Date.now() - started < 5000, 'it polled, it did not sit out the wait')
  })

  test('--wait gives up after the wait with the timeline and a distinct exit code', async () => {
    const id = await sendOne()
    fake.indicate(id)
    const result = await run(['trace', id, '--wait', '0.8', '--json'])
    assert.equal(result.code, 75)
    assert.equal((JSON.parse(result.out) as RequestTrace).status, 'indicated')
    assert.match(result.err, /error ACMGW_WAIT_TIMED_OUT: no final answer to .* within 0\.8 s; it is indicated/)

    const timedOut = await sendOne()
    fake.timeOut(timedOut)
    const final = await run(['trace', timedOut, '--wait', '5'])
    assert.equal(final.code, 0, 'a request that timed out has its final outcome')
    assert.match(final.out, /timed-out/)
  })
})

describe('acmgw pending', () => {
  const inbound = (who: string) => ({
    partner: 'bravo',
    kind: 'MIGRATION_USERS_ADD',
    agreementId: 'alpha-bravo-1',
    requester: { mcServiceId: 'sip:chief@bravo.example', functionalAlias: 'bravo-duty' },
    urgency: 'IMMEDIATE',
    body: { users: [{ mcServiceId: who }] }
  })

  test('list, show, approve and reject', async () => {
    const first = fake.receive(inbound('sip:medic-1@bravo.example'))
    const second = fake.receive(inbound('sip:medic-2@bravo.example'))

    const list = await run(['pending', 'list'])
    assert.equal(list.code, 0, list.err)
    const table = readTable(list.out)
    assert.deepEqual(
      table.map((r) => r['MESSAGE ID']),
      [first, second]
    )
    assert.deepEqual(table[0], {
      'MESSAGE ID': first,
      PARTNER: 'bravo',
      KIND: 'MIGRATION_USERS_ADD',
      URGENCY: 'IMMEDIATE',
      REQUESTER: 'sip:chief@bravo.example',
      RECEIVED: fake.getPending(first)?.receivedAt,
      'DECIDE BY': fake.getPending(first)?.decideBy
    })
    const json = await run(['pending', 'list', '--json'])
    assert.deepEqual(
      (JSON.parse(json.out) as PendingRequest[]).map((p) => p.messageId),
      [first, second]
    )

    const show = await run(['pending', 'show', first])
    assert.equal(show.code, 0, show.err)
    assert.match(show.out, /\nrequester: +sip:chief@bravo\.example as bravo-duty\n/)
    assert.match(show.out, /body:\n {2}\{\n {4}"users": \[/)
    assert.match(show.out, /sip:medic-1@bravo\.example/)

    const approve = await run(['pending', 'approve', first, '--approver', supervisor, '--reason', 'known team'])
    assert.equal(approve.code, 0, approve.err)
    assert.equal(approve.out, `approved ${first}: the final answer ACCEPTED is sent`)
    assert.match(
      fake.trace(first)?.events.at(-1)?.detail ?? '',
      /approved by sip:supervisor@alpha\.example: known team/
    )

    const noReason = await run(['pending', 'reject', second, '--approver', supervisor])
    assert.equal(noReason.code, 64)
    assert.match(noReason.err, /required option '--reason <text>' not specified/)
    const reject = await run(['pending', 'reject', second, '--approver', supervisor, '--reason', 'not now', '--json'])
    assert.equal(reject.code, 0, reject.err)
    assert.equal((JSON.parse(reject.out) as RequestTrace).outcome, 'REJECTED')

    assert.equal((await run(['pending', 'list'])).out, 'no pending requests')
    const gone = await run(['pending', 'approve', first, '--approver', supervisor])
    assert.equal(gone.code, 66)
    assert.match(gone.err, /error ACMGW_NOT_FOUND: no pending request with id/)
  })
})

describe('acmgw dlq', () => {
  test('list, show, redrive', async () => {
    const letter = fake.addDeadLetter({
      id: 'dl-1',
      reasonCode: 'ACMGW_SIGNATURE_INVALID',
      reason: 'the signature does not verify',
      partner: 'bravo',
      messageId: 'm-1',
      original: { topic: 'acm.bravo.alpha.users', partition: 2, offset: '41', key: 'user/1', timestamp: 0 }
    })
    const list = await run(['dlq', 'list'])
    assert.equal(list.code, 0, list.err)
    assert.deepEqual(readTable(list.out), [
      {
        ID: 'dl-1',
        AT: letter.at,
        REASON: 'ACMGW_SIGNATURE_INVALID',
        PARTNER: 'bravo',
        ORIGINAL: 'acm.bravo.alpha.users[2]@41'
      }
    ])
    assert.deepEqual(JSON.parse((await run(['dlq', 'list', '--json'])).out), [letter])

    const show = await run(['dlq', 'show', 'dl-1'])
    assert.match(show.out, /\nreason: +the signature does not verify\n/)
    assert.match(show.out, /\nrecord time: +1970-01-01T00:00:00\.000Z$/)

    const redrive = await run(['dlq', 'redrive', 'dl-1'])
    assert.equal(redrive.code, 0, redrive.err)
    assert.equal(redrive.out, 'redriven dl-1: re-queued to acm.bravo.alpha.users')
    assert.equal((await run(['dlq', 'list'])).out, 'no dead letters')
    const again = await run(['dlq', 'redrive', 'dl-1'])
    assert.equal(again.code, 66)
  })
})

describe('acmgw agreements', () => {
  test('list, then suspend: the partner is notified and the status changes', async () => {
    const list = await run(['agreements', 'list'])
    assert.equal(list.code, 0, list.err)
    assert.deepEqual(readTable(list.out), [
      {
        ID: 'alpha-bravo-1',
        PARTNER: 'bravo',
        STATUS: 'ACTIVE',
        SERVICES: 'MCPTT,MCDATA',
        CATEGORIES: 'users,groups,migration',
        VALID: 'always'
      },
      {
        ID: 'alpha-charlie-1',
        PARTNER: 'charlie',
        STATUS: 'ACTIVE',
        SERVICES: 'MCPTT,MCDATA',
        CATEGORIES: 'users,groups,migration',
        VALID: 'always'
      }
    ])

    const suspend = await run(['agreements', 'suspend', 'alpha-charlie-1', '--requester', chief, '--reason', 'drill'])
    assert.equal(suspend.code, 0, suspend.err)
    assert.match(suspend.out, /^suspend of agreement alpha-charlie-1 sent to the partner\nmessage id: /)
    assert.match(suspend.out, /\ntopic: +acm\.alpha\.charlie\.status\n/)
    assert.equal(fake.agreements().find((a) => a.id === 'alpha-charlie-1')?.status, 'SUSPENDED')

    const twice = await run(['agreements', 'suspend', 'alpha-charlie-1', '--requester', chief])
    assert.equal(twice.code, 65)
    assert.match(
      twice.err,
      /error ACMGW_CONFLICT: cannot suspend agreement alpha-charlie-1: the agreement is SUSPENDED/
    )

    const resume = await run(['agreements', 'resume', 'alpha-charlie-1', '--requester', chief, '--json'])
    assert.equal(resume.code, 0, resume.err)
    assert.equal((JSON.parse(resume.out) as SendReceipt).acknowledged, true)
  })
})

describe('connection', () => {
  test('a token file is read (option or $ACMGW_TOKEN_FILE); without it the gateway refuses', async () => {
    const guarded = buildHttpApp({ service: fake, token: 'tok-3f9a' })
    const guardedUrl = await guarded.listen({ host: '127.0.0.1', port: 0 })
    try {
      await writeFile(join(cwd, 'token'), 'tok-3f9a\n')
      await writeFile(join(cwd, 'wrong-token'), 'tok-0000\n')
      const refused = await run(['agreements', 'list', '--url', guardedUrl])
      assert.equal(refused.code, 77)
      assert.match(refused.err, /error ACMGW_UNAUTHORIZED: this route needs an Authorization: Bearer header/)

      const withFile = await run(['agreements', 'list', '--url', guardedUrl, '--token-file', 'token'])
      assert.equal(withFile.code, 0, withFile.err)
      const fromEnv = await run(['agreements', 'list', '--json'], {
        ACMGW_URL: guardedUrl,
        ACMGW_TOKEN_FILE: join(cwd, 'token')
      })
      assert.equal(fromEnv.code, 0, fromEnv.err)

      const wrong = await run(['agreements', 'list', '--url', guardedUrl, '--token-file', 'wrong-token'])
      assert.equal(wrong.code, 77)
      assert.match(wrong.err, /the bearer token is not valid/)
      const missing = await run(['agreements', 'list', '--url', guardedUrl, '--token-file', 'no-such-token'])
      assert.equal(missing.code, 66)
      assert.match(missing.err, /cannot read the token file .*no-such-token \(ENOENT\)/)
    } finally {
      await guarded.close()
    }
  })

  test('an unreachable or wrong URL gives an error that names it', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`
    const unreachable = await run(['pending', 'list', '--url', closed])
    assert.equal(unreachable.code, 69)
    assert.match(
      unreachable.err,
      new RegExp(`^error ACMGW_GATEWAY_UNREACHABLE: cannot reach the gateway API at ${closed}: .*ECONNREFUSED`)
    )

    const notHttp = await run(['pending', 'list', '--url', 'ftp://127.0.0.1'])
    assert.equal(notHttp.code, 64)
    assert.match(notHttp.err, /--url ftp:\/\/127\.0\.0\.1 must be an http:\/\/ or https:\/\/ URL/)

    const other = createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>nope</h1>'))
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
    try {
      const address = other.address()
      const otherUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
      const wrong = await run(['dlq', 'list', '--url', otherUrl])
      assert.equal(wrong.code, 69)
      assert.match(
        wrong.err,
        new RegExp(`answered HTTP 404 without the gateway's JSON; is ${otherUrl} the gateway API\\?`)
      )
    } finally {
      await new Promise((resolve) => other.close(resolve))
    }

    const prefixed = await run(['pending', 'list', '--url', `${url}/acm`])
    assert.equal(prefixed.code, 66, 'a path prefix is kept, and the gateway says it has no such route')
    assert.match(prefixed.err, /no route GET \/acm\/v1\/pending/)
  })
})
