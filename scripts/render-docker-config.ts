/**
 * Renders docker/server.properties from the same function the local stack uses, with the container's paths.
 * `npm run render:docker` rewrites it; test/devstack/docker-config.test.ts fails when it is stale.
 */
import { writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { dockerServerProperties } from '../src/devstack/containers-config.ts'

const target = fileURLToPath(new URL('../docker/server.properties', import.meta.url))
await writeFile(target, dockerServerProperties())
console.log(`wrote ${target}`)
