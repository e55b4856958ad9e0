/**
 * Avro Parsing Canonical Form (specification, "Parsing Canonical Form for Schemas"): PRIMITIVES, FULLNAMES,
 * STRIP, ORDER, STRINGS, INTEGERS, WHITESPACE. Written from the rules rather than taken from avsc's
 * `schema()` export so that the fingerprint does not depend on how one library prints schemas; a test checks
 * both against the specification's own vectors.
 */

const primitives = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string'])

export function fullName(name: string, namespace: string | undefined): string {
  if (name.includes('.') || primitives.has(name)) return name
  return namespace !== undefined && namespace !== '' ? `${namespace}.${name}` : name
}

export function namespaceOf(fullname: string): string | undefined {
  const dot = fullname.lastIndexOf('.')
  return dot < 0 ? undefined : fullname.slice(0, dot)
}

function str(value: string): string {
  return JSON.stringify(value)
}

function form(schema: unknown, namespace: string | undefined, seen: Set<string>): string {
  if (typeof schema === 'string') return str(fullName(schema, namespace))
  if (Array.isArray(schema)) return `[${schema.map((s) => form(s, namespace, seen)).join(',')}]`
  if (typeof schema !== 'object' || schema === null) throw new Error(`not a schema: ${JSON.stringify(schema)}`)
  const s = schema as Record<string, unknown>
  const type = s.type
  if (typeof type !== 'string') return form(type, namespace, seen)
  switch (type) {
    case 'array':
      return `{"type":"array","items":${form(s.items, namespace, seen)}}`
    case 'map':
      return `{"type":"map","values":${form(s.values, namespace, seen)}}`
    case 'record':
    case 'error':
    case 'enum':
    case 'fixed': {
      const ns = typeof s.namespace === 'string' ? s.namespace : namespace
      const name = fullName(String(s.name), ns)
      if (seen.has(name)) return str(name)
      seen.add(name)
      const inner = namespaceOf(name)
      if (type === 'enum')
        return `{"name":${str(name)},"type":"enum","symbols":[${(s.symbols as string[]).map(str).join(',')}]}`
      if (type === 'fixed') return `{"name":${str(name)},"type":"fixed","size":${Number(s.size)}}`
      const fields = (s.fields as { name: string; type: unknown }[])
        .map((f) => `{"name":${str(f.name)},"type":${form(f.type, inner, seen)}}`)
        .join(',')
      return `{"name":${str(name)},"type":${str(type)},"fields":[${fields}]}`
    }
    default:
      // {"type":"int", "logicalType": …} and {"type":"some.Named"} reduce to the bare type.
      return form(type, namespace, seen)
  }
}

export function parsingCanonicalForm(schema: unknown): string {
  return form(schema, undefined, new Set())
}
