import { resolve } from 'node:path'
import type { Command } from 'commander'
import { type RequestedStackMode, readStackInfo, stackDown, stackStatus } from '../../devstack/stack.ts'
import type { CliContext } from '../context.ts'
import { describeStack, startStack } from './kafka.ts'

export const demoSystems = ['nl-police', 'be-police', 'de-fire'] as const

export function registerDemoCommand(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description('start the local stack for three systems (nl-police, be-police, de-fire) and keep it up until Ctrl-C')
    .option('--dir <dir>', 'state folder', '.acmgw/demo')
    .option('--no-wait', 'leave the stack running and exit')
    .action(async (o: { dir: string; wait: boolean }) => {
      const dir = resolve(ctx.cwd, o.dir)
      const alreadyUp = (await stackStatus(dir)).state === 'running'
      if (!alreadyUp) {
        const mode = (ctx.env.ACMGW_STACK_MODE ?? 'auto') as RequestedStackMode
        await startStack(ctx, { dir, systems: demoSystems, mode })
      }
      const info = await readStackInfo(dir)
      if (info === undefined) throw new Error(`no stack.json in ${dir}`)
      ctx.out(`${alreadyUp ? 'the demo stack was already up' : 'the demo stack is up'}\n${describeStack(info)}`)
      if (!o.wait) {
        ctx.out(`left running; stop it with: acmgw kafka down --dir ${o.dir}`)
        return
      }
      ctx.out('press Ctrl-C to stop it')
      await ctx.untilShutdown()
      const stopped = await stackDown(dir)
      ctx.out(`stopped: broker ${stopped.broker}, registry ${stopped.registry}`)
    })
}
