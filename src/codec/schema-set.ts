/**
 * Turns the `.avsc` files (one named type per file, referring to the others by name) into standalone record
 * schemas: every named type inlined at its first use with its full name, so a record can be registered, fingerprinted
 * and parsed on its own. Checks the house rules while doing so: file named by full name, `doc` on every named
 * type and field, a `default` on every enum, null-first optional unions with a null default, no recursion and a
 * bounded nesting depth. Pure: files in, schemas out.
 */
import avro from 'avsc'
import { GatewayError } from '../errors.ts'
import { fullName, namespaceOf, parsingCanonicalForm } from './canonical.ts'
import { fingerprintBytes } from './fingerprint.ts'

export interface SchemaFile {
  /** The file's base name, e.g. `org.mcx.acm.Envelope.avsc`. */
  name: string
  text: string
}

export interface CompiledRecord {
  fullName: string
  /** Standalone schema JSON with docs and defaults, as registered and as shipped. */
  schema: Record<string, unknown>
  canonicalForm: string
  /** CRC-64-AVRO of the canonical form, little-endian, as single-object encoding carries it. */
  fingerprint: Buffer
  type: avro.Type
  /** Nesting depth of complex types (a record of primitives is 1). */
  depth: number
}

export interface SchemaSet {
  /** Every named type by full name, as written in its file. */
  definitions: ReadonlyMap<string, Record<string, unknown>>
  records: ReadonlyMap<string, CompiledRecord>
  get(fullName: string): CompiledRecord
}

const primitiveNames = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string'])
const namedKinds = new Set(['record', 'enum', 'fixed'])
export const defaultMaxSchemaDepth = 16

function fail(message: string, path: string): never {
  throw new GatewayError('ACMGW_SCHEMA_INVALID', message, { path })
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function hasDoc(value: Record<string, unknown>): boolean {
  return typeof value.doc === 'string' && value.doc.trim().length > 0
}

/** Parses and checks one file: a single named type whose full name is the file name. */
function readDefinition(file: SchemaFile): [string, Record<string, unknown>] {
  let json: unknown
  try {
    json = JSON.parse(file.text)
  } catch (cause) {
    throw new GatewayError('ACMGW_SCHEMA_INVALID', `${file.name} is not JSON: ${String(cause)}`, {
      path: file.name,
      cause
    })
  }
  if (!isObject(json) || typeof json.type !== 'string' || !namedKinds.has(json.type) || typeof json.name !== 'string') {
    fail(`${file.name} must hold one named type (record, enum or fixed)`, file.name)
  }
  const name = fullName(json.name, typeof json.namespace === 'string' ? json.namespace : undefined)
  if (file.name !== `${name}.avsc`) fail(`${file.name} defines ${name}; the file must be named ${name}.avsc`, file.name)
  if (!hasDoc(json)) fail(`${name} has no doc`, file.name)
  if (json.type === 'enum') {
    const symbols = json.symbols
    if (!Array.isArray(symbols) || typeof json.default !== 'string' || !symbols.includes(json.default)) {
      fail(`enum ${name} needs a default symbol, so that readers can meet symbols added later`, file.name)
    }
  }
  if (json.type === 'record') {
    if (!Array.isArray(json.fields)) fail(`record ${name} has no fields array`, file.name)
    json.fields.forEach((field: unknown, i: number) => {
      const where = `${file.name}#fields[${i}]`
      if (!isObject(field) || typeof field.name !== 'string') fail(`field ${i} of ${name} has no name`, where)
      if (!hasDoc(field)) fail(`field ${name}.${field.name} has no doc`, where)
      const type = field.type
      if (Array.isArray(type) && type.includes('null')) {
        if (type[0] !== 'null' || field.default !== null) {
          fail(`optional field ${name}.${field.name} must be ["null", …] with "default": null`, where)
        }
      }
    })
  }
  return [name, json]
}

interface InlineState {
  definitions: ReadonlyMap<string, Record<string, unknown>>
  /** Named types already written out in this standalone schema. */
  emitted: Set<string>
  /** Named types being written out (to find recursion). */
  stack: string[]
  /** Depth of each named type already written out, for later references to it. */
  depths: Map<string, number>
  maxDepth: number
  root: string
}

/** Names are written out in full, so a namespace attribute would only be noise. */
function withoutNamespace(schema: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...schema }
  delete copy.namespace
  return copy
}

