/**
 * Renders docker/kafka-<n>.properties from the same functions the local stack and the fault suite's cluster use,
 * with the containers' names and paths.
 * `npm run render:docker` rewrites it; test/devstack/docker-config.test.ts fails when it is stale.
 */
import { writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { composeNodeProperties, composeNodes } from '../src/devstack/containers-config.ts'

const files = composeNodes.map((n): [string, string] => [`../docker/kafka-${n}.properties`, composeNodeProperties(n)])
for (const [name, content] of files) {
  const target = fileURLToPath(new URL(name, import.meta.url))
  await writeFile(target, content)
  console.log(`wrote ${target}`)
}
