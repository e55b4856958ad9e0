/**
 * FULL_TRANSITIVE compatibility (Confluent semantics: each new schema can read data of every earlier version,
 * and every earlier version can read data of the new one).
 *   offline   avsc resolvers both ways against the records of each earlier git revision of `schemas/`;
 *   registry  the registry's own check (POST /compatibility/subjects/{subject}/versions, which Apicurio's
 *             ccompat API evaluates against all versions under the subject's level) plus the subject's level.
 */
import { GatewayError } from '../errors.ts'
import type { RegistryClient } from './registry-client.ts'
import { subjectOf } from './registry.ts'
import type { SchemaSet } from './schema-set.ts'

export interface CompatibilityFinding {
  record: string
  /** A git revision, or `registry`. */
  against: string
  ok: boolean
  detail: string
}

function tryResolve(reader: SchemaSet, writer: SchemaSet, record: string): string | undefined {
  try {
    reader.get(record).type.createResolver(writer.get(record).type)
    return undefined
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }
}

export function checkOffline(
  current: SchemaSet,
  previous: readonly { label: string; set: SchemaSet }[]
): CompatibilityFinding[] {
  const findings: CompatibilityFinding[] = []
  for (const { label, set } of previous) {
    for (const record of set.records.keys()) {
      if (!current.records.has(record)) {
        findings.push({ record, against: label, ok: false, detail: 'removed: partners may still send or expect it' })
        continue
      }
      const backward = tryResolve(current, set, record)
      const forward = tryResolve(set, current, record)
      const problems = [
        backward === undefined ? undefined : `the new schema cannot read data written with ${label}: ${backward}`,
        forward === undefined ? undefined : `${label} cannot read data written with the new schema: ${forward}`
      ].filter((p): p is string => p !== undefined)
      findings.push({
        record,
        against: label,
        ok: problems.length === 0,
        detail: problems.length === 0 ? 'compatible both ways' : problems.join('; ')
      })
    }
  }
  return findings
}

export async function checkAgainstRegistry(
  current: SchemaSet,
  client: RegistryClient
): Promise<CompatibilityFinding[]> {
  const findings: CompatibilityFinding[] = []
  for (const record of current.records.keys()) {
    const subject = subjectOf(record)
    const result = await client.isCompatible(subject, JSON.stringify(current.get(record).schema))
    if (result === undefined) {
      findings.push({ record, against: 'registry', ok: true, detail: 'new subject (register creates it)' })
      continue
    }
    const level = await client.compatibilityLevel(subject)
    const problems: string[] = []
    if (!result.compatible) {
      problems.push(
        `not compatible with the registered versions${result.messages.length > 0 ? `: ${result.messages.join('; ')}` : ''}`
      )
    }
    if (level !== 'FULL_TRANSITIVE')
      problems.push(`the subject's compatibility level is ${level ?? 'the global default'}, not FULL_TRANSITIVE`)
    findings.push({
      record,
      against: 'registry',
      ok: problems.length === 0,
      detail: problems.length === 0 ? 'compatible with every registered version (FULL_TRANSITIVE)' : problems.join('; ')
    })
  }
  return findings
}

export async function registerAll(
  current: SchemaSet,
  client: RegistryClient
): Promise<{ record: string; subject: string; id: number }[]> {
  const out: { record: string; subject: string; id: number }[] = []
  for (const record of current.records.keys()) {
    const subject = subjectOf(record)
    out.push({ record, subject, id: await client.register(subject, JSON.stringify(current.get(record).schema)) })
  }
  return out
}

export function assertAllCompatible(findings: readonly CompatibilityFinding[]): void {
  const bad = findings.filter((f) => !f.ok)
  if (bad.length > 0) {
    throw new GatewayError(
      'ACMGW_SCHEMA_INCOMPATIBLE',
      `${bad.length} schema check(s) failed: ${bad.map((f) => `${f.record} vs ${f.against}`).join(', ')}`,
      { path: bad[0]?.record }
    )
  }
}
