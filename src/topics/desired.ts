/**
 * Desired state: from the templates and the interconnection file, the exact topics and the exact ACLs a cluster
 * must have. Pure. Topic ACLs are always LITERAL; the only PREFIXED ACLs are group grants confined to one
 * system's own groups (`acmgw.<system>.<prefix>`, delimiter-terminated), so no grant can reach another system.
 */
import type { AgreementStatus, TopicCategory } from '../agreements/model.ts'
import { GatewayError } from '../errors.ts'
import { gatewayPrincipal } from '../identity/names.ts'
import type { AclBinding, AclOperation } from '../kafka/admin.ts'
import { type Interconnection, liveLinks } from './interconnection.ts'
import { type Names, names as namesFor } from './names.ts'
import type { Templates, TopicTemplate } from './templates.ts'

export type TopicOwner =
  | {
      kind: 'link'
      from: string
      to: string
      category: TopicCategory
      agreementId: string
      status: AgreementStatus
    }
  | { kind: 'private'; system: string; name: string }

export interface DesiredTopic {
  name: string
  partitions: number
  replicationFactor: number
  configs: Record<string, string>
  owner: TopicOwner
}

export type AclRole = 'writer' | 'reader' | 'owner' | `group:${string}`

export interface DesiredAcl extends AclBinding {
  role: AclRole
  /** The system whose gateway holds the grant. */
  system: string
  /** Why it exists, for the plan: the agreement or the private resource it serves. */
  reason: string
}

export interface DesiredOptions {
  /** Prepended to every topic and group name (see names.ts); default none. */
  namespace?: string
  /** Only what lives on this system's own cluster: topics addressed to it, its private topics and groups. */
  clusterOf?: string
  /** Replaces every template's replication factor; min.insync.replicas is lowered to it where higher. */
  replicationFactor?: number
}

export interface DesiredState {
  names: Names
  clusterOf: string | undefined
  systems: string[]
  topics: DesiredTopic[]
  acls: DesiredAcl[]
}

export function topicConfigs(template: TopicTemplate, minInsyncReplicas: number): Record<string, string> {
  const configs: Record<string, string> = {
    ...template.configs,
    'cleanup.policy': template.cleanupPolicy,
    'min.insync.replicas': String(minInsyncReplicas)
  }
  if (template.cleanupPolicy !== 'compact') configs['retention.ms'] = String(template.retentionMs)
  return Object.fromEntries(Object.entries(configs).sort(([a], [b]) => a.localeCompare(b)))
}

function topicFrom(name: string, template: TopicTemplate, owner: TopicOwner, options: DesiredOptions): DesiredTopic {
  const replicationFactor = options.replicationFactor ?? template.replicationFactor
  const minInsyncReplicas = Math.min(template.minInsyncReplicas, replicationFactor)
  return {
    name,
    partitions: template.partitions,
    replicationFactor,
    configs: topicConfigs(template, minInsyncReplicas),
    owner
  }
}

function grants(
  resourceType: 'TOPIC' | 'GROUP',
  resourceName: string,
  patternType: 'LITERAL' | 'PREFIXED',
  system: string,
  operations: readonly AclOperation[],
  role: AclRole,
  reason: string
): DesiredAcl[] {
  return operations.map((operation) => ({
    resourceType,
    resourceName,
    patternType,
    principal: gatewayPrincipal(system),
    host: '*',
    operation,
    permission: 'ALLOW',
    role,
    system,
    reason
  }))
}

export function aclKey(acl: AclBinding): string {
  return [
    acl.resourceType,
    acl.patternType,
    acl.resourceName,
    acl.principal,
    acl.host,
    acl.operation,
    acl.permission
  ].join('\u0000')
}

