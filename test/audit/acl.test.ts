import assert from 'node:assert/strict'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { aclAuditRecords, openAclAudit } from '../../src/audit/acl.ts'
import { readAuditFile, verifyAuditFile } from '../../src/audit/file.ts'
import type { AclBinding } from '../../src/kafka/admin.ts'

const binding = (principal: string, operation: AclBinding['operation']): AclBinding => ({
  resourceType: 'TOPIC',
  resourceName: 'acm.be-police.nl-police.migration',
  patternType: 'LITERAL',
  principal,
  host: '*',
  operation,
  permission: 'ALLOW'
})

describe('ACL changes in the audit log', () => {
  test('one entry per binding, revocations first, the grantee system as partner, no plan detail', () => {
    const added = { ...binding('User:acmgw.nl-police', 'READ'), role: 'reader', system: 'nl-police', reason: 'x' }
    const records = aclAuditRecords({
      aclsToRemove: [binding('User:someone-else', 'WRITE')],
      aclsToAdd: [added]
    })
    assert.deepEqual(
      records.map((r) => [r.type, r.acl?.action, r.partner, r.acl?.operation]),
      [
        ['acl-change', 'remove', null, 'WRITE'],
        ['acl-change', 'add', 'nl-police', 'READ']
      ]
    )
    assert.deepEqual(Object.keys(records[1]?.acl ?? {}).sort(), [
      'action',
      'host',
      'operation',
      'patternType',
      'permission',
      'principal',
      'resourceName',
      'resourceType'
    ])
  })

  test('appends to a log and continues its chain', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'acmgw-acl-audit-')), 'topics.audit.jsonl')
    const plan = { aclsToRemove: [], aclsToAdd: [binding('User:acmgw.nl-police', 'READ')] }
    const first = await openAclAudit(file)
    assert.equal(await first.record(plan), 1)
    await first.close()
    const second = await openAclAudit(file)
    assert.equal(await second.record({ ...plan, aclsToRemove: plan.aclsToAdd, aclsToAdd: [] }), 1)
    await second.close()
    const verdict = await verifyAuditFile(file)
    assert.ok(verdict.ok)
    assert.deepEqual(
      (await readAuditFile(file)).map((e) => [e.seq, e.acl?.action]),
      [
        [1, 'add'],
        [2, 'remove']
      ]
    )
  })
})
