/**
 * `acmgw topics plan | apply` against the real broker (KRaft, mTLS, StandardAuthorizer, no ACL = no access),
 * and the deny matrix: every (principal × resource × operation) probed with real clients, allowed exactly where
 * the plan grants it and refused everywhere else. Each test owns a namespace, so its topics and groups never
 * meet another test's and no cleanup is needed.
 */
import assert from 'node:assert/strict'
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, test, type TestContext } from 'node:test'
import kafkajs, { type Admin, type Consumer, type Kafka, type Producer } from 'kafkajs'
import { stringify } from 'yaml'
import type { DataCategory } from '../../src/agreements/model.ts'
import { adminEndpoint } from '../../src/devstack/stack.ts'
import { openTopicAdmin, type AclBinding } from '../../src/kafka/admin.ts'
import { classifyKafkaError, type KafkaEndpoint } from '../../src/kafka/client.ts'
import { freePort } from '../../src/devstack/processes.ts'
import { applyPlan, planCluster } from '../../src/topics/cluster.ts'
import { desiredState, type DesiredState } from '../../src/topics/desired.ts'
import { defaultTemplatesDir, loadInterconnection, loadTemplates } from '../../src/topics/load.ts'
import type { TopicsPlan } from '../../src/topics/plan.ts'
import { acmgw, type CliRun } from '../helpers/cli.ts'
import { connectedAdmin, gatewayEndpoint, kafkaFor, testStack, uniqueName } from '../helpers/stack.ts'

const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs

const every: DataCategory[] = ['status', 'users', 'groups', 'migration', 'security']

interface AgreementSpec {
  id: string
  systems: [string, string]
  status?: string
  categories: DataCategory[]
}

/** A folder with an interconnection file; `write` replaces it (the operator editing agreements). */
async function interconnectionFile(systems: string[], agreements: AgreementSpec[]) {
  const dir = await mkdtemp(join(tmpdir(), 'acmgw-topics-'))
  const file = join(dir, 'interconnection.yaml')
  const write = (list: AgreementSpec[]) =>
    writeFile(
      file,
      stringify({
        systems: systems.map((id) => ({ id })),
        agreements: list.map((a) => ({ ...a, status: a.status ?? 'ACTIVE' }))
      })
    )
  await write(agreements)
  return { dir, file, write }
}

const abcAgreements: AgreementSpec[] = [
  { id: 'ab', systems: ['alpha', 'bravo'], categories: every },
  { id: 'ac', systems: ['alpha', 'charlie'], categories: ['status', 'groups'] }
]

async function topicsCli(command: 'plan' | 'apply', ns: string, file: string, ...extra: string[]): Promise<CliRun> {
  const info = await testStack()
  return acmgw(['topics', command, '--stack', info.dir, '--namespace', ns, '--agreements', file, ...extra])
}

function jsonPlan(run: CliRun): TopicsPlan {
  return JSON.parse(run.out) as TopicsPlan
}

/** ACL changes reach the authorizer (and describeAcls) a moment after createAcls / deleteAcls return. */
async function eventually<T>(action: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await action()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await sleep(200)
    }
  }
}

function aclEntry(acl: AclBinding) {
  return {
    resourceType: acl.resourceType === 'GROUP' ? AclResourceTypes.GROUP : AclResourceTypes.TOPIC,
    resourceName: acl.resourceName,
    resourcePatternType: ResourcePatternTypes.LITERAL,
    principal: acl.principal,
    host: '*',
    operation: acl.operation === 'WRITE' ? AclOperationTypes.WRITE : AclOperationTypes.READ,
    permissionType: AclPermissionTypes.ALLOW
  }
}

function literal(resourceName: string, principal: string, operation: 'READ' | 'WRITE'): AclBinding {
  return {
    resourceType: 'TOPIC',
    resourceName,
    patternType: 'LITERAL',
    principal,
    host: '*',
    operation,
    permission: 'ALLOW'
  }
}

