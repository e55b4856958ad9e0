/**
 * The real broker the product relies on: KRaft, SSL listener requiring client certificates, StandardAuthorizer
 * with allow.everyone.if.no.acl.found=false. Proves that kafkajs 2.2.4 works against it for every admin call
 * the product uses, that ACLs are the only way in, and that certificates outside our CA cannot connect.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, test, type TestContext } from 'node:test'
import kafkajs, { type Admin, type Consumer } from 'kafkajs'
import { adminEndpoint } from '../../src/devstack/stack.ts'
import { classifyKafkaError, describeCluster, loadTlsOptions } from '../../src/kafka/client.ts'
import { initPki, gatewayTlsFiles } from '../../src/pki/store.ts'
import { gatewayPrincipal } from '../../src/identity/names.ts'
import { connectedAdmin, gatewayEndpoint, kafkaFor, testStack, uniqueName } from '../helpers/stack.ts'

// kafkajs is CommonJS: its enums are reachable only through the default export.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } = kafkajs
type AclOperation = (typeof AclOperationTypes)[keyof typeof AclOperationTypes]
type AclResource = (typeof AclResourceTypes)[keyof typeof AclResourceTypes]

type AclSpec = { resourceType: AclResource; name: string; principal: string; operation: AclOperation }

function acl(spec: AclSpec) {
  return {
    resourceType: spec.resourceType,
    resourceName: spec.name,
    resourcePatternType: ResourcePatternTypes.LITERAL,
    principal: spec.principal,
    host: '*',
    operation: spec.operation,
    permissionType: AclPermissionTypes.ALLOW
  }
}

async function grant(admin: Admin, specs: AclSpec[]): Promise<void> {
  await admin.createAcls({ acl: specs.map(acl) })
}

async function createTopic(admin: Admin, topic: string, partitions = 1): Promise<void> {
  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true }), true)
}

/** ACLs reach the authorizer through the metadata log a moment after createAcls returns. */
async function eventually<T>(action: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await action()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await sleep(250)
    }
  }
}

async function refusal(action: () => Promise<unknown>, what: string): Promise<string> {
  try {
    await action()
  } catch (error) {
    const classified = classifyKafkaError(error, what)
    assert.equal(
      classified.code,
      'ACMGW_KAFKA_NOT_AUTHORIZED',
      `${what}: expected an authorisation error, got ${classified.message}`
    )
    return String(classified.details.kafkaError)
  }
  assert.fail(`${what} was allowed`)
}

/** The broker's own record of refusals (kafka.authorizer.logger logs each denial at INFO). */
async function brokerLog(): Promise<string> {
  const info = await testStack()
  return info.mode === 'local' ? readFile(join(info.dir, 'kafka', 'broker.log'), 'utf8') : ''
}

function denial(principal: string, operation: string, resource: string): RegExp {
  const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(
    `Principal = ${escaped(principal)} is Denied operation = ${operation} .*resource = ${escaped(resource)}`
  )
}

async function consumerCrash(consumer: Consumer, topic: string): Promise<unknown> {
  const crashed = new Promise<unknown>((resolve) => consumer.on(consumer.events.CRASH, (e) => resolve(e.payload.error)))
  try {
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({ eachMessage: async () => undefined })
  } catch (error) {
    return error
  }
  return crashed
}

