import assert from 'node:assert/strict'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { acmgw } from '../helpers/cli.ts'

test('pki init, show --json and the refusal to overwrite, through the CLI', async () => {
  const cwd = await mkdtemp(join(tmpdir(), 'acmgw-cli-'))
  const init = await acmgw(['pki', 'init', '--dir', 'certs', '--systems', 'nl-police,be-police'], { cwd })
  assert.equal(init.code, 0, init.err)
  assert.match(init.out, /wrote .*certs\/gateway\.be-police\.key/)

  const show = await acmgw(['pki', 'show', 'certs/gateway.nl-police.crt', '--json'], { cwd })
  assert.equal(show.code, 0, show.err)
  const summary = JSON.parse(show.out) as { subject: string; fingerprintSha256: string }
  assert.equal(summary.subject, 'CN=acmgw.nl-police')
  assert.match(summary.fingerprintSha256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/)

  const again = await acmgw(['pki', 'init', '--dir', 'certs', '--systems', 'nl-police'], { cwd })
  assert.equal(again.code, 73)
  assert.match(again.err, /^error ACMGW_FILE_EXISTS: .*ca\.crt exists; pass --force/)
})

test('bad input gets an error naming the field, with a distinct exit code', async () => {
  const cwd = await mkdtemp(join(tmpdir(), 'acmgw-cli-'))
  const badId = await acmgw(['pki', 'init', '--dir', 'c', '--systems', 'Bad!'], { cwd })
  assert.equal(badId.code, 65)
  assert.match(badId.err, /error ACMGW_SYSTEM_ID_INVALID: --systems\[0\] "Bad!" is not valid/)

  const badDays = await acmgw(['pki', 'init', '--dir', 'c', '--days', 'soon'], { cwd })
  assert.equal(badDays.code, 64)
  assert.match(badDays.err, /days must be a whole number/)

  const unknown = await acmgw(['frobnicate'], { cwd })
  assert.equal(unknown.code, 64)
  assert.match(unknown.err, /unknown command 'frobnicate'/)

  const badMode = await acmgw(['kafka', 'up', '--dir', 'x', '--mode', 'cloud'], { cwd })
  assert.equal(badMode.code, 64)
  assert.match(badMode.err, /Allowed choices are auto, local, container/)
})

test('kafka status reports a stack that was never started as stopped', async () => {
  const cwd = await mkdtemp(join(tmpdir(), 'acmgw-cli-'))
  const status = await acmgw(['kafka', 'status', '--dir', 'nothing-here', '--json'], { cwd })
  assert.equal(status.code, 0, status.err)
  assert.equal((JSON.parse(status.out) as { state: string }).state, 'stopped')
  const down = await acmgw(['kafka', 'down', '--dir', 'nothing-here'], { cwd })
  assert.equal(down.code, 0)
  assert.match(down.out, /broker: {3}not running/)
})
