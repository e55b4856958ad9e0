/**
 * The I/O edge: read the cluster's actual topics and ACLs through the admin port, apply a plan, and wait until
 * the cluster shows the result (ACL changes reach the authorizer through the metadata log a moment later).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { GatewayError } from '../errors.ts'
import type { TopicAdmin } from '../kafka/admin.ts'
import type { DesiredState } from './desired.ts'
import { type ActualState, changeCount, planChanges, type PlanOptions, type TopicsPlan } from './plan.ts'

const adminRights =
  'acmgw topics needs the cluster admin identity (a super user, or DESCRIBE and ALTER on the cluster plus CREATE, DELETE, DESCRIBE_CONFIGS and ALTER_CONFIGS on the managed topics): pass its --cert and --key'

/** A refusal by the broker gets the hint what identity this command needs. */
async function withRightsHint<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (GatewayError.is(error) && error.code === 'ACMGW_KAFKA_NOT_AUTHORIZED') {
      throw new GatewayError(error.code, `${error.message}; ${adminRights}`, {
        cause: error,
        details: { ...error.details }
      })
    }
    throw error
  }
}

export async function readActual(admin: TopicAdmin, desired: DesiredState): Promise<ActualState> {
  return withRightsHint(async () => {
    // ACLs first: without the right to describe them a listing of topics means nothing (it is silently partial).
    const acls = await admin.describeAcls()
    const brokers = await admin.brokerCount()
    const managed = (await admin.listTopics()).filter((name) => name.startsWith(desired.names.topicPrefix)).sort()
    return { acls, brokers, topics: await admin.describeTopics(managed) }
  })
}

export async function planCluster(
  admin: TopicAdmin,
  desired: DesiredState,
  options: PlanOptions = {}
): Promise<TopicsPlan> {
  return planChanges(desired, await readActual(admin, desired), options)
}

export interface ApplyOptions {
  prune?: boolean
  /** Confirms the deletion of the topics --prune lists. */
  yes?: boolean
  /** How long to wait for the cluster to show every change; default 30 s. */
  settleTimeoutMs?: number
}

export interface ApplyReport {
  applied: TopicsPlan
  /** The plan read back after applying: no drift. */
  after: TopicsPlan
  settledMs: number
}

export function conflictError(plan: TopicsPlan, what: string): GatewayError {
  return new GatewayError(
    'ACMGW_TOPICS_CONFLICT',
    `${what}: the plan has ${plan.conflicts.length} conflict(s):\n${plan.conflicts.map((c) => `  ${c.resource}: ${c.message}`).join('\n')}`,
    { details: { conflicts: plan.conflicts } }
  )
}

export function assertApplicable(plan: TopicsPlan, options: ApplyOptions): void {
  if (plan.conflicts.length > 0) throw conflictError(plan, 'nothing applied')
  if (plan.topicsToDelete.length > 0 && options.yes !== true) {
    throw new GatewayError(
      'ACMGW_TOPICS_PRUNE_UNCONFIRMED',
      `nothing applied: --prune would delete ${plan.topicsToDelete.length} topic(s) and their data (${plan.topicsToDelete.join(', ')}); add --yes to confirm`
    )
  }
}

/**
 * Applies `plan` (computed from `desired` just before) and waits until a fresh plan shows no drift. Grants are
 * revoked first, so that a failure half-way never leaves more access than before.
 */
export async function applyPlan(
  admin: TopicAdmin,
  desired: DesiredState,
  plan: TopicsPlan,
  options: ApplyOptions = {}
): Promise<ApplyReport> {
  assertApplicable(plan, options)
  await withRightsHint(async () => {
    await admin.deleteAcls(plan.aclsToRemove)
    await admin.createTopics(
      plan.topicsToCreate.map((t) => ({
        name: t.name,
        partitions: t.partitions,
        replicationFactor: t.replicationFactor,
        configs: t.configs
      }))
    )
    for (const alteration of plan.topicsToAlter) {
      if (alteration.configs.length > 0) await admin.replaceTopicConfigs(alteration.name, alteration.desiredConfigs)
      if (alteration.partitions !== null) await admin.createPartitions(alteration.name, alteration.partitions.to)
    }
    await admin.createAcls(plan.aclsToAdd)
    await admin.deleteTopics(plan.topicsToDelete)
  })
  const started = Date.now()
  const deadline = started + (options.settleTimeoutMs ?? 30_000)
  for (;;) {
    const after = await planCluster(admin, desired, { prune: options.prune === true })
    if (!after.drift) return { applied: plan, after, settledMs: Date.now() - started }
    if (Date.now() > deadline) {
      throw new GatewayError(
        'ACMGW_TOPICS_APPLY_INCOMPLETE',
        `applied ${changeCount(plan)} change(s), but the cluster still shows ${changeCount(after)} difference(s) after ${options.settleTimeoutMs ?? 30_000} ms; run acmgw topics plan to see them`,
        { details: { remaining: after } }
      )
    }
    await sleep(250)
  }
}
