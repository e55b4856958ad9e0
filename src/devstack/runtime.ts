/**
 * Obtains the broker and registry runtimes from Maven Central through the project's pom
 * (scripts/runtime/pom.xml) into a cache folder shared by every checkout on the machine.
 */
import { execFile } from 'node:child_process'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { GatewayError } from '../errors.ts'
import { kafkaRuntime, type RegistryRuntime, registryRuntimes } from './settings.ts'
import { pathExists } from '../files.ts'

const run = promisify(execFile)

export interface RuntimePaths {
  kafkaLibs: string
  apicurioRunJar: string
  versions: { kafka: string; apicurio: string }
}

export interface RuntimeOptions {
  /** Where the unpacked runtimes live; default `$ACMGW_CACHE_DIR` or `~/.cache/acmgw`. */
  cacheDir: string
  registry: RegistryRuntime
  mavenCommand?: string
  onProgress?: (line: string) => void
}

export function defaultCacheDir(env: Record<string, string | undefined>): string {
  return env.ACMGW_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'acmgw')
}

const pomFile = fileURLToPath(new URL('../../scripts/runtime/pom.xml', import.meta.url))

export function runtimePaths(cacheDir: string, registry: RegistryRuntime): RuntimePaths {
  return {
    kafkaLibs: join(cacheDir, 'runtime', `kafka-${kafkaRuntime.version}`, 'libs'),
    apicurioRunJar: join(cacheDir, 'runtime', `apicurio-${registry.version}`, registry.runJar),
    versions: { kafka: kafkaRuntime.version, apicurio: registry.version }
  }
}

export interface JavaRuntime {
  command: string
  major: number
  version: string
}

export async function probeJava(command: string): Promise<JavaRuntime | undefined> {
  try {
    const { stderr, stdout } = await run(command, ['-version'])
    const text = `${stderr}${stdout}`
    const match = /version "(\d+)(?:\.(\d+))?/.exec(text)
    if (match === null) return undefined
    const major = Number(match[1] === '1' ? match[2] : match[1])
    return { command, major, version: text.split('\n')[0]?.trim() ?? text }
  } catch {
    return undefined
  }
}

/**
 * The first Java at least `minMajor` among, in order: $ACMGW_JAVA_HOME, $JAVA_HOME, `java` on the PATH and the
 * JDKs under /usr/lib/jvm (newest first). The error lists what was found, so a missing runtime is obvious.
 */
export async function findJava(
  minMajor: number,
  env: Record<string, string | undefined>,
  jvmRoot = '/usr/lib/jvm'
): Promise<JavaRuntime> {
  const homes = [env.ACMGW_JAVA_HOME, env.JAVA_HOME].filter((h): h is string => h !== undefined && h !== '')
  const candidates = [...homes.map((h) => join(h, 'bin', 'java')), 'java']
  let installed: string[] = []
  try {
    installed = (await readdir(jvmRoot)).map((d) => join(jvmRoot, d, 'bin', 'java'))
  } catch {
    // no JDK folder on this system
  }
  const seen: JavaRuntime[] = []
  for (const command of candidates) {
    const java = await probeJava(command)
    if (java === undefined) continue
    if (java.major >= minMajor) return java
    seen.push(java)
  }
  const others = (await Promise.all(installed.map(probeJava))).filter((j): j is JavaRuntime => j !== undefined)
  others.sort((a, b) => b.major - a.major)
  const best = others.find((j) => j.major >= minMajor)
  if (best !== undefined) return best
  const found = [...seen, ...others].map((j) => `${j.command} (${j.major})`).join(', ') || 'none'
  throw new GatewayError(
    'ACMGW_JAVA_MISSING',
    `Java ${minMajor} or newer is needed; found: ${found}. Set ACMGW_JAVA_HOME (or JAVA_HOME) to a JDK ${minMajor}+ ` +
      `(Debian 12 ships 17 only; Adoptium Temurin 21 or 25 work)`,
    { details: { minMajor } }
  )
}

export interface StackJava {
  broker: JavaRuntime
  registry: JavaRuntime
  registryRuntime: RegistryRuntime
}

/** A Java for the broker, and the most preferred registry distribution some installed Java can run. */
export async function findStackJava(env: Record<string, string | undefined>): Promise<StackJava> {
  const broker = await findJava(kafkaRuntime.minJava, env)
  let lastError: unknown
  for (const registryRuntime of registryRuntimes) {
    try {
      return { broker, registry: await findJava(registryRuntime.minJava, env), registryRuntime }
    } catch (error) {
      lastError = error
    }
  }
  throw lastError
}

/**
 * Resolves the runtimes, fetching only what the cache lacks. A failed fetch names the artifact version so
 * that a mirror serving only some versions is easy to diagnose.
 */
export async function ensureRuntime(options: RuntimeOptions): Promise<RuntimePaths> {
  const kafka = kafkaRuntime.version
  const apicurio = options.registry.version
  const paths = runtimePaths(options.cacheDir, options.registry)
  const marker = join(paths.kafkaLibs, '.complete')
  if ((await pathExists(marker)) && (await pathExists(paths.apicurioRunJar))) return paths
  options.onProgress?.(
    `fetching Apache Kafka ${kafka} and Apicurio Registry ${apicurio} from Maven Central into ${options.cacheDir} (once per machine)`
  )
  await mkdir(options.cacheDir, { recursive: true })
  const args = [
    '-B',
    '-q',
    '-f',
    pomFile,
    'package',
    `-Dkafka.version=${kafka}`,
    `-Dapicurio.version=${apicurio}`,
    `-Druntime.dir=${join(options.cacheDir, 'runtime')}`,
    `-DbuildDirectory=${join(options.cacheDir, 'build')}`
  ]
  try {
    await run(options.mavenCommand ?? 'mvn', args, { maxBuffer: 64 * 1024 * 1024 })
  } catch (cause) {
    const out = cause as { stdout?: string; stderr?: string; code?: unknown }
    const detail = `${out.stdout ?? ''}${out.stderr ?? ''}`
      .split('\n')
      .filter((l) => /ERROR|Could not|not found|resolve/i.test(l))
      .slice(0, 6)
      .join('\n')
    throw new GatewayError(
      'ACMGW_RUNTIME_FETCH_FAILED',
      `could not fetch org.apache.kafka:kafka_2.13:${kafka} and io.apicurio:apicurio-registry-app:${apicurio}:tar.gz:all ` +
        `through Maven (${out.code === 'ENOENT' ? 'mvn is not installed' : 'mvn failed'}).\n${detail}`,
      { cause, details: { kafkaVersion: kafka, apicurioVersion: apicurio } }
    )
  }
  if (!(await pathExists(paths.apicurioRunJar))) {
    throw new GatewayError(
      'ACMGW_RUNTIME_FETCH_FAILED',
      `Maven finished but ${paths.apicurioRunJar} is missing: the apicurio-registry-app ${apicurio} archive has an unexpected layout`
    )
  }
  await writeFile(marker, `${new Date().toISOString()}\n`)
  return paths
}
