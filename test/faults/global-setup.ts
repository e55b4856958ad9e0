/**
 * The fault suite's own global setup: a three-node KRaft cluster (each node broker and controller, mTLS, ACLs,
 * replication factor 3, min.insync.replicas 2) as local JVMs on free ports, started once for the run and
 * described in ACMGW_TEST_STACK like the single-node test stack, so the test helpers work unchanged.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { clusterDown, clusterUp } from '../../src/devstack/cluster.ts'
import { defaultCacheDir, findStackJava } from '../../src/devstack/runtime.ts'
import { testSystems } from '../helpers/stack.ts'

let clusterDir: string | undefined

export async function globalSetup(): Promise<void> {
  clusterDir = await mkdtemp(join(tmpdir(), 'acmgw-faults-'))
  const started = Date.now()
  await clusterUp({
    dir: clusterDir,
    nodes: 3,
    systems: testSystems,
    cacheDir: defaultCacheDir(process.env),
    java: await findStackJava(process.env),
    heapMb: Number(process.env.FAULTS_BROKER_HEAP_MB ?? 320),
    onProgress: (line) => console.error(`[fault cluster] ${line}`)
  })
  process.env.ACMGW_TEST_STACK = clusterDir
  console.error(`[fault cluster] 3 nodes up in ${((Date.now() - started) / 1000).toFixed(1)} s at ${clusterDir}`)
}

export async function globalTeardown(): Promise<void> {
  if (clusterDir === undefined) return
  await clusterDown(clusterDir)
  if (process.env.ACMGW_KEEP_TEST_STACK === undefined) await rm(clusterDir, { recursive: true, force: true })
}
