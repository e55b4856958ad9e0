/**
 * `acmgw kafka up | down | status`: one KRaft broker+controller with an mTLS listener and ACLs, and an Apicurio
 * registry with its Confluent-compatible API, as local JVM processes (or containers where Docker answers).
 * Everything lives under one state folder; `down` stops only what `up` started there.
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { GatewayError } from '../errors.ts'
import { describeCluster, type KafkaEndpoint, type TlsFiles } from '../kafka/client.ts'
import { adminTlsFiles, gatewayTlsFiles, initPki, issueGateway, pkiLayout } from '../pki/store.ts'
import {
  assertPortFree,
  isOurs,
  readPid,
  removeFile,
  runToCompletion,
  spawnBackground,
  stopProcess,
  tailFile
} from './processes.ts'
import { ensureRuntime, type RuntimePaths, type StackJava } from './runtime.ts'
import {
  brokerJvmArgs,
  defaultPorts,
  formatStorageArgs,
  markerProperty,
  newClusterId,
  registryApiPath,
  registryJvmArgs,
  renderLog4j2Properties,
  renderServerProperties,
  type StackPorts,
  startBrokerArgs
} from './settings.ts'
import { pathExists } from '../files.ts'

export type StackMode = 'local' | 'container'
export const stackModes = ['auto', 'local', 'container'] as const
export type RequestedStackMode = (typeof stackModes)[number]

/**
 * `auto` picks containers only when a Docker engine answers. Without DOCKER_HOST or a local socket that is
 * decided without loading testcontainers at all.
 */
export async function resolveStackMode(
  requested: RequestedStackMode,
  env: Record<string, string | undefined>
): Promise<StackMode> {
  if (requested !== 'auto') return requested
  if (env.DOCKER_HOST === undefined && !(await pathExists('/var/run/docker.sock'))) return 'local'
  const { dockerEngineAnswers } = await import('./containers.ts')
  return (await dockerEngineAnswers()) ? 'container' : 'local'
}

export interface StackInfo {
  mode: StackMode
  dir: string
  bootstrapServers: string[]
  registryUrl: string
  ports: StackPorts
  pki: {
    dir: string
    caFile: string
    admin: TlsFiles
    gateways: Record<string, TlsFiles>
  }
  processes: { broker: number | null; registry: number | null }
  containers: { broker: string; registry: string } | null
  versions: { kafka: string; apicurio: string }
  startedAt: string
}

export interface StackUpOptions {
  dir: string
  ports?: Partial<StackPorts>
  /** Gateway identities to issue into `<dir>/pki` (added to an existing PKI when missing). */
  systems?: readonly string[]
  mode: StackMode
  cacheDir: string
  /** From findStackJava; not needed in container mode. */
  java?: StackJava
  brokerHeapMb?: number
  registryHeapMb?: number
  readyTimeoutMs?: number
  onProgress?: (line: string) => void
  /** Benchmarks only: an extra PLAINTEXT listener on 127.0.0.1 at this port (local mode). Off by default. */
  plaintextPort?: number
}

const host = 'localhost'

function stackPaths(dir: string) {
  return {
    info: join(dir, 'stack.json'),
    pki: join(dir, 'pki'),
    kafkaDir: join(dir, 'kafka'),
    kafkaData: join(dir, 'kafka', 'data'),
    kafkaProperties: join(dir, 'kafka', 'server.properties'),
    kafkaLog4j: join(dir, 'kafka', 'log4j2.properties'),
    kafkaLog: join(dir, 'kafka', 'broker.log'),
    kafkaPid: join(dir, 'kafka', 'broker.pid'),
    clusterId: join(dir, 'kafka', 'cluster-id'),
    registryDir: join(dir, 'registry'),
    registryLog: join(dir, 'registry', 'registry.log'),
    registryPid: join(dir, 'registry', 'registry.pid')
  }
}

export async function readStackInfo(dir: string): Promise<StackInfo | undefined> {
  try {
    return JSON.parse(await readFile(stackPaths(resolve(dir)).info, 'utf8')) as StackInfo
  } catch {
    return undefined
  }
}

