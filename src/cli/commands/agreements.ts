import type { Command } from 'commander'
import { cooperationActions } from '../../http/schemas.ts'
import { type CliContext, printJson } from '../context.ts'
import { connect, type GatewayConnectionOptions, mcServiceUser, withGatewayOptions } from './gateway-client.ts'
import { formatAgreements, formatReceipt } from './gateway-output.ts'

const actionHelp = {
  propose: 'propose the cooperation to the partner (again)',
  suspend: 'suspend: new requests are rejected with a reason until resumed; the partner is notified',
  resume: 'resume a suspended cooperation; the partner is notified',
  terminate:
    'terminate: migration authorisations, joint group memberships and visiting services are revoked on both sides'
} as const

export function registerAgreementsCommands(program: Command, ctx: CliContext): void {
  const agreements = program.command('agreements').description('cooperation agreements and their lifecycle')

  withGatewayOptions(
    agreements
      .command('list')
      .description('agreements with partners and their status')
      .option('--json', 'print the API answer as JSON', false),
    ctx
  ).action(async (o: GatewayConnectionOptions & { json: boolean }) => {
    const list = await (await connect(ctx, o)).agreements()
    if (o.json) return printJson(ctx, list)
    ctx.out(formatAgreements(list))
  })

  for (const action of cooperationActions) {
    withGatewayOptions(
      agreements
        .command(action)
        .description(actionHelp[action])
        .argument('<agreementId>')
        .requiredOption('--requester <mcServiceId>', 'your MC service ID, carried to the partner')
        .option('--alias <functionalAlias>', 'functional alias you act under')
        .option('--reason <text>', 'why, carried to the partner')
        .option('--json', 'print the API answer as JSON', false),
      ctx
    ).action(
      async (
        id: string,
        o: GatewayConnectionOptions & { requester: string; alias?: string; reason?: string; json: boolean }
      ) => {
        const client = await connect(ctx, o)
        const receipt = await client.changeCooperation(id, action, mcServiceUser(o.requester, o.alias), o.reason)
        if (o.json) return printJson(ctx, receipt)
        ctx.out(`${action} of agreement ${id} sent to the partner\n${formatReceipt(receipt)}`)
      }
    )
  }
}
