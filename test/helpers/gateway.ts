/**
 * Real gateways on the real test broker, isolated per test: fresh system ids (so fresh topics, groups and
 * principals), identities issued by the test stack's CA, topics and literal ACLs created with the admin identity,
 * and gateways started in-process from a configuration file written like a user would.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import kafkajs, { type Admin } from 'kafkajs'
import { pino } from 'pino'
import { stringify } from 'yaml'
import { topicName } from '../../src/codec/catalogue.ts'
import { loadConfig } from '../../src/config/load.ts'
import type { GatewayConfigInput } from '../../src/config/schema.ts'
import type { DataCategory } from '../../src/agreements/model.ts'
import { gatewayGroup, privateTopics, type RunningGateway, startGateway } from '../../src/gateway/runtime.ts'
import type { EngineEvent } from '../../src/gateway/engine.ts'
import { gatewayPrincipal } from '../../src/identity/names.ts'
import { issueGateway, pkiLayout } from '../../src/pki/store.ts'
import { connectedAdmin, testStack } from './stack.ts'

const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs

export interface TestSystemSet {
  ids: string[]
  pkiDir: string
  workDir: string
}

/** Fresh system ids with TLS and signing identities from the stack CA. */
export async function freshSystems(names: string[]): Promise<TestSystemSet> {
  const info = await testStack()
  const suffix = randomBytes(3).toString('hex')
  const ids = names.map((n) => `${n}-${suffix}`)
  for (const systemId of ids) await issueGateway({ dir: info.pki.dir, systemId })
  return { ids, pkiDir: info.pki.dir, workDir: await mkdtemp(join(tmpdir(), 'acmgw-gw-')) }
}

type Acl = { type: number; name: string; pattern: number; principal: string; operation: number }

function literal(type: number, name: string, principal: string, operations: number[]): Acl[] {
  return operations.map((operation) => ({ type, name, pattern: ResourcePatternTypes.LITERAL, principal, operation }))
}

