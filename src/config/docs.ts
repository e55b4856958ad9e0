/**
 * Renders the configuration reference from the schema itself, so the docs cannot drift from the validator.
 */
import { z } from 'zod'
import type { JsonSchema } from '../json-schema.ts'
import { gatewayConfigSchema } from './schema.ts'

interface Row {
  path: string
  type: string
  required: boolean
  defaultValue: string
  description: string
}

function typeOf(schema: JsonSchema): string {
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``
  if (schema.enum !== undefined) return schema.enum.map((v) => `\`${String(v)}\``).join(' | ')
  if (schema.type === 'array') return `list of ${schema.items === undefined ? 'values' : typeOf(schema.items)}`
  const alternatives = schema.anyOf ?? schema.oneOf
  if (alternatives !== undefined) return alternatives.map(typeOf).join(' or ')
  const base = Array.isArray(schema.type) ? schema.type.join(' | ') : (schema.type ?? 'value')
  const bounds = [
    schema.format,
    schema.minimum !== undefined ? `≥ ${schema.minimum}` : undefined,
    schema.maximum !== undefined && schema.maximum < Number.MAX_SAFE_INTEGER ? `≤ ${schema.maximum}` : undefined
  ].filter(Boolean)
  return bounds.length > 0 ? `${base} (${bounds.join(', ')})` : base
}

function walk(schema: JsonSchema, path: string, required: boolean, rows: Row[]): void {
  const variants = schema.oneOf ?? schema.anyOf
  if (schema.type === 'object' || schema.properties !== undefined) {
    if (path !== '') rows.push(row(schema, path, required, 'object'))
    for (const [key, child] of Object.entries(schema.properties ?? {})) {
      walk(child, path === '' ? key : `${path}.${key}`, schema.required?.includes(key) ?? false, rows)
    }
    return
  }
  if (variants !== undefined && variants.every((v) => v.properties !== undefined)) {
    rows.push(row(schema, path, required, 'one of the variants below'))
    for (const variant of variants) {
      const tag = Object.entries(variant.properties ?? {}).find(([, p]) => p.const !== undefined)
      const label = tag === undefined ? path : `${path} (${tag[0]}: ${String(tag[1].const)})`
      for (const [key, child] of Object.entries(variant.properties ?? {})) {
        if (child === tag?.[1]) {
          rows.push(row(child, `${label}.${key}`, true, typeOf(child)))
          continue
        }
        walk(child, `${label}.${key}`, variant.required?.includes(key) ?? false, rows)
      }
    }
    return
  }
  if (schema.type === 'array' && schema.items?.properties !== undefined) {
    rows.push(row(schema, path, required, 'list'))
    walk(schema.items, `${path}[]`, true, rows)
    return
  }
  rows.push(row(schema, path, required, typeOf(schema)))
}

function row(schema: JsonSchema, path: string, required: boolean, type: string): Row {
  return {
    path,
    type,
    required: required && schema.default === undefined,
    defaultValue: schema.default === undefined ? '' : `\`${JSON.stringify(schema.default)}\``,
    description: schema.description ?? ''
  }
}

export function renderConfigReference(): string {
  const schema = z.toJSONSchema(gatewayConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema
  const rows: Row[] = []
  walk(schema, '', true, rows)
  const escape = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ')
  return [
    '# Gateway configuration reference',
    '',
    'Generated from `src/config/schema.ts` by `npm run docs:config`; a test fails when this file is stale.',
    'The file is YAML (or JSON). Paths of files are relative to the configuration file. Unknown keys are errors;',
    'every error is reported with its path at start-up, and the gateway does not start.',
    '',
    '| key | type | required | default | meaning |',
    '|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| \`${r.path}\` | ${escape(r.type)} | ${r.required ? 'yes' : ''} | ${escape(r.defaultValue)} | ${escape(r.description)} |`
    ),
    ''
  ].join('\n')
}
