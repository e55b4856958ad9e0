import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import avro from 'avsc'
import { type DecodeLimits, compileScanPlan, defaultDecodeLimits, scanRecord } from '../../src/codec/guard.ts'
import { GatewayError } from '../../src/errors.ts'
import { avroString, zigzag } from '../helpers/avro-bytes.ts'

function scan(type: avro.Type, bytes: Buffer, limits: Partial<DecodeLimits> = {}): void {
  scanRecord(compileScanPlan(type), bytes, 0, bytes.length, { ...defaultDecodeLimits, ...limits })
}

function rejects(code: string, path?: string) {
  return (error: unknown) => {
    assert.ok(GatewayError.is(error), `expected a GatewayError, got ${String(error)}`)
    assert.equal(error.code, code, error.message)
    if (path !== undefined) assert.equal(error.path, path)
    return true
  }
}

const sample = avro.Type.forSchema({
  type: 'record',
  name: 'S',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'n', type: 'int' },
    { name: 'l', type: 'long' },
    { name: 'flag', type: 'boolean' },
    { name: 'color', type: { type: 'enum', name: 'C', symbols: ['R', 'G'] } },
    { name: 'opt', type: ['null', 'string'] },
    {
      name: 'items',
      type: { type: 'array', items: { type: 'record', name: 'I', fields: [{ name: 'v', type: 'string' }] } }
    },
    { name: 'attrs', type: { type: 'map', values: 'bytes' } },
    { name: 'd', type: 'double' },
    { name: 'fx', type: { type: 'fixed', name: 'F', size: 4 } }
  ]
})
const value = {
  id: 'x',
  n: -5,
  l: 2 ** 40,
  flag: true,
  color: 'G',
  opt: 'o',
  items: [{ v: 'a' }, { v: 'b' }],
  attrs: { k: Buffer.from('v') },
  d: 1.5,
  fx: Buffer.from('abcd')
}

const nulls = avro.Type.forSchema({
  type: 'record',
  name: 'N',
  fields: [{ name: 'xs', type: { type: 'array', items: 'null' } }]
})

