/**
 * docs/openapi.json as committed: the generated document, formatted by the repository's prettier settings so
 * that `prettier --check .` and the staleness test agree on one exact text.
 */
import { fileURLToPath } from 'node:url'
import * as prettier from 'prettier'
import { openApiDocument } from '../src/http/openapi.ts'

export const openApiFile = fileURLToPath(new URL('../docs/openapi.json', import.meta.url))

export async function renderOpenApiFile(): Promise<string> {
  const options = (await prettier.resolveConfig(openApiFile)) ?? {}
  return prettier.format(JSON.stringify(openApiDocument()), { ...options, filepath: openApiFile })
}
