/**
 * A local multi-node KRaft cluster for the fault suite: every node is broker and controller (static voters),
 * with the development stack's mTLS listeners and ACLs, replication factor 3 and min.insync.replicas 2. No
 * registry: the gateways under test use the embedded codec. Nodes can be stopped, killed (SIGKILL), frozen
 * (SIGSTOP), thawed (SIGCONT) and started again; a signal only ever reaches a pid whose command line carries
 * the node's own marker. The description is written as `<dir>/stack.json` in the shape of the single-node
 * stack, so that everything reading a stack (test helpers, admin endpoint) reads a cluster alike.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { GatewayError } from '../errors.ts'
import { describeCluster } from '../kafka/client.ts'
import { adminTlsFiles, gatewayTlsFiles, initPki, issueGateway, pkiLayout } from '../pki/store.ts'
import {
  freePort,
  isOurs,
  readPid,
  removeFile,
  runToCompletion,
  signalProcess,
  spawnBackground,
  stopProcess,
  tailFile,
  waitForExit
} from './processes.ts'
import { ensureRuntime, type StackJava } from './runtime.ts'
import {
  brokerJvmArgs,
  formatStorageArgs,
  markerProperty,
  newClusterId,
  renderClusterNodeProperties,
  renderLog4j2Properties,
  startBrokerArgs
} from './settings.ts'
import { adminEndpoint, type StackInfo } from './stack.ts'
import { pathExists } from '../files.ts'

export interface ClusterNode {
  nodeId: number
  brokerPort: number
  controllerPort: number
  dir: string
  /** The JVM argument `-Dacmgw.stack=<node dir>`: what makes a pid this node's. */
  marker: string
  propertiesFile: string
  logFile: string
  pidFile: string
}

/** A stack description (readable by readStackInfo) plus what it takes to restart each node. */
export interface ClusterInfo extends StackInfo {
  nodes: ClusterNode[]
  clusterId: string
  javaCommand: string
  kafkaLibs: string
  heapMb: number
}

export interface ClusterUpOptions {
  dir: string
  /** Default 3. */
  nodes?: number
  /** Broker and controller port per node; default free ports. */
  ports?: readonly { broker: number; controller: number }[]
  /** Gateway identities to issue into `<dir>/pki`. */
  systems?: readonly string[]
  cacheDir: string
  java: StackJava
  /** Per node; default 320 MiB. */
  heapMb?: number
  readyTimeoutMs?: number
  onProgress?: (line: string) => void
}

const host = 'localhost'

function jvmFor(info: Pick<ClusterInfo, 'kafkaLibs' | 'heapMb'>, node: ClusterNode): string[] {
  return brokerJvmArgs({
    marker: node.dir,
    libsDir: info.kafkaLibs,
    log4j2File: join(node.dir, 'log4j2.properties'),
    logsDir: node.dir,
    heapMb: info.heapMb
  })
}

export async function readClusterInfo(dir: string): Promise<ClusterInfo | undefined> {
  try {
    const info = JSON.parse(await readFile(join(resolve(dir), 'stack.json'), 'utf8')) as Partial<ClusterInfo>
    return Array.isArray(info.nodes) ? (info as ClusterInfo) : undefined
  } catch {
    return undefined
  }
}

function nodeOf(info: ClusterInfo, nodeId: number): ClusterNode {
  const node = info.nodes.find((n) => n.nodeId === nodeId)
  if (node === undefined) throw new GatewayError('ACMGW_NOT_FOUND', `the cluster has no node ${nodeId}`)
  return node
}

/** The pid of a running node, or undefined when it does not run. */
export async function nodePid(info: ClusterInfo, nodeId: number): Promise<number | undefined> {
  const node = nodeOf(info, nodeId)
  const pid = await readPid(node.pidFile)
  return pid !== undefined && (await isOurs(pid, markerProperty(node.marker))) ? pid : undefined
}

/** Node ids of the brokers the cluster's metadata lists as live, as seen through any reachable node. */
export async function liveBrokers(info: ClusterInfo): Promise<number[]> {
  try {
    const described = await describeCluster(adminEndpoint(info), {
      connectionTimeoutMs: 2_000,
      requestTimeoutMs: 5_000
    })
    return described.brokers.map((b) => b.nodeId).sort((a, b) => a - b)
  } catch {
    return []
  }
}