describe('pre-scan guard', () => {
  test('accepts exactly what avsc writes, including negative-count blocks with sizes', () => {
    scan(sample, sample.toBuffer(value))
    // avsc writes arrays as one positive block; a block with a negative count carries its byte size
    const items = Buffer.concat([zigzag(-2), zigzag(4), avroString('a'), avroString('b'), zigzag(0)])
    const head = sample.toBuffer({ ...value, items: [] })
    const prefix = Buffer.concat([
      avroString('x'),
      zigzag(-5),
      zigzag(2 ** 40),
      Buffer.from([1]),
      zigzag(1),
      zigzag(1),
      avroString('o')
    ])
    assert.deepEqual(head.subarray(0, prefix.length), prefix)
    const bytes = Buffer.concat([prefix, items, head.subarray(prefix.length + 1)])
    scan(sample, bytes)
    assert.deepEqual(
      (sample.fromBuffer(bytes) as { items: { v: string }[] }).items.map((i) => i.v),
      ['a', 'b']
    )
  })

  test('a truncated record is refused at the field where it ends', () => {
    const bytes = sample.toBuffer(value)
    assert.throws(() => scan(sample, bytes.subarray(0, bytes.length - 2)), rejects('ACMGW_CODEC_TRUNCATED', 'fx'))
    assert.throws(() => scan(sample, bytes.subarray(0, 1)), rejects('ACMGW_CODEC_TRUNCATED', 'id'))
  })

  test('bytes after the last field are refused', () => {
    assert.throws(
      () => scan(sample, Buffer.concat([sample.toBuffer(value), Buffer.from([0])])),
      rejects('ACMGW_CODEC_TRAILING_DATA')
    )
  })

  test('2^31-1 zero-byte items: refused before a single item is read (no allocation, no loop)', () => {
    const bytes = Buffer.concat([zigzag(2 ** 31 - 1), zigzag(0)])
    assert.throws(() => scan(nulls, bytes), rejects('ACMGW_CODEC_TOO_MANY_ITEMS', 'xs'))
    assert.throws(
      () => scan(nulls, Buffer.concat([zigzag(2n ** 62n), zigzag(0)])),
      rejects('ACMGW_CODEC_TOO_MANY_ITEMS', 'xs')
    )
  })

  test('more items than bytes left is refused as truncated', () => {
    const bytes = Buffer.concat([
      avroString('x'),
      zigzag(1),
      zigzag(1),
      Buffer.from([1]),
      zigzag(0),
      zigzag(0),
      zigzag(5000)
    ])
    assert.throws(() => scan(sample, bytes), rejects('ACMGW_CODEC_TRUNCATED', 'items'))
  })

  test('item limits per array and per record', () => {
    const bytes = Buffer.concat([zigzag(600), zigzag(0)])
    assert.throws(() => scan(nulls, bytes, { maxItems: 500 }), rejects('ACMGW_CODEC_TOO_MANY_ITEMS', 'xs'))
    // many blocks that each stay below the per-array limit still add up
    const blocks = Buffer.concat([...Array.from({ length: 3 }, () => zigzag(400)), zigzag(0)])
    assert.throws(() => scan(nulls, blocks, { maxItems: 1000 }), rejects('ACMGW_CODEC_TOO_MANY_ITEMS', 'xs'))
    assert.throws(() => scan(nulls, blocks, { maxTotalItems: 1000 }), rejects('ACMGW_CODEC_TOO_MANY_ITEMS', 'xs'))
    scan(nulls, blocks)
  })

  test('negative lengths, over-long varints and out-of-range values are invalid', () => {
    const str = avro.Type.forSchema({ type: 'record', name: 'T', fields: [{ name: 's', type: 'string' }] })
    assert.throws(() => scan(str, zigzag(-3)), rejects('ACMGW_CODEC_INVALID', 's'))
    assert.throws(() => scan(str, zigzag(2 ** 40)), rejects('ACMGW_CODEC_TRUNCATED', 's'))
    assert.throws(() => scan(str, Buffer.alloc(1_000, 0xff)), rejects('ACMGW_CODEC_INVALID', 's'))
    const int = avro.Type.forSchema({ type: 'record', name: 'T', fields: [{ name: 'i', type: 'int' }] })
    assert.throws(() => scan(int, zigzag(2 ** 31)), rejects('ACMGW_CODEC_INVALID', 'i'))
    const long = avro.Type.forSchema({ type: 'record', name: 'T', fields: [{ name: 'l', type: 'long' }] })
    assert.throws(() => scan(long, zigzag(2n ** 60n)), rejects('ACMGW_CODEC_INVALID', 'l'))
  })

  test('enum and union indexes and booleans are checked', () => {
    const bytes = sample.toBuffer(value)
    const enumAt = avroString('x').length + zigzag(-5).length + zigzag(2 ** 40).length + 1
    const badEnum = Buffer.from(bytes)
    badEnum[enumAt] = 0x04 // index 2 of 2 symbols
    assert.throws(() => scan(sample, badEnum), rejects('ACMGW_CODEC_INVALID', 'color'))
    const badUnion = Buffer.from(bytes)
    badUnion[enumAt + 1] = 0x06 // index 3 of ["null", "string"]
    assert.throws(() => scan(sample, badUnion), rejects('ACMGW_CODEC_INVALID', 'opt'))
    const badBool = Buffer.from(bytes)
    badBool[enumAt - 1] = 7
    assert.throws(() => scan(sample, badBool), rejects('ACMGW_CODEC_INVALID', 'flag'))
  })

  test('the path names the array index of a faulty item', () => {
    const bytes = sample.toBuffer(value)
    const cut = bytes.indexOf(Buffer.from('b'), 4) // the second item's string
    const broken = Buffer.concat([bytes.subarray(0, cut - 1), zigzag(-1), bytes.subarray(cut)])
    assert.throws(() => scan(sample, broken), rejects('ACMGW_CODEC_INVALID', 'items[1].v'))
  })

  test('a deeply nested value is refused at the depth limit without exhausting the stack', () => {
    // Test-only recursive schema: the contract has none, but writer schemas from elsewhere must not hurt.
    const node = avro.Type.forSchema({
      type: 'record',
      name: 'Node',
      fields: [{ name: 'next', type: ['null', 'Node'] }]
    })
    const depth = 200_000
    const bytes = Buffer.concat([Buffer.alloc(depth, 0x02), Buffer.from([0x00])])
    assert.throws(() => scan(node, bytes), rejects('ACMGW_CODEC_TOO_DEEP'))
    scan(node, Buffer.concat([Buffer.alloc(5, 0x02), Buffer.from([0x00])]))
  })

  test('the time budget stops a long scan', () => {
    const bytes = Buffer.concat([zigzag(9_000), zigzag(0)])
    assert.throws(() => scan(nulls, bytes, { timeBudgetMs: -1 }), rejects('ACMGW_CODEC_TIME_BUDGET'))
  })
})
