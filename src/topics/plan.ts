/**
 * Diff desired vs actual into a plan, and render it. Pure.
 *
 * Managed resources are the topics whose names start with `<ns>acm.` and the groups whose names start with
 * `<ns>acmgw.`: every ACL on them that is not desired is removed, whatever its pattern type or permission;
 * ACLs on anything else are never touched. Wildcard or shorter-prefixed ACLs that also reach managed
 * resources are reported as warnings, since removing them could break whatever else they serve.
 */
import type { AclBinding, TopicState } from '../kafka/admin.ts'
import { aclKey, compareAcls, type DesiredAcl, type DesiredState, type DesiredTopic } from './desired.ts'
import type { Names } from './names.ts'

export interface ActualState {
  /** Managed topics (others may be given; they are ignored). */
  topics: TopicState[]
  /** Every ACL of the cluster. */
  acls: AclBinding[]
  brokers: number
}

export interface ConfigChange {
  key: string
  /** null: not set at topic level (broker default). */
  from: string | null
  to: string | null
}

export interface TopicAlteration {
  name: string
  partitions: { from: number; to: number } | null
  configs: ConfigChange[]
  /** The full topic-level config to send: AlterConfigs replaces the whole set. */
  desiredConfigs: Record<string, string>
}

export interface Conflict {
  resource: string
  message: string
}

export interface PlanWarning {
  message: string
  /** The foreign ACL the warning is about, if any. */
  acl?: AclBinding
  /** The topic the warning is about, if any. */
  topic?: string
}

export interface TopicsPlan {
  namespace: string
  clusterOf: string | null
  prune: boolean
  drift: boolean
  topicsToCreate: DesiredTopic[]
  topicsToAlter: TopicAlteration[]
  /** Managed topics nothing desires any more, deleted by apply only with --prune and --yes. */
  topicsToDelete: string[]
  /** The same topics when --prune is not given: kept for their retention, for audit. */
  topicsRetained: string[]
  aclsToAdd: DesiredAcl[]
  aclsToRemove: AclBinding[]
  conflicts: Conflict[]
  warnings: PlanWarning[]
  desired: { topics: number; acls: number }
}

export function isManagedAcl(acl: AclBinding, names: Names): boolean {
  if (acl.resourceType === 'TOPIC') return acl.resourceName.startsWith(names.topicPrefix)
  if (acl.resourceType === 'GROUP') return acl.resourceName.startsWith(names.groupPrefix)
  return false
}

/** A foreign ACL that nonetheless matches managed resources: `*`, or a prefix shorter than ours. */
function reachesManaged(acl: AclBinding, names: Names): string | undefined {
  const prefix =
    acl.resourceType === 'TOPIC' ? names.topicPrefix : acl.resourceType === 'GROUP' ? names.groupPrefix : undefined
  if (prefix === undefined || isManagedAcl(acl, names)) return undefined
  const kind = acl.resourceType === 'TOPIC' ? 'topic' : 'group'
  if (acl.patternType === 'LITERAL' && acl.resourceName === '*') return `every ${kind} (LITERAL "*")`
  if (acl.patternType === 'PREFIXED' && prefix.startsWith(acl.resourceName)) {
    return `every ${kind} starting with "${acl.resourceName}" (PREFIXED)`
  }
  return undefined
}

/** cleanup.policy is a list; the broker keeps the order it was given. */
function normalise(key: string, value: string): string {
  if (key !== 'cleanup.policy') return value.trim()
  return value
    .split(',')
    .map((s) => s.trim())
    .sort()
    .join(',')
}

function configChanges(desired: Record<string, string>, actual: Record<string, string>): ConfigChange[] {
  const keys = [...new Set([...Object.keys(desired), ...Object.keys(actual)])].sort()
  const changes: ConfigChange[] = []
  for (const key of keys) {
    const want = desired[key]
    const have = actual[key]
    if (want !== undefined && have !== undefined && normalise(key, want) === normalise(key, have)) continue
    changes.push({ key, from: have ?? null, to: want ?? null })
  }
  return changes
}

export interface PlanOptions {
  prune?: boolean
}