/** Waits until every listed node is a live broker again (or throws with the node's last log lines). */
export async function waitForBrokers(info: ClusterInfo, nodeIds: readonly number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const live = await liveBrokers(info)
    if (nodeIds.every((id) => live.includes(id))) return
    for (const id of nodeIds) {
      if (!live.includes(id) && (await nodePid(info, id)) === undefined) {
        throw new GatewayError(
          'ACMGW_STACK_START_FAILED',
          `node ${id} stopped while starting:\n${await tailFile(nodeOf(info, id).logFile, 30)}`
        )
      }
    }
    if (Date.now() > deadline) {
      throw new GatewayError(
        'ACMGW_STACK_START_FAILED',
        `nodes ${nodeIds.filter((id) => !live.includes(id)).join(', ')} did not join in time (live: ${live.join(', ') || 'none'})`
      )
    }
    await sleep(500)
  }
}

/** Starts a node from its formatted storage; resolves with its pid once the JVM runs (not yet joined). */
export async function startNode(info: ClusterInfo, nodeId: number): Promise<number> {
  const node = nodeOf(info, nodeId)
  if ((await nodePid(info, nodeId)) !== undefined) {
    throw new GatewayError('ACMGW_STACK_RUNNING', `node ${nodeId} already runs`)
  }
  const started = await spawnBackground({
    command: info.javaCommand,
    args: startBrokerArgs(jvmFor(info, node), node.propertiesFile),
    cwd: node.dir,
    logFile: node.logFile,
    pidFile: node.pidFile
  })
  return started.pid
}

async function signalNode(info: ClusterInfo, nodeId: number, signal: NodeJS.Signals): Promise<number> {
  const pid = await nodePid(info, nodeId)
  if (pid === undefined) throw new GatewayError('ACMGW_NOT_FOUND', `node ${nodeId} does not run`)
  signalProcess(pid, signal)
  return pid
}

/** SIGKILL: the node dies without a clean shutdown. Resolves once the process is gone. */
export async function killNode(info: ClusterInfo, nodeId: number): Promise<void> {
  const pid = await signalNode(info, nodeId, 'SIGKILL')
  if (!(await waitForExit(pid, 30_000))) {
    throw new GatewayError('ACMGW_STACK_START_FAILED', `node ${nodeId} (pid ${pid}) survived SIGKILL`)
  }
  await removeFile(nodeOf(info, nodeId).pidFile)
}

/** SIGSTOP: the node freezes (as in a long GC pause); its sockets stay open and silent. */
export async function pauseNode(info: ClusterInfo, nodeId: number): Promise<void> {
  await signalNode(info, nodeId, 'SIGSTOP')
}

/** SIGCONT after pauseNode. */
export async function resumeNode(info: ClusterInfo, nodeId: number): Promise<void> {
  await signalNode(info, nodeId, 'SIGCONT')
}

/** SIGTERM (a clean shutdown), SIGKILL after `graceMs`. */
export async function stopNode(info: ClusterInfo, nodeId: number, graceMs = 20_000): Promise<string> {
  const node = nodeOf(info, nodeId)
  const pid = await nodePid(info, nodeId)
  if (pid === undefined) return 'not running'
  signalProcess(pid, 'SIGCONT')
  const outcome = await stopProcess(pid, graceMs)
  await removeFile(node.pidFile)
  return `${outcome} (pid ${pid})`
}

