import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { renderCatalogue } from '../../src/codec/catalogue-doc.ts'
import { kindNames, valueRecords } from '../../src/codec/catalogue.ts'
import { loadSchemaSet } from '../../src/codec/schema-files.ts'

const committed = resolve(dirname(fileURLToPath(import.meta.url)), '../../docs/catalogue.md')

test('docs/catalogue.md is what the current schemas generate (run `npm run catalogue` when this fails)', async () => {
  const expected = renderCatalogue(await loadSchemaSet())
  assert.equal(await readFile(committed, 'utf8'), expected)
})

test('the catalogue names every kind and every record on the wire', async () => {
  const text = renderCatalogue(await loadSchemaSet())
  for (const kind of kindNames) assert.match(text, new RegExp(`\\| \`${kind}\` \\|`))
  for (const record of valueRecords) assert.ok(text.includes(`Full name \`${record}\``), record)
})
