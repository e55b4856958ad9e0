import { resolve } from 'node:path'
import { type Command, InvalidArgumentError, Option } from 'commander'
import { type AclAudit, openAclAudit } from '../../audit/acl.ts'
import { adminEndpoint, readStackInfo } from '../../devstack/stack.ts'
import { GatewayError } from '../../errors.ts'
import type { KafkaEndpoint } from '../../kafka/client.ts'
import { openTopicAdmin } from '../../kafka/admin.ts'
import { applyPlan, conflictError, planCluster } from '../../topics/cluster.ts'
import { desiredState, type DesiredState } from '../../topics/desired.ts'
import { defaultTemplatesDir, loadInterconnection, loadTemplates } from '../../topics/load.ts'
import { assertNamespace } from '../../topics/names.ts'
import { changeCount, renderDesired, renderPlan, type TopicsPlan } from '../../topics/plan.ts'
import { type CliContext, parseList, printJson } from '../context.ts'

interface DesiredFlags {
  agreements: string
  templates: string
  namespace: string
  clusterOf?: string
  replicationFactor?: number
}

interface ConnectionFlags {
  stack?: string
  bootstrap?: string[]
  ca?: string
  cert?: string
  key?: string
}

interface PlanFlags extends DesiredFlags, ConnectionFlags {
  prune: boolean
  json: boolean
}

function replicationFactor(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 32) {
    throw new InvalidArgumentError(`a replication factor is a whole number from 1 to 32, got ${JSON.stringify(value)}`)
  }
  return n
}

function namespace(value: string): string {
  try {
    return assertNamespace(value)
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message)
  }
}

function addDesiredOptions(command: Command): Command {
  return command
    .requiredOption('--agreements <file>', 'interconnection file: the systems and their agreements (YAML)')
    .addOption(
      new Option('--templates <dir>', 'folder with topics.yaml and acls.yaml').default(
        defaultTemplatesDir,
        'the topics/ folder shipped with acmgw'
      )
    )
    .addOption(
      new Option('--namespace <ns>', 'prefix "<ns>." to every topic and group name (deployments sharing a cluster)')
        .argParser(namespace)
        .default('', 'none')
    )
    .option('--cluster-of <id>', "only what lives on this system's own cluster (one cluster per system)")
    .option(
      '--replication-factor <n>',
      'replicas per partition for every topic, instead of the templates (e.g. 1 on a one-broker cluster)',
      replicationFactor
    )
}

function addConnectionOptions(command: Command): Command {
  return command
    .option(
      '--stack <dir>',
      'the local stack started with `acmgw kafka up --dir <dir>` (implies --replication-factor 1)'
    )
    .option('--bootstrap <servers>', 'bootstrap servers, host:port[,host:port]', parseList)
    .option('--ca <file>', 'CA certificate of the brokers, PEM')
    .option('--cert <file>', 'the cluster admin certificate, PEM')
    .option('--key <file>', 'its private key, PEM')
    .option('--prune', 'also delete managed topics that nothing desires any more (apply needs --yes too)', false)
    .option('--json', 'print JSON', false)
}

async function connection(ctx: CliContext, o: ConnectionFlags): Promise<{ endpoint: KafkaEndpoint; stack: boolean }> {
  const direct = [o.bootstrap, o.ca, o.cert, o.key]
  if (o.stack !== undefined) {
    if (direct.some((v) => v !== undefined)) {
      throw new GatewayError('ACMGW_USAGE', 'give either --stack or --bootstrap/--ca/--cert/--key, not both')
    }
    const dir = resolve(ctx.cwd, o.stack)
    const info = await readStackInfo(dir)
    if (info === undefined) {
      throw new GatewayError(
        'ACMGW_STACK_NOT_RUNNING',
        `no local stack in ${dir} (no stack.json); start one with: acmgw kafka up --dir ${o.stack}`
      )
    }
    return { endpoint: adminEndpoint(info), stack: true }
  }
  if (o.bootstrap === undefined || o.ca === undefined || o.cert === undefined || o.key === undefined) {
    throw new GatewayError(
      'ACMGW_USAGE',
      'say which cluster: --stack <dir>, or --bootstrap <host:port> with --ca, --cert and --key of the admin identity'
    )
  }
  return {
    endpoint: {
      brokers: o.bootstrap,
      tls: { caFile: resolve(ctx.cwd, o.ca), certFile: resolve(ctx.cwd, o.cert), keyFile: resolve(ctx.cwd, o.key) },
      clientId: 'acmgw-topics'
    },
    stack: false
  }
}

