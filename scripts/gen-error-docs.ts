import { writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { renderErrorReference } from '../src/errors-doc.ts'

const target = fileURLToPath(new URL('../docs/errors.md', import.meta.url))
await writeFile(target, renderErrorReference())
console.log(`wrote ${target}`)
