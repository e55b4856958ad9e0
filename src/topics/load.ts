/**
 * Reads the template folder and the interconnection file from disk; parsing and validation are pure
 * (templates.ts, interconnection.ts). Errors name the file as the operator gave it.
 */
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readTextFile } from '../pki/store.ts'
import { type Interconnection, parseInterconnection } from './interconnection.ts'
import { parseTemplates, type Templates } from './templates.ts'

/** The templates shipped with the gateway: `topics/` at the package root. */
export const defaultTemplatesDir = fileURLToPath(new URL('../../topics/', import.meta.url))

export const templateFiles = { topics: 'topics.yaml', acls: 'acls.yaml' } as const

/** Short names in messages: relative to the working folder when inside it. */
function shown(path: string, cwd: string): string {
  const rel = relative(cwd, path)
  return rel !== '' && !rel.startsWith('..') ? rel : path
}

export async function loadTemplates(dir: string, cwd: string): Promise<Templates> {
  const topicsFile = join(resolve(cwd, dir), templateFiles.topics)
  const aclsFile = join(resolve(cwd, dir), templateFiles.acls)
  const [topicsText, aclsText] = await Promise.all([
    readTextFile(topicsFile, 'topic templates'),
    readTextFile(aclsFile, 'ACL templates')
  ])
  return parseTemplates({
    topics: { file: shown(topicsFile, cwd), text: topicsText },
    acls: { file: shown(aclsFile, cwd), text: aclsText }
  })
}

export async function loadInterconnection(file: string, cwd: string): Promise<Interconnection> {
  const path = resolve(cwd, file)
  return parseInterconnection(await readTextFile(path, 'interconnection file'), shown(path, cwd))
}
