/**
 * Bearer token for the /v1 routes: read from a file (the runtime's http.tokenFile and the CLI's --token-file
 * follow the same rules) and compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { GatewayError, isErrnoException } from '../errors.ts'

/** The token is the file's content without surrounding whitespace (a trailing newline is usual). */
export async function readTokenFile(path: string): Promise<string> {
  let content: string
  try {
    content = await readFile(path, 'utf8')
  } catch (error) {
    const why = isErrnoException(error) ? error.code : String(error)
    throw new GatewayError('ACMGW_FILE_UNREADABLE', `cannot read the token file ${path} (${why})`, {
      path,
      cause: error
    })
  }
  const token = content.trim()
  if (token.length === 0) {
    throw new GatewayError('ACMGW_FILE_UNREADABLE', `the token file ${path} is empty`, { path })
  }
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new GatewayError('ACMGW_FILE_UNREADABLE', `the token file ${path} holds more than one printable word`, {
      path
    })
  }
  return token
}

/**
 * Whether an Authorization header carries `token`. Both sides are hashed first so that timingSafeEqual always
 * compares equal-length buffers and the time taken says nothing about the token's length or content.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header ?? '')
  const given = createHash('sha256')
    .update(match?.[1] ?? '')
    .digest()
  const expected = createHash('sha256').update(token).digest()
  return timingSafeEqual(given, expected) && match !== null
}
