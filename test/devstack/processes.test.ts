import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { test } from 'node:test'
import { GatewayError } from '../../src/errors.ts'
import { assertPortFree, freePort } from '../../src/devstack/processes.ts'

test('a taken port is refused with the port and what needed it', async (t) => {
  const port = await freePort()
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  await assert.rejects(
    assertPortFree(port, '127.0.0.1', 'broker SSL listener'),
    (error: unknown) =>
      GatewayError.is(error) &&
      error.code === 'ACMGW_PORT_IN_USE' &&
      error.message.includes(`port ${port} on 127.0.0.1 (broker SSL listener) is in use`)
  )
})
