/**
 * Two (or three) real gateways on the real broker: every procedure end to end, pending work, suspension,
 * termination, crashes and poison records.
 */
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { readDirectory } from '../../src/adapters/directory.ts'
import { topicName } from '../../src/codec/catalogue.ts'
import { gatewayTlsFiles } from '../../src/pki/store.ts'
import { body } from '../helpers/acm.ts'
import { gatewayPair, runGateway, waitFor } from '../helpers/gateway.ts'
import { kafkaFor, testStack } from '../helpers/stack.ts'

async function gatewayEndpoint(systemId: string, pkiDir: string) {
  return {
    brokers: (await testStack()).bootstrapServers,
    tls: gatewayTlsFiles(pkiDir, systemId),
    clientId: `raw-${systemId}`
  }
}

const requester = { mcServiceId: 'sip:chief@a.example', functionalAlias: null }

describe('gateway end to end', () => {
  test('a migration request is applied by the partner and its final answer reaches the sender', async (t) => {
    const pair = await gatewayPair(t, { categories: ['migration'] })
    const a = await runGateway(t, pair.configA)
    const b = await runGateway(t, pair.configB)
    const receipt = await a.service.send({
      kind: 'MIGRATION_USERS_ADD',
      partner: pair.b,
      agreementId: pair.agreementId,
      requester,
      body: body('MIGRATION_USERS_ADD')
    })
    assert.equal(receipt.acknowledged, true)
    const trace = await waitFor('the final answer', () => {
      const tr = a.service.trace(receipt.messageId)
      return tr?.status === 'answered' ? tr : undefined
    })
    assert.equal(trace.outcome, 'ACCEPTED')
    assert.deepEqual(
      trace.events.map((e) => e.type),
      ['sent', 'process-indication', 'final-response']
    )
    const directory = await readDirectory(b.directory)
    assert.deepEqual(Object.keys(directory.partners[pair.a]?.migrationAuthorisations ?? {}).sort(), [
      'sip:u1@alpha.example',
      'sip:u2@alpha.example',
      'sip:u3@alpha.example'
    ])
  })
})

