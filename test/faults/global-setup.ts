/**
 * The fault suite's own global setup: a three-node KRaft cluster (each node broker and controller, mTLS, ACLs,
 * replication factor 3, min.insync.replicas 2) as local JVMs on free ports, started once for the run and
 * described in ACMGW_TEST_STACK like the single-node test stack, so the test helpers work unchanged.
 * A cluster whose run died without its teardown is stopped by the next run (its folder names the owner pid).
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { clusterDown, clusterUp } from '../../src/devstack/cluster.ts'
import { isAlive } from '../../src/devstack/processes.ts'
import { defaultCacheDir, findStackJava } from '../../src/devstack/runtime.ts'
import { testSystems } from '../helpers/stack.ts'

const prefix = 'acmgw-faults-'
const ownerFile = 'owner.pid'

async function stopOrphanedClusters(): Promise<void> {
  for (const name of await readdir(tmpdir())) {
    if (!name.startsWith(prefix)) continue
    const dir = join(tmpdir(), name)
    const owner = Number(await readFile(join(dir, ownerFile), 'utf8').catch(() => 'NaN'))
    if (!Number.isInteger(owner) || isAlive(owner)) continue
    await clusterDown(dir).catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
    console.error(`[fault cluster] stopped an orphaned cluster in ${dir}`)
  }
}

export async function globalSetup(): Promise<void> {
  await stopOrphanedClusters()
  const dir = await mkdtemp(join(tmpdir(), prefix))
  await writeFile(join(dir, ownerFile), String(process.pid))
  process.env.ACMGW_TEST_STACK = dir
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void clusterDown(dir).finally(() => process.exit(130))
    })
  }
  const started = Date.now()
  await clusterUp({
    dir,
    nodes: 3,
    systems: testSystems,
    cacheDir: defaultCacheDir(process.env),
    java: await findStackJava(process.env),
    heapMb: Number(process.env.FAULTS_BROKER_HEAP_MB ?? 320),
    onProgress: (line) => console.error(`[fault cluster] ${line}`)
  })
  console.error(`[fault cluster] 3 nodes up in ${((Date.now() - started) / 1000).toFixed(1)} s at ${dir}`)
}

export async function globalTeardown(): Promise<void> {
  const dir = process.env.ACMGW_TEST_STACK
  if (dir === undefined || !dir.includes(prefix)) return
  const stopped = await clusterDown(dir)
  console.error(`[fault cluster] stopped: ${JSON.stringify(stopped)}`)
  if (process.env.ACMGW_KEEP_TEST_STACK === undefined) await rm(dir, { recursive: true, force: true })
}
