/**
 * The audit log of two real gateways on the real broker: a request sent and answered automatically, another held
 * pending and approved by a person. Both logs verify (also through `acmgw audit verify`) and name the approver.
 * And `acmgw topics apply --audit` recording the ACLs it adds and revokes.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { stringify } from 'yaml'
import type { AuditEntry } from '../../src/audit/chain.ts'
import type { TopicsPlan } from '../../src/topics/plan.ts'
import { readAuditFile, verifyAuditFile } from '../../src/audit/file.ts'
import { body } from '../helpers/acm.ts'
import { acmgw } from '../helpers/cli.ts'
import { gatewayPair, runGateway, waitFor } from '../helpers/gateway.ts'
import { testStack, uniqueName } from '../helpers/stack.ts'

const requester = { mcServiceId: 'sip:chief@a.example', functionalAlias: null }
const duty = 'sip:duty@b.example'

/** The entries about one message, as [type, outcome, decidedBy, rule]. */
function about(entries: AuditEntry[], messageId: string): (string | undefined)[][] {
  return entries.filter((e) => e.messageId === messageId).map((e) => [e.type, e.outcome, e.decidedBy, e.rule])
}

describe('audit log on real gateways', () => {
  test('requests, automatic and manual decisions and answers are chained on both sides', async (t) => {
    const pair = await gatewayPair(t, {
      categories: ['migration', 'groups'],
      policy: {
        b: {
          default: 'accept',
          rules: [
            { name: 'group changes need a person', when: { kinds: ['GROUP_MEMBERSHIP_UPDATE'] }, decision: 'pending' }
          ]
        }
      }
    })
    const a = await runGateway(t, pair.configA)
    const b = await runGateway(t, pair.configB)
    const answered = (id: string) =>
      waitFor(`the answer to ${id}`, () => a.service.trace(id)?.status === 'answered' || undefined)

    const automatic = await a.service.send({
      kind: 'MIGRATION_USERS_ADD',
      partner: pair.b,
      agreementId: pair.agreementId,
      requester,
      body: body('MIGRATION_USERS_ADD')
    })
    await answered(automatic.messageId)
    const manual = await a.service.send({
      kind: 'GROUP_MEMBERSHIP_UPDATE',
      partner: pair.b,
      agreementId: pair.agreementId,
      requester,
      target: { mcServiceId: 'sip:admin@b.example' },
      body: body('GROUP_MEMBERSHIP_UPDATE')
    })
    await waitFor('the pending request at b', () => b.service.getPending(manual.messageId))
    await b.service.approve(manual.messageId, { mcServiceId: duty })
    await answered(manual.messageId)
    await a.stop()
    await b.stop()

    // The default file: <system id>.audit.jsonl next to the configuration file.
    const fileA = join(pair.systems.workDir, `${pair.a}.audit.jsonl`)
    const fileB = join(pair.systems.workDir, `${pair.b}.audit.jsonl`)
    for (const file of [fileA, fileB]) {
      const verdict = await verifyAuditFile(file)
      assert.ok(verdict.ok, JSON.stringify(verdict))
      const cli = await acmgw(['audit', 'verify', file])
      assert.equal(cli.code, 0, cli.err)
      assert.match(
        cli.out,
        new RegExp(`intact, ${verdict.count} entries; last ${verdict.head.seq}:${verdict.head.hash}$`)
      )
    }
    const atA = await readAuditFile(fileA)
    const atB = await readAuditFile(fileB)

    assert.deepEqual(about(atA, automatic.messageId), [
      ['request-sent', undefined, undefined, undefined],
      ['answer-received', 'ACCEPTED', 'automatic', undefined]
    ])
    assert.deepEqual(about(atA, manual.messageId), [
      ['request-sent', undefined, undefined, undefined],
      ['answer-received', 'ACCEPTED', duty, undefined]
    ])
    assert.deepEqual(about(atB, automatic.messageId), [
      ['request-received', undefined, undefined, undefined],
      ['decision', 'ACCEPTED', 'automatic', '(default)']
    ])
    assert.deepEqual(about(atB, manual.messageId), [
      ['request-received', undefined, undefined, undefined],
      ['decision', 'PENDING', 'automatic', 'group changes need a person'],
      ['decision', 'ACCEPTED', duty, undefined],
      ['decision', 'APPROVED', duty, undefined]
    ])
    for (const e of [...atA, ...atB]) {
      assert.ok([pair.a, pair.b].includes(e.partner ?? ''), `partner of entry ${e.seq}`)
      assert.ok(!('body' in e) && !('users' in e) && !('requester' in e), `entry ${e.seq} carries no payload`)
    }
    assert.ok(atA.every((e) => e.partner === pair.b))
    assert.ok(atB.every((e) => e.partner === pair.a))
  })
})