// ---- probes: one real client per principal, each cell tried once ----------------------------------------

type Operation = 'describe' | 'write' | 'read' | 'join'
type Outcome = 'allowed' | 'refused' | `error: ${string}`

interface Principal {
  name: string
  /** User:acmgw.<id>, or undefined for the admin (a super user by broker configuration). */
  principal: string | undefined
  kafka: Kafka
  admin: Admin
  producer: Producer
  /** Whether it could start an idempotent producer (InitProducerId) without any cluster ACL. */
  idempotentProducer: Outcome
  /** The group its combined read probe uses: its own inbound group. */
  readGroup: string
  /** Groups of single read probes, one each so they can run side by side: its own `state.` family. */
  probeGroup: (n: number) => string
}

function refusedOrError(error: unknown, what: string): Outcome {
  const classified = classifyKafkaError(error, what)
  if (classified.code === 'ACMGW_KAFKA_NOT_AUTHORIZED') return 'refused'
  return `error: ${classified.message}`
}

/** Generous: on a busy 2-core machine a group join can take seconds. A probe that times out is a failed cell. */
const probeTimeoutMs = 60_000

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no outcome within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

async function probeDescribe(p: Principal, topic: string): Promise<Outcome> {
  try {
    await p.admin.fetchTopicMetadata({ topics: [topic] })
    return 'allowed'
  } catch (error) {
    return refusedOrError(error, `describe ${topic} as ${p.name}`)
  }
}

async function probeWrite(p: Principal, topic: string): Promise<Outcome> {
  try {
    await p.producer.send({ topic, acks: -1, messages: [{ key: `probe-${p.name}`, value: `written by ${p.name}` }] })
    return 'allowed'
  } catch (error) {
    return refusedOrError(error, `write ${topic} as ${p.name}`)
  }
}

function consumerOf(p: Principal, groupId: string): Consumer {
  return p.kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    // A short fetch wait: disconnect waits for the fetch in flight.
    maxWaitTimeInMs: 50,
    // Retries cover a rejoin while the group settles after the previous probe left it; refusals are not
    // retriable in kafkajs, and FindCoordinator is not retried at all (the client has retries 0).
    retry: { retries: 3, restartOnFailure: async () => false }
  })
}

/**
 * Reads `topics` in the principal's group until one record of each has arrived (allowed) or the consumer fails
 * (refused when the failure is an authorisation error).
 */
async function probeRead(p: Principal, topics: readonly string[], group: string): Promise<Outcome> {
  const what = `read ${topics.join(',')} as ${p.name} in ${group}`
  const consumer = consumerOf(p, group)
  try {
    const pending = new Set(topics)
    let settle: (outcome: Outcome) => void = () => undefined
    const outcome = new Promise<Outcome>((resolve) => (settle = resolve))
    consumer.on(consumer.events.CRASH, (e) => settle(refusedOrError(e.payload.error, what)))
    await consumer.connect()
    await consumer.subscribe({ topics: [...topics], fromBeginning: true })
    consumer
      .run({
        autoCommit: false,
        eachMessage: async ({ topic }) => {
          pending.delete(topic)
          if (pending.size === 0) settle('allowed')
        }
      })
      .catch((error: unknown) => settle(refusedOrError(error, what)))
    return await withTimeout(outcome, probeTimeoutMs, what)
  } catch (error) {
    return refusedOrError(error, what)
  } finally {
    await consumer.disconnect().catch(() => undefined)
  }
}

/**
 * Joins `group` with an empty subscription, so that only the group's own ACLs are tested. kafkajs reports a
 * refused FindCoordinator (no DESCRIBE on the group) as KafkaJSGroupCoordinatorNotFound; those refusals are
 * confirmed against the broker's authorizer log afterwards.
 */
