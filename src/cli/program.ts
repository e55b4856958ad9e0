import { Command, CommanderError } from 'commander'
import { GatewayError } from '../errors.ts'
import type { CliContext } from './context.ts'
import { registerDemoCommand } from './commands/demo.ts'
import { registerKafkaCommands } from './commands/kafka.ts'
import { registerPkiCommands } from './commands/pki.ts'
import { registerTopicsCommands } from './commands/topics.ts'
import { registerAgreementsCommands } from './commands/agreements.ts'
import { registerDlqCommands } from './commands/dlq.ts'
import { registerPendingCommands } from './commands/pending.ts'
import { registerSendCommand } from './commands/send.ts'
import { registerTraceCommand } from './commands/trace.ts'
import { registerSchemasCommands } from './commands/schemas.ts'
import { registerRunCommand } from './commands/run.ts'
import { registerAuditCommands } from './commands/audit.ts'
import { registerLagCommand } from './commands/lag.ts'

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('acmgw')
    .description('MCX ACM gateway: 3GPP administrative configuration exchange over mutual-TLS Kafka')
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.out(s.trimEnd()), writeErr: (s) => ctx.err(s.trimEnd()) })
    .showHelpAfterError('(add --help for usage)')
  registerPkiCommands(program, ctx)
  registerKafkaCommands(program, ctx)
  registerTopicsCommands(program, ctx)
  registerSchemasCommands(program, ctx)
  registerDemoCommand(program, ctx)
  registerSendCommand(program, ctx)
  registerTraceCommand(program, ctx)
  registerPendingCommands(program, ctx)
  registerDlqCommands(program, ctx)
  registerAgreementsCommands(program, ctx)
  registerRunCommand(program, ctx)
  registerAuditCommands(program, ctx)
  registerLagCommand(program, ctx)
  for (const command of program.commands) command.exitOverride()
  return program
}

/** Runs one command line; returns the process exit code. Errors are printed with their stable code. */
export async function runCli(argv: readonly string[], ctx: CliContext): Promise<number> {
  try {
    await buildProgram(ctx).parseAsync([...argv], { from: 'user' })
    return 0
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" to commander; they already printed.
      return error.exitCode === 0 ? 0 : 64
    }
    if (GatewayError.is(error)) {
      // Exit statuses below 64 are outcomes a command already reported (e.g. `topics plan` found drift: 2).
      if (error.exitCode >= 64) ctx.err(`error ${error.code}: ${error.message}`)
      return error.exitCode
    }
    ctx.err(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
    return 70
  }
}