export function planChanges(desired: DesiredState, actual: ActualState, options: PlanOptions = {}): TopicsPlan {
  const names = desired.names
  const prune = options.prune === true
  const actualTopics = new Map(
    actual.topics.filter((t) => t.name.startsWith(names.topicPrefix)).map((t) => [t.name, t])
  )
  const desiredNames = new Set(desired.topics.map((t) => t.name))
  const topicsToCreate: DesiredTopic[] = []
  const topicsToAlter: TopicAlteration[] = []
  const conflicts: Conflict[] = []

  for (const topic of desired.topics) {
    const current = actualTopics.get(topic.name)
    if (current === undefined) {
      if (topic.replicationFactor > actual.brokers) {
        conflicts.push({
          resource: topic.name,
          message: `replication factor ${topic.replicationFactor} needs ${topic.replicationFactor} brokers, the cluster has ${actual.brokers} (a development cluster: --replication-factor ${actual.brokers})`
        })
        continue
      }
      topicsToCreate.push(topic)
      continue
    }
    if (current.partitions > topic.partitions) {
      conflicts.push({
        resource: topic.name,
        message: `has ${current.partitions} partitions, the template says ${topic.partitions}: Kafka cannot remove partitions (raise the template, or recreate the topic by hand)`
      })
    }
    if (current.replicationFactor !== topic.replicationFactor) {
      conflicts.push({
        resource: topic.name,
        message: `has replication factor ${current.replicationFactor}, the template says ${topic.replicationFactor}: change it by partition reassignment, not with this tool`
      })
    }
    const partitions = current.partitions < topic.partitions ? { from: current.partitions, to: topic.partitions } : null
    const configs = configChanges(topic.configs, current.configs)
    if (partitions !== null || configs.length > 0) {
      topicsToAlter.push({ name: topic.name, partitions, configs, desiredConfigs: topic.configs })
    }
  }

  const undesired = [...actualTopics.keys()].filter((name) => !desiredNames.has(name)).sort()

  const desiredAcls = new Map(desired.acls.map((acl) => [aclKey(acl), acl]))
  const managedActual = actual.acls.filter((acl) => isManagedAcl(acl, names))
  const actualKeys = new Set(managedActual.map(aclKey))
  const aclsToAdd = desired.acls.filter((acl) => !actualKeys.has(aclKey(acl)))
  const aclsToRemove = [...new Map(managedActual.map((acl) => [aclKey(acl), acl])).values()]
    .filter((acl) => !desiredAcls.has(aclKey(acl)))
    .sort(compareAcls)

  const warnings: PlanWarning[] = topicsToAlter.flatMap((alteration) =>
    alteration.partitions === null
      ? []
      : [
          {
            topic: alteration.name,
            message: `${alteration.name}: more partitions move keys to other partitions, so per-entity order is not kept across the change and a compacted topic keeps a stale latest value for moved keys; do it while the link is quiet`
          }
        ]
  )
  warnings.push(
    ...actual.acls.flatMap((acl) => {
      const reach = reachesManaged(acl, names)
      if (reach === undefined) return []
      return [
        {
          acl,
          message: `${acl.permission} ${acl.principal} ${acl.operation} on ${reach} also covers the managed resources; this tool does not remove it`
        }
      ]
    })
  )

  const plan: Omit<TopicsPlan, 'drift'> = {
    namespace: names.namespace,
    clusterOf: desired.clusterOf ?? null,
    prune,
    topicsToCreate,
    topicsToAlter,
    topicsToDelete: prune ? undesired : [],
    topicsRetained: prune ? [] : undesired,
    aclsToAdd,
    aclsToRemove,
    conflicts,
    warnings,
    desired: { topics: desired.topics.length, acls: desired.acls.length }
  }
  return { ...plan, drift: changeCount(plan) > 0 }
}

/** What apply would change; a plan with none has no drift. */
export function changeCount(
  plan: Pick<TopicsPlan, 'topicsToCreate' | 'topicsToAlter' | 'topicsToDelete' | 'aclsToAdd' | 'aclsToRemove'>
): number {
  return (
    plan.topicsToCreate.length +
    plan.topicsToAlter.length +
    plan.topicsToDelete.length +
    plan.aclsToAdd.length +
    plan.aclsToRemove.length
  )
}

function table(rows: string[][], indent = '  '): string[] {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)))
  return rows.map((row) =>
    (indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')).trimEnd()
  )
}