function inline(schema: unknown, namespace: string | undefined, state: InlineState, path: string): [unknown, number] {
  if (typeof schema === 'string') {
    if (primitiveNames.has(schema)) return [schema, 0]
    const name = fullName(schema, namespace)
    if (state.stack.includes(name)) {
      throw new GatewayError(
        'ACMGW_CODEC_TOO_DEEP',
        `${state.root} is recursive through ${name}; the contract allows no recursive schemas`,
        { path }
      )
    }
    if (state.emitted.has(name)) return [name, state.depths.get(name) ?? 0]
    const definition = state.definitions.get(name)
    if (definition === undefined) fail(`${path} refers to ${name}, which no schema file defines`, path)
    return inline(definition, namespaceOf(name), state, path)
  }
  if (Array.isArray(schema)) {
    let depth = 0
    const branches = schema.map((branch, i) => {
      const [out, d] = inline(branch, namespace, state, `${path}[${i}]`)
      depth = Math.max(depth, d)
      return out
    })
    return [branches, depth]
  }
  if (!isObject(schema)) fail(`${path} is not a schema`, path)
  const type = schema.type
  if (type === 'array' || type === 'map') {
    const key = type === 'array' ? 'items' : 'values'
    const [inner, d] = inline(schema[key], namespace, state, `${path}.${key}`)
    return [{ ...schema, [key]: inner }, d + 1]
  }
  if (typeof type === 'string' && namedKinds.has(type)) {
    const ns = typeof schema.namespace === 'string' ? schema.namespace : namespace
    const name = fullName(String(schema.name), ns)
    if (state.emitted.has(name)) return [name, state.depths.get(name) ?? 0]
    if (type !== 'record') {
      state.emitted.add(name)
      state.depths.set(name, 0)
      return [{ ...withoutNamespace(schema), name }, 0]
    }
    state.stack.push(name)
    if (state.stack.length > state.maxDepth) {
      throw new GatewayError(
        'ACMGW_CODEC_TOO_DEEP',
        `${state.root} nests records deeper than ${state.maxDepth} levels at ${name}`,
        { path }
      )
    }
    let depth = 0
    const fields = (schema.fields as Record<string, unknown>[]).map((field) => {
      const [out, d] = inline(field.type, namespaceOf(name), state, `${path}.${String(field.name)}`)
      depth = Math.max(depth, d)
      return { ...field, type: out }
    })
    state.stack.pop()
    state.emitted.add(name)
    state.depths.set(name, depth + 1)
    return [{ ...withoutNamespace(schema), name, fields }, depth + 1]
  }
  // {"type": "long", "logicalType": …} or {"type": "some.Name"}
  if (typeof type === 'string' && primitiveNames.has(type)) return [schema, 0]
  const [inner, d] = inline(type, namespace, state, path)
  return [inner, d]
}

function compileRecord(
  name: string,
  definitions: ReadonlyMap<string, Record<string, unknown>>,
  maxDepth: number
): CompiledRecord {
  const state: InlineState = { definitions, emitted: new Set(), stack: [], depths: new Map(), maxDepth, root: name }
  const [schema, depth] = inline(name, undefined, state, name)
  if (depth > maxDepth) {
    throw new GatewayError('ACMGW_CODEC_TOO_DEEP', `${name} nests ${depth} levels, more than ${maxDepth}`, {
      path: name
    })
  }
  const canonicalForm = parsingCanonicalForm(schema)
  let type: avro.Type
  try {
    type = avro.Type.forSchema(schema as avro.Schema)
  } catch (cause) {
    throw new GatewayError('ACMGW_SCHEMA_INVALID', `${name}: ${String(cause)}`, { path: name, cause })
  }
  return {
    fullName: name,
    schema: schema as Record<string, unknown>,
    canonicalForm,
    fingerprint: fingerprintBytes(canonicalForm),
    type,
    depth
  }
}

/**
 * Builds standalone schemas for `roots` (record full names) from the files. Every file is checked, whether a
 * root uses it or not.
 */
export function buildSchemaSet(
  files: readonly SchemaFile[],
  roots: readonly string[],
  options: { maxDepth?: number } = {}
): SchemaSet {
  const definitions = new Map<string, Record<string, unknown>>()
  for (const file of files) {
    const [name, json] = readDefinition(file)
    if (definitions.has(name)) fail(`${name} is defined twice`, file.name)
    definitions.set(name, json)
  }
  const records = new Map<string, CompiledRecord>()
  for (const root of roots) {
    if (definitions.get(root)?.type !== 'record') fail(`${root} is not a record defined in the schema files`, root)
    records.set(root, compileRecord(root, definitions, options.maxDepth ?? defaultMaxSchemaDepth))
  }
  return {
    definitions,
    records,
    get(name: string): CompiledRecord {
      const record = records.get(name)
      if (record === undefined) fail(`no schema for ${name}`, name)
      return record
    }
  }
}

/**
 * Parses one standalone schema from elsewhere (a registry, an older revision) with the same depth and
 * recursion limits, without the house-style rules (a partner's writer schema is not ours to lint).
 */
export function compileForeignSchema(schemaText: string, maxDepth = defaultMaxSchemaDepth): CompiledRecord {
  let json: unknown
  try {
    json = JSON.parse(schemaText)
  } catch (cause) {
    throw new GatewayError('ACMGW_SCHEMA_INVALID', `a schema is not JSON: ${String(cause)}`, { cause })
  }
  if (!isObject(json) || json.type !== 'record' || typeof json.name !== 'string') {
    fail('a value schema must be a record', 'schema')
  }
  const root = fullName(json.name, typeof json.namespace === 'string' ? json.namespace : undefined)
  // Collect the named types it defines inline, then reuse the inliner's recursion and depth checks.
  const definitions = new Map<string, Record<string, unknown>>()
  const collect = (s: unknown, ns: string | undefined): void => {
    if (Array.isArray(s)) return s.forEach((b) => collect(b, ns))
    if (!isObject(s)) return
    if (s.type === 'array') return collect(s.items, ns)
    if (s.type === 'map') return collect(s.values, ns)
    if (typeof s.type === 'string' && namedKinds.has(s.type)) {
      const name = fullName(String(s.name), typeof s.namespace === 'string' ? s.namespace : ns)
      if (definitions.has(name)) return
      definitions.set(name, { ...s, name, namespace: undefined })
      if (s.type === 'record' && Array.isArray(s.fields)) {
        for (const f of s.fields as Record<string, unknown>[]) collect(f.type, namespaceOf(name))
      }
      return
    }
    collect(s.type, ns)
  }
  collect(json, undefined)
  return compileRecord(root, definitions, maxDepth)
}
