import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { test } from 'node:test'
import { parse } from 'yaml'
import { dockerServerProperties } from '../../src/devstack/containers-config.ts'

test('docker/server.properties is the current rendering of the local broker settings', async () => {
  const committed = await readFile(new URL('../../docker/server.properties', import.meta.url), 'utf8')
  assert.equal(committed, dockerServerProperties(), 'stale: run `npm run render:docker`')
})

test('docker-compose.yml mounts that file and the PKI the README tells users to issue', async () => {
  const compose = parse(await readFile(new URL('../../docker-compose.yml', import.meta.url), 'utf8')) as {
    services: Record<string, { image: string; volumes?: string[]; ports?: string[] }>
  }
  const kafka = compose.services.kafka
  assert.ok(kafka)
  assert.match(kafka.image, /^apache\/kafka:4\.1\.1$/)
  assert.ok(kafka.volumes?.includes('./docker/server.properties:/mnt/shared/config/server.properties:ro'))
  assert.ok(kafka.volumes?.some((v) => v.startsWith('./docker/pki/broker.pem:')))
  assert.deepEqual(kafka.ports, ['127.0.0.1:19092:19092'])
  assert.ok(compose.services.registry)
})
