#!/usr/bin/env node
// Installed packages run the compiled CLI; a checkout runs the TypeScript source through Node's type stripping.
import { existsSync } from 'node:fs'

const compiled = new URL('../dist/cli/main.js', import.meta.url)
await import(existsSync(compiled) ? compiled.href : new URL('../src/cli/main.ts', import.meta.url).href)
