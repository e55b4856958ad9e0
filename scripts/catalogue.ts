/** `npm run catalogue`: regenerates docs/catalogue.md from schemas/ and src/codec/catalogue.ts. */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { renderCatalogue } from '../src/codec/catalogue-doc.ts'
import { loadSchemaSet } from '../src/codec/schema-files.ts'

const target = resolve(dirname(fileURLToPath(import.meta.url)), '../docs/catalogue.md')
await mkdir(dirname(target), { recursive: true })
await writeFile(target, renderCatalogue(await loadSchemaSet()))
console.log(`wrote ${target}`)
