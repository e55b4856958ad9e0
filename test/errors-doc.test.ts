import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { test } from 'node:test'
import { renderErrorReference } from '../src/errors-doc.ts'
import { GatewayError, errorCatalogue } from '../src/errors.ts'

test('docs/errors.md is the current rendering of the error registry', async () => {
  const committed = await readFile(new URL('../docs/errors.md', import.meta.url), 'utf8')
  assert.equal(committed, renderErrorReference(), 'stale: run `npm run docs:errors`')
})

test('a GatewayError carries its code, exit status, path and cause, and is recognised by brand', () => {
  const cause = new Error('disk full')
  const error = new GatewayError('ACMGW_FILE_UNWRITABLE', 'cannot write x', { path: '/x', cause })
  assert.equal(error.exitCode, errorCatalogue.ACMGW_FILE_UNWRITABLE.exitCode)
  assert.equal(error.path, '/x')
  assert.equal(error.cause, cause)
  assert.equal(GatewayError.is(error), true)
  assert.equal(GatewayError.is({ code: 'ACMGW_FILE_UNWRITABLE' }), false)
})
