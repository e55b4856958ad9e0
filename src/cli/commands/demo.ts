import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { type Command, Option } from 'commander'
import { pino } from 'pino'
import { readDirectory } from '../../adapters/directory.ts'
import { loadConfig } from '../../config/load.ts'
import { runScenario } from '../../demo/scenario.ts'
import {
  applyDemoTopics,
  demoInterconnection,
  type DemoSystem,
  demoSystems,
  writeDemoConfigs
} from '../../demo/setup.ts'
import { type RequestedStackMode, readStackInfo, stackDown, stackStatus } from '../../devstack/stack.ts'
import { startGateway, type RunningGateway } from '../../gateway/runtime.ts'
import type { GatewayService } from '../../gateway/service.ts'
import { buildHttpApp } from '../../http/app.ts'
import { opsEndpoints } from '../../ops/status.ts'
import { issueGateway, pkiLayout } from '../../pki/store.ts'
import { defaultPorts } from '../../devstack/settings.ts'
import type { CliContext } from '../context.ts'
import { describeStack, startStack } from './kafka.ts'

import { pathExists } from '../../files.ts'

export function registerDemoCommand(program: Command, ctx: CliContext): void {
  const port = (value: string) => Number(value)
  program
    .command('demo')
    .description(
      'the whole product on one machine: local broker and registry, PKI, topics and ACLs, gateways for nl-police, be-police and de-fire, and a mutual-aid scenario using every ACM procedure; then status pages until Ctrl-C'
    )
    .option('--dir <dir>', 'state folder', '.acmgw/demo')
    .option('--no-wait', 'run the scenario, clean up and exit')
    .option('--broker-port <port>', 'SSL listener port of the demo broker', port, defaultPorts.broker)
    .option('--controller-port <port>', 'KRaft controller port', port, defaultPorts.controller)
    .option('--registry-port <port>', 'schema registry port', port, defaultPorts.registry)
    .option('--registry-management-port <port>', 'schema registry health port', port, defaultPorts.registryManagement)
    .addOption(
      new Option('--http-port <port>', 'first of three API/status page ports (0: any free port)')
        .default(8081)
        .argParser(port)
    )
    .action(
      async (o: {
        dir: string
        wait: boolean
        brokerPort: number
        controllerPort: number
        registryPort: number
        registryManagementPort: number
        httpPort: number
      }) => {
        const dir = resolve(ctx.cwd, o.dir)
        const stackDir = join(dir, 'stack')
        const startedStack = (await stackStatus(stackDir)).state !== 'running'
        if (startedStack) {
          ctx.err('starting the local broker and registry (first run: fetching them from Maven Central)…')
          await startStack(ctx, {
            dir: stackDir,
            systems: demoSystems,
            ports: {
              broker: o.brokerPort,
              controller: o.controllerPort,
              registry: o.registryPort,
              registryManagement: o.registryManagementPort
            },
            mode: (ctx.env.ACMGW_STACK_MODE ?? 'auto') as RequestedStackMode
          })
        }
        const info = await readStackInfo(stackDir)
        if (info === undefined) throw new Error(`no stack.json in ${stackDir}`)
        for (const systemId of demoSystems) {
          if (!(await pathExists(join(info.pki.dir, pkiLayout.gatewaySigningCert(systemId))))) {
            await issueGateway({ dir: info.pki.dir, systemId, force: true })
          }
        }
        ctx.out(describeStack(info))
        const changes = await applyDemoTopics(info, demoInterconnection('ACTIVE'), ctx.cwd)
        ctx.out(`topics and ACLs: ${changes} change(s) applied (acmgw topics apply)`)
        const gatewaysDir = join(dir, 'gateways')
        await mkdir(gatewaysDir, { recursive: true })
        const files = await writeDemoConfigs(info, gatewaysDir)
        const log = pino({ level: ctx.env.ACMGW_LOG_LEVEL ?? 'silent' })
        const running: { gateway: RunningGateway; close: () => Promise<void> }[] = []
        const services = {} as Record<DemoSystem, GatewayService>
        const directories = {} as Record<DemoSystem, string>
        try {
          for (const [i, self] of demoSystems.entries()) {
            const config = await loadConfig(files[self])
            directories[self] = config.adapter.type === 'directory' ? config.adapter.path : ''
            const gateway = await startGateway(config, { log })
            const app = buildHttpApp({
              service: gateway.service,
              readiness: () => gateway.ready(),
              ops: opsEndpoints(gateway)
            })
            running.push({ gateway, close: () => app.close() })
            const address = await app.listen({ host: '127.0.0.1', port: o.httpPort === 0 ? 0 : o.httpPort + i })
            services[self] = gateway.service
            ctx.out(`gateway ${self.padEnd(9)} running: API and status page on ${address}  (config ${files[self]})`)
          }
          const result = await runScenario({
            gateways: services,
            applyTopics: (status) => applyDemoTopics(info, demoInterconnection(status), ctx.cwd),
            directorySummary: async (system, partner) => {
              const records = (await readDirectory(directories[system])).partners[partner]
              return {
                migrationAuthorisations: Object.keys(records?.migrationAuthorisations ?? {}).length,
                visitingServices: Object.keys(records?.visitingServices ?? {}).length,
                jointGroupMembersFromPartner: Object.values(records?.jointGroups ?? {}).flatMap((g) =>
                  g.members.filter((m) => m.system === partner)
                ).length
              }
            },
            out: ctx.out
          })
          ctx.out(`outcomes: ${JSON.stringify(result.outcomes)}`)
          if (o.wait) {
            ctx.out('\nthe gateways and their status pages stay up; press Ctrl-C to stop and clean up')
            await ctx.untilShutdown()
          }
        } finally {
          for (const { gateway, close } of running.reverse()) {
            await close()
            await gateway.stop()
          }
          if (startedStack) {
            const stopped = await stackDown(stackDir)
            ctx.err(`stopped the local stack: broker ${stopped.broker}, registry ${stopped.registry}`)
          }
        }
      }
    )
}