describe('decisions, agreement states and bad input', () => {
  test('a pending request survives a restart of the receiving gateway and is approved with the approver named', async (t) => {
    const pair = await gatewayPair(t, { categories: ['groups'], policy: { b: { default: 'pending' } } })
    const a = await runGateway(t, pair.configA)
    let b = await runGateway(t, pair.configB)
    const receipt = await a.service.send({
      kind: 'GROUP_MEMBERSHIP_UPDATE',
      partner: pair.b,
      agreementId: pair.agreementId,
      requester,
      target: { mcServiceId: 'sip:admin@b.example' },
      urgency: 'HIGH',
      body: body('GROUP_MEMBERSHIP_UPDATE')
    })
    await waitFor('the pending request at b', () => b.service.getPending(receipt.messageId))
    await waitFor('the pending indication at a', () => a.service.trace(receipt.messageId)?.status === 'pending')
    const notifications = await readFile(join(b.directory, 'pending-notifications.jsonl'), 'utf8')
    assert.match(notifications, new RegExp(receipt.messageId))

    await b.stop()
    b = await runGateway(t, pair.configB)
    const pending = b.service.getPending(receipt.messageId)
    assert.ok(pending, 'pending work survives the restart')
    assert.equal(pending.urgency, 'HIGH')
    assert.equal(pending.requester.mcServiceId, requester.mcServiceId)

    await b.service.approve(receipt.messageId, { mcServiceId: 'sip:duty@b.example' })
    const trace = await waitFor('the final answer', () => {
      const tr = a.service.trace(receipt.messageId)
      return tr?.status === 'answered' ? tr : undefined
    })
    assert.equal(trace.outcome, 'ACCEPTED')
    assert.match(trace.events.at(-1)?.detail ?? '', /by sip:duty@b\.example/)
    assert.equal(b.service.getPending(receipt.messageId), undefined)
    const directory = await readDirectory(b.directory)
    assert.equal(directory.partners[pair.a]?.groupMembers['sip:fire-ops@alpha.example']?.length, 3)
  })

  test('policy rejection; a suspended agreement rejects with a reason; termination cascades on both sides', async (t) => {
    const pair = await gatewayPair(t, {
      categories: ['migration'],
      policy: {
        b: {
          default: 'accept',
          rules: [
            {
              name: 'no removals by anyone',
              when: { kinds: ['MIGRATION_USERS_REMOVE'] },
              decision: 'reject',
              reason: 'removals go by phone'
            }
          ]
        }
      }
    })
    const a = await runGateway(t, pair.configA)
    const b = await runGateway(t, pair.configB)
    const answered = (id: string) =>
      waitFor(`answer to ${id}`, () => {
        const tr = a.service.trace(id)
        return tr?.status === 'answered' ? tr : undefined
      })
    const send = (kind: 'MIGRATION_USERS_ADD' | 'MIGRATION_USERS_REMOVE' | 'VISITING_USER_SERVICE_AUTHORISATION') =>
      a.service.send({ kind, partner: pair.b, agreementId: pair.agreementId, requester, body: body(kind) })

    await answered((await send('MIGRATION_USERS_ADD')).messageId)
    await answered((await send('VISITING_USER_SERVICE_AUTHORISATION')).messageId)
    const removal = await answered((await send('MIGRATION_USERS_REMOVE')).messageId)
    assert.equal(removal.outcome, 'REJECTED')
    assert.match(removal.events.at(-1)?.detail ?? '', /REJECTED/)

    await b.service.changeCooperation(
      pair.agreementId,
      'suspend',
      { mcServiceId: 'sip:chief@b.example' },
      'incident review'
    )
    await waitFor('a sees the suspension', () => a.service.agreements()[0]?.status === 'SUSPENDED')
    await assert.rejects(send('MIGRATION_USERS_ADD'), /AGREEMENT_SUSPENDED/)
    await b.service.changeCooperation(pair.agreementId, 'resume', { mcServiceId: 'sip:chief@b.example' })
    await waitFor('a sees the resumption', () => a.service.agreements()[0]?.status === 'ACTIVE')

    await a.service.changeCooperation(
      pair.agreementId,
      'terminate',
      { mcServiceId: 'sip:chief@a.example' },
      'end of exercise'
    )
    await waitFor('b sees the termination', () => b.service.agreements()[0]?.status === 'TERMINATED')
    const atB = (await readDirectory(b.directory)).partners[pair.a]
    assert.deepEqual(atB?.migrationAuthorisations, {}, 'migration authorisations revoked at b')
    assert.deepEqual(atB?.visitingServices, {}, 'visiting services disabled at b')
    assert.equal(atB?.agreements[pair.agreementId], 'TERMINATED')
    const atA = (await readDirectory(a.directory)).partners[pair.b]
    assert.equal(atA?.agreements[pair.agreementId], 'TERMINATED', 'the cascade reached a’s own adapter too')
    await assert.rejects(send('MIGRATION_USERS_ADD'), /AGREEMENT_TERMINATED/)
  })

  test('a poison record goes to the dead-letter topic while later records keep flowing', async (t) => {
    const pair = await gatewayPair(t, { categories: ['migration'] })
    const a = await runGateway(t, pair.configA)
    const b = await runGateway(t, pair.configB)
    // a's own credentials, so the broker lets it in: only the gateway can tell the record is bad.
    const producer = (await kafkaFor(await gatewayEndpoint(pair.a, pair.systems.pkiDir))).producer()
    await producer.connect()
    t.after(() => producer.disconnect())
    const topic = topicName(pair.a, pair.b, 'migration')
    await producer.send({ topic, messages: [{ key: 'request:x', value: Buffer.from('not an ACM record at all') }] })
    const receipt = await a.service.send({
      kind: 'MIGRATION_USERS_ADD',
      partner: pair.b,
      agreementId: pair.agreementId,
      requester,
      body: body('MIGRATION_USERS_ADD')
    })
    await waitFor('the valid request answered', () => a.service.trace(receipt.messageId)?.status === 'answered')
    const letters = await waitFor('the dead letter', () => {
      const found = b.events.filter((e) => e.type === 'dead-lettered')
      return found.length > 0 ? found : undefined
    })
    assert.equal(letters.length, 1)
    const [letter] = await b.service.deadLetters()
    assert.ok(letter)
    assert.equal(letter.original.topic, topic)
    assert.equal(letter.partner, pair.a)
    assert.match(letter.reasonCode, /^ACMGW_(CODEC|SIGNATURE)_/)
    const redrive = await b.service.redrive(letter.id)
    assert.equal(redrive.redriven, false, 'garbage stays garbage')
  })
})

describe('replicas', () => {
  test('two replicas of one gateway share the inbound work, and each request is applied by exactly one', async (t) => {
    const pair = await gatewayPair(t, { categories: ['migration'] })
    const a = await runGateway(t, pair.configA)
    const first = await runGateway(t, pair.configB)
    const secondConfig = pair.configB.replace(/\.yaml$/, '.replica.yaml')
    const yaml = await readFile(pair.configB, 'utf8')
    await writeFile(secondConfig, yaml.replace(`${pair.b}-directory`, `${pair.b}-directory-replica`))
    const second = await runGateway(t, secondConfig)
    const ids: string[] = []
    for (let i = 0; i < 40; i++) {
      const receipt = await a.service.send({
        kind: 'MIGRATION_USERS_ADD',
        partner: pair.b,
        agreementId: pair.agreementId,
        requester,
        body: {
          users: [
            {
              mcServiceId: `sip:u${i}@a.example`,
              partnerMcServiceId: null,
              services: ['MCPTT'],
              validFrom: null,
              validUntil: null
            }
          ]
        }
      })
      ids.push(receipt.messageId)
    }
    await waitFor('every answer', () => ids.every((id) => a.service.trace(id)?.status === 'answered'), 60_000)
    const applied = async (dir: string) =>
      Object.keys((await readDirectory(dir)).applied).filter((k) => k.startsWith(`${pair.a}/`))
    const one = await applied(first.directory)
    const two = await applied(second.directory)
    assert.equal(one.length + two.length, ids.length, 'every request applied once in total')
    assert.equal(new Set([...one, ...two]).size, ids.length, 'no request applied by both replicas')
    assert.ok(one.length > 0 && two.length > 0, `both replicas worked (${one.length} + ${two.length})`)
  })
})