function section(title: string, count: number, rows: string[][]): string[] {
  if (count === 0) return []
  return ['', `${title} (${count})`, ...table(rows)]
}

function aclRow(mark: string, acl: AclBinding): string[] {
  const pattern = acl.patternType === 'LITERAL' ? '' : ` (${acl.patternType})`
  return [
    mark,
    acl.permission,
    acl.principal,
    acl.operation,
    acl.resourceType.toLowerCase(),
    `${acl.resourceName}${pattern}${acl.host === '*' ? '' : ` from host ${acl.host}`}`
  ]
}

function configText(configs: Record<string, string>): string {
  return Object.entries(configs)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')
}

/** The plan as a person reads it: one section per kind of change, one aligned row per change. */
export function renderPlan(plan: TopicsPlan): string {
  const scope = plan.clusterOf === null ? 'shared cluster' : `cluster of ${plan.clusterOf}`
  const lines = [
    `topics and ACLs plan: namespace ${plan.namespace === '' ? '(none)' : plan.namespace}, ${scope}; desired ${plan.desired.topics} topics and ${plan.desired.acls} ACLs`
  ]
  lines.push(
    ...section(
      'topics to create',
      plan.topicsToCreate.length,
      plan.topicsToCreate.map((t) => [
        '+',
        t.name,
        `partitions ${t.partitions}`,
        `replicas ${t.replicationFactor}`,
        configText(t.configs)
      ])
    ),
    ...section(
      'topics to alter',
      plan.topicsToAlter.length,
      plan.topicsToAlter.map((t) => [
        '~',
        t.name,
        [
          ...(t.partitions === null ? [] : [`partitions ${t.partitions.from} → ${t.partitions.to}`]),
          ...t.configs.map((c) => `${c.key} ${c.from ?? '(default)'} → ${c.to ?? '(default)'}`)
        ].join('; ')
      ])
    ),
    ...section(
      'ACLs to add',
      plan.aclsToAdd.length,
      plan.aclsToAdd.map((acl) => [...aclRow('+', acl), `(${acl.role}, ${acl.reason})`])
    ),
    ...section(
      'ACLs to remove',
      plan.aclsToRemove.length,
      plan.aclsToRemove.map((acl) => aclRow('-', acl))
    ),
    ...section(
      'topics to delete (--prune --yes)',
      plan.topicsToDelete.length,
      plan.topicsToDelete.map((name) => ['-', name])
    ),
    ...section(
      'topics no longer desired, kept for their retention (--prune --yes deletes them)',
      plan.topicsRetained.length,
      plan.topicsRetained.map((name) => ['=', name])
    ),
    ...section(
      'conflicts: changes this tool will not make',
      plan.conflicts.length,
      plan.conflicts.map((c) => ['!', c.resource, c.message])
    ),
    ...section(
      'warnings',
      plan.warnings.length,
      plan.warnings.map((w) => ['?', w.message])
    ),
    ''
  )
  const changes = changeCount(plan)
  lines.push(
    changes === 0
      ? 'no drift: the cluster matches the templates and agreements'
      : `drift: ${changes} change(s): ${plan.topicsToCreate.length} topic(s) to create, ${plan.topicsToAlter.length} to alter, ${plan.topicsToDelete.length} to delete; ${plan.aclsToAdd.length} ACL(s) to add, ${plan.aclsToRemove.length} to remove`
  )
  return lines.join('\n')
}

/** The desired state alone, for `acmgw topics desired`: every topic and every grant, with the reason. */
export function renderDesired(desired: DesiredState): string {
  const scope = desired.clusterOf === undefined ? 'shared cluster' : `cluster of ${desired.clusterOf}`
  const namespace = desired.names.namespace === '' ? '(none)' : desired.names.namespace
  return [
    `desired topics and ACLs: namespace ${namespace}, ${scope}`,
    ...section(
      'topics',
      desired.topics.length,
      desired.topics.map((t) => [
        t.name,
        `partitions ${t.partitions}`,
        `replicas ${t.replicationFactor}`,
        configText(t.configs)
      ])
    ),
    ...section(
      'ACLs',
      desired.acls.length,
      desired.acls.map((acl) => [...aclRow('', acl).slice(1), `(${acl.role}, ${acl.reason})`])
    )
  ].join('\n')
}