async function desired(ctx: CliContext, o: DesiredFlags, stack = false): Promise<DesiredState> {
  const [templates, interconnection] = await Promise.all([
    loadTemplates(o.templates, ctx.cwd),
    loadInterconnection(o.agreements, ctx.cwd)
  ])
  // The local stack has one broker; a production replication factor could never be met there.
  const rf = o.replicationFactor ?? (stack ? 1 : undefined)
  return desiredState(templates, interconnection, {
    namespace: o.namespace,
    ...(o.clusterOf === undefined ? {} : { clusterOf: o.clusterOf }),
    ...(rf === undefined ? {} : { replicationFactor: rf })
  })
}

function printPlan(ctx: CliContext, plan: TopicsPlan, json: boolean): void {
  if (json) printJson(ctx, plan)
  else ctx.out(renderPlan(plan))
}

export function registerTopicsCommands(program: Command, ctx: CliContext): void {
  const topics = program
    .command('topics')
    .description(
      'partner topics and ACLs as code: plan, apply, drift (templates in topics/, format in topics/README.md)'
    )

  addConnectionOptions(
    addDesiredOptions(
      topics
        .command('plan')
        .description('show what apply would change; exit code 0 without drift, 2 with drift, 65 on a conflict')
    )
  ).action(async (o: PlanFlags) => {
    const { endpoint, stack } = await connection(ctx, o)
    const want = await desired(ctx, o, stack)
    const admin = await openTopicAdmin(endpoint)
    try {
      const plan = await planCluster(admin, want, { prune: o.prune })
      printPlan(ctx, plan, o.json)
      if (plan.conflicts.length > 0) throw conflictError(plan, 'apply would refuse this plan')
      if (plan.drift) {
        throw new GatewayError(
          'ACMGW_TOPICS_DRIFT',
          `drift: ${changeCount(plan)} change(s) to apply (the plan is above)`,
          { details: { changes: changeCount(plan) } }
        )
      }
    } finally {
      await admin.close()
    }
  })

  addConnectionOptions(
    addDesiredOptions(
      topics
        .command('apply')
        .description('make the cluster match the plan, idempotently; never deletes a topic without --prune --yes')
    )
  )
    .addOption(
      new Option('--yes', 'confirm the deletions --prune lists (there is no interactive prompt)').default(false)
    )
    .option('--audit <file>', 'append an audit entry per ACL added or removed to this log (docs/audit.md)')
    .action(async (o: PlanFlags & { yes: boolean; audit?: string }) => {
      const { endpoint, stack } = await connection(ctx, o)
      const want = await desired(ctx, o, stack)
      const admin = await openTopicAdmin(endpoint)
      let audit: AclAudit | undefined
      try {
        // Opened (and verified) before the cluster changes: a log that cannot be continued stops the apply.
        audit = o.audit === undefined ? undefined : await openAclAudit(resolve(ctx.cwd, o.audit))
        const plan = await planCluster(admin, want, { prune: o.prune })
        if (!o.json) ctx.out(renderPlan(plan))
        if (!plan.drift && plan.conflicts.length === 0) {
          if (o.json) printJson(ctx, { applied: plan, changes: 0, settledMs: 0 })
          else ctx.out('nothing to apply')
          return
        }
        const report = await applyPlan(admin, want, plan, { prune: o.prune, yes: o.yes })
        const audited = (await audit?.record(report.applied)) ?? 0
        if (o.json) {
          printJson(ctx, {
            applied: report.applied,
            changes: changeCount(plan),
            settledMs: report.settledMs,
            ...(o.audit === undefined ? {} : { auditEntries: audited })
          })
        } else {
          ctx.out(`applied ${changeCount(plan)} change(s); the cluster matches (seen after ${report.settledMs} ms)`)
          if (o.audit !== undefined) ctx.out(`recorded ${audited} ACL change(s) in ${o.audit}`)
        }
      } finally {
        await admin.close()
        await audit?.close()
      }
    })

  addDesiredOptions(
    topics
      .command('desired')
      .description('print the desired topics and ACLs without asking a cluster')
      .option('--json', 'print JSON', false)
  ).action(async (o: DesiredFlags & { json: boolean }) => {
    const want = await desired(ctx, o)
    if (o.json) {
      printJson(ctx, {
        namespace: want.names.namespace,
        clusterOf: want.clusterOf ?? null,
        topics: want.topics,
        acls: want.acls
      })
      return
    }
    ctx.out(renderDesired(want))
  })
}
