/**
 * YAML text → validated value, with every problem named by file and field path, e.g.
 * `topics/topics.yaml: categories.status.partitions: Too small: expected number to be >=1`. Pure.
 */
import { parseDocument } from 'yaml'
import type { z } from 'zod'
import { type ErrorCode, GatewayError } from '../errors.ts'

export interface Problem {
  path: string
  message: string
}

/** `categories.status.partitions`, `configs["max.message.bytes"]`, `agreements[0].systems[1]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  const text = path.reduce<string>((acc, part) => {
    if (typeof part === 'number') return `${acc}[${part}]`
    const key = String(part)
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return `${acc}[${JSON.stringify(key)}]`
    return acc === '' ? key : `${acc}.${key}`
  }, '')
  return text === '' ? '(top level)' : text
}

export function fail(code: ErrorCode, file: string, problems: readonly Problem[]): never {
  throw new GatewayError(
    code,
    problems.length === 1
      ? `${file}: ${problems[0]?.path}: ${problems[0]?.message}`
      : `${file} has ${problems.length} problems:\n${problems.map((p) => `  ${file}: ${p.path}: ${p.message}`).join('\n')}`,
    { path: file, details: { problems } }
  )
}

export function parseYaml(text: string, file: string, code: ErrorCode): unknown {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true })
  if (document.errors.length > 0) {
    fail(
      code,
      file,
      document.errors.map((e) => ({
        path: e.linePos === undefined ? '(YAML)' : `line ${e.linePos[0].line}, column ${e.linePos[0].col}`,
        message: e.message.split('\n')[0] ?? e.message
      }))
    )
  }
  return document.toJS()
}

export function validate<S extends z.ZodType>(schema: S, value: unknown, file: string, code: ErrorCode): z.output<S> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  fail(
    code,
    file,
    result.error.issues.map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        return { path: formatPath(issue.path), message: `unknown key(s): ${issue.keys.join(', ')}` }
      }
      if (issue.code === 'invalid_key') {
        // A record key that fails its own schema: the key's message says what a key must be.
        return { path: formatPath(issue.path), message: `key ${issue.issues.map((i) => i.message).join('; ')}` }
      }
      return { path: formatPath(issue.path), message: issue.message }
    })
  )
}
