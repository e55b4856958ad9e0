/**
 * The built-in file-backed directory: the local MCX system of the demo and of tests. One JSON document, written
 * atomically (temporary file, fsync, rename), applies serialised within the process. One gateway process per
 * folder; replicas of a gateway use the webhook or Kafka adapter instead.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { GatewayError, isErrnoException } from '../errors.ts'
import { applyBatch, type DirectoryDocument, emptyDirectory, pruneApplied } from './directory-model.ts'
import type { EffectBatch, ItemResult, LocalSystemAdapter } from './effects.ts'

const documentName = 'directory.json'
const pendingName = 'pending-notifications.jsonl'
const keepAppliedMs = 30 * 86_400_000

export async function readDirectory(folder: string): Promise<DirectoryDocument> {
  try {
    return JSON.parse(await readFile(join(folder, documentName), 'utf8')) as DirectoryDocument
  } catch (error) {
    if (isErrnoException(error) && error.code === 'ENOENT') return emptyDirectory()
    throw new GatewayError('ACMGW_FILE_UNREADABLE', `cannot read the directory ${join(folder, documentName)}`, {
      cause: error,
      path: join(folder, documentName)
    })
  }
}

async function writeAtomically(path: string, content: string): Promise<void> {
  const temporary = `${path}.${randomUUID()}.tmp`
  const handle = await open(temporary, 'w', 0o600)
  try {
    await handle.writeFile(content)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(temporary, path)
}

export async function createDirectoryAdapter(options: {
  path: string
  now?: () => number
}): Promise<LocalSystemAdapter> {
  const now = options.now ?? Date.now
  await mkdir(options.path, { recursive: true, mode: 0o700 })
  let queue: Promise<unknown> = Promise.resolve()
  const serialised = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work)
    queue = next.catch(() => undefined)
    return next
  }
  return {
    name: 'directory',
    apply: (batch: EffectBatch) =>
      serialised(async (): Promise<ItemResult[]> => {
        const current = await readDirectory(options.path)
        const { doc, results, repeated } = applyBatch(current, batch, now())
        if (!repeated) {
          await writeAtomically(
            join(options.path, documentName),
            JSON.stringify(pruneApplied(doc, now(), keepAppliedMs), null, 2)
          )
        }
        return results
      }),
    notifyPending: (notice) =>
      serialised(async () => {
        const handle = await open(join(options.path, pendingName), 'a', 0o600)
        try {
          await handle.appendFile(`${JSON.stringify({ ...notice, at: new Date(now()).toISOString() })}\n`)
        } finally {
          await handle.close()
        }
      }),
    close: () => serialised(() => Promise.resolve())
  }
}
