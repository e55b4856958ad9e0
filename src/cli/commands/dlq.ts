import type { Command } from 'commander'
import { type CliContext, printJson } from '../context.ts'
import { connect, type GatewayConnectionOptions, withGatewayOptions } from './gateway-client.ts'
import { formatDeadLetter, formatDeadLetters } from './gateway-output.ts'

type Options = GatewayConnectionOptions & { json: boolean }

export function registerDlqCommands(program: Command, ctx: CliContext): void {
  const dlq = program.command('dlq').description('dead letters: records that could not be processed')
  const json = ['--json', 'print the API answer as JSON', false] as const

  withGatewayOptions(
    dlq
      .command('list')
      .description('every dead letter with reason, time and origin')
      .option(...json),
    ctx
  ).action(async (o: Options) => {
    const letters = await (await connect(ctx, o)).deadLetters()
    if (o.json) return printJson(ctx, letters)
    ctx.out(formatDeadLetters(letters))
  })

  withGatewayOptions(
    dlq
      .command('show')
      .description('one dead letter')
      .argument('<id>')
      .option(...json),
    ctx
  ).action(async (id: string, o: Options) => {
    const letter = await (await connect(ctx, o)).deadLetter(id)
    if (o.json) return printJson(ctx, letter)
    ctx.out(formatDeadLetter(letter))
  })

  withGatewayOptions(
    dlq
      .command('redrive')
      .description('process a dead letter again')
      .argument('<id>')
      .option(...json),
    ctx
  ).action(async (id: string, o: Options) => {
    const result = await (await connect(ctx, o)).redrive(id)
    if (o.json) return printJson(ctx, result)
    ctx.out(`${result.redriven ? 'redriven' : 'not redriven'} ${id}: ${result.detail}`)
  })
}