export function adminEndpoint(info: StackInfo): KafkaEndpoint {
  return { brokers: info.bootstrapServers, tls: info.pki.admin, clientId: 'acmgw-admin' }
}

/** Issues the PKI on first use; later runs only add gateway identities that are missing. */
async function ensurePki(pkiDir: string, systems: readonly string[]): Promise<Record<string, TlsFiles>> {
  if (!(await pathExists(join(pkiDir, pkiLayout.caCert)))) {
    await initPki({ dir: pkiDir, systems })
  } else {
    for (const systemId of systems) {
      if (!(await pathExists(join(pkiDir, pkiLayout.gatewayCert(systemId)))))
        await issueGateway({ dir: pkiDir, systemId })
    }
  }
  return Object.fromEntries(systems.map((id) => [id, gatewayTlsFiles(pkiDir, id)]))
}

async function knownGateways(pkiDir: string, systems: readonly string[]): Promise<Record<string, TlsFiles>> {
  const ids = new Set(systems)
  for (const name of await readdir(pkiDir)) {
    const match = /^gateway\.([a-z][a-z0-9-]{1,31})\.crt$/.exec(name)
    if (match?.[1] !== undefined) ids.add(match[1])
  }
  return Object.fromEntries([...ids].sort().map((id) => [id, gatewayTlsFiles(pkiDir, id)]))
}

async function waitUntil(
  what: string,
  deadline: number,
  probe: () => Promise<boolean>,
  stillStarting: () => Promise<string | undefined>
): Promise<void> {
  for (;;) {
    if (await probe()) return
    const died = await stillStarting()
    if (died !== undefined)
      throw new GatewayError('ACMGW_STACK_START_FAILED', `${what} stopped while starting:\n${died}`)
    if (Date.now() > deadline) {
      throw new GatewayError('ACMGW_STACK_START_FAILED', `${what} did not answer in time`)
    }
    await sleep(500)
  }
}

export async function registryAnswers(registryUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${registryUrl}/subjects`, { signal: AbortSignal.timeout(2_000) })
    await response.body?.cancel()
    return response.ok
  } catch {
    return false
  }
}

export async function brokerAnswers(endpoint: KafkaEndpoint): Promise<boolean> {
  try {
    await describeCluster(endpoint, { connectionTimeoutMs: 2_000, requestTimeoutMs: 5_000 })
    return true
  } catch {
    return false
  }
}

export async function stackUp(options: StackUpOptions): Promise<StackInfo> {
  const dir = resolve(options.dir)
  const paths = stackPaths(dir)
  const progress = options.onProgress ?? (() => undefined)
  const previous = await readStackInfo(dir)
  if (previous !== undefined && (await stackRunning(previous))) {
    throw new GatewayError(
      'ACMGW_STACK_RUNNING',
      `a stack already runs from ${dir} (${previous.bootstrapServers.join(',')}); run 'acmgw kafka down' first`
    )
  }
  const ports: StackPorts = { ...defaultPorts, ...options.ports }
  await assertPortFree(ports.broker, '127.0.0.1', 'broker SSL listener')
  await assertPortFree(ports.controller, '127.0.0.1', 'KRaft controller listener')
  await assertPortFree(ports.registry, '127.0.0.1', 'schema registry')
  await assertPortFree(ports.registryManagement, '127.0.0.1', 'schema registry management')
  if (options.plaintextPort !== undefined) {
    if (options.mode !== 'local') {
      throw new GatewayError('ACMGW_STACK_START_FAILED', 'a plaintext listener is offered in local mode only')
    }
    await assertPortFree(options.plaintextPort, '127.0.0.1', 'broker PLAINTEXT listener')
  }

  await mkdir(paths.kafkaData, { recursive: true })
  await mkdir(paths.registryDir, { recursive: true })
  progress(`certificates in ${paths.pki}`)
  await ensurePki(paths.pki, options.systems ?? [])
  const gateways = await knownGateways(paths.pki, options.systems ?? [])

  const registryUrl = `http://127.0.0.1:${ports.registry}${registryApiPath}`
  const base = {
    dir,
    bootstrapServers: [`${host}:${ports.broker}`],
    registryUrl,
    ports,
    pki: { dir: paths.pki, caFile: join(paths.pki, pkiLayout.caCert), admin: adminTlsFiles(paths.pki), gateways },
    startedAt: new Date().toISOString()
  }
  const info: StackInfo =
    options.mode === 'container'
      ? await startContainers(options, paths, ports, base)
      : await startLocal(options, paths, ports, base)
  await writeFile(paths.info, JSON.stringify(info, null, 2) + '\n')
  return info
}