describe('ACL changes in the audit log', () => {
  test('acmgw topics apply --audit records one entry per ACL added or removed, continuing the chain', async () => {
    const info = await testStack()
    const ns = uniqueName('audit')
    const dir = await mkdtemp(join(tmpdir(), 'acmgw-audit-topics-'))
    const agreements = join(dir, 'interconnection.yaml')
    const log = join(dir, 'topics.audit.jsonl')
    const write = (categories: string[]) =>
      writeFile(
        agreements,
        stringify({
          systems: [{ id: 'alpha' }, { id: 'bravo' }],
          agreements: [{ id: 'ab', systems: ['alpha', 'bravo'], status: 'ACTIVE', categories }]
        })
      )
    const apply = async () => {
      const run = await acmgw([
        'topics',
        'apply',
        '--stack',
        info.dir,
        '--namespace',
        ns,
        '--agreements',
        agreements,
        '--audit',
        log,
        '--json'
      ])
      assert.equal(run.code, 0, run.err)
      return JSON.parse(run.out) as { applied: TopicsPlan; auditEntries: number }
    }

    await write(['status', 'groups'])
    const first = await apply()
    assert.ok(first.applied.aclsToAdd.length > 0)
    assert.equal(first.auditEntries, first.applied.aclsToAdd.length + first.applied.aclsToRemove.length)
    await write(['status'])
    const second = await apply()
    assert.ok(second.applied.aclsToRemove.length > 0, 'narrowing the agreement revokes grants')

    const verdict = await verifyAuditFile(log)
    assert.ok(verdict.ok, JSON.stringify(verdict))
    assert.equal(verdict.count, first.auditEntries + second.auditEntries)
    const entries = await readAuditFile(log)
    assert.ok(entries.every((e) => e.type === 'acl-change' && e.outcome === 'APPLIED'))
    const revoked = entries.slice(first.auditEntries).filter((e) => e.acl?.action === 'remove')
    assert.deepEqual(
      revoked.map((e) => `${e.acl?.principal} ${e.acl?.operation} ${e.acl?.resourceName}`).sort(),
      second.applied.aclsToRemove.map((a) => `${a.principal} ${a.operation} ${a.resourceName}`).sort()
    )
    assert.ok(revoked.every((e) => e.partner === 'alpha' || e.partner === 'bravo'))

    // A log that does not verify stops the apply before the cluster changes.
    const lines = (await readFile(log, 'utf8')).split('\n').filter((l) => l !== '')
    await writeFile(log, `${lines.filter((_, i) => i !== 1).join('\n')}\n`)
    await write(['status', 'groups'])
    const refused = await acmgw([
      'topics',
      'apply',
      '--stack',
      info.dir,
      '--namespace',
      ns,
      '--agreements',
      agreements,
      '--audit',
      log
    ])
    assert.equal(refused.code, 65)
    assert.match(refused.err, /^error ACMGW_AUDIT_TAMPERED: .* line 2: entry 2 is missing/)
    const plan = await acmgw(['topics', 'plan', '--stack', info.dir, '--namespace', ns, '--agreements', agreements])
    assert.equal(plan.code, 2, 'the grants were not re-added')
  })
})
