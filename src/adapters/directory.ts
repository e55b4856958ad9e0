/**
 * The built-in file-backed directory: the local MCX system of the demo and of tests. State is a snapshot
 * (`directory.json`, written atomically: temporary file, fsync, rename) plus a journal of the batches applied
 * since (`directory.journal.jsonl`, one fsynced line per batch). Rewriting the whole document per batch made
 * each apply cost the size of everything applied so far; a journal line costs the batch. The journal is folded
 * into a new snapshot every `compactEvery` batches, at start and at close. One gateway process per folder;
 * replicas of a gateway use the webhook or Kafka adapter instead.
 */
import { type FileHandle, mkdir, open, readFile, rename } from 'node:fs/promises'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { GatewayError, isErrnoException } from '../errors.ts'
import { applyBatch, type DirectoryDocument, emptyDirectory, pruneApplied } from './directory-model.ts'
import type { EffectBatch, ItemResult, LocalSystemAdapter } from './effects.ts'

const snapshotName = 'directory.json'
const journalName = 'directory.journal.jsonl'
const pendingName = 'pending-notifications.jsonl'
const keepAppliedMs = 30 * 86_400_000

interface JournalHeader {
  generation: number
}

interface JournalEntry {
  at: number
  batch: EffectBatch
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if (isErrnoException(error) && error.code === 'ENOENT') return undefined
    throw new GatewayError('ACMGW_FILE_UNREADABLE', `cannot read ${path}`, { cause: error, path })
  }
}

function parseJson<T>(path: string, text: string, line?: number): T {
  try {
    return JSON.parse(text) as T
  } catch (cause) {
    const where = line === undefined ? path : `${path} line ${line}`
    throw new GatewayError('ACMGW_FILE_UNREADABLE', `${where} is not JSON`, { cause, path })
  }
}

/**
 * The directory as the adapter last acknowledged it: the snapshot with its journal replayed. A journal of an
 * older generation was folded into the snapshot before the process stopped (between the two renames of a
 * compaction) and is skipped. A last line without its newline is an append that never completed, so never
 * acknowledged: it is left out.
 */
export async function readDirectory(folder: string): Promise<DirectoryDocument> {
  const snapshotPath = join(folder, snapshotName)
  const journalPath = join(folder, journalName)
  // A reader racing a compaction can see the old snapshot with the new journal: read again.
  for (let attempt = 0; ; attempt++) {
    const snapshotText = await readIfPresent(snapshotPath)
    const doc = snapshotText === undefined ? emptyDirectory() : parseJson<DirectoryDocument>(snapshotPath, snapshotText)
    const generation = doc.generation ?? 0
    const lines = (await readIfPresent(journalPath))?.split('\n') ?? []
    lines.pop() // after the last newline: empty, or an unfinished append
    if (lines.length === 0) return doc
    const header = parseJson<JournalHeader>(journalPath, lines[0] ?? '', 1)
    if (header.generation > generation) {
      if (attempt < 3) continue
      throw new GatewayError(
        'ACMGW_FILE_UNREADABLE',
        `${journalPath} is of generation ${header.generation}, newer than ${snapshotPath} (${generation}): a snapshot is missing`,
        { path: snapshotPath }
      )
    }
    if (header.generation < generation) return doc
    for (let i = 1; i < lines.length; i++) {
      const entry = parseJson<JournalEntry>(journalPath, lines[i] ?? '', i + 1)
      applyBatch(doc, entry.batch, entry.at)
    }
    return doc
  }
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

async function writeAtomically(folder: string, name: string, content: string): Promise<void> {
  const path = join(folder, name)
  const temporary = `${path}.${randomUUID()}.tmp`
  const handle = await open(temporary, 'w', 0o600)
  try {
    await handle.writeFile(content)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(temporary, path)
  await syncFolder(folder)
}

export async function createDirectoryAdapter(options: {
  path: string
  now?: () => number
  /** Batches journalled before the journal is folded into a new snapshot. */
  compactEvery?: number
}): Promise<LocalSystemAdapter> {
  const folder = options.path
  const now = options.now ?? Date.now
  const compactEvery = options.compactEvery ?? 2000
  await mkdir(folder, { recursive: true, mode: 0o700 })

  let doc: DirectoryDocument = emptyDirectory()
  let journal: FileHandle | undefined
  let journalLines = 0
  // After a failed append the journal may end in a partial line and memory holds a batch the disk may not:
  // the next apply first reloads what the disk acknowledged and starts a fresh generation.
  let damaged = false

  /** A new snapshot generation from memory, and an empty journal for it. */
  async function compact(): Promise<void> {
    await journal?.close()
    journal = undefined
    const generation = (doc.generation ?? 0) + 1
    doc = { ...pruneApplied(doc, now(), keepAppliedMs), generation }
    await writeAtomically(folder, snapshotName, JSON.stringify(doc, null, 2))
    const header: JournalHeader = { generation }
    await writeAtomically(folder, journalName, `${JSON.stringify(header)}\n`)
    journal = await open(join(folder, journalName), 'a', 0o600)
    journalLines = 0
    damaged = false
  }

  /** Memory as the disk acknowledged it, then compacted. */
  async function recover(): Promise<void> {
    doc = await readDirectory(folder)
    await compact()
  }

  async function append(entry: JournalEntry): Promise<void> {
    if (journal === undefined) throw new GatewayError('ACMGW_FILE_UNWRITABLE', `the journal in ${folder} is closed`)
    await journal.appendFile(`${JSON.stringify(entry)}\n`)
    await journal.datasync()
    journalLines++
  }

  let queue: Promise<unknown> = Promise.resolve()
  const serialised = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work)
    queue = next.catch(() => undefined)
    return next
  }

  await serialised(recover)
  return {
    name: 'directory',
    apply: (batch: EffectBatch) =>
      serialised(async (): Promise<ItemResult[]> => {
        if (damaged) await recover()
        const at = now()
        const { results, repeated } = applyBatch(doc, batch, at)
        if (repeated) return results
        try {
          await append({ at, batch })
        } catch (cause) {
          damaged = true
          throw new GatewayError('ACMGW_FILE_UNWRITABLE', `cannot journal a batch in ${join(folder, journalName)}`, {
            cause,
            path: join(folder, journalName)
          })
        }
        // The batch is durable now; a failed compaction is retried by the next apply, which recovers first.
        if (journalLines >= compactEvery) await compact().catch(() => (damaged = true))
        return results
      }),
    notifyPending: (notice) =>
      serialised(async () => {
        const handle = await open(join(folder, pendingName), 'a', 0o600)
        try {
          await handle.appendFile(`${JSON.stringify({ ...notice, at: new Date(now()).toISOString() })}\n`)
        } finally {
          await handle.close()
        }
      }),
    close: () =>
      serialised(async () => {
        if (damaged) await recover()
        else if (journalLines > 0) await compact()
        await journal?.close()
        journal = undefined
      })
  }
}
