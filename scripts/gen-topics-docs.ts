// Rewrites the generated format reference in topics/README.md from the schemas (src/topics/schema.ts).
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { renderReadme } from '../src/topics/docs.ts'

const target = fileURLToPath(new URL('../topics/README.md', import.meta.url))
await writeFile(target, renderReadme(await readFile(target, 'utf8')))
console.log(`wrote ${target}`)
