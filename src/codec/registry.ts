/**
 * Registry mode, start-up side: resolves every schema id the codec will ever need before the first message.
 * For each value record the subject is the record's full name (RecordNameStrategy: several kinds share a
 * category topic, so TopicNameStrategy cannot work). The id of the shipped schema is looked up (it must have
 * been registered by `acmgw schemas register`; nothing is registered here), then every version of the subject is
 * fetched, parsed with the depth limits and given a resolver to the shipped reader schema. The allow-list of a
 * topic category is the ids of its records' versions, optionally narrowed by configuration. After this, encode
 * and decode make no registry call and parse no schema.
 */
import { readTextFile } from '../pki/store.ts'
import { GatewayError } from '../errors.ts'
import { type TopicCategory, topicCategories, valueRecords } from './catalogue.ts'
import { type RegistryClient, type RegistryConnection, createRegistryClient } from './registry-client.ts'
import type { SchemaSet } from './schema-set.ts'
import { type Wire, type WriterEntry, categoryRecords, createRegistryWire, foreignWriter, ownWriter } from './wire.ts'

/** Subject naming strategy: the record's full name. */
export function subjectOf(record: string): string {
  return record
}

export interface RegistryWireOptions {
  /** Narrows the ids accepted on a category; every id named must be a version of one of its records. */
  allowedSchemaIds?: Partial<Record<TopicCategory, readonly number[]>>
}

export interface RegistryWarmup {
  wire: Wire
  /** Our own schema id per record. */
  ownIds: ReadonlyMap<string, number>
  /** Writer versions that were found but cannot be read with the shipped schema (never allowed). */
  refused: { subject: string; version: number; id: number; reason: string }[]
  /** HTTP calls made while warming up. */
  calls: number
}

export async function warmUpRegistryWire(
  schemas: SchemaSet,
  client: RegistryClient,
  options: RegistryWireOptions = {}
): Promise<RegistryWarmup> {
  let calls = 0
  const counted = <T>(p: Promise<T>): Promise<T> => {
    calls++
    return p
  }
  const ownIds = new Map<string, number>()
  const byRecord = new Map<string, WriterEntry[]>()
  const refused: RegistryWarmup['refused'] = []
  for (const record of valueRecords) {
    const compiled = schemas.get(record)
    const subject = subjectOf(record)
    const ownId = await counted(client.idOf(subject, JSON.stringify(compiled.schema)))
    if (ownId === undefined) {
      throw new GatewayError(
        'ACMGW_SCHEMA_NOT_REGISTERED',
        `the shipped schema of ${record} is not registered under subject ${subject}; run acmgw schemas register`,
        { path: subject }
      )
    }
    ownIds.set(record, ownId)
    const entries: WriterEntry[] = []
    for (const version of await counted(client.versions(subject))) {
      const found = await counted(client.version(subject, version))
      if (found.id === ownId) {
        entries.push(ownWriter(compiled, String(found.id)))
        continue
      }
      try {
        entries.push(foreignWriter(compiled, found.schema, String(found.id)))
      } catch (error) {
        refused.push({
          subject,
          version,
          id: found.id,
          reason: error instanceof Error ? error.message : String(error)
        })
      }
    }
    byRecord.set(record, entries)
  }
  const allowed = new Map<TopicCategory, Map<number, WriterEntry>>()
  const records = categoryRecords()
  for (const category of topicCategories) {
    const map = new Map<number, WriterEntry>()
    for (const record of records.get(category) ?? []) {
      for (const entry of byRecord.get(record) ?? []) map.set(Number(entry.id), entry)
    }
    const only = options.allowedSchemaIds?.[category]
    if (only !== undefined) {
      for (const id of only) {
        if (!map.has(id)) {
          throw new GatewayError(
            'ACMGW_SCHEMA_NOT_REGISTERED',
            `allowed schema id ${id} for ${category} is not a readable version of ${[...(records.get(category) ?? [])].join(', ')}`,
            { path: `allowedSchemaIds.${category}` }
          )
        }
      }
      for (const id of [...map.keys()]) if (!only.includes(id)) map.delete(id)
    }
    allowed.set(category, map)
  }
  return { wire: createRegistryWire(ownIds, allowed), ownIds, refused, calls }
}

export async function connectRegistryWire(
  schemas: SchemaSet,
  connection: RegistryConnection,
  options: RegistryWireOptions = {}
): Promise<RegistryWarmup> {
  const client = createRegistryClient(connection)
  try {
    return await warmUpRegistryWire(schemas, client, options)
  } finally {
    // Nothing talks to the registry after start-up.
    client.close()
  }
}

/** The gateway configuration's `codec.registry` block (src/config/schema.ts). */
export interface RegistryConfig {
  url: string
  username?: string
  passwordFile?: string
  ca?: string
}

export async function createRegistryWireFromConfig(schemas: SchemaSet, config: RegistryConfig): Promise<Wire> {
  const password =
    config.passwordFile === undefined
      ? undefined
      : (await readTextFile(config.passwordFile, 'registry password')).trim()
  const connection: RegistryConnection = {
    url: config.url,
    auth: config.username === undefined ? undefined : { username: config.username, password: password ?? '' },
    tls: config.ca === undefined ? undefined : { ca: await readTextFile(config.ca, 'registry CA certificate') }
  }
  return (await connectRegistryWire(schemas, connection)).wire
}