/** Topics and ACLs for an agreement between a and b over `categories` (plus status and responses). */
export async function provisionLink(
  admin: Admin,
  a: string,
  b: string,
  categories: readonly DataCategory[]
): Promise<void> {
  const all = [...new Set(['status', ...categories, 'responses'])] as Parameters<typeof topicName>[2][]
  const topics: string[] = []
  const acls: Acl[] = []
  for (const [from, to] of [
    [a, b],
    [b, a]
  ] as const) {
    for (const category of all) {
      const topic = topicName(from, to, category)
      topics.push(topic)
      acls.push(
        ...literal(AclResourceTypes.TOPIC, topic, gatewayPrincipal(from), [
          AclOperationTypes.WRITE,
          AclOperationTypes.DESCRIBE
        ])
      )
      acls.push(
        ...literal(AclResourceTypes.TOPIC, topic, gatewayPrincipal(to), [
          AclOperationTypes.READ,
          AclOperationTypes.DESCRIBE
        ])
      )
    }
  }
  for (const self of [a, b]) {
    const own = privateTopics(self)
    for (const topic of [own.state, own.deadLetters]) {
      acls.push(
        ...literal(AclResourceTypes.TOPIC, topic, gatewayPrincipal(self), [
          AclOperationTypes.READ,
          AclOperationTypes.WRITE,
          AclOperationTypes.DESCRIBE
        ])
      )
    }
    acls.push(...literal(AclResourceTypes.GROUP, gatewayGroup(self), gatewayPrincipal(self), [AclOperationTypes.READ]))
    acls.push({
      type: AclResourceTypes.GROUP,
      name: `${gatewayGroup(self)}.`,
      pattern: ResourcePatternTypes.PREFIXED,
      principal: gatewayPrincipal(self),
      operation: AclOperationTypes.READ
    })
  }
  const existing = new Set(await admin.listTopics())
  const stateTopics = [a, b].flatMap((s) => [privateTopics(s).state, privateTopics(s).deadLetters])
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      ...topics.filter((t) => !existing.has(t)).map((topic) => ({ topic, numPartitions: 2 })),
      ...stateTopics
        .filter((t) => !existing.has(t))
        .map((topic) => ({
          topic,
          numPartitions: 1,
          configEntries: topic.endsWith('.state') ? [{ name: 'cleanup.policy', value: 'compact' }] : []
        }))
    ]
  })
  const entries = acls.map((x) => ({
    resourceType: x.type,
    resourceName: x.name,
    resourcePatternType: x.pattern,
    principal: x.principal,
    host: '*',
    operation: x.operation,
    permissionType: AclPermissionTypes.ALLOW
  }))
  await admin.createAcls({ acl: entries })
  // ACLs reach the authorizer through the metadata log: wait until every one is visible before gateways start.
  const principals = [gatewayPrincipal(a), gatewayPrincipal(b)]
  const deadline = Date.now() + 15_000
  for (;;) {
    let visible = 0
    for (const principal of principals) {
      const found = await admin.describeAcls({
        resourceType: AclResourceTypes.ANY,
        resourcePatternType: ResourcePatternTypes.ANY,
        principal,
        host: '*',
        operation: AclOperationTypes.ANY,
        permissionType: AclPermissionTypes.ANY
      })
      visible += found.resources.reduce((n, r) => n + r.acls.length, 0)
    }
    if (visible >= entries.length) break
    if (Date.now() > deadline) throw new Error(`only ${visible} of ${entries.length} ACLs became visible`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  await new Promise((resolve) => setTimeout(resolve, 500))
}

export interface GatewaySetup {
  self: string
  partner: string
  agreementId: string
  categories: DataCategory[]
  policy?: GatewayConfigInput['policy']
  limits?: { maxMigratedUsers?: number }
  status?: 'PROPOSED' | 'ACTIVE'
  /** The gateway's own `limits` (the agreement's are `limits` above). */
  gatewayLimits?: GatewayConfigInput['limits']
  /** `kafka.sessionTimeout`, e.g. '10s'. */
  sessionTimeout?: string
}

/** Writes `<workDir>/<self>.yaml` as a user would and returns its path. */
export async function writeGatewayConfig(systems: TestSystemSet, setup: GatewaySetup): Promise<string> {
  const info = await testStack()
  const p = (name: string) => join(systems.pkiDir, name)
  const config: GatewayConfigInput = {
    system: { id: setup.self },
    kafka: {
      brokers: info.bootstrapServers,
      tls: {
        ca: p(pkiLayout.caCert),
        cert: p(pkiLayout.gatewayCert(setup.self)),
        key: p(pkiLayout.gatewayKey(setup.self))
      },
      ...(setup.sessionTimeout === undefined ? {} : { sessionTimeout: setup.sessionTimeout })
    },
    signing: {
      key: p(pkiLayout.gatewaySigningKey(setup.self)),
      certificate: p(pkiLayout.gatewaySigningCert(setup.self))
    },
    partners: [
      {
        id: setup.partner,
        signingCertificates: [p(pkiLayout.gatewaySigningCert(setup.partner))],
        encryptionCertificate: p(pkiLayout.gatewayCert(setup.partner))
      }
    ],
    agreements: [
      {
        id: setup.agreementId,
        partner: setup.partner,
        status: setup.status ?? 'ACTIVE',
        services: ['MCPTT', 'MCDATA'],
        categories: setup.categories,
        limits: setup.limits ?? {},
        sharedUserAttributes: ['rank']
      }
    ],
    policy: setup.policy ?? { default: 'accept' },
    ...(setup.gatewayLimits === undefined ? {} : { limits: setup.gatewayLimits }),
    adapter: { type: 'directory', path: join(systems.workDir, `${setup.self}-directory`) },
    http: { port: 0 }
  }
  const file = join(systems.workDir, `${setup.self}.yaml`)
  await writeFile(file, stringify(config))
  return file
}

export interface StartedGateway extends RunningGateway {
  events: EngineEvent[]
  directory: string
}

export async function runGateway(t: TestContext, configFile: string): Promise<StartedGateway> {
  const config = await loadConfig(configFile)
  const events: EngineEvent[] = []
  const log = pino({ level: process.env.ACMGW_TEST_LOG ?? 'silent' })
  const gateway = await startGateway(config, { log, onEvent: (e) => events.push(e), sweepIntervalMs: 500 })
  t.after(() => gateway.stop())
  return {
    ...gateway,
    events,
    directory: config.adapter.type === 'directory' ? config.adapter.path : ''
  }
}

/** Two gateways a and b with an agreement, provisioned on the broker and running. */
export async function gatewayPair(
  t: TestContext,
  options: {
    categories: DataCategory[]
    policy?: { a?: GatewayConfigInput['policy']; b?: GatewayConfigInput['policy'] }
    limits?: { maxMigratedUsers?: number }
    status?: 'PROPOSED' | 'ACTIVE'
    gatewayLimits?: GatewayConfigInput['limits']
    sessionTimeout?: string
  }
) {
  const systems = await freshSystems(['a', 'b'])
  const [a, b] = systems.ids as [string, string]
  const admin = await connectedAdmin(t)
  await provisionLink(admin, a, b, options.categories)
  const agreementId = `agr-${a}-${b}`
  const base = {
    agreementId,
    categories: options.categories,
    limits: options.limits,
    status: options.status,
    gatewayLimits: options.gatewayLimits,
    sessionTimeout: options.sessionTimeout
  }
  const configA = await writeGatewayConfig(systems, { ...base, self: a, partner: b, policy: options.policy?.a })
  const configB = await writeGatewayConfig(systems, { ...base, self: b, partner: a, policy: options.policy?.b })
  return { systems, a, b, agreementId, configA, configB, admin }
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