async function probeJoin(p: Principal, group: string): Promise<Outcome> {
  const what = `join ${group} as ${p.name}`
  const consumer = consumerOf(p, group)
  try {
    let settle: (outcome: Outcome) => void = () => undefined
    const outcome = new Promise<Outcome>((resolve) => (settle = resolve))
    consumer.on(consumer.events.GROUP_JOIN, () => settle('allowed'))
    consumer.on(consumer.events.CRASH, (e) => {
      const error = e.payload.error
      settle(error.name === 'KafkaJSGroupCoordinatorNotFound' ? 'refused' : refusedOrError(error, what))
    })
    await consumer.connect()
    await consumer.subscribe({ topics: [/^$/] })
    consumer.run({ eachMessage: async () => undefined }).catch((error: unknown) => settle(refusedOrError(error, what)))
    return await withTimeout(outcome, probeTimeoutMs, what)
  } catch (error) {
    return refusedOrError(error, what)
  } finally {
    await consumer.disconnect().catch(() => undefined)
  }
}

async function principalClient(t: TestContext, name: string, endpoint: KafkaEndpoint, ns: string): Promise<Principal> {
  const kafka = await kafkaFor(endpoint, { retries: 0 })
  const admin = kafka.admin()
  // Idempotent like the gateway's own producer: proves WRITE on a topic alone authorises it (KAFKA-10619).
  let producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 1 } })
  t.after(async () => {
    await producer.disconnect().catch(() => undefined)
    await admin.disconnect().catch(() => undefined)
  })
  await admin.connect()
  let idempotentProducer: Outcome
  try {
    await producer.connect() // InitProducerId: refused to a principal that may write nowhere
    idempotentProducer = 'allowed'
  } catch (error) {
    idempotentProducer = refusedOrError(error, `start an idempotent producer as ${name}`)
    await producer.disconnect().catch(() => undefined)
    // Its topic writes are still probed one by one, with a plain producer.
    producer = kafka.producer({ retry: { retries: 0 } })
    await producer.connect()
  }
  const id = name === 'admin' ? 'admin-probe' : name
  return {
    name,
    principal: name === 'admin' ? undefined : `User:acmgw.${name}`,
    kafka,
    admin,
    producer,
    idempotentProducer,
    readGroup: `${ns}.acmgw.${id}`,
    probeGroup: (n) => `${ns}.acmgw.${id}.state.read-${n}`
  }
}

/** Runs `work` over `items`, at most `width` at a time. */
async function inPool<T>(
  items: readonly T[],
  width: number,
  work: (item: T, index: number) => Promise<void>
): Promise<void> {
  let next = 0
  const lane = async () => {
    while (next < items.length) {
      const index = next++
      await work(items[index] as T, index)
    }
  }
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane))
}

/** What the plan grants, read with Kafka's rules: READ or WRITE imply DESCRIBE; a fetch needs READ on the group too. */
function planned(desired: DesiredState, p: Principal, op: Operation, resource: string, group = p.readGroup): boolean {
  if (p.principal === undefined) return true // the admin is a super user (broker configuration), above every ACL
  const mine = desired.acls.filter((a) => a.principal === p.principal)
  const onTopic = (ops: string[]) =>
    mine.some((a) => a.resourceType === 'TOPIC' && a.resourceName === resource && ops.includes(a.operation))
  const onGroup = (group: string) =>
    mine.some(
      (a) =>
        a.resourceType === 'GROUP' &&
        a.operation === 'READ' &&
        (a.patternType === 'LITERAL' ? a.resourceName === group : group.startsWith(a.resourceName))
    )
  switch (op) {
    case 'describe':
      return onTopic(['DESCRIBE', 'READ', 'WRITE'])
    case 'write':
      return onTopic(['WRITE'])
    case 'read':
      return onTopic(['READ']) && onGroup(group)
    case 'join':
      return onGroup(resource)
  }
}

