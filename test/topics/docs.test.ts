import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { test } from 'node:test'
import { renderReadme, renderSchemaTable } from '../../src/topics/docs.ts'
import { interconnectionSchema } from '../../src/topics/schema.ts'

test('the format reference in topics/README.md is the one the schemas yield', async () => {
  const committed = await readFile(new URL('../../topics/README.md', import.meta.url), 'utf8')
  assert.equal(committed, renderReadme(committed), 'stale: run `node scripts/gen-topics-docs.ts`')
})

test('the reference lists every field with its type, presence and meaning', () => {
  const table = renderSchemaTable(interconnectionSchema)
  assert.match(
    table,
    /\n\| `agreements\[\]\.systems` \| list of string `\^\[a-z\]\[a-z0-9-\]\{1,31\}\$` \(exactly 2\) \| yes \| the two systems of the agreement \|/
  )
  assert.match(table, /\n\| `agreements` \| list of mapping \| {2}\| cooperation agreements between the systems \|/)
})

test('a README without the markers is refused rather than silently left stale', () => {
  assert.throws(() => renderReadme('# no markers'), /lacks the markers <!-- generated:topics:start -->/)
})
