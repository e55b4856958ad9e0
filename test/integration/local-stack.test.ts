/**
 * `acmgw kafka up | status | down` as a user runs them: a second, separate stack in its own folder, next to
 * the one the global setup started.
 */
import assert from 'node:assert/strict'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { freePort, isAlive } from '../../src/devstack/processes.ts'
import { brokerAnswers, registryAnswers, type StackInfo } from '../../src/devstack/stack.ts'
import { initPki, gatewayTlsFiles } from '../../src/pki/store.ts'
import { acmgw } from '../helpers/cli.ts'
import { testStack } from '../helpers/stack.ts'

test('kafka up leaves a broker that refuses an outsider and a registry that answers; down leaves nothing running', async (t) => {
  const cwd = await mkdtemp(join(tmpdir(), 'acmgw-up-'))
  const ports = [await freePort(), await freePort(), await freePort(), await freePort()].map(String)
  const portArgs = [
    '--broker-port',
    ports[0]!,
    '--controller-port',
    ports[1]!,
    '--registry-port',
    ports[2]!,
    '--registry-management-port',
    ports[3]!
  ]
  const up = await acmgw(['kafka', 'up', '--dir', 'state', '--systems', 'nl-police', ...portArgs, '--json'], { cwd })
  t.after(() => acmgw(['kafka', 'down', '--dir', 'state'], { cwd }))
  assert.equal(up.code, 0, up.err)
  const info = JSON.parse(up.out) as StackInfo
  assert.deepEqual(info.bootstrapServers, [`localhost:${ports[0]}`])
  assert.equal(info.registryUrl, `http://127.0.0.1:${ports[2]}/apis/ccompat/v7`)
  assert.equal(await registryAnswers(info.registryUrl), true)

  const gateway = { brokers: info.bootstrapServers, tls: info.pki.gateways['nl-police']!, clientId: 'nl' }
  assert.equal(await brokerAnswers(gateway), true, 'a certificate from the stack CA connects')
  const outsiderDir = join(cwd, 'outsider')
  await initPki({ dir: outsiderDir, systems: ['nl-police'], caName: 'outsider CA' })
  const outsider = { ...gateway, tls: { ...gatewayTlsFiles(outsiderDir, 'nl-police'), caFile: info.pki.caFile } }
  assert.equal(await brokerAnswers(outsider), false, 'a certificate from another CA is refused')

  const status = await acmgw(['kafka', 'status', '--dir', 'state', '--json'], { cwd })
  assert.equal((JSON.parse(status.out) as { state: string }).state, 'running')

  const twice = await acmgw(['kafka', 'up', '--dir', 'state', ...portArgs], { cwd })
  assert.equal(twice.code, 69)
  assert.match(twice.err, /ACMGW_STACK_RUNNING/)

  // Another folder asking for a port this stack holds is told which port and why.
  const shared = await testStack()
  const clash = await acmgw(['kafka', 'up', '--dir', 'other', '--broker-port', String(shared.ports.broker)], { cwd })
  assert.equal(clash.code, 69)
  assert.match(
    clash.err,
    new RegExp(`ACMGW_PORT_IN_USE: port ${shared.ports.broker} on 127.0.0.1 \\(broker SSL listener\\) is in use`)
  )

  const down = await acmgw(['kafka', 'down', '--dir', 'state'], { cwd })
  assert.equal(down.code, 0, down.err)
  assert.match(down.out, /broker: +(stopped|killed) \(pid \d+\)/)
  if (info.mode === 'local') {
    assert.equal(isAlive(info.processes.broker!), false, 'broker process gone')
    assert.equal(isAlive(info.processes.registry!), false, 'registry process gone')
  }
  const after = await acmgw(['kafka', 'status', '--dir', 'state', '--json'], { cwd })
  assert.equal((JSON.parse(after.out) as { state: string }).state, 'stopped')
})