async function brokerLog(): Promise<string | undefined> {
  const info = await testStack()
  return info.mode === 'local' ? readFile(join(info.dir, 'kafka', 'broker.log'), 'utf8') : undefined
}

// ---- the tests -------------------------------------------------------------------------------------------

describe('acmgw topics against the real broker', () => {
  test('plan on an empty cluster lists everything, apply creates it, a second plan reports no drift', async (t) => {
    const ns = uniqueName('pa')
    const { file } = await interconnectionFile(['alpha', 'bravo', 'charlie'], abcAgreements)

    const first = await topicsCli('plan', ns, file, '--json')
    assert.equal(first.code, 2, first.err)
    assert.equal(first.err, '', 'drift is the outcome, not an error: the plan says it all')
    const plan = jsonPlan(first)
    assert.equal(plan.topicsToCreate.length, 24)
    assert.equal(plan.aclsToAdd.length, 99)
    assert.equal(plan.desired.acls, 99)
    assert.deepEqual([plan.topicsToAlter, plan.aclsToRemove, plan.conflicts, plan.topicsRetained], [[], [], [], []])
    assert.ok(plan.topicsToCreate.every((topic) => topic.name.startsWith(`${ns}.acm.`)))

    const text = await topicsCli('plan', ns, file)
    assert.equal(text.code, 2)
    assert.match(text.out, /\ntopics to create \(24\)\n/)
    assert.match(text.out, /\nACLs to add \(99\)\n/)
    assert.match(
      text.out,
      /\ndrift: 123 change\(s\): 24 topic\(s\) to create, 0 to alter, 0 to delete; 99 ACL\(s\) to add, 0 to remove$/
    )

    const applied = await topicsCli('apply', ns, file)
    assert.equal(applied.code, 0, applied.err)
    assert.match(applied.out, /applied 123 change\(s\); the cluster matches/)

    const second = await topicsCli('plan', ns, file)
    assert.equal(second.code, 0, second.err)
    assert.match(second.out, /no drift: the cluster matches the templates and agreements$/)
    const again = await topicsCli('apply', ns, file, '--json')
    assert.equal(again.code, 0)
    assert.equal((JSON.parse(again.out) as { changes: number }).changes, 0, 'apply is idempotent')

    // What the broker holds is what the templates say.
    const admin = await connectedAdmin(t)
    const status = `${ns}.acm.alpha.bravo.status`
    const described = await admin.describeConfigs({
      resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: status }],
      includeSynonyms: false
    })
    const config = Object.fromEntries(
      described.resources[0]?.configEntries.map((e) => [e.configName, e.configValue]) ?? []
    )
    assert.equal(config['cleanup.policy'], 'compact')
    assert.equal(config['min.insync.replicas'], '1')
    const metadata = await admin.fetchTopicMetadata({ topics: [`${ns}.acm.alpha.bravo.users`] })
    assert.equal(metadata.topics[0]?.partitions.length, 3)
  })

  test('a hand-made ACL or config change is drift, and apply puts it right', async (t) => {
    const ns = uniqueName('hd')
    const { file } = await interconnectionFile(['alpha', 'bravo', 'charlie'], abcAgreements)
    assert.equal((await topicsCli('apply', ns, file)).code, 0)
    const admin = await connectedAdmin(t)

    const users = `${ns}.acm.alpha.bravo.users`
    const status = `${ns}.acm.alpha.bravo.status`
    const extra = literal(users, 'User:acmgw.charlie', 'READ')
    const missing = literal(status, 'User:acmgw.bravo', 'READ')
    await admin.createAcls({ acl: [aclEntry(extra)] })
    await admin.deleteAcls({ filters: [aclEntry(missing)] })
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: kafkajs.ConfigResourceTypes.TOPIC,
          name: `${ns}.acm.bravo.alpha.groups`,
          configEntries: [{ name: 'retention.ms', value: '60000' }]
        }
      ]
    })

    const drift = await eventually(async () => {
      const run = await topicsCli('plan', ns, file, '--json')
      assert.equal(run.code, 2)
      const plan = jsonPlan(run)
      assert.equal(plan.aclsToRemove.length + plan.aclsToAdd.length, 2)
      return plan
    })
    assert.deepEqual(drift.aclsToRemove, [extra])
    assert.deepEqual(
      drift.aclsToAdd.map((a) => [a.principal, a.operation, a.resourceName, a.role]),
      [['User:acmgw.bravo', 'READ', status, 'reader']]
    )
    // The alter replaced every topic-level config with retention.ms alone: all of them come back.
    const alteration = drift.topicsToAlter.find((a) => a.name === `${ns}.acm.bravo.alpha.groups`)
    assert.ok(alteration)
    assert.ok(alteration.configs.some((c) => c.key === 'retention.ms' && c.from === '60000' && c.to === '1209600000'))
    assert.ok(alteration.configs.some((c) => c.key === 'cleanup.policy' && c.from === null && c.to === 'delete'))

    assert.equal((await topicsCli('apply', ns, file)).code, 0)
    const after = await topicsCli('plan', ns, file)
    assert.equal(after.code, 0, after.out)
  })

  test('narrowing removes access to the dropped categories, terminating removes the partner, pruning needs --yes', async (t) => {
    const ns = uniqueName('lc')
    const { file, write } = await interconnectionFile(['alpha', 'bravo', 'charlie'], abcAgreements)
    assert.equal((await topicsCli('apply', ns, file)).code, 0)
    const bravo = await principalClient(t, 'bravo', await gatewayEndpoint('bravo'), ns)
    const users = `${ns}.acm.alpha.bravo.users`
    const status = `${ns}.acm.alpha.bravo.status`
    assert.equal(await probeDescribe(bravo, users), 'allowed')
    assert.equal(await probeWrite(bravo, `${ns}.acm.bravo.alpha.users`), 'allowed')

    await write([{ ...(abcAgreements[0] as AgreementSpec), categories: ['groups'] }, abcAgreements[1] as AgreementSpec])
    const narrowed = jsonPlan(await topicsCli('plan', ns, file, '--json'))
    // users, migration, security: both directions, writer and reader, two operations each.
    assert.equal(narrowed.aclsToRemove.length, 3 * 2 * 4)
    assert.deepEqual(narrowed.aclsToAdd, [])
    assert.equal(narrowed.topicsRetained.length, 6)
    assert.ok(narrowed.aclsToRemove.every((a) => /\.(users|migration|security)$/.test(a.resourceName)))
    assert.equal((await topicsCli('apply', ns, file)).code, 0)
    assert.equal(await probeDescribe(bravo, users), 'refused')
    assert.equal(await probeWrite(bravo, `${ns}.acm.bravo.alpha.migration`), 'refused')
    assert.equal(await probeDescribe(bravo, status), 'allowed', 'the rest of the link stays')

    await write([{ ...(abcAgreements[0] as AgreementSpec), status: 'TERMINATED' }, abcAgreements[1] as AgreementSpec])
    const terminated = jsonPlan(await topicsCli('plan', ns, file, '--json'))
    assert.equal(terminated.aclsToRemove.length, 3 * 2 * 4) // status, groups, responses
    assert.equal(terminated.topicsRetained.length, 12, 'every topic of the link is kept for audit')
    assert.equal((await topicsCli('apply', ns, file)).code, 0)

    const topicAdmin = await openTopicAdmin(adminEndpoint(await testStack()))
    t.after(() => topicAdmin.close())
    const link = new RegExp(`^${ns}\\.acm\\.(alpha\\.bravo|bravo\\.alpha)\\.`)
    const left = (await topicAdmin.describeAcls()).filter((a) => link.test(a.resourceName))
    assert.deepEqual(left, [], 'no ACL of either partner remains on the link')
    assert.equal(await probeDescribe(bravo, status), 'refused')
    assert.equal(await probeWrite(bravo, `${ns}.acm.bravo.alpha.responses`), 'refused')
    const charlie = await principalClient(t, 'charlie', await gatewayEndpoint('charlie'), ns)
    assert.equal(await probeWrite(charlie, `${ns}.acm.charlie.alpha.groups`), 'allowed', 'A–C is untouched')

    const unconfirmed = await topicsCli('apply', ns, file, '--prune')
    assert.equal(unconfirmed.code, 64)
    assert.match(unconfirmed.err, /ACMGW_TOPICS_PRUNE_UNCONFIRMED: nothing applied: --prune would delete 12 topic\(s\)/)
    assert.ok((await topicAdmin.listTopics()).includes(status), 'nothing was deleted')
    const pruned = await topicsCli('apply', ns, file, '--prune', '--yes')
    assert.equal(pruned.code, 0, pruned.err)
    const remaining = await topicAdmin.listTopics()
    assert.ok(!remaining.some((name) => link.test(name)))
    assert.ok(remaining.includes(`${ns}.acm.alpha.charlie.status`))
    assert.equal((await topicsCli('plan', ns, file, '--prune')).code, 0)
  })

  test('partitions grow with the template; fewer partitions is a conflict and nothing is applied', async () => {
    const ns = uniqueName('pt')
    const { dir, file } = await interconnectionFile(
      ['alpha', 'bravo'],
      [{ id: 'ab', systems: ['alpha', 'bravo'], categories: ['status'] }]
    )
    const templates = join(dir, 'templates')
    await cp(defaultTemplatesDir, templates, { recursive: true })
    const topicsYaml = join(templates, 'topics.yaml')
    const shipped = await readFile(topicsYaml, 'utf8')
    assert.equal((await topicsCli('apply', ns, file, '--templates', templates)).code, 0)

    await writeFile(topicsYaml, shipped.replace('  responses: {}', '  responses: { partitions: 5 }'))
    const grow = jsonPlan(await topicsCli('plan', ns, file, '--templates', templates, '--json'))
    assert.deepEqual(
      grow.topicsToAlter.map((a) => [a.name, a.partitions]),
      [
        [`${ns}.acm.alpha.bravo.responses`, { from: 3, to: 5 }],
        [`${ns}.acm.bravo.alpha.responses`, { from: 3, to: 5 }]
      ]
    )
    assert.equal((await topicsCli('apply', ns, file, '--templates', templates)).code, 0)
    assert.equal((await topicsCli('plan', ns, file, '--templates', templates)).code, 0)

    await writeFile(topicsYaml, shipped.replace('  responses: {}', '  responses: { partitions: 2 }'))
    const shrink = await topicsCli('plan', ns, file, '--templates', templates)
    assert.equal(shrink.code, 65)
    assert.match(shrink.out, /\nconflicts: changes this tool will not make \(2\)\n/)
    assert.match(
      shrink.err,
      /ACMGW_TOPICS_CONFLICT: .*has 5 partitions, the template says 2: Kafka cannot remove partitions/s
    )
    const refused = await topicsCli('apply', ns, file, '--templates', templates)
    assert.equal(refused.code, 65)
    assert.match(refused.err, /ACMGW_TOPICS_CONFLICT: nothing applied/)
  })

  test('clear errors: an identity without admin rights, a cluster that cannot be reached', async () => {
    const info = await testStack()
    const ns = uniqueName('er')
    const { file } = await interconnectionFile(['alpha'], [])
    const alpha = info.pki.gateways.alpha
    assert.ok(alpha)
    const asGateway = await acmgw([
      'topics',
      'plan',
      '--agreements',
      file,
      '--namespace',
      ns,
      '--bootstrap',
      info.bootstrapServers.join(','),
      '--ca',
      alpha.caFile,
      '--cert',
      alpha.certFile,
      '--key',
      alpha.keyFile
    ])
    assert.equal(asGateway.code, 77)
    assert.match(
      asGateway.err,
      /ACMGW_KAFKA_NOT_AUTHORIZED: describe ACLs at .*: the broker refused it \(CLUSTER_AUTHORIZATION_FAILED\); acmgw topics needs the cluster admin identity/
    )

    const closed = await freePort()
    const unreachable = await acmgw([
      'topics',
      'plan',
      '--agreements',
      file,
      '--bootstrap',
      `127.0.0.1:${closed}`,
      '--ca',
      info.pki.admin.caFile,
      '--cert',
      info.pki.admin.certFile,
      '--key',
      info.pki.admin.keyFile
    ])
    assert.equal(unreachable.code, 69)
    assert.match(unreachable.err, /ACMGW_KAFKA_UNREACHABLE: connect at 127\.0\.0\.1:\d+: .*ECONNREFUSED/)
  })

  test('the deny matrix: every principal × topic × operation and every group join, as planned and no more', async (t) => {
    const started = Date.now()
    const info = await testStack()
    const ns = uniqueName('dm')
    const { file } = await interconnectionFile(['alpha', 'bravo', 'charlie'], abcAgreements)
    const desired = desiredState(
      await loadTemplates(defaultTemplatesDir, process.cwd()),
      await loadInterconnection(file, process.cwd()),
      {
        namespace: ns,
        replicationFactor: 1
      }
    )
    const topicAdmin = await openTopicAdmin(adminEndpoint(info))
    t.after(() => topicAdmin.close())
    const plan = await planCluster(topicAdmin, desired)
    await applyPlan(topicAdmin, desired, plan)

    const principals = [
      await principalClient(t, 'admin', adminEndpoint(info), ns),
      ...(await Promise.all(
        ['alpha', 'bravo', 'charlie', 'nobody'].map(async (id) => principalClient(t, id, await gatewayEndpoint(id), ns))
      ))
    ]
    const topics = desired.topics.map((topic) => topic.name)
    const groups = ['alpha', 'bravo', 'charlie', 'nobody'].flatMap((id) => [
      `${ns}.acmgw.${id}`,
      `${ns}.acmgw.${id}.local`,
      `${ns}.acmgw.${id}.state.probe`
    ])
    const cells: { principal: Principal; op: Operation; resource: string; expected: boolean; outcome?: Outcome }[] = []
    for (const principal of principals) {
      for (const op of ['write', 'describe', 'read'] as const) {
        for (const resource of topics)
          cells.push({ principal, op, resource, expected: planned(desired, principal, op, resource) })
      }
      for (const resource of groups)
        cells.push({ principal, op: 'join', resource, expected: planned(desired, principal, 'join', resource) })
    }

    // The coordinator must be up before a refused FindCoordinator can be told from a missing coordinator.
    assert.equal(
      await eventually(async () => {
        const outcome = await probeJoin(principals[0] as Principal, `${ns}.acmgw.warm-up`)
        assert.equal(outcome, 'allowed')
        return outcome
      }, 30_000),
      'allowed'
    )

    const timings: string[] = []
    const phase = async (name: string, run: (p: Principal) => Promise<void>) => {
      const from = Date.now()
      // Principals probe side by side: each has its own clients and groups.
      await Promise.all(principals.map(run))
      timings.push(`${name} ${((Date.now() - from) / 1000).toFixed(1)} s`)
    }
    const mine = (p: Principal, op: Operation) => cells.filter((c) => c.principal === p && c.op === op)
    // Writes first, so that every topic holds records for the read probes (the admin writes everywhere).
    await phase('write', async (p) => {
      for (const cell of mine(p, 'write')) cell.outcome = await probeWrite(p, cell.resource)
    })
    await phase('describe', async (p) => {
      for (const cell of mine(p, 'describe')) cell.outcome = await probeDescribe(p, cell.resource)
    })
    await phase('read', async (p) => {
      // Where the plan allows, one consumer in the gateway's own group reads them all (one record from each);
      // should it fail, every topic is probed alone so that the report names the cell.
      const allowed = mine(p, 'read').filter((c) => c.expected)
      const together =
        allowed.length === 0
          ? 'allowed'
          : await probeRead(
              p,
              allowed.map((c) => c.resource),
              p.readGroup
            )
      const single = together === 'allowed' ? mine(p, 'read').filter((c) => !c.expected) : mine(p, 'read')
      if (together === 'allowed') for (const cell of allowed) cell.outcome = 'allowed'
      await inPool(single, 2, async (cell, n) => {
        const group = p.probeGroup(n)
        if (planned(desired, p, 'read', cell.resource, group) !== cell.expected)
          assert.fail(`${group} is not ${p.readGroup}'s equal`)
        cell.outcome = await probeRead(p, [cell.resource], group)
      })
    })
    await phase('join', async (p) => {
      await inPool(mine(p, 'join'), 2, async (cell) => {
        cell.outcome = await probeJoin(p, cell.resource)
      })
    })

    const wrong = cells.filter((c) => c.outcome !== (c.expected ? 'allowed' : 'refused'))
    const allowedCount = cells.filter((c) => c.outcome === 'allowed').length
    const refusedCount = cells.filter((c) => c.outcome === 'refused').length
    const perPrincipal = principals
      .map((p) => `${p.name} ${cells.filter((c) => c.principal === p && c.outcome === 'allowed').length}`)
      .join(', ')
    console.log(
      `deny matrix: ${principals.length} principals × (${topics.length} topics × 3 operations (read, write, describe) + ${groups.length} groups × join) = ${cells.length} cells; ${allowedCount} allowed, ${refusedCount} refused (allowed per principal: ${perPrincipal}); ${wrong.length} differ from the plan; ${((Date.now() - started) / 1000).toFixed(1)} s (${timings.join(', ')})`
    )
    assert.deepEqual(
      wrong.map(
        (c) =>
          `${c.principal.name} ${c.op} ${c.resource}: expected ${c.expected ? 'allowed' : 'refused'}, got ${c.outcome}`
      ),
      []
    )
    assert.equal(cells.length, 5 * (24 * 3 + 12))
    // No IDEMPOTENT_WRITE anywhere: WRITE on one topic is what lets a gateway start an idempotent producer.
    assert.deepEqual(
      principals.map((p) => [p.name, p.idempotentProducer]),
      [
        ['admin', 'allowed'],
        ['alpha', 'allowed'],
        ['bravo', 'allowed'],
        ['charlie', 'allowed'],
        ['nobody', 'refused']
      ]
    )

    // The plan's grants, counted by hand from the agreements (A–B: 6 categories, A–C: 3, two private topics
    // and three groups each): describe / write / read / join.
    const expectedAllowed = {
      admin: 24 * 3 + 12,
      alpha: 20 + 11 + 11 + 3,
      bravo: 14 + 8 + 8 + 3,
      charlie: 8 + 5 + 5 + 3,
      nobody: 0
    }
    for (const p of principals) {
      assert.equal(
        cells.filter((c) => c.principal === p && c.outcome === 'allowed').length,
        expectedAllowed[p.name as keyof typeof expectedAllowed],
        p.name
      )
    }

    // Refused joins surface in kafkajs only as "coordinator not found": the broker's authorizer says why.
    const log = await brokerLog()
    if (log !== undefined) {
      const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      for (const cell of cells.filter((c) => c.op === 'join' && c.outcome === 'refused')) {
        const denial = new RegExp(
          `Principal = ${escape(cell.principal.principal ?? '')} is Denied operation = (DESCRIBE|READ) .*resource = Group:LITERAL:${escape(cell.resource)} `
        )
        assert.match(log, denial, `no authorizer denial logged for ${cell.principal.name} joining ${cell.resource}`)
      }
    }
  })
})
