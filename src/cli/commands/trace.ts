import { setTimeout as sleep } from 'node:timers/promises'
import type { Command } from 'commander'
import { GatewayError } from '../../errors.ts'
import { type CliContext, printJson } from '../context.ts'
import { connect, type GatewayConnectionOptions, seconds, withGatewayOptions } from './gateway-client.ts'
import { formatTrace, isFinal } from './gateway-output.ts'

/** Often enough to feel immediate, seldom enough not to load the gateway. */
const pollIntervalMs = 500

export function registerTraceCommand(program: Command, ctx: CliContext): void {
  withGatewayOptions(
    program
      .command('trace')
      .description('show a request’s timeline: sent → process indication → pending/decided → final answer')
      .argument('<messageId>', 'the message id `acmgw send` or POST /v1/requests returned')
      .option('--wait <seconds>', 'poll until the request has a final answer or timed out, at most this long', seconds)
      .option('--json', 'print the API answer as JSON', false),
    ctx
  ).action(async (messageId: string, o: GatewayConnectionOptions & { wait?: number; json: boolean }) => {
    const client = await connect(ctx, o)
    let trace = await client.trace(messageId)
    if (o.wait !== undefined) {
      const deadline = Date.now() + o.wait * 1000
      while (!isFinal(trace) && Date.now() < deadline) {
        await sleep(Math.min(pollIntervalMs, Math.max(0, deadline - Date.now())))
        trace = await client.trace(messageId)
      }
    }
    if (o.json) printJson(ctx, trace)
    else ctx.out(formatTrace(trace))
    if (o.wait !== undefined && !isFinal(trace)) {
      throw new GatewayError(
        'ACMGW_WAIT_TIMED_OUT',
        `no final answer to ${messageId} within ${o.wait} s; it is ${trace.status} (expires ${trace.expiresAt})`
      )
    }
  })
}