type StackBase = Omit<StackInfo, 'mode' | 'processes' | 'containers' | 'versions'>

async function startLocal(
  options: StackUpOptions,
  paths: ReturnType<typeof stackPaths>,
  ports: StackPorts,
  base: StackBase
): Promise<StackInfo> {
  const progress = options.onProgress ?? (() => undefined)
  const java = options.java
  if (java === undefined) throw new GatewayError('ACMGW_JAVA_MISSING', 'the local stack needs Java; none was given')
  const runtime: RuntimePaths = await ensureRuntime({
    cacheDir: options.cacheDir,
    registry: java.registryRuntime,
    onProgress: progress
  })
  const pkiDir = paths.pki
  await writeFile(
    paths.kafkaProperties,
    renderServerProperties({
      host,
      listenHost: 'localhost',
      ports,
      plaintextPort: options.plaintextPort,
      files: {
        keystore: join(pkiDir, pkiLayout.brokerKeystore),
        truststore: join(pkiDir, pkiLayout.caCert),
        dataDir: paths.kafkaData
      }
    })
  )
  await writeFile(paths.kafkaLog4j, renderLog4j2Properties())
  const jvm = brokerJvmArgs({
    marker: base.dir,
    libsDir: runtime.kafkaLibs,
    log4j2File: paths.kafkaLog4j,
    logsDir: paths.kafkaDir,
    heapMb: options.brokerHeapMb ?? 512
  })
  if (!(await pathExists(paths.clusterId))) await writeFile(paths.clusterId, newClusterId())
  const clusterId = (await readFile(paths.clusterId, 'utf8')).trim()
  progress(`formatting KRaft storage in ${paths.kafkaData}`)
  try {
    await runToCompletion(java.broker.command, formatStorageArgs(jvm, clusterId, paths.kafkaProperties), paths.kafkaDir)
  } catch (cause) {
    throw new GatewayError(
      'ACMGW_STACK_START_FAILED',
      `formatting the broker storage failed: ${(cause as Error).message}`,
      {
        cause
      }
    )
  }
  progress(
    `starting Apache Kafka ${runtime.versions.kafka} on ${base.bootstrapServers.join(',')} and Apicurio Registry ${runtime.versions.apicurio} on ${base.registryUrl}`
  )
  const broker = await spawnBackground({
    command: java.broker.command,
    args: startBrokerArgs(jvm, paths.kafkaProperties),
    cwd: paths.kafkaDir,
    logFile: paths.kafkaLog,
    pidFile: paths.kafkaPid
  })
  const registry = await spawnBackground({
    command: java.registry.command,
    args: registryJvmArgs({
      marker: base.dir,
      runJar: runtime.apicurioRunJar,
      port: ports.registry,
      managementPort: ports.registryManagement,
      host: '127.0.0.1',
      heapMb: options.registryHeapMb ?? 384
    }),
    cwd: paths.registryDir,
    logFile: paths.registryLog,
    pidFile: paths.registryPid
  })
  const info: StackInfo = {
    ...base,
    mode: 'local',
    processes: { broker: broker.pid, registry: registry.pid },
    containers: null,
    versions: runtime.versions
  }
  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000)
  const died = (pid: number, log: string) => async () =>
    (await isOurs(pid, markerProperty(base.dir))) ? undefined : tailFile(log, 30)
  try {
    await Promise.all([
      waitUntil('the broker', deadline, () => brokerAnswers(adminEndpoint(info)), died(broker.pid, paths.kafkaLog)),
      waitUntil(
        'the registry',
        deadline,
        () => registryAnswers(base.registryUrl),
        died(registry.pid, paths.registryLog)
      )
    ])
  } catch (error) {
    await stopLocal(base.dir)
    if (GatewayError.is(error) && error.message.endsWith('in time')) {
      throw new GatewayError(
        'ACMGW_STACK_START_FAILED',
        `${error.message}; last broker log lines:\n${await tailFile(paths.kafkaLog, 15)}\nlast registry log lines:\n${await tailFile(paths.registryLog, 15)}`,
        { cause: error }
      )
    }
    throw error
  }
  return info
}

