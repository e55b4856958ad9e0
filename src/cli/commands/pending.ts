import type { Command } from 'commander'
import { type CliContext, printJson } from '../context.ts'
import { connect, type GatewayConnectionOptions, mcServiceUser, withGatewayOptions } from './gateway-client.ts'
import { formatPending, formatPendingList } from './gateway-output.ts'
import type { RequestTrace } from '../../gateway/service.ts'

interface DecisionOptions extends GatewayConnectionOptions {
  approver: string
  alias?: string
  reason?: string
  json: boolean
}

export function registerPendingCommands(program: Command, ctx: CliContext): void {
  const pending = program
    .command('pending')
    .description('inbound requests held for a person: list, show, approve, reject')
  const json = ['--json', 'print the API answer as JSON', false] as const

  withGatewayOptions(
    pending
      .command('list')
      .description('requests waiting for a decision')
      .option(...json),
    ctx
  ).action(async (o: GatewayConnectionOptions & { json: boolean }) => {
    const list = await (await connect(ctx, o)).listPending()
    if (o.json) return printJson(ctx, list)
    ctx.out(formatPendingList(list))
  })

  withGatewayOptions(
    pending
      .command('show')
      .description('one pending request with its fields')
      .argument('<messageId>')
      .option(...json),
    ctx
  ).action(async (id: string, o: GatewayConnectionOptions & { json: boolean }) => {
    const request = await (await connect(ctx, o)).getPending(id)
    if (o.json) return printJson(ctx, request)
    ctx.out(formatPending(request))
  })

  const decided = (verb: string, id: string, trace: RequestTrace) =>
    `${verb} ${id}: the final answer ${trace.outcome ?? '(none yet)'} is ${trace.status === 'answered' ? 'sent' : trace.status}`

  withGatewayOptions(
    pending
      .command('approve')
      .description('approve: apply it and send the signed answer naming you')
      .argument('<messageId>')
      .requiredOption('--approver <mcServiceId>', 'your MC service ID, carried in the signed answer')
      .option('--alias <functionalAlias>', 'functional alias you act under')
      .option('--reason <text>', 'why, carried in the answer')
      .option(...json),
    ctx
  ).action(async (id: string, o: DecisionOptions) => {
    const trace = await (await connect(ctx, o)).approve(id, mcServiceUser(o.approver, o.alias), o.reason)
    if (o.json) return printJson(ctx, trace)
    ctx.out(decided('approved', id, trace))
  })

  withGatewayOptions(
    pending
      .command('reject')
      .description('reject: send the signed answer with your reason')
      .argument('<messageId>')
      .requiredOption('--approver <mcServiceId>', 'your MC service ID, carried in the signed answer')
      .option('--alias <functionalAlias>', 'functional alias you act under')
      .requiredOption('--reason <text>', 'why, carried to the partner (required)')
      .option(...json),
    ctx
  ).action(async (id: string, o: DecisionOptions & { reason: string }) => {
    const trace = await (await connect(ctx, o)).reject(id, mcServiceUser(o.approver, o.alias), o.reason)
    if (o.json) return printJson(ctx, trace)
    ctx.out(decided('rejected', id, trace))
  })
}
