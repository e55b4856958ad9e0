import { randomUUID } from 'node:crypto'
import type { TestContext } from 'node:test'
import type { Admin, Kafka } from 'kafkajs'
import { adminEndpoint, readStackInfo, type StackInfo } from '../../src/devstack/stack.ts'
import { createKafkaClient, type KafkaClientOptions, type KafkaEndpoint } from '../../src/kafka/client.ts'

/** Gateway identities the test PKI issues; `nobody` is a valid certificate that no ACL ever names. */
export const testSystems = ['alpha', 'bravo', 'charlie', 'nobody'] as const

let cached: StackInfo | undefined

/** The stack the global setup started. Never skips: without it the broker-backed tests fail loudly. */
export async function testStack(): Promise<StackInfo> {
  if (cached !== undefined) return cached
  const dir = process.env.ACMGW_TEST_STACK
  if (dir === undefined) {
    throw new Error('ACMGW_TEST_STACK is not set: run the suite with `npm test`, whose global setup starts the broker')
  }
  const info = await readStackInfo(dir)
  if (info === undefined) throw new Error(`no stack.json in ${dir}`)
  cached = info
  return info
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`
}

export async function gatewayEndpoint(systemId: string): Promise<KafkaEndpoint> {
  const info = await testStack()
  const tls = info.pki.gateways[systemId]
  if (tls === undefined) throw new Error(`the test PKI has no identity for ${systemId}`)
  return { brokers: info.bootstrapServers, tls, clientId: `test-${systemId}` }
}

export async function kafkaFor(endpoint: KafkaEndpoint, options: KafkaClientOptions = {}): Promise<Kafka> {
  return createKafkaClient(endpoint, { retries: 2, ...options })
}

export async function connectedAdmin(t: TestContext, endpoint?: KafkaEndpoint): Promise<Admin> {
  const admin = (await kafkaFor(endpoint ?? adminEndpoint(await testStack()))).admin()
  await admin.connect()
  t.after(() => admin.disconnect())
  return admin
}
