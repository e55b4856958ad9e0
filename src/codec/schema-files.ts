/**
 * The I/O edge of schema loading: the shipped `schemas/` folder, or the same folder at a git revision.
 */
import { execFile } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { GatewayError, isErrnoException } from '../errors.ts'
import { sealedSecretsRecord, valueRecords } from './catalogue.ts'
import { type SchemaFile, type SchemaSet, buildSchemaSet } from './schema-set.ts'

const run = promisify(execFile)

/** The `schemas/` folder next to `src/` in this package. */
export const shippedSchemaDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../schemas')

/** Every standalone record the gateway encodes: the Kafka values and the sealed secrets. */
export const rootRecords: readonly string[] = [...valueRecords, sealedSecretsRecord]

export async function readSchemaDir(dir: string): Promise<SchemaFile[]> {
  let names: string[]
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.avsc')).sort()
  } catch (cause) {
    const reason = isErrnoException(cause) ? cause.code : 'unreadable'
    throw new GatewayError('ACMGW_FILE_UNREADABLE', `cannot read schema folder ${dir} (${reason})`, {
      cause,
      path: dir
    })
  }
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(join(dir, name), 'utf8') })))
}

export async function loadSchemaSet(dir = shippedSchemaDir): Promise<SchemaSet> {
  return buildSchemaSet(await readSchemaDir(dir), rootRecords)
}

/** The root records a set of files defines (an older revision may lack records added since). */
export function rootsIn(files: readonly SchemaFile[]): string[] {
  const names = new Set(files.map((f) => f.name))
  return rootRecords.filter((r) => names.has(`${r}.avsc`))
}

/**
 * The `.avsc` files of the folder `schemaDir` as they were at a git revision. Git runs inside the folder and
 * resolves `REV:./name` relative to it, so the folder may sit anywhere in the repository.
 */
export async function readSchemaRevision(schemaDir: string, revision: string): Promise<SchemaFile[]> {
  if (!/^[\w./~^@{}-]+$/.test(revision) || revision.startsWith('-')) {
    throw new GatewayError('ACMGW_USAGE', `not a git revision: ${JSON.stringify(revision)}`)
  }
  const listing = await git(schemaDir, ['ls-tree', '--name-only', revision, '--', '.'])
  const names = listing
    .split('\n')
    .filter((n) => n.endsWith('.avsc') && !n.includes('/'))
    .sort()
  return Promise.all(
    names.map(async (name) => ({ name, text: await git(schemaDir, ['show', `${revision}:./${name}`]) }))
  )
}

/** Commits that changed the folder, newest first: the versions a FULL_TRANSITIVE check compares against. */
export async function schemaHistory(schemaDir: string): Promise<string[]> {
  const out = await git(schemaDir, ['log', '--format=%H', '--', '.'])
  return out.split('\n').filter((l) => l.length > 0)
}

async function git(cwd: string, args: string[]): Promise<string> {
  try {
    return (await run('git', args, { cwd, maxBuffer: 64 * 1024 * 1024 })).stdout
  } catch (cause) {
    const stderr = (cause as { stderr?: string }).stderr?.trim() ?? String(cause)
    throw new GatewayError('ACMGW_FILE_UNREADABLE', `git ${args.join(' ')} in ${cwd}: ${stderr}`, { cause, path: cwd })
  }
}
