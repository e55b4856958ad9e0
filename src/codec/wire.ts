/**
 * Wire framing. Both modes put a short schema identification in front of the Avro binary:
 *   embedded  C3 01 | CRC-64-AVRO fingerprint of the writer schema (8 bytes, little-endian) | Avro binary
 *   registry  00 | schema id (int32, big-endian) | Avro binary          (Confluent wire format)
 * A wire knows, per topic category, exactly which writer schemas it accepts (the allow-list) and holds for each
 * of them what decoding needs, built once: the scan plan of the writer schema and the resolver from it to the
 * pinned reader schema. Looking up a writer is one map lookup; nothing is fetched or parsed per message.
 */
import type avro from 'avsc'
import { GatewayError } from '../errors.ts'
import { type TopicCategory, kinds, kindNames, topicCategories } from './catalogue.ts'
import { singleObjectHeaderLength, singleObjectMarker } from './fingerprint.ts'
import { type ScanPlan, compileScanPlan } from './guard.ts'
import { type CompiledRecord, type SchemaSet, compileForeignSchema } from './schema-set.ts'

export interface WriterEntry {
  /** Fingerprint (hex) or registry id, for logs and errors. */
  id: string
  /** The reader record (ours) this writer resolves to. */
  record: string
  reader: avro.Type
  /** undefined when the writer schema is the reader schema. */
  resolver: avro.Resolver | undefined
  plan: ScanPlan
}

export interface Wire {
  mode: 'embedded' | 'registry'
  headerLength: number
  /** The frame header for values written with our own schema of `record`. */
  header(record: string): Buffer
  /** The writer entry for a value on a topic of `category`; throws ACMGW_CODEC_UNKNOWN_SCHEMA otherwise. */
  writer(value: Buffer, category: TopicCategory): WriterEntry
}

export function categoryRecords(): Map<TopicCategory, Set<string>> {
  const map = new Map<TopicCategory, Set<string>>(topicCategories.map((c) => [c, new Set<string>()]))
  for (const kind of kindNames) map.get(kinds[kind].category)?.add(kinds[kind].record)
  return map
}

export function ownWriter(record: CompiledRecord, id: string): WriterEntry {
  return { id, record: record.fullName, reader: record.type, resolver: undefined, plan: compileScanPlan(record.type) }
}

/**
 * A writer schema other than ours (an older or newer version): resolvable to our reader or refused. The writer
 * is parsed with the same depth and recursion limits as our own schemas.
 */
export function foreignWriter(reader: CompiledRecord, writerSchemaText: string, id: string): WriterEntry {
  const writer = compileForeignSchema(writerSchemaText)
  if (writer.fullName !== reader.fullName) {
    throw new GatewayError(
      'ACMGW_SCHEMA_INCOMPATIBLE',
      `writer schema ${id} is ${writer.fullName}, expected ${reader.fullName}`
    )
  }
  let resolver: avro.Resolver
  try {
    resolver = reader.type.createResolver(writer.type)
  } catch (cause) {
    throw new GatewayError(
      'ACMGW_SCHEMA_INCOMPATIBLE',
      `writer schema ${id} of ${reader.fullName} does not resolve to the shipped schema: ${String(cause)}`,
      { cause }
    )
  }
  return { id, record: reader.fullName, reader: reader.type, resolver, plan: compileScanPlan(writer.type) }
}

function unknownSchema(message: string): GatewayError {
  return new GatewayError('ACMGW_CODEC_UNKNOWN_SCHEMA', message)
}

/**
 * Embedded mode: accepts our own schemas and any extra writer schemas given (older versions still in use by a
 * partner), each only on the topic categories whose kinds use that record.
 */
export function createEmbeddedWire(schemas: SchemaSet, extraWriterSchemas: readonly string[] = []): Wire {
  const byCategory = new Map<TopicCategory, Map<bigint, WriterEntry>>()
  const headers = new Map<string, Buffer>()
  const entries = new Map<string, WriterEntry[]>()
  for (const record of categoryRecords().values()) {
    for (const name of record) {
      const compiled = schemas.get(name)
      headers.set(name, Buffer.concat([singleObjectMarker, compiled.fingerprint]))
      entries.set(name, [ownWriter(compiled, compiled.fingerprint.toString('hex'))])
    }
  }
  for (const text of extraWriterSchemas) {
    const writer = compileForeignSchema(text)
    const reader = schemas.get(writer.fullName)
    entries.get(reader.fullName)?.push(foreignWriter(reader, text, writer.fingerprint.toString('hex')))
  }
  for (const [category, records] of categoryRecords()) {
    const allowed = new Map<bigint, WriterEntry>()
    for (const name of records) {
      for (const entry of entries.get(name) ?? []) allowed.set(Buffer.from(entry.id, 'hex').readBigUInt64LE(), entry)
    }
    byCategory.set(category, allowed)
  }
  return {
    mode: 'embedded',
    headerLength: singleObjectHeaderLength,
    header(record) {
      const header = headers.get(record)
      if (header === undefined) throw unknownSchema(`no shipped schema for ${record}`)
      return header
    },
    writer(value, category) {
      if (value.length < singleObjectHeaderLength) {
        throw new GatewayError('ACMGW_CODEC_TRUNCATED', 'the record is shorter than a single-object header')
      }
      if (value[0] !== 0xc3 || value[1] !== 0x01) {
        throw unknownSchema('the record is not in Avro single-object encoding (no C3 01 marker)')
      }
      const entry = byCategory.get(category)?.get(value.readBigUInt64LE(2))
      if (entry === undefined) {
        throw unknownSchema(
          `fingerprint ${value.toString('hex', 2, 10)} is not an allowed schema on ${category} topics`
        )
      }
      return entry
    }
  }
}

/** Registry mode, from writers resolved at start-up (src/codec/registry.ts). */
export function createRegistryWire(
  ownIds: ReadonlyMap<string, number>,
  allowed: ReadonlyMap<TopicCategory, ReadonlyMap<number, WriterEntry>>
): Wire {
  const headers = new Map<string, Buffer>()
  for (const [record, id] of ownIds) {
    const header = Buffer.alloc(5)
    header.writeInt32BE(id, 1)
    headers.set(record, header)
  }
  return {
    mode: 'registry',
    headerLength: 5,
    header(record) {
      const header = headers.get(record)
      if (header === undefined) throw unknownSchema(`no registered schema id for ${record}`)
      return header
    },
    writer(value, category) {
      if (value.length < 5) throw new GatewayError('ACMGW_CODEC_TRUNCATED', 'the record is shorter than a wire header')
      if (value[0] !== 0) throw unknownSchema(`magic byte ${value[0]} is not the Confluent wire format's 0`)
      const id = value.readInt32BE(1)
      const entry = allowed.get(category)?.get(id)
      if (entry === undefined) throw unknownSchema(`schema id ${id} is not allowed on ${category} topics`)
      return entry
    }
  }
}
