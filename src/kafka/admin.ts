/**
 * A narrow admin port for topics and ACLs. It speaks plain data (names, numbers, strings) so that nothing
 * outside src/kafka sees a kafkajs type; every failure comes back as a GatewayError from classifyKafkaError.
 */
import kafkajs, { type Admin, type AclEntry, type AclFilter } from 'kafkajs'
import { classifyKafkaError, createKafkaClient, type KafkaClientOptions, type KafkaEndpoint } from './client.ts'

// kafkajs is CommonJS: its enums are reachable only through the default export.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ConfigResourceTypes, ResourcePatternTypes } = kafkajs

export const aclOperations = [
  'ALL',
  'READ',
  'WRITE',
  'CREATE',
  'DELETE',
  'ALTER',
  'DESCRIBE',
  'CLUSTER_ACTION',
  'DESCRIBE_CONFIGS',
  'ALTER_CONFIGS',
  'IDEMPOTENT_WRITE'
] as const
export type AclOperation = (typeof aclOperations)[number] | 'UNKNOWN'

export const aclResourceTypes = ['TOPIC', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID', 'DELEGATION_TOKEN'] as const
export type AclResourceType = (typeof aclResourceTypes)[number] | 'UNKNOWN'
export type AclPatternType = 'LITERAL' | 'PREFIXED' | 'UNKNOWN'
export type AclPermission = 'ALLOW' | 'DENY' | 'UNKNOWN'

/** One ACL as the broker stores it: a resource pattern plus one (principal, host, operation, permission). */
export interface AclBinding {
  resourceType: AclResourceType
  resourceName: string
  patternType: AclPatternType
  principal: string
  host: string
  operation: AclOperation
  permission: AclPermission
}

export interface TopicState {
  name: string
  partitions: number
  /** The smallest replica count over the topic's partitions. */
  replicationFactor: number
  /** Topic-level overrides only (config source TOPIC_CONFIG); broker defaults are not listed. */
  configs: Record<string, string>
}

export interface NewTopic {
  name: string
  partitions: number
  replicationFactor: number
  configs: Record<string, string>
}

export interface TopicAdmin {
  brokerCount(): Promise<number>
  listTopics(): Promise<string[]>
  describeTopics(names: readonly string[]): Promise<TopicState[]>
  createTopics(topics: readonly NewTopic[]): Promise<void>
  /** Non-incremental, as the AlterConfigs API is: the given set replaces every topic-level override. */
  replaceTopicConfigs(name: string, configs: Record<string, string>): Promise<void>
  createPartitions(name: string, count: number): Promise<void>
  deleteTopics(names: readonly string[]): Promise<void>
  /** Every ACL in the cluster. */
  describeAcls(): Promise<AclBinding[]>
  createAcls(acls: readonly AclBinding[]): Promise<void>
  /** Deletes exactly the given bindings (each filter matches one binding and nothing else). */
  deleteAcls(acls: readonly AclBinding[]): Promise<number>
  close(): Promise<void>
}

type EnumOf<T> = T[keyof T]

function nameOf<T extends Record<string, string | number>>(table: T, value: number): string {
  const entry = Object.entries(table).find(([, v]) => v === value)
  return entry?.[0] ?? 'UNKNOWN'
}

function valueOf<T extends Record<string, string | number>>(table: T, name: string, what: string): EnumOf<T> {
  const value = (table as Record<string, unknown>)[name]
  if (typeof value !== 'number') throw new TypeError(`${what} ${name} has no Kafka protocol value`)
  return value as EnumOf<T>
}

function toEntry(acl: AclBinding): AclEntry {
  return {
    resourceType: valueOf(AclResourceTypes, acl.resourceType, 'ACL resource type'),
    resourceName: acl.resourceName,
    resourcePatternType: valueOf(ResourcePatternTypes, acl.patternType, 'ACL pattern type'),
    principal: acl.principal,
    host: acl.host,
    operation: valueOf(AclOperationTypes, acl.operation, 'ACL operation'),
    permissionType: valueOf(AclPermissionTypes, acl.permission, 'ACL permission')
  }
}

function toFilter(acl: AclBinding): AclFilter {
  return toEntry(acl)
}

/** ConfigSource.TOPIC_CONFIG: a topic-level override (the enum is declared in kafkajs' types only). */
const topicConfigSource = 1

export async function openTopicAdmin(endpoint: KafkaEndpoint, options: KafkaClientOptions = {}): Promise<TopicAdmin> {
  const kafka = await createKafkaClient(endpoint, { retries: 2, ...options })
  const admin: Admin = kafka.admin()
  const at = endpoint.brokers.join(',')
  const guard = async <T>(action: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run()
    } catch (error) {
      throw classifyKafkaError(error, `${action} at ${at}`)
    }
  }
  await guard('connect', () => admin.connect())

  return {
    brokerCount: () => guard('describe the cluster', async () => (await admin.describeCluster()).brokers.length),

    listTopics: () => guard('list topics', () => admin.listTopics()),

    describeTopics: (names) =>
      guard('describe topics', async () => {
        if (names.length === 0) return []
        const metadata = await admin.fetchTopicMetadata({ topics: [...names] })
        const configs = await admin.describeConfigs({
          resources: names.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
          includeSynonyms: false
        })
        const overrides = new Map(
          configs.resources.map((r) => [
            r.resourceName,
            Object.fromEntries(
              r.configEntries
                .filter((e) => Number(e.configSource) === topicConfigSource)
                .map((e) => [e.configName, e.configValue])
            )
          ])
        )
        return metadata.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.length,
          replicationFactor: Math.min(...t.partitions.map((p) => p.replicas.length)),
          configs: overrides.get(t.name) ?? {}
        }))
      }),

    createTopics: (topics) =>
      guard('create topics', async () => {
        if (topics.length === 0) return
        await admin.createTopics({
          waitForLeaders: true,
          topics: topics.map((t) => ({
            topic: t.name,
            numPartitions: t.partitions,
            replicationFactor: t.replicationFactor,
            configEntries: Object.entries(t.configs).map(([name, value]) => ({ name, value }))
          }))
        })
      }),

    replaceTopicConfigs: (name, configs) =>
      guard(`alter the configuration of ${name}`, async () => {
        await admin.alterConfigs({
          validateOnly: false,
          resources: [
            {
              type: ConfigResourceTypes.TOPIC,
              name,
              configEntries: Object.entries(configs).map(([key, value]) => ({ name: key, value }))
            }
          ]
        })
      }),

    createPartitions: (name, count) =>
      guard(`add partitions to ${name}`, async () => {
        await admin.createPartitions({ topicPartitions: [{ topic: name, count }] })
      }),

    deleteTopics: (names) =>
      guard('delete topics', async () => {
        if (names.length > 0) await admin.deleteTopics({ topics: [...names] })
      }),

    describeAcls: () =>
      guard('describe ACLs', async () => {
        const response = await admin.describeAcls({
          resourceType: AclResourceTypes.ANY,
          resourcePatternType: ResourcePatternTypes.ANY,
          operation: AclOperationTypes.ANY,
          permissionType: AclPermissionTypes.ANY
        })
        return response.resources.flatMap((resource) =>
          resource.acls.map((acl): AclBinding => ({
            resourceType: nameOf(AclResourceTypes, resource.resourceType) as AclResourceType,
            resourceName: resource.resourceName,
            patternType: nameOf(ResourcePatternTypes, resource.resourcePatternType) as AclPatternType,
            principal: acl.principal,
            host: acl.host,
            operation: nameOf(AclOperationTypes, acl.operation) as AclOperation,
            permission: nameOf(AclPermissionTypes, acl.permissionType) as AclPermission
          }))
        )
      }),

    createAcls: (acls) =>
      guard('create ACLs', async () => {
        if (acls.length > 0) await admin.createAcls({ acl: acls.map(toEntry) })
      }),

    deleteAcls: (acls) =>
      guard('delete ACLs', async () => {
        if (acls.length === 0) return 0
        const response = await admin.deleteAcls({ filters: acls.map(toFilter) })
        return response.filterResponses.reduce((sum, r) => sum + r.matchingAcls.length, 0)
      }),

    close: () => admin.disconnect().catch(() => undefined)
  }
}