/** The property the whole design rests on; checked on every desired state, not only in tests. */
function assertConfined(acl: DesiredAcl, names: Names): void {
  const own = `${names.groupPrefix}${acl.system}`
  const confined =
    acl.patternType === 'LITERAL'
      ? acl.resourceType === 'TOPIC' || acl.resourceName === own || acl.resourceName.startsWith(`${own}.`)
      : acl.resourceType === 'GROUP' && acl.resourceName.startsWith(`${own}.`) && acl.resourceName.endsWith('.')
  if (!confined || acl.resourceName.includes('*')) {
    throw new GatewayError(
      'ACMGW_TOPICS_FILE_INVALID',
      `the templates would grant ${acl.principal} ${acl.patternType} ${acl.resourceType} ${acl.resourceName}, which is not confined to its own resources`
    )
  }
}

export function desiredState(
  templates: Templates,
  interconnection: Interconnection,
  options: DesiredOptions = {}
): DesiredState {
  const names = namesFor(options.namespace ?? '')
  const allSystems = interconnection.systems.map((s) => s.id)
  if (options.clusterOf !== undefined && !allSystems.includes(options.clusterOf)) {
    throw new GatewayError(
      'ACMGW_USAGE',
      `--cluster-of ${options.clusterOf}: no such system in the interconnection file (systems: ${allSystems.join(', ')})`
    )
  }
  const systems = options.clusterOf === undefined ? allSystems : [options.clusterOf]
  const topics: DesiredTopic[] = []
  const acls: DesiredAcl[] = []
  const { link, private: privateGrants, groups } = templates.acls

  for (const l of liveLinks(interconnection)) {
    const [a, b] = l.systems
    for (const [from, to] of [
      [a, b],
      [b, a]
    ] as const) {
      if (options.clusterOf !== undefined && to !== options.clusterOf) continue
      for (const category of l.categories) {
        const name = names.dataTopic(from, to, category)
        const why = `agreement ${l.agreementId}, ${l.status}`
        topics.push(
          topicFrom(
            name,
            templates.categories[category],
            { kind: 'link', from, to, category, agreementId: l.agreementId, status: l.status },
            options
          )
        )
        acls.push(...grants('TOPIC', name, 'LITERAL', from, link.writer, 'writer', why))
        acls.push(...grants('TOPIC', name, 'LITERAL', to, link.reader, 'reader', why))
      }
    }
  }

  for (const system of systems) {
    for (const [privateName, template] of Object.entries(templates.private)) {
      const name = names.privateTopic(system, privateName)
      topics.push(topicFrom(name, template, { kind: 'private', system, name: privateName }, options))
      acls.push(...grants('TOPIC', name, 'LITERAL', system, privateGrants.owner, 'owner', 'private topic'))
    }
    for (const [purpose, grant] of Object.entries(groups)) {
      const base = names.consumerGroup(system)
      const reason = 'consumer group'
      if (grant.prefix !== undefined) {
        acls.push(
          ...grants(
            'GROUP',
            `${base}.${grant.prefix}`,
            'PREFIXED',
            system,
            grant.operations,
            `group:${purpose}`,
            reason
          )
        )
      } else {
        const name = grant.name === undefined || grant.name === '' ? base : `${base}.${grant.name}`
        acls.push(...grants('GROUP', name, 'LITERAL', system, grant.operations, `group:${purpose}`, reason))
      }
    }
  }

  const uniqueAcls = [...new Map(acls.map((acl) => [aclKey(acl), acl])).values()]
  for (const acl of uniqueAcls) assertConfined(acl, names)
  return {
    names,
    clusterOf: options.clusterOf,
    systems,
    topics: topics.sort((x, y) => x.name.localeCompare(y.name)),
    acls: uniqueAcls.sort(compareAcls)
  }
}

export function compareAcls(x: AclBinding, y: AclBinding): number {
  return (
    x.resourceType.localeCompare(y.resourceType) ||
    x.resourceName.localeCompare(y.resourceName) ||
    x.principal.localeCompare(y.principal) ||
    x.operation.localeCompare(y.operation) ||
    x.patternType.localeCompare(y.patternType) ||
    x.permission.localeCompare(y.permission) ||
    x.host.localeCompare(y.host)
  )
}
