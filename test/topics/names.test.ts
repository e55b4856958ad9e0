import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseTopic } from '../../src/codec/catalogue.ts'
import { GatewayError } from '../../src/errors.ts'
import { names } from '../../src/topics/names.ts'

test('names without a namespace are the gateway’s own', () => {
  const n = names()
  assert.equal(n.dataTopic('alpha', 'bravo', 'users'), 'acm.alpha.bravo.users')
  assert.deepEqual(parseTopic(n.dataTopic('alpha', 'bravo', 'users')), {
    from: 'alpha',
    to: 'bravo',
    category: 'users'
  })
  assert.equal(n.consumerGroup('alpha'), 'acmgw.alpha')
  assert.equal(n.deadLetterTopic('alpha'), 'acm.alpha.dlq')
  assert.equal(parseTopic(n.deadLetterTopic('alpha')), undefined, 'a private topic is never taken for a link topic')
  assert.equal(parseTopic(n.stateTopic('alpha')), undefined)
})

test('a namespace prefixes topics and groups; names that could overlap another namespace are refused', () => {
  const n = names('t1a2b3c4')
  assert.equal(n.dataTopic('alpha', 'bravo', 'status'), 't1a2b3c4.acm.alpha.bravo.status')
  assert.equal(n.consumerGroup('bravo'), 't1a2b3c4.acmgw.bravo')
  const table = [
    { ns: 'team-1', ok: true },
    { ns: 'a.b', ok: false }, // a dot would let one namespace's names start like another's
    { ns: 'acm', ok: false }, // acm.acm.… would sit inside the default namespace's acm.…
    { ns: 'acmgw', ok: false },
    { ns: 'Upper', ok: false },
    { ns: '-x', ok: false },
    { ns: 'x'.repeat(33), ok: false }
  ]
  for (const row of table) {
    if (row.ok) assert.equal(names(row.ns).namespace, row.ns)
    else
      assert.throws(
        () => names(row.ns),
        (e: unknown) => GatewayError.is(e) && e.code === 'ACMGW_USAGE',
        row.ns
      )
  }
})
