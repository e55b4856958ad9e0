import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { parsingCanonicalForm } from '../../src/codec/canonical.ts'
import { crc64Avro, fingerprintBytes } from '../../src/codec/fingerprint.ts'
import { loadSchemaSet } from '../../src/codec/schema-files.ts'

/**
 * Vectors from the Avro project's shared test data (apache/avro share/test/data/schema-tests.txt): input
 * schema, its Parsing Canonical Form, and the CRC-64-AVRO fingerprint as a signed Java long. The Java
 * implementation cross-checks these with a slow, direct implementation of the fingerprint, so matching them
 * checks our canonical form and our table-driven CRC independently of avsc.
 */
const vectors: [input: string, canonical: string, fingerprint: string][] = [
  ['"null"', '"null"', '7195948357588979594'],
  ['"boolean"', '"boolean"', '-6970731678124411036'],
  ['{"type":"int"}', '"int"', '8247732601305521295'],
  ['"long"', '"long"', '-3434872931120570953'],
  ['"string"', '"string"', '-8142146995180207161'],
  ['[  ]', '[]', '-1241056759729112623'],
  ['[ "int" , {"type":"boolean"} ]', '["int","boolean"]', '5392556393470105090'],
  [
    '{"fields":[], "type":"record", "name":"foo"}',
    '{"name":"foo","type":"record","fields":[]}',
    '-4824392279771201922'
  ],
  [
    '{"fields":[], "type":"record", "name":"foo", "namespace":"x.y"}',
    '{"name":"x.y.foo","type":"record","fields":[]}',
    '5916914534497305771'
  ],
  [
    '{"fields":[], "type":"record", "name":"a.b.foo", "namespace":"x.y"}',
    '{"name":"a.b.foo","type":"record","fields":[]}',
    '-4616218487480524110'
  ],
  [
    '{"fields":[], "type":"record", "name":"foo", "doc":"foo", "aliases":["foo","bar"]}',
    '{"name":"foo","type":"record","fields":[]}',
    '-4824392279771201922'
  ],
  [
    '{ "fields":[{"type":"boolean", "aliases":[], "name":"f1", "default":"true"}, {"order":"descending","name":"f2","doc":"Hello","type":"int"}], "type":"record", "name":"foo" }',
    '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"},{"name":"f2","type":"int"}]}',
    '-4860222112080293046'
  ],
  [
    '{"namespace":"x.y.z", "type":"enum", "name":"foo", "doc":"foo bar", "symbols":["A1", "A2"]}',
    '{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}',
    '-4448647247586288245'
  ],
  [
    '{"namespace":"x.y.z", "type":"fixed", "name":"foo", "doc":"foo bar", "size":32}',
    '{"name":"x.y.z.foo","type":"fixed","size":32}',
    '-3064184465700546786'
  ],
  ['{ "items":{"type":"null"}, "type":"array"}', '{"type":"array","items":"null"}', '-589620603366471059'],
  ['{ "values":"string", "type":"map"}', '{"type":"map","values":"string"}', '-8732877298790414990'],
  [
    '{"name":"PigValue","type":"record", "fields":[{"name":"value", "type":["null", "int", "long", "PigValue"]}]}',
    '{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}',
    '-1759257747318642341'
  ]
]

describe('CRC-64-AVRO fingerprints and Parsing Canonical Form', () => {
  for (const [input, canonical, fingerprint] of vectors) {
    test(`spec vector ${canonical}`, () => {
      const form = parsingCanonicalForm(JSON.parse(input))
      assert.equal(form, canonical)
      assert.equal(BigInt.asIntN(64, crc64Avro(Buffer.from(form, 'utf8'))).toString(), fingerprint)
    })
  }

  test('single-object encoding carries the fingerprint little-endian', () => {
    // 7195948357588979594 = 0x63dd24e7cc258f8a ("null")
    assert.equal(fingerprintBytes('"null"').toString('hex'), '8a8f25cce724dd63')
  })

  test('our canonical form of every shipped record equals the one avsc prints', async () => {
    const set = await loadSchemaSet()
    for (const record of set.records.values()) {
      assert.equal(record.canonicalForm, JSON.stringify(record.type.schema()), record.fullName)
    }
  })
})
