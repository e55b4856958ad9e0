/**
 * The format reference in topics/README.md, rendered from the zod schemas themselves so that the docs cannot
 * drift from the validator (a test compares; `node scripts/gen-topics-docs.ts` rewrites the marked sections).
 */
import { z } from 'zod'
import type { JsonSchema } from '../json-schema.ts'
import { aclTemplatesSchema, interconnectionSchema, topicTemplatesSchema } from './schema.ts'

interface Row {
  path: string
  type: string
  required: boolean
  description: string
}

function typeOf(schema: JsonSchema): string {
  if (schema.enum !== undefined) return schema.enum.map((v) => `\`${String(v)}\``).join(' \\| ')
  if (schema.type === 'array') {
    const count =
      schema.minItems !== undefined && schema.minItems === schema.maxItems
        ? ` (exactly ${schema.minItems})`
        : schema.minItems !== undefined && schema.minItems > 0
          ? ` (at least ${schema.minItems})`
          : ''
    return `list of ${schema.items === undefined ? 'values' : typeOf(schema.items)}${count}`
  }
  if (schema.anyOf !== undefined) return schema.anyOf.map(typeOf).join(' or ')
  if (schema.type === 'object' && typeof schema.additionalProperties === 'object') {
    return `mapping to ${typeOf(schema.additionalProperties)}`
  }
  const base = Array.isArray(schema.type) ? schema.type.join(' or ') : (schema.type ?? 'value')
  const bounds = [
    schema.minimum !== undefined ? `≥ ${schema.minimum}` : undefined,
    schema.maximum !== undefined ? `≤ ${schema.maximum}` : undefined,
    schema.pattern !== undefined ? `\`${schema.pattern}\`` : undefined
  ].filter(Boolean)
  return bounds.length > 0 ? `${base} ${bounds.join(', ')}` : base
}

function fieldsOf(schema: JsonSchema): string {
  return JSON.stringify(schema.properties, (key, value: unknown) => (key === 'description' ? undefined : value))
}

function walk(schema: JsonSchema, path: string, required: boolean, rows: Row[]): void {
  const row = (type: string) =>
    rows.push({ path, type, required: required && schema.default === undefined, description: schema.description ?? '' })
  const children = Object.entries(schema.properties ?? {})
  // Several keys with the same fields (one template per category): list the keys, then the fields once.
  const first = children[0]?.[1]
  if (
    children.length > 1 &&
    first?.properties !== undefined &&
    children.every(([, child]) => fieldsOf(child) === fieldsOf(first))
  ) {
    if (path !== '') row('mapping')
    for (const [key, child] of children) {
      rows.push({
        path: `${path}.${key}`,
        type: 'template',
        required: schema.required?.includes(key) ?? false,
        description: child.description ?? ''
      })
    }
    for (const [key, child] of Object.entries(first.properties)) {
      walk(child, `${path}.<key>.${key}`, first.required?.includes(key) ?? false, rows)
    }
    return
  }
  if (schema.properties !== undefined) {
    if (path !== '') row('mapping')
    for (const [key, child] of children) {
      walk(child, path === '' ? key : `${path}.${key}`, schema.required?.includes(key) ?? false, rows)
    }
    return
  }
  if (typeof schema.additionalProperties === 'object' && schema.additionalProperties.properties !== undefined) {
    const keys = schema.propertyNames?.pattern === undefined ? '' : ` (keys \`${schema.propertyNames.pattern}\`)`
    row(`mapping of names${keys}`)
    walk(schema.additionalProperties, `${path}.<name>`, true, rows)
    return
  }
  if (schema.type === 'array' && schema.items?.properties !== undefined) {
    row(typeOf({ ...schema, items: { type: 'mapping' } }))
    walk(schema.items, `${path}[]`, true, rows)
    return
  }
  row(typeOf(schema))
}

export function renderSchemaTable(schema: z.ZodType): string {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema
  const rows: Row[] = []
  walk(json, '', true, rows)
  const escape = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ')
  return [
    '| key | type | required | meaning |',
    '|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| \`${r.path}\` | ${r.type.replaceAll('\n', ' ')} | ${r.required ? 'yes' : ''} | ${escape(r.description)} |`
    )
  ].join('\n')
}

export const referenceSections = {
  topics: topicTemplatesSchema,
  acls: aclTemplatesSchema,
  interconnection: interconnectionSchema
} as const

const marker = (name: string, edge: 'start' | 'end') => `<!-- generated:${name}:${edge} -->`

/** Replaces each marked section of the README with the table rendered from its schema. */
export function renderReadme(readme: string): string {
  let text = readme
  for (const [name, schema] of Object.entries(referenceSections)) {
    const start = marker(name, 'start')
    const end = marker(name, 'end')
    const from = text.indexOf(start)
    const to = text.indexOf(end)
    if (from < 0 || to < from) throw new Error(`topics/README.md lacks the markers ${start} … ${end}`)
    text = `${text.slice(0, from + start.length)}\n${renderSchemaTable(schema)}\n${text.slice(to)}`
  }
  return text
}
