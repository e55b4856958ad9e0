import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { envelopeRecord, kindNames, kinds, namespace, valueRecords } from '../../src/codec/catalogue.ts'
import { loadSchemaSet, readSchemaDir, rootRecords, shippedSchemaDir } from '../../src/codec/schema-files.ts'
import { type SchemaFile, buildSchemaSet, compileForeignSchema } from '../../src/codec/schema-set.ts'
import { GatewayError } from '../../src/errors.ts'

function rejects(code: string, pattern?: RegExp) {
  return (error: unknown) => {
    assert.ok(GatewayError.is(error), `expected a GatewayError, got ${String(error)}`)
    assert.equal(error.code, code, error.message)
    if (pattern !== undefined) assert.match(error.message, pattern)
    return true
  }
}

const file = (json: Record<string, unknown>): SchemaFile => ({
  name: `${typeof json.namespace === 'string' ? json.namespace : 't'}.${String(json.name)}.avsc`,
  text: JSON.stringify(json)
})

const rec = (name: string, fields: unknown[], extra: Record<string, unknown> = {}) =>
  file({ type: 'record', name, namespace: 't', doc: 'a record', fields, ...extra })

describe('the shipped schemas', () => {
  test('load, follow the house rules and give every root record a standalone schema', async () => {
    const set = await loadSchemaSet()
    assert.deepEqual([...set.records.keys()], [...rootRecords])
    for (const record of set.records.values()) {
      assert.ok(record.depth <= 8, `${record.fullName} depth ${record.depth}`)
      assert.equal(record.fingerprint.length, 8)
      assert.equal(JSON.stringify(record.schema).includes('"namespace"'), false, 'names are written out in full')
    }
  })

  test('every value record starts with the envelope', async () => {
    const set = await loadSchemaSet()
    for (const name of valueRecords) {
      const fields = set.get(name).schema.fields as { name: string; type: unknown }[]
      assert.equal(fields[0]?.name, 'envelope', name)
      assert.equal((fields[0]?.type as { name: string }).name, envelopeRecord, name)
    }
  })

  test('the AcmKind enum and the catalogue list the same kinds', async () => {
    const set = await loadSchemaSet()
    const symbols = set.definitions.get(`${namespace}.AcmKind`)?.symbols as string[]
    assert.deepEqual(
      symbols.filter((s) => s !== 'UNKNOWN'),
      kindNames
    )
    for (const kind of kindNames) assert.ok(set.definitions.has(kinds[kind].record), kind)
  })

  test('every schema file is used by some root record', async () => {
    const files = await readSchemaDir(shippedSchemaDir)
    const set = await loadSchemaSet()
    const used = new Set<string>()
    for (const record of set.records.values()) {
      JSON.stringify(record.schema, (key, value: unknown) => {
        if (key === 'name' && typeof value === 'string' && value.startsWith(`${namespace}.`)) used.add(value)
        return value
      })
    }
    for (const f of files) assert.ok(used.has(f.name.replace(/\.avsc$/, '')), `${f.name} is not used`)
  })
})

describe('schema rules', () => {
  const ok = rec('Ok', [{ name: 'a', type: 'string', doc: 'a' }])

  test('a well-formed record builds', () => {
    const set = buildSchemaSet([ok], ['t.Ok'])
    assert.equal(
      set.get('t.Ok').canonicalForm,
      '{"name":"t.Ok","type":"record","fields":[{"name":"a","type":"string"}]}'
    )
  })

  test('a field without doc is refused with its path', () => {
    assert.throws(
      () => buildSchemaSet([rec('R', [{ name: 'a', type: 'string' }])], ['t.R']),
      rejects('ACMGW_SCHEMA_INVALID', /field t\.R\.a has no doc/)
    )
  })

  test('an enum without default is refused', () => {
    const e = file({ type: 'enum', name: 'E', namespace: 't', doc: 'e', symbols: ['A'] })
    assert.throws(() => buildSchemaSet([e], []), rejects('ACMGW_SCHEMA_INVALID', /needs a default symbol/))
  })

  test('an optional field must be null-first with a null default', () => {
    const bad = rec('R', [{ name: 'a', type: ['null', 'string'], doc: 'a' }])
    assert.throws(() => buildSchemaSet([bad], ['t.R']), rejects('ACMGW_SCHEMA_INVALID', /"default": null/))
  })

  test('a file must be named by the full name it defines', () => {
    assert.throws(
      () => buildSchemaSet([{ ...ok, name: 'Ok.avsc' }], []),
      rejects('ACMGW_SCHEMA_INVALID', /must be named t\.Ok\.avsc/)
    )
  })

  test('a reference to an undefined type is refused', () => {
    const bad = rec('R', [{ name: 'a', type: 'Missing', doc: 'a' }])
    assert.throws(() => buildSchemaSet([bad], ['t.R']), rejects('ACMGW_SCHEMA_INVALID', /t\.Missing/))
  })

  test('recursion is refused (no recursive schemas in the contract)', () => {
    const node = rec('Node', [{ name: 'next', type: ['null', 'Node'], doc: 'n', default: null }])
    assert.throws(() => buildSchemaSet([node], ['t.Node']), rejects('ACMGW_CODEC_TOO_DEEP', /recursive/))
  })

  test('nesting deeper than the limit is refused', () => {
    const files = [rec('L0', [{ name: 'v', type: 'string', doc: 'v' }])]
    for (let i = 1; i <= 6; i++) files.push(rec(`L${i}`, [{ name: 'v', type: `L${i - 1}`, doc: 'v' }]))
    assert.throws(() => buildSchemaSet(files, ['t.L6'], { maxDepth: 5 }), rejects('ACMGW_CODEC_TOO_DEEP'))
    assert.equal(buildSchemaSet(files, ['t.L6'], { maxDepth: 7 }).get('t.L6').depth, 7)
  })

  test('a foreign (registry) schema gets the same recursion and depth limits', () => {
    const recursive = JSON.stringify({
      type: 'record',
      name: 'N',
      fields: [{ name: 'next', type: ['null', 'N'] }]
    })
    assert.throws(() => compileForeignSchema(recursive), rejects('ACMGW_CODEC_TOO_DEEP'))
    let deep: unknown = 'string'
    for (let i = 0; i < 40; i++) deep = { type: 'record', name: `D${i}`, fields: [{ name: 'v', type: deep }] }
    assert.throws(() => compileForeignSchema(JSON.stringify(deep)), rejects('ACMGW_CODEC_TOO_DEEP'))
  })
})
