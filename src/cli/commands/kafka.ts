import { resolve } from 'node:path'
import { type Command, InvalidArgumentError, Option } from 'commander'
import { GatewayError } from '../../errors.ts'
import { defaultCacheDir, ensureRuntime, findStackJava } from '../../devstack/runtime.ts'
import {
  type RequestedStackMode,
  type StackInfo,
  resolveStackMode,
  stackDown,
  stackModes,
  stackStatus,
  stackUp
} from '../../devstack/stack.ts'
import { defaultPorts, type StackPorts } from '../../devstack/settings.ts'
import { type CliContext, parseList, printJson } from '../context.ts'

function port(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new InvalidArgumentError(`not a TCP port: ${JSON.stringify(value)}`)
  return n
}

export function describeStack(info: StackInfo): string {
  const gateways = Object.entries(info.pki.gateways).map(
    ([id, files]) => `  gateway ${id}: cert ${files.certFile}\n  ${' '.repeat(9 + id.length)} key  ${files.keyFile}`
  )
  return [
    `mode:              ${info.mode}`,
    `bootstrap servers: ${info.bootstrapServers.join(',')} (SSL, client certificate required)`,
    `schema registry:   ${info.registryUrl}`,
    `Kafka / Apicurio:  ${info.versions.kafka} / ${info.versions.apicurio}`,
    `state folder:      ${info.dir}`,
    `CA certificate:    ${info.pki.caFile}`,
    `admin identity:    cert ${info.pki.admin.certFile}`,
    `                   key  ${info.pki.admin.keyFile}`,
    ...gateways
  ].join('\n')
}

/** `kafka up` and `demo` start a stack the same way. */
export async function startStack(
  ctx: CliContext,
  options: { dir: string; systems: readonly string[]; ports?: Partial<StackPorts>; mode: RequestedStackMode }
): Promise<StackInfo> {
  if (!(stackModes as readonly string[]).includes(options.mode)) {
    throw new GatewayError(
      'ACMGW_USAGE',
      `ACMGW_STACK_MODE must be one of ${stackModes.join(', ')}, got ${JSON.stringify(options.mode)}`
    )
  }
  const mode = await resolveStackMode(options.mode, ctx.env)
  return stackUp({
    dir: resolve(ctx.cwd, options.dir),
    systems: options.systems,
    ports: options.ports,
    mode,
    cacheDir: defaultCacheDir(ctx.env),
    java: mode === 'local' ? await findStackJava(ctx.env) : undefined,
    onProgress: (line) => ctx.err(line)
  })
}

export function registerKafkaCommands(program: Command, ctx: CliContext): void {
  const kafka = program.command('kafka').description('local development broker (KRaft, mTLS, ACLs) and schema registry')
  const dirOption = () => new Option('--dir <dir>', 'state folder of the local stack').default('.acmgw')
  const cacheDir = () => defaultCacheDir(ctx.env)

  kafka
    .command('fetch')
    .description(
      'resolve Apache Kafka and Apicurio Registry from Maven Central into the cache (up does this when needed)'
    )
    .action(async () => {
      const java = await findStackJava(ctx.env)
      const paths = await ensureRuntime({ cacheDir: cacheDir(), registry: java.registryRuntime, onProgress: ctx.err })
      ctx.out(
        [
          `Kafka libraries:  ${paths.kafkaLibs} (runs on ${java.broker.command}: ${java.broker.version})`,
          `Apicurio runner:  ${paths.apicurioRunJar} (runs on ${java.registry.command}: ${java.registry.version})`
        ].join('\n')
      )
    })

  kafka
    .command('up')
    .description('start the broker and the registry, wait until both answer, print how to reach them')
    .addOption(dirOption())
    .option('--systems <ids>', 'gateway identities to issue (comma-separated system ids)', parseList, [])
    .option('--broker-port <port>', 'SSL listener port', port, defaultPorts.broker)
    .option('--controller-port <port>', 'KRaft controller port', port, defaultPorts.controller)
    .option('--registry-port <port>', 'schema registry HTTP port', port, defaultPorts.registry)
    .option('--registry-management-port <port>', 'schema registry health port', port, defaultPorts.registryManagement)
    .addOption(
      new Option('--mode <mode>', 'local JVMs, containers, or containers when a Docker engine answers')
        .choices(stackModes)
        .default(ctx.env.ACMGW_STACK_MODE ?? 'auto', '$ACMGW_STACK_MODE or auto')
    )
    .option('--json', 'print JSON', false)
    .action(
      async (o: {
        dir: string
        systems: string[]
        brokerPort: number
        controllerPort: number
        registryPort: number
        registryManagementPort: number
        mode: RequestedStackMode
        json: boolean
      }) => {
        const info = await startStack(ctx, {
          dir: o.dir,
          systems: o.systems,
          ports: {
            broker: o.brokerPort,
            controller: o.controllerPort,
            registry: o.registryPort,
            registryManagement: o.registryManagementPort
          },
          mode: o.mode
        })
        if (o.json) return printJson(ctx, info)
        ctx.out(`the local stack is up\n${describeStack(info)}\nstop it with: acmgw kafka down --dir ${o.dir}`)
      }
    )

  kafka
    .command('down')
    .description('stop the broker and the registry that up started from this state folder')
    .addOption(dirOption())
    .action(async (o: { dir: string }) => {
      const result = await stackDown(resolve(ctx.cwd, o.dir))
      ctx.out(`broker:   ${result.broker}\nregistry: ${result.registry}`)
    })

  kafka
    .command('status')
    .description('tell whether the local broker and registry run and answer')
    .addOption(dirOption())
    .option('--json', 'print JSON', false)
    .action(async (o: { dir: string; json: boolean }) => {
      const status = await stackStatus(resolve(ctx.cwd, o.dir))
      if (o.json) return printJson(ctx, status)
      const line = (name: string, s: { process: string; answers: boolean }) =>
        `${name}: process ${s.process}, ${s.answers ? 'answers' : 'does not answer'}`
      ctx.out(
        [
          `local stack in ${status.dir}: ${status.state}`,
          line('broker  ', status.broker),
          line('registry', status.registry),
          ...(status.info !== undefined && status.state !== 'stopped' ? [describeStack(status.info)] : [])
        ].join('\n')
      )
    })
}
