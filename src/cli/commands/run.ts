import { resolve } from 'node:path'
import type { Command } from 'commander'
import { pino } from 'pino'
import { loadConfig } from '../../config/load.ts'
import { startGateway } from '../../gateway/runtime.ts'
import { readTokenFile } from '../../http/auth.ts'
import { buildHttpApp } from '../../http/app.ts'
import { opsEndpoints } from '../../ops/status.ts'
import type { CliContext } from '../context.ts'

export function registerRunCommand(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('run a gateway: consume from partners, serve the HTTP API, until SIGTERM or SIGINT')
    .requiredOption('--config <file>', 'gateway configuration (YAML), see docs/configuration.md')
    .action(async (o: { config: string }) => {
      const config = await loadConfig(resolve(ctx.cwd, o.config))
      // One JSON line per decision on stdout; never payloads or keys (see src/gateway/engine.ts).
      const log = pino({ level: ctx.env.ACMGW_LOG_LEVEL ?? 'info', base: { system: config.system.id } })
      const gateway = await startGateway(config, { log })
      const token = config.http.tokenFile === undefined ? undefined : await readTokenFile(config.http.tokenFile)
      const app = buildHttpApp({
        service: gateway.service,
        token,
        logger: log,
        readiness: () => gateway.ready(),
        ops: opsEndpoints(gateway)
      })
      try {
        const address = await app.listen({ host: config.http.host, port: config.http.port })
        ctx.err(`gateway ${config.system.id} is running; API on ${address} (Ctrl-C stops it)`)
      } catch (error) {
        await gateway.stop()
        throw error
      }
      const signal = await ctx.untilShutdown()
      log.info({ signal }, 'stopping')
      await app.close()
      const { complete } = await gateway.stop()
      ctx.err(
        complete
          ? `gateway ${config.system.id} stopped`
          : `gateway ${config.system.id} stopped, leaving behind a step that exceeded ops.stopTimeout (see the log); nothing handled is lost`
      )
    })
}
