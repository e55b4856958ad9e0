/**
 * `acmgw demo --no-wait`, as the README's first command runs it: its own broker and registry, PKI, topics and
 * ACLs, three gateways and the whole scenario, then everything stopped again.
 */
import assert from 'node:assert/strict'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { freePort } from '../../src/devstack/processes.ts'
import { readStackInfo } from '../../src/devstack/stack.ts'
import { isAlive } from '../../src/devstack/processes.ts'
import { acmgw } from '../helpers/cli.ts'

test('the demo plays every procedure between three systems and cleans up after itself', async () => {
  const cwd = await mkdtemp(join(tmpdir(), 'acmgw-demo-'))
  const ports = await Promise.all([freePort(), freePort(), freePort(), freePort()])
  const run = await acmgw(
    [
      'demo',
      '--no-wait',
      '--dir',
      'demo',
      '--broker-port',
      String(ports[0]),
      '--controller-port',
      String(ports[1]),
      '--registry-port',
      String(ports[2]),
      '--registry-management-port',
      String(ports[3]),
      '--http-port',
      '0'
    ],
    { cwd }
  )
  assert.equal(run.code, 0, `${run.out}\n${run.err}`)
  const outcomes = JSON.parse(/^outcomes: (.*)$/m.exec(run.out)?.[1] ?? '{}') as Record<string, string>
  assert.deepEqual(outcomes, {
    cooperation: 'ACTIVE',
    groupIdentity: 'ACCEPTED',
    jointGroup: 'ACCEPTED',
    jointGroupDe: 'ACCEPTED',
    securityParameters: 'ACCEPTED',
    migration: 'PARTIALLY_ACCEPTED',
    visiting: 'ACCEPTED',
    userConfiguration: 'ACCEPTED',
    pendingApproved: 'ACCEPTED',
    jointGroupUpdate: 'ACCEPTED',
    migrationRemove: 'ACCEPTED',
    userConfigurationWithdrawn: 'ACCEPTED',
    suspended: 'refused',
    membershipDelete: 'ACCEPTED',
    jointGroupDissolve: 'ACCEPTED',
    terminated: 'cascaded'
  })
  assert.match(run.out, /LIMIT_REACHED: the agreement allows at most 2 migrated users/)
  assert.match(run.out, /nl-police members of joint groups 1 → 0/)
  assert.match(run.out, /the broker now refuses the link/)
  const info = await readStackInfo(join(cwd, 'demo', 'stack'))
  assert.equal(info, undefined, 'the stack the demo started is stopped and forgotten')
  assert.match(run.err, /stopped the local stack: broker (stopped|killed) \(pid (\d+)\)/)
  const pid = Number(/broker (?:stopped|killed) \(pid (\d+)\)/.exec(run.err)?.[1])
  assert.equal(isAlive(pid), false)
})
