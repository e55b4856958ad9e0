/**
 * The receiving gateway runs as its own process (`acmgw run`) and is killed with SIGKILL mid-stream, then
 * started again: every request is answered, none is lost and none is applied twice.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { test, type TestContext } from 'node:test'
import { readDirectory } from '../../src/adapters/directory.ts'
import { loadConfig } from '../../src/config/load.ts'
import { gatewayPair, runGateway, waitFor } from '../helpers/gateway.ts'

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))

function startProcess(t: TestContext, configFile: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [main, 'run', '--config', configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ACMGW_LOG_LEVEL: 'warn' }
  })
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  return new Promise((resolve, reject) => {
    let err = ''
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString()
      if (err.includes('is running')) resolve(child)
    })
    child.once('exit', (code) => reject(new Error(`acmgw run exited with ${code}: ${err}`)))
  })
}

test('SIGKILL of the receiving gateway mid-stream loses and duplicates nothing', async (t) => {
  const pair = await gatewayPair(t, { categories: ['groups'] })
  const a = await runGateway(t, pair.configA)
  let b = await startProcess(t, pair.configB)
  const groups = 4
  const perGroup = 15
  const ids: string[] = []
  for (let i = 0; i < perGroup; i++) {
    for (let g = 0; g < groups; g++) {
      const receipt = await a.service.send({
        kind: 'GROUP_MEMBERSHIP_UPDATE',
        partner: pair.b,
        agreementId: pair.agreementId,
        requester: { mcServiceId: 'sip:ops@a.example' },
        target: { mcServiceId: 'sip:admin@b.example' },
        body: { mcServiceGroupId: `sip:g${g}@a.example`, operation: 'ADD', mcServiceIdList: [`sip:u${i}@a.example`] }
      })
      ids.push(receipt.messageId)
    }
  }
  const answered = () => ids.filter((id) => a.service.trace(id)?.status === 'answered').length
  await waitFor('some answers before the kill', () => answered() >= 10)
  b.kill('SIGKILL')
  await new Promise((resolve) => b.once('exit', resolve))
  const atKill = answered()
  b = await startProcess(t, pair.configB)
  await waitFor('every answer after the restart', () => answered() === ids.length, 90_000)
  b.kill('SIGTERM')
  await new Promise((resolve) => b.once('exit', resolve))

  const config = await loadConfig(pair.configB)
  const directory = await readDirectory(config.adapter.type === 'directory' ? config.adapter.path : '')
  const applied = Object.keys(directory.applied).filter((k) => k.startsWith(`${pair.a}/`))
  assert.equal(applied.length, ids.length, 'each request applied exactly once')
  for (let g = 0; g < groups; g++) {
    const members = directory.partners[pair.a]?.groupMembers[`sip:g${g}@a.example`] ?? []
    assert.deepEqual(
      members,
      Array.from({ length: perGroup }, (_, i) => `sip:u${i}@a.example`),
      `group ${g} in order, no duplicates`
    )
  }
  for (const id of ids) {
    const trace = a.service.trace(id)
    assert.equal(trace?.outcome, 'ACCEPTED')
    assert.equal(trace?.events.filter((e) => e.type === 'final-response').length, 1)
  }
  console.log(`crash test: ${ids.length} requests, ${atKill} answered before SIGKILL, all answered after restart`)

  // Stopped while it still joins its group behind the SIGKILLed member (whose session has not expired): the
  // join can take as long as that session, and ops.stopTimeout bounds the wait instead of hanging the stop.
  b = await startProcess(t, pair.configB)
  b.kill('SIGKILL')
  await new Promise((resolve) => b.once('exit', resolve))
  b = await startProcess(t, pair.configB)
  const stopping = Date.now()
  b.kill('SIGTERM')
  const code = await new Promise<number | null>((resolve) => b.once('exit', resolve))
  const seconds = (Date.now() - stopping) / 1000
  console.log(`stop while joining behind a dead member: exit ${code} after ${seconds.toFixed(1)} s`)
  assert.equal(code, 0)
  assert.ok(seconds < 45, `the stop took ${seconds} s`)
})
