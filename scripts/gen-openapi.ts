import { writeFile } from 'node:fs/promises'
import { openApiFile, renderOpenApiFile } from './openapi-file.ts'

await writeFile(openApiFile, await renderOpenApiFile())
console.log(`wrote ${openApiFile}`)