export async function clusterUp(options: ClusterUpOptions): Promise<ClusterInfo> {
  const dir = resolve(options.dir)
  const count = options.nodes ?? 3
  const progress = options.onProgress ?? (() => undefined)
  const previous = await readClusterInfo(dir)
  if (previous !== undefined) {
    for (const node of previous.nodes) {
      if ((await nodePid(previous, node.nodeId)) !== undefined) {
        throw new GatewayError('ACMGW_STACK_RUNNING', `a cluster already runs from ${dir}; stop it first`)
      }
    }
  }
  const ports: { broker: number; controller: number }[] = []
  for (let i = 0; i < count; i++) {
    ports.push(options.ports?.[i] ?? { broker: await freePort(), controller: await freePort() })
  }
  const pkiDir = join(dir, 'pki')
  await mkdir(pkiDir, { recursive: true })
  const systems = options.systems ?? []
  if (!(await pathExists(join(pkiDir, pkiLayout.caCert)))) await initPki({ dir: pkiDir, systems })
  else {
    for (const systemId of systems) {
      if (!(await pathExists(join(pkiDir, pkiLayout.gatewayCert(systemId)))))
        await issueGateway({ dir: pkiDir, systemId })
    }
  }
  const runtime = await ensureRuntime({
    cacheDir: options.cacheDir,
    registry: options.java.registryRuntime,
    onProgress: progress
  })
  const nodes: ClusterNode[] = ports.map((p, i) => {
    const nodeDir = join(dir, `node-${i + 1}`)
    return {
      nodeId: i + 1,
      brokerPort: p.broker,
      controllerPort: p.controller,
      dir: nodeDir,
      marker: nodeDir,
      propertiesFile: join(nodeDir, 'server.properties'),
      logFile: join(nodeDir, 'broker.log'),
      pidFile: join(nodeDir, 'broker.pid')
    }
  })
  const clusterIdFile = join(dir, 'cluster-id')
  if (!(await pathExists(clusterIdFile))) await writeFile(clusterIdFile, newClusterId())
  const clusterId = (await readFile(clusterIdFile, 'utf8')).trim()
  const info: ClusterInfo = {
    mode: 'local',
    dir,
    bootstrapServers: nodes.map((n) => `${host}:${n.brokerPort}`),
    registryUrl: '',
    ports: { broker: ports[0]?.broker ?? 0, controller: ports[0]?.controller ?? 0, registry: 0, registryManagement: 0 },
    pki: {
      dir: pkiDir,
      caFile: join(pkiDir, pkiLayout.caCert),
      admin: adminTlsFiles(pkiDir),
      gateways: Object.fromEntries(systems.map((id) => [id, gatewayTlsFiles(pkiDir, id)]))
    },
    processes: { broker: null, registry: null },
    containers: null,
    versions: { kafka: runtime.versions.kafka, apicurio: '' },
    startedAt: new Date().toISOString(),
    nodes,
    clusterId,
    javaCommand: options.java.broker.command,
    kafkaLibs: runtime.kafkaLibs,
    heapMb: options.heapMb ?? 320
  }
  const voters = nodes.map((n) => ({ nodeId: n.nodeId, controllerPort: n.controllerPort }))
  progress(`formatting ${count} KRaft nodes in ${dir}`)
  await Promise.all(
    nodes.map(async (node) => {
      await mkdir(join(node.dir, 'data'), { recursive: true })
      await writeFile(
        node.propertiesFile,
        renderClusterNodeProperties(
          {
            host,
            listenHost: 'localhost',
            nodeId: node.nodeId,
            ports: { broker: node.brokerPort, controller: node.controllerPort },
            files: {
              keystore: join(pkiDir, pkiLayout.brokerKeystore),
              truststore: join(pkiDir, pkiLayout.caCert),
              dataDir: join(node.dir, 'data')
            }
          },
          { voters }
        )
      )
      await writeFile(join(node.dir, 'log4j2.properties'), renderLog4j2Properties())
      try {
        await runToCompletion(
          info.javaCommand,
          formatStorageArgs(jvmFor(info, node), clusterId, node.propertiesFile),
          node.dir
        )
      } catch (cause) {
        throw new GatewayError(
          'ACMGW_STACK_START_FAILED',
          `formatting node ${node.nodeId} failed: ${(cause as Error).message}`,
          { cause }
        )
      }
    })
  )
  await writeFile(join(dir, 'stack.json'), JSON.stringify(info, null, 2) + '\n')
  progress(`starting Apache Kafka ${runtime.versions.kafka} on ${info.bootstrapServers.join(',')}`)
  for (const node of nodes) await startNode(info, node.nodeId)
  try {
    await waitForBrokers(
      info,
      nodes.map((n) => n.nodeId),
      options.readyTimeoutMs ?? 180_000
    )
  } catch (error) {
    await clusterDown(dir)
    throw error
  }
  return info
}

/** Stops every node (thawing a frozen one first) and forgets the description; data stays in `dir`. */
export async function clusterDown(dirOption: string): Promise<Record<number, string>> {
  const dir = resolve(dirOption)
  const info = await readClusterInfo(dir)
  if (info === undefined) return {}
  const outcomes = await Promise.all(info.nodes.map(async (n) => [n.nodeId, await stopNode(info, n.nodeId)] as const))
  await removeFile(join(dir, 'stack.json'))
  return Object.fromEntries(outcomes)
}
