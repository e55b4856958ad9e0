/**
 * What the broker-backed benchmarks share: their own local broker (KRaft, mTLS as in production, plus a
 * PLAINTEXT listener on 127.0.0.1 for the TLS-vs-plaintext comparison of the raw relay), started on free ports in
 * a temporary folder and stopped at the end; CPU readings of this process and of the broker; statistics.
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import kafkajs, { type Admin, type KafkaConfig } from 'kafkajs'
import { defaultCacheDir, findStackJava } from '../src/devstack/runtime.ts'
import { freePort } from '../src/devstack/processes.ts'
import { type StackInfo, stackDown, stackUp } from '../src/devstack/stack.ts'
import { loadTlsOptions } from '../src/kafka/client.ts'

const { Kafka, logLevel, AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs

/** Gateway identities issued into the benchmark PKI. */
export const benchSystems = ['bench-a', 'bench-b'] as const

export interface BenchStack {
  info: StackInfo
  dir: string
  plaintextPort: number
  /** Client settings over mutual TLS with the admin identity (a super user: no ACL look-ups on the broker). */
  tls(clientId: string): Promise<KafkaConfig>
  /** Client settings over the PLAINTEXT listener (User:ANONYMOUS, allowed on `bench.*` only). */
  plaintext(clientId: string): KafkaConfig
  admin(): Promise<Admin>
  down(): Promise<void>
}

const quiet = { logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 200 } }

export async function startBenchStack(progress: (line: string) => void): Promise<BenchStack> {
  const dir = await mkdtemp(join(tmpdir(), 'acmgw-bench-'))
  const plaintextPort = await freePort()
  let info: StackInfo
  try {
    info = await stackUp({
      dir,
      systems: benchSystems,
      ports: {
        broker: await freePort(),
        controller: await freePort(),
        registry: await freePort(),
        registryManagement: await freePort()
      },
      plaintextPort,
      // The plaintext listener exists in local mode only; the benchmark always runs the broker as a local JVM.
      mode: 'local',
      cacheDir: defaultCacheDir(process.env),
      java: await findStackJava(process.env),
      brokerHeapMb: 512,
      registryHeapMb: 256,
      // On a loaded machine the registry (unused here, but part of the stack) can take minutes to start.
      readyTimeoutMs: 360_000,
      onProgress: progress
    })
  } catch (error) {
    await stackDown(dir).catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
    throw error
  }
  const tls = async (clientId: string): Promise<KafkaConfig> => ({
    clientId,
    brokers: [...info.bootstrapServers],
    ssl: await loadTlsOptions(info.pki.admin),
    ...quiet
  })
  const admins: Admin[] = []
  const stack: BenchStack = {
    info,
    dir,
    plaintextPort,
    tls,
    plaintext: (clientId) => ({ clientId, brokers: [`127.0.0.1:${plaintextPort}`], ...quiet }),
    async admin() {
      const admin = new Kafka(await tls('bench-admin')).admin()
      await admin.connect()
      admins.push(admin)
      return admin
    },
    async down() {
      for (const admin of admins) await admin.disconnect().catch(() => undefined)
      await stackDown(dir)
      if (process.env.ACMGW_KEEP_BENCH_STACK === undefined) await rm(dir, { recursive: true, force: true })
    }
  }
  try {
    await allowAnonymousBench(await stack.admin())
  } catch (error) {
    await stack.down()
    throw error
  }
  return stack
}

/** The plaintext listener has no client identity: allow User:ANONYMOUS on the `bench.` topics and groups only. */
async function allowAnonymousBench(admin: Admin): Promise<void> {
  const acl = [AclResourceTypes.TOPIC, AclResourceTypes.GROUP].map((resourceType) => ({
    resourceType,
    resourceName: 'bench.',
    resourcePatternType: ResourcePatternTypes.PREFIXED,
    principal: 'User:ANONYMOUS',
    host: '*',
    operation: AclOperationTypes.ALL,
    permissionType: AclPermissionTypes.ALLOW
  }))
  await admin.createAcls({ acl })
  const deadline = Date.now() + 15_000
  for (;;) {
    const found = await admin.describeAcls({
      resourceType: AclResourceTypes.ANY,
      resourcePatternType: ResourcePatternTypes.ANY,
      principal: 'User:ANONYMOUS',
      host: '*',
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY
    })
    if (found.resources.reduce((n, r) => n + r.acls.length, 0) >= acl.length) return
    if (Date.now() > deadline) throw new Error('the ACLs for the plaintext listener did not become visible')
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** User+system CPU time of a process in microseconds, from /proc (Linux); null where unreadable. */
export async function processCpuUs(pid: number | null): Promise<number | null> {
  if (pid === null) return null
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[11]) + Number(fields[12])
    return (ticks * 1e6) / 100
  } catch {
    return null
  }
}

/** CPU of this process and of the broker between start() and stop(), per message. */
export function cpuMeter(brokerPid: number | null) {
  return {
    async start() {
      const own = process.cpuUsage()
      const broker = await processCpuUs(brokerPid)
      const t0 = performance.now()
      return {
        async stop(messages: number) {
          const d = process.cpuUsage(own)
          const b = await processCpuUs(brokerPid)
          const seconds = (performance.now() - t0) / 1000
          return {
            ownUsPerMsg: (d.user + d.system) / messages,
            brokerUsPerMsg: b === null || broker === null ? NaN : (b - broker) / messages,
            ownCores: (d.user + d.system) / 1e6 / seconds
          }
        }
      }
    }
  }
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[i] ?? NaN
}

export function median(xs: readonly number[]): number {
  return percentile(
    [...xs].sort((a, b) => a - b),
    50
  )
}

/** Median, minimum and maximum of repeated measurements, as "median (min–max)". */
export function spread(xs: readonly number[], digits = 1): string {
  if (xs.length === 0) return 'n/a'
  const s = [...xs].sort((a, b) => a - b)
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a')
  return `${f(median(s))} (${f(s[0] ?? NaN)}–${f(s[s.length - 1] ?? NaN)})`
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Calls `send(i)` for i in [0, count) at `rate` per second, without waiting for one to finish first. */
export async function paced(count: number, rate: number, send: (i: number) => Promise<unknown>): Promise<void> {
  const t0 = performance.now()
  const pending: Promise<unknown>[] = []
  for (let i = 0; i < count; i++) {
    const due = t0 + (i * 1000) / rate
    const wait = due - performance.now()
    if (wait > 1) await sleep(wait)
    pending.push(send(i))
  }
  await Promise.all(pending)
}

/** RSS and heap after a full collection (the benchmark runs with --expose-gc). */
export async function settledMemory(): Promise<{ rss: number; heapUsed: number }> {
  const gc = (globalThis as { gc?: () => void }).gc
  for (let i = 0; i < 3; i++) {
    gc?.()
    await sleep(50)
  }
  const m = process.memoryUsage()
  return { rss: m.rss, heapUsed: m.heapUsed }
}
