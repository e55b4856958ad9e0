import assert from 'node:assert/strict'
import { test } from 'node:test'
import { GatewayError } from '../../src/errors.ts'
import { handleLocalRequest } from '../../src/gateway/local-requests.ts'
import type { GatewayService, OutboundRequest } from '../../src/gateway/service.ts'
import type { InboundRecord } from '../../src/kafka/records.ts'

function record(value: string, key = 'corr-1'): InboundRecord {
  return {
    topic: 'local.requests',
    partition: 0,
    offset: '7',
    timestamp: 0,
    key: Buffer.from(key),
    value: Buffer.from(value),
    headers: {}
  }
}

const request: OutboundRequest = {
  kind: 'MIGRATION_USERS_ADD',
  partner: 'be-police',
  agreementId: 'nl-be',
  requester: { mcServiceId: 'sip:a@nl' },
  body: { users: [] }
}

function service(send: GatewayService['send']): GatewayService {
  return { send } as GatewayService
}

test('a valid request is sent and its receipt is answered under the same key', async () => {
  const result = await handleLocalRequest(
    service((r) =>
      Promise.resolve({ messageId: `id-for-${r.kind}`, topic: 'acm.nl.be.migration', acknowledged: true })
    ),
    record(JSON.stringify(request)),
    'local.results'
  )
  assert.equal(result.topic, 'local.results')
  assert.equal(result.key.toString(), 'corr-1')
  assert.deepEqual(JSON.parse(result.value!.toString()), {
    messageId: 'id-for-MIGRATION_USERS_ADD',
    topic: 'acm.nl.be.migration',
    acknowledged: true
  })
})

test('malformed input and refused requests are answered with the error, and nothing is lost', async () => {
  const never = service(() => Promise.reject(new Error('must not be called')))
  const notJson = JSON.parse((await handleLocalRequest(never, record('{'), 'r')).value!.toString()) as {
    error: { code: string }
  }
  assert.equal(notJson.error.code, 'ACMGW_REQUEST_INVALID')
  const incomplete = JSON.parse((await handleLocalRequest(never, record('{"kind":"X"}'), 'r')).value!.toString()) as {
    error: { message: string }
  }
  assert.match(incomplete.error.message, /needs kind, partner, agreementId/)
  const refusing = service(() =>
    Promise.reject(new GatewayError('ACMGW_CONFLICT', 'AGREEMENT_SUSPENDED: suspended', { path: 'agreementId' }))
  )
  const refused = JSON.parse(
    (await handleLocalRequest(refusing, record(JSON.stringify(request)), 'r')).value!.toString()
  ) as { error: { code: string; path: string } }
  assert.deepEqual([refused.error.code, refused.error.path], ['ACMGW_CONFLICT', 'agreementId'])
})

test('a broker failure is not answered: it propagates so the offset is not committed and the request is retried', async () => {
  const down = service(() => Promise.reject(new GatewayError('ACMGW_KAFKA_UNREACHABLE', 'broker down')))
  await assert.rejects(handleLocalRequest(down, record(JSON.stringify(request)), 'r'), /broker down/)
})
