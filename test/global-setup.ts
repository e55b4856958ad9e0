/**
 * Starts one real broker (KRaft, mTLS, StandardAuthorizer) and one real registry for the whole test run, on
 * free loopback ports, and tells the test files where through ACMGW_TEST_STACK. Mode: $ACMGW_STACK_MODE
 * (auto: containers where a Docker engine answers, otherwise local JVMs from Maven Central artifacts).
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defaultCacheDir, findStackJava } from '../src/devstack/runtime.ts'
import { type RequestedStackMode, resolveStackMode, stackDown, stackUp } from '../src/devstack/stack.ts'
import { freePort, isAlive } from '../src/devstack/processes.ts'
import { testSystems } from './helpers/stack.ts'

let stackDir: string | undefined
const ownerFile = 'owner.pid'

/**
 * Test stacks whose test run died without its teardown (a killed runner) are stopped here, so that brokers
 * never pile up on a developer's machine: each stack folder names the pid of the run that owns it.
 */
async function stopOrphanedStacks(): Promise<void> {
  for (const name of await readdir(tmpdir())) {
    if (!name.startsWith('acmgw-test-')) continue
    const dir = join(tmpdir(), name)
    const owner = Number(await readFile(join(dir, ownerFile), 'utf8').catch(() => 'NaN'))
    if (!Number.isInteger(owner) || isAlive(owner)) continue
    await stackDown(dir).catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
    console.error(`[test stack] stopped an orphaned test stack in ${dir}`)
  }
}

export async function globalSetup(): Promise<void> {
  await stopOrphanedStacks()
  stackDir = await mkdtemp(join(tmpdir(), 'acmgw-test-'))
  await writeFile(join(stackDir, ownerFile), String(process.pid))
  const dir = stackDir
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void stackDown(dir).finally(() => process.exit(130))
    })
  }
  const started = Date.now()
  const mode = await resolveStackMode((process.env.ACMGW_STACK_MODE ?? 'auto') as RequestedStackMode, process.env)
  await stackUp({
    dir: stackDir,
    systems: testSystems,
    ports: {
      broker: await freePort(),
      controller: await freePort(),
      registry: await freePort(),
      registryManagement: await freePort()
    },
    mode,
    cacheDir: defaultCacheDir(process.env),
    java: mode === 'local' ? await findStackJava(process.env) : undefined,
    brokerHeapMb: 512,
    registryHeapMb: 384,
    onProgress: (line) => console.error(`[test stack] ${line}`)
  })
  process.env.ACMGW_TEST_STACK = stackDir
  console.error(`[test stack] up in ${((Date.now() - started) / 1000).toFixed(1)} s (${mode}) at ${stackDir}`)
}

export async function globalTeardown(): Promise<void> {
  if (stackDir === undefined) return
  await stackDown(stackDir)
  if (process.env.ACMGW_KEEP_TEST_STACK === undefined) await rm(stackDir, { recursive: true, force: true })
}
