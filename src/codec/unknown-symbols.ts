/**
 * Finds enum values that a reader only holds because of the evolution default: an `UNKNOWN` symbol means the
 * writer sent a symbol this gateway does not know, and no procedure may act on it. Compiled once per reader
 * type into a walker that only descends where such enums can occur.
 */
import type avro from 'avsc'

type Walker = (value: unknown) => string | undefined

const unknownSymbol = 'UNKNOWN'

export function compileUnknownSymbolFinder(type: avro.Type): (value: unknown) => string | undefined {
  const memo = new Map<avro.Type, Walker | null>()
  const build = (t: avro.Type): Walker | null => {
    if (memo.has(t)) return memo.get(t) ?? null
    memo.set(t, null) // no recursive schemas in the contract; a cycle simply contributes nothing
    const any = t as unknown as {
      fields: { name: string; type: avro.Type }[]
      itemsType: avro.Type
      valuesType: avro.Type
      types: avro.Type[]
      symbols: string[]
    }
    let walker: Walker | null = null
    switch (t.typeName) {
      case 'enum':
        if (any.symbols.includes(unknownSymbol)) walker = (v) => (v === unknownSymbol ? '' : undefined)
        break
      case 'record': {
        const fields = any.fields
          .map((f) => ({ name: f.name, walk: build(f.type) }))
          .filter((f): f is { name: string; walk: Walker } => f.walk !== null)
        if (fields.length > 0) {
          walker = (v) => {
            const record = v as Record<string, unknown>
            for (const f of fields) {
              const found = f.walk(record[f.name])
              if (found !== undefined)
                return found === '' || found.startsWith('[') ? `${f.name}${found}` : `${f.name}.${found}`
            }
            return undefined
          }
        }
        break
      }
      case 'array': {
        const inner = build(any.itemsType)
        if (inner !== null) {
          walker = (v) => {
            const items = v as unknown[]
            for (let i = 0; i < items.length; i++) {
              const found = inner(items[i])
              if (found !== undefined)
                return found === '' || found.startsWith('[') ? `[${i}]${found}` : `[${i}].${found}`
            }
            return undefined
          }
        }
        break
      }
      case 'map': {
        const inner = build(any.valuesType)
        if (inner !== null) {
          walker = (v) => {
            for (const [key, item] of Object.entries(v as Record<string, unknown>)) {
              const found = inner(item)
              if (found !== undefined)
                return found === '' ? `[${JSON.stringify(key)}]` : `[${JSON.stringify(key)}].${found}`
            }
            return undefined
          }
        }
        break
      }
      case 'union:unwrapped': {
        // Our optional fields are ["null", X]: the value is null or an X.
        const branches = any.types.map(build)
        const walkers = branches.filter((b): b is Walker => b !== null)
        if (walkers.length > 0) {
          walker = (v) => {
            if (v === null || v === undefined) return undefined
            for (const w of walkers) {
              const found = w(v)
              if (found !== undefined) return found
            }
            return undefined
          }
        }
        break
      }
      default:
        break
    }
    memo.set(t, walker)
    return walker
  }
  const root = build(type)
  return (value) => {
    if (root === null) return undefined
    return root(value)
  }
}
