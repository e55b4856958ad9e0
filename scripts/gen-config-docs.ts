import { writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { renderConfigReference } from '../src/config/docs.ts'

const target = fileURLToPath(new URL('../docs/configuration.md', import.meta.url))
await writeFile(target, renderConfigReference())
console.log(`wrote ${target}`)
