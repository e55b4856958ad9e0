import assert from 'node:assert/strict'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { applyBatch, emptyDirectory } from '../../src/adapters/directory-model.ts'
import { createDirectoryAdapter, readDirectory } from '../../src/adapters/directory.ts'
import type { EffectBatch } from '../../src/adapters/effects.ts'

const user = (id: string) => ({ mcServiceId: id, partnerMcServiceId: null, services: ['MCPTT'], validUntil: null })

function batch(key: string, effects: EffectBatch['effects'], limits: EffectBatch['limits'] = {}): EffectBatch {
  return { idempotencyKey: `be-police/${key}`, partner: 'be-police', messageId: key, kind: 'TEST', effects, limits }
}

describe('directory model', () => {
  test('per-item results: limits, not applicable and dependencies', () => {
    let doc = emptyDirectory()
    const first = applyBatch(
      doc,
      batch(
        'm1',
        [
          { type: 'migration.authorise', user: user('sip:a@be') },
          { type: 'migration.authorise', user: user('sip:b@be') },
          { type: 'migration.authorise', user: user('sip:c@be') }
        ],
        { maxMigratedUsers: 2 }
      ),
      1
    )
    assert.deepEqual(
      first.results.map((r) => r.result),
      ['ACCEPTED', 'ACCEPTED', 'REJECTED']
    )
    assert.equal(first.results[2]?.reasonCode, 'LIMIT_REACHED')
    doc = first.doc
    const second = applyBatch(
      doc,
      batch('m2', [
        {
          type: 'visiting-service.set',
          mcServiceId: 'sip:a@be',
          authorisation: { service: 'MCDATA', feature: 'sds', enabled: true }
        },
        {
          type: 'visiting-service.set',
          mcServiceId: 'sip:z@be',
          authorisation: { service: 'MCDATA', feature: 'sds', enabled: true }
        },
        { type: 'migration.revoke', mcServiceId: 'sip:nobody@be' }
      ]),
      2
    )
    assert.deepEqual(
      second.results.map((r) => [r.result, r.reasonCode]),
      [
        ['ACCEPTED', null],
        ['REJECTED', 'NOT_AUTHORISED'],
        ['NOT_APPLICABLE', 'NOT_AUTHORISED']
      ]
    )
  })

  test('a repeated idempotency key changes nothing and answers the same', () => {
    const once = applyBatch(
      emptyDirectory(),
      batch('m1', [{ type: 'group.member.add', mcServiceGroupId: 'g', mcServiceId: 'u' }]),
      1
    )
    const twice = applyBatch(
      once.doc,
      batch('m1', [{ type: 'group.member.remove', mcServiceGroupId: 'g', mcServiceId: 'u' }]),
      2
    )
    assert.equal(twice.repeated, true)
    assert.equal(twice.doc, once.doc)
    assert.deepEqual(twice.results, once.results)
    assert.deepEqual(once.doc.partners['be-police']?.groupMembers.g, ['u'])
  })

  test('termination revokes migration, visiting services and the partner’s joint-group memberships', () => {
    let doc = applyBatch(
      emptyDirectory(),
      batch('m1', [
        { type: 'migration.authorise', user: user('sip:a@be') },
        {
          type: 'visiting-service.set',
          mcServiceId: 'sip:a@be',
          authorisation: { service: 'MCPTT', feature: 'emergency-call', enabled: true }
        },
        {
          type: 'joint-group.upsert',
          group: {
            mcServiceGroupId: 'jg-1',
            homeSystem: 'nl-police',
            displayName: 'Border patrol',
            services: ['MCPTT'],
            members: [
              { mcServiceId: 'sip:x@nl', system: 'nl-police' },
              { mcServiceId: 'sip:a@be', system: 'be-police' }
            ],
            validUntil: null
          }
        }
      ]),
      1
    ).doc
    doc = applyBatch(doc, batch('m2', [{ type: 'partner.revoke-all', agreementId: 'nl-be' }]), 2).doc
    const records = doc.partners['be-police']
    assert.deepEqual(records?.migrationAuthorisations, {})
    assert.deepEqual(records?.visitingServices, {})
    assert.deepEqual(records?.jointGroups['jg-1']?.members, [{ mcServiceId: 'sip:x@nl', system: 'nl-police' }])
  })
})

describe('directory adapter (files)', () => {
  test('persists atomically, survives a new adapter on the same folder, and logs pending notifications', async () => {
    const path = await mkdtemp(join(tmpdir(), 'acmgw-dir-'))
    const first = await createDirectoryAdapter({ path })
    const results = await Promise.all([
      first.apply(batch('m1', [{ type: 'group.member.add', mcServiceGroupId: 'g', mcServiceId: 'u1' }])),
      first.apply(batch('m2', [{ type: 'group.member.add', mcServiceGroupId: 'g', mcServiceId: 'u2' }]))
    ])
    assert.deepEqual(
      results.flat().map((r) => r.result),
      ['ACCEPTED', 'ACCEPTED']
    )
    await first.notifyPending({
      messageId: 'm3',
      partner: 'be-police',
      kind: 'MIGRATION_USERS_ADD',
      requester: 'sip:r@be'
    })
    await first.close()
    const second = await createDirectoryAdapter({ path })
    const again = await second.apply(
      batch('m1', [{ type: 'group.member.add', mcServiceGroupId: 'g', mcServiceId: 'u1' }])
    )
    assert.deepEqual(
      again.map((r) => r.result),
      ['ACCEPTED']
    )
    assert.deepEqual((await readDirectory(path)).partners['be-police']?.groupMembers.g, ['u1', 'u2'])
    assert.match(await readFile(join(path, 'pending-notifications.jsonl'), 'utf8'), /"messageId":"m3"/)
  })
})
