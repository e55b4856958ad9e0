import { resolve } from 'node:path'
import type { Command } from 'commander'
import { loadConfig } from '../../config/load.ts'
import { parseDuration } from '../../config/schema.ts'
import { GatewayError } from '../../errors.ts'
import { gatewayGroup } from '../../gateway/runtime.ts'
import { createKafkaClient } from '../../kafka/client.ts'
import { createLagReader } from '../../kafka/lag.ts'
import { evaluateLink, formatLinks, type LinkLag } from '../../ops/lag.ts'
import type { CliContext } from '../context.ts'

interface LagCommandOptions {
  config: string
  partner?: string
  watch: boolean
  interval: string
  samples?: string
  json: boolean
}

export function registerLagCommand(program: Command, ctx: CliContext): void {
  program
    .command('lag')
    .description(
      'consumer lag of the links into this gateway, per partner, topic and partition, in messages and seconds'
    )
    .requiredOption('--config <file>', 'the gateway configuration (its Kafka identity reads the offsets)')
    .option('--partner <id>', 'only the link from this partner')
    .option('--watch', 'sample every --interval until Ctrl-C; STALLED needs several samples', false)
    .option('--interval <duration>', 'time between samples with --watch', '5s')
    .option('--samples <n>', 'with --watch: stop after this many samples')
    .option('--json', 'JSON: the links (with --watch, one line per sample)', false)
    .action(async (o: LagCommandOptions) => {
      const intervalMs = parseDuration(o.interval)
      if (intervalMs === undefined || intervalMs < 100) {
        throw new GatewayError('ACMGW_USAGE', `--interval ${o.interval} is not a duration of 100ms or more`)
      }
      const limit = o.samples === undefined ? Infinity : Number(o.samples)
      if (!Number.isInteger(limit) && limit !== Infinity) {
        throw new GatewayError('ACMGW_USAGE', `--samples ${o.samples ?? ''} is not a whole number`)
      }
      const config = await loadConfig(resolve(ctx.cwd, o.config))
      const self = config.system.id
      const kafka = await createKafkaClient({
        brokers: config.kafka.brokers,
        tls: { caFile: config.kafka.tls.ca, certFile: config.kafka.tls.cert, keyFile: config.kafka.tls.key },
        clientId: `${config.kafka.clientId ?? gatewayGroup(self)}.lag`
      })
      const reader = createLagReader(kafka, {
        self,
        group: gatewayGroup(self),
        probeGroupPrefix: `${gatewayGroup(self)}.state.lag-`
      })
      const options = {
        thresholdMs: parseDuration(config.ops.lagThreshold) ?? 60_000,
        stalledIntervals: config.ops.stalledIntervals
      }
      try {
        const links = await reader.discoverLinks(o.partner === undefined ? undefined : [o.partner])
        if (o.partner !== undefined && links.length === 0) {
          throw new GatewayError('ACMGW_NOT_FOUND', `no topic from ${o.partner} into ${self} is visible`)
        }
        let previous = new Map<string, LinkLag>()
        const shutdown = o.watch ? ctx.untilShutdown() : undefined
        for (let n = 1; ; n++) {
          const samples = await reader.sample(links)
          const evaluated = samples.map((s) => evaluateLink(s, previous.get(s.partner), options))
          previous = new Map(evaluated.map((l) => [l.partner, l]))
          if (o.json) ctx.out(o.watch ? JSON.stringify(evaluated) : JSON.stringify(evaluated, null, 2))
          else ctx.out((o.watch ? `${new Date().toISOString()}\n` : '') + formatLinks(evaluated))
          if (shutdown === undefined || n >= limit) break
          let timer: NodeJS.Timeout | undefined
          const next = new Promise<'tick'>((done) => (timer = setTimeout(() => done('tick'), intervalMs)))
          const why = await Promise.race([next, shutdown])
          clearTimeout(timer)
          if (why !== 'tick') break
        }
      } finally {
        await reader.close()
      }
    })
}
