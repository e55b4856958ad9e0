import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { test } from 'node:test'
import { parse } from 'yaml'
import { validateConfig } from '../../src/config/load.ts'
import { composeNodeProperties, composeNodes } from '../../src/devstack/containers-config.ts'
import { parseInterconnection } from '../../src/topics/interconnection.ts'

const root = (path: string) => new URL(`../../${path}`, import.meta.url)
const text = (path: string) => readFile(root(path), 'utf8')

test('docker/kafka-<n>.properties are the current renderings of the cluster settings', async () => {
  for (const n of composeNodes) {
    assert.equal(
      await text(`docker/kafka-${n}.properties`),
      composeNodeProperties(n),
      `stale: run \`npm run render:docker\``
    )
  }
  const node = await text('docker/kafka-1.properties')
  assert.match(node, /^controller\.quorum\.voters=1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093$/m)
  assert.match(node, /^ssl\.client\.auth=required$/m)
  assert.match(node, /^allow\.everyone\.if\.no\.acl\.found=false$/m)
  assert.match(node, /^min\.insync\.replicas=2$/m)
  assert.doesNotMatch(node, /PLAINTEXT/)
})

test('docker-compose.yml: three brokers, the registry, a topics job and two gateways whose configurations are valid', async () => {
  const compose = parse(await text('docker-compose.yml'), { merge: true }) as {
    services: Record<
      string,
      { image: string; volumes?: string[]; command?: string[]; depends_on?: Record<string, unknown> }
    >
  }
  for (const n of composeNodes) {
    const kafka = compose.services[`kafka-${n}`]
    assert.ok(kafka, `kafka-${n}`)
    assert.equal(kafka.image, 'apache/kafka:4.1.1')
    assert.ok(kafka.volumes?.includes(`./docker/kafka-${n}.properties:/mnt/shared/config/server.properties:ro`))
  }
  assert.ok(compose.services.registry)
  assert.deepEqual(compose.services.topics?.command?.slice(2, 6), [
    'topics',
    'apply',
    '--agreements',
    'docker/interconnection.yaml'
  ])
  parseInterconnection(await text('docker/interconnection.yaml'), 'docker/interconnection.yaml')
  for (const id of ['nl-police', 'be-police']) {
    const gateway = compose.services[`gateway-${id}`]
    assert.deepEqual(gateway?.command, ['node', 'src/cli/main.ts', 'run', '--config', `docker/gateways/${id}.yaml`])
    assert.ok(gateway?.depends_on?.topics, 'gateways start after topics and ACLs are applied')
    const config = validateConfig(parse(await text(`docker/gateways/${id}.yaml`)), `docker/gateways/${id}.yaml`)
    assert.deepEqual(config.kafka.brokers, ['kafka-1:9092', 'kafka-2:9092', 'kafka-3:9092'])
  }
})

test('docker compose config accepts the file where the Docker compose CLI exists', async () => {
  const run = promisify(execFile)
  const available = await run('docker', ['compose', 'version']).then(
    () => true,
    () => false
  )
  // Without the CLI the structure test above is the check; with it, compose itself must accept the file.
  if (!available) return
  const { stdout } = await run('docker', [
    'compose',
    '-f',
    fileURLToPath(root('docker-compose.yml')),
    'config',
    '--quiet'
  ])
  assert.equal(stdout, '')
})