describe('the local broker', () => {
  test('kafkajs 2.2.4 performs every admin call the product uses against this Kafka 4 broker', async (t) => {
    const info = await testStack()
    const admin = await connectedAdmin(t)
    const cluster = await describeCluster(adminEndpoint(info))
    assert.equal(cluster.brokers.length, 1)

    const topic = uniqueName('admin-calls')
    const group = uniqueName('admin-calls-group')
    await createTopic(admin, topic, 2)

    const spec: AclSpec = {
      resourceType: AclResourceTypes.TOPIC,
      name: topic,
      principal: gatewayPrincipal('bravo'),
      operation: AclOperationTypes.READ
    }
    await grant(admin, [spec])
    const filter = {
      resourceType: AclResourceTypes.TOPIC,
      resourceName: topic,
      resourcePatternType: ResourcePatternTypes.LITERAL,
      principal: spec.principal,
      host: '*',
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY
    }
    const described = await eventually(async () => {
      const r = await admin.describeAcls(filter)
      assert.equal(r.resources.length, 1)
      return r
    })
    assert.deepEqual(
      described.resources[0]?.acls.map((a) => [a.principal, a.operation]),
      [[spec.principal, AclOperationTypes.READ]]
    )

    // Offsets: produce three records as admin, commit for a group, read both back.
    const producer = (await kafkaFor(adminEndpoint(info))).producer()
    await producer.connect()
    t.after(() => producer.disconnect())
    await producer.send({
      topic,
      messages: [
        { key: 'k', value: 'a' },
        { key: 'k', value: 'b' },
        { key: 'k', value: 'c' }
      ]
    })
    const ends = await admin.fetchTopicOffsets(topic)
    assert.equal(
      ends.reduce((sum, p) => sum + Number(p.high), 0),
      3
    )
    const partitionWithData = ends.find((p) => Number(p.high) === 3)
    assert.ok(partitionWithData, 'one key, one partition')
    await admin.setOffsets({
      groupId: group,
      topic,
      partitions: [{ partition: partitionWithData.partition, offset: '2' }]
    })
    const committed = await admin.fetchOffsets({ groupId: group, topics: [topic] })
    assert.equal(committed[0]?.partitions.find((p) => p.partition === partitionWithData.partition)?.offset, '2')
    const groups = await admin.describeGroups([group])
    assert.equal(groups.groups[0]?.groupId, group)
    assert.equal(groups.groups[0]?.state, 'Empty')

    const deleted = await admin.deleteAcls({ filters: [filter] })
    assert.equal(deleted.filterResponses[0]?.matchingAcls.length, 1)
    await eventually(async () => assert.equal((await admin.describeAcls(filter)).resources.length, 0))
  })

  test('an authorised gateway produces and consumes where its ACLs allow, and creates nothing', async (t) => {
    const admin = await connectedAdmin(t)
    const topic = uniqueName('allowed')
    const group = uniqueName('alpha-group')
    await createTopic(admin, topic)
    const principal = gatewayPrincipal('alpha')
    await grant(admin, [
      { resourceType: AclResourceTypes.TOPIC, name: topic, principal, operation: AclOperationTypes.WRITE },
      { resourceType: AclResourceTypes.TOPIC, name: topic, principal, operation: AclOperationTypes.READ },
      { resourceType: AclResourceTypes.GROUP, name: group, principal, operation: AclOperationTypes.READ }
    ])
    const kafka = await kafkaFor(await gatewayEndpoint('alpha'), { retries: 0 })

    const gatewayAdmin = kafka.admin()
    await gatewayAdmin.connect()
    t.after(() => gatewayAdmin.disconnect())
    const createRefusal = await refusal(
      () => gatewayAdmin.createTopics({ topics: [{ topic: uniqueName('self-made') }] }),
      'create a topic as a gateway'
    )
    assert.match(createRefusal, /TOPIC_AUTHORIZATION_FAILED|CLUSTER_AUTHORIZATION_FAILED/)

    const producer = kafka.producer({ allowAutoTopicCreation: true })
    await producer.connect()
    t.after(() => producer.disconnect())
    await eventually(() => producer.send({ topic, acks: -1, messages: [{ key: 'e1', value: 'hello' }] }))
    // Producing to a topic that does not exist does not create it: no CREATE ACL, auto-create off.
    const missing = uniqueName('missing')
    await refusal(() => producer.send({ topic: missing, messages: [{ value: 'x' }] }), 'produce to a missing topic')
    assert.equal((await admin.listTopics()).includes(missing), false)

    const consumer = kafka.consumer({ groupId: group, retry: { retries: 0 } })
    t.after(() => consumer.disconnect())
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    const received = await new Promise<string>((resolve, reject) => {
      consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error))
      consumer.run({ eachMessage: async ({ message }) => resolve(message.value?.toString() ?? '') }).catch(reject)
    })
    assert.equal(received, 'hello')
  })

  test('a principal without ACLs is refused on produce, describe, group join and fetch', async (t) => {
    const admin = await connectedAdmin(t)
    const topic = uniqueName('denied')
    await createTopic(admin, topic)
    const endpoint = await gatewayEndpoint('nobody')
    const kafka = await kafkaFor(endpoint, { retries: 0 })

    const producer = kafka.producer()
    await producer.connect()
    t.after(() => producer.disconnect())
    assert.equal(
      await refusal(() => producer.send({ topic, messages: [{ value: 'x' }] }), 'produce without WRITE'),
      'TOPIC_AUTHORIZATION_FAILED'
    )

    const nobodyAdmin = kafka.admin()
    await nobodyAdmin.connect()
    t.after(() => nobodyAdmin.disconnect())
    assert.equal(
      await refusal(() => nobodyAdmin.fetchTopicMetadata({ topics: [topic] }), 'describe without DESCRIBE'),
      'TOPIC_AUTHORIZATION_FAILED'
    )

    // Group join: the topic may be described, the group may not be used.
    const principal = gatewayPrincipal('nobody')
    const joinTopic = uniqueName('join-denied')
    await createTopic(admin, joinTopic)
    await grant(admin, [
      { resourceType: AclResourceTypes.TOPIC, name: joinTopic, principal, operation: AclOperationTypes.DESCRIBE }
    ])
    await eventually(() => nobodyAdmin.fetchTopicMetadata({ topics: [joinTopic] }))
    const joinGroupId = uniqueName('no-group-acl')
    const joiner = kafka.consumer({ groupId: joinGroupId, retry: { retries: 0 } })
    t.after(() => joiner.disconnect())
    const joinError = await consumerCrash(joiner, joinTopic)
    // kafkajs drops the broker's GROUP_AUTHORIZATION_FAILED from FindCoordinator and reports "coordinator not
    // found" instead; the broker's authorizer log shows what really happened.
    assert.equal((joinError as Error).name, 'KafkaJSGroupCoordinatorNotFound', String(joinError))
    await eventually(async () =>
      assert.match(await brokerLog(), denial(principal, 'DESCRIBE', `Group:LITERAL:${joinGroupId}`))
    )

    // Fetch: group and DESCRIBE allowed, READ on the topic missing.
    const fetchTopic = uniqueName('fetch-denied')
    const fetchGroup = uniqueName('fetch-group')
    await createTopic(admin, fetchTopic)
    await grant(admin, [
      { resourceType: AclResourceTypes.TOPIC, name: fetchTopic, principal, operation: AclOperationTypes.DESCRIBE },
      { resourceType: AclResourceTypes.GROUP, name: fetchGroup, principal, operation: AclOperationTypes.READ }
    ])
    await eventually(() => nobodyAdmin.fetchTopicMetadata({ topics: [fetchTopic] }))
    const fetcher = kafka.consumer({ groupId: fetchGroup, retry: { retries: 0 } })
    t.after(() => fetcher.disconnect())
    const fetchError = await consumerCrash(fetcher, fetchTopic)
    assert.equal(
      classifyKafkaError(fetchError, 'fetch without READ').details.kafkaError,
      'TOPIC_AUTHORIZATION_FAILED',
      String(fetchError)
    )
  })

  test('a client without a certificate, or with one from another CA, cannot connect', async (t: TestContext) => {
    const info = await testStack()
    const refused = async (ssl: Awaited<ReturnType<typeof loadTlsOptions>>, what: string) => {
      const kafka = new Kafka({
        clientId: what,
        brokers: info.bootstrapServers,
        ssl,
        retry: { retries: 0 },
        connectionTimeout: 3_000,
        logLevel: logLevel.NOTHING
      })
      const admin = kafka.admin()
      t.after(() => admin.disconnect())
      await assert.rejects(
        async () => {
          await admin.connect()
          await admin.listTopics()
        },
        (error: unknown) => {
          const code = classifyKafkaError(error, what).code
          assert.ok(code === 'ACMGW_KAFKA_TLS_FAILED' || code === 'ACMGW_KAFKA_UNREACHABLE', `${what}: ${code}`)
          return true
        },
        `${what} was let in`
      )
    }
    const ours = await loadTlsOptions(info.pki.admin)
    await refused({ ca: ours.ca }, 'no client certificate')

    const foreignDir = await mkdtemp(join(tmpdir(), 'acmgw-foreign-ca-'))
    await initPki({ dir: foreignDir, systems: ['alpha'], caName: 'someone else CA' })
    const foreign = await loadTlsOptions(gatewayTlsFiles(foreignDir, 'alpha'))
    // Same CN as a real gateway, trusted server CA, but issued by a CA the broker does not trust.
    await refused({ ca: ours.ca, cert: foreign.cert, key: foreign.key }, 'certificate from another CA')
  })
})