async function stopLocal(dir: string): Promise<{ broker: string; registry: string }> {
  const paths = stackPaths(dir)
  const stopOne = async (pidFile: string): Promise<string> => {
    const pid = await readPid(pidFile)
    if (pid === undefined) return 'not running'
    const outcome = (await isOurs(pid, markerProperty(dir))) ? await stopProcess(pid, 20_000) : 'gone'
    await removeFile(pidFile)
    return outcome === 'gone' ? 'not running' : `${outcome} (pid ${pid})`
  }
  const [registry, broker] = await Promise.all([stopOne(paths.registryPid), stopOne(paths.kafkaPid)])
  return { broker, registry }
}

async function startContainers(
  options: StackUpOptions,
  paths: ReturnType<typeof stackPaths>,
  ports: StackPorts,
  base: StackBase
): Promise<StackInfo> {
  const { startContainerStack } = await import('./containers.ts')
  options.onProgress?.('starting the broker and the registry as containers (testcontainers)')
  const started = await startContainerStack({
    ports,
    pkiDir: paths.pki,
    workDir: paths.kafkaDir,
    clusterId: newClusterId(),
    host
  })
  return {
    ...base,
    mode: 'container',
    processes: { broker: null, registry: null },
    containers: started.containerIds,
    versions: started.versions
  }
}

async function stackRunning(info: StackInfo): Promise<boolean> {
  if (info.mode === 'local') {
    return (
      (info.processes.broker !== null && (await isOurs(info.processes.broker, markerProperty(info.dir)))) ||
      (info.processes.registry !== null && (await isOurs(info.processes.registry, markerProperty(info.dir))))
    )
  }
  return (await brokerAnswers(adminEndpoint(info))) || (await registryAnswers(info.registryUrl))
}

export async function stackDown(dirOption: string): Promise<{ broker: string; registry: string }> {
  const dir = resolve(dirOption)
  const paths = stackPaths(dir)
  const info = await readStackInfo(dir)
  if (info?.mode === 'container' && info.containers !== null) {
    const { stopContainers } = await import('./containers.ts')
    await stopContainers(info.containers)
    await removeFile(paths.info)
    return {
      broker: `stopped container ${info.containers.broker}`,
      registry: `stopped container ${info.containers.registry}`
    }
  }
  const result = await stopLocal(dir)
  await removeFile(paths.info)
  return result
}

export interface StackStatus {
  dir: string
  state: 'running' | 'partly running' | 'stopped'
  info: StackInfo | undefined
  broker: { process: 'running' | 'stopped' | 'container'; answers: boolean }
  registry: { process: 'running' | 'stopped' | 'container'; answers: boolean }
}

export async function stackStatus(dirOption: string): Promise<StackStatus> {
  const dir = resolve(dirOption)
  const info = await readStackInfo(dir)
  if (info === undefined) {
    return {
      dir,
      state: 'stopped',
      info,
      broker: { process: 'stopped', answers: false },
      registry: { process: 'stopped', answers: false }
    }
  }
  const processState = async (pid: number | null) =>
    info.mode === 'container'
      ? 'container'
      : pid !== null && (await isOurs(pid, markerProperty(dir)))
        ? 'running'
        : 'stopped'
  const broker = {
    process: await processState(info.processes.broker),
    answers: await brokerAnswers(adminEndpoint(info))
  } as const
  const registry = {
    process: await processState(info.processes.registry),
    answers: await registryAnswers(info.registryUrl)
  } as const
  const up = [broker.answers, registry.answers].filter(Boolean).length
  return { dir, state: up === 2 ? 'running' : up === 0 ? 'stopped' : 'partly running', info, broker, registry }
}
