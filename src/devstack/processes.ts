/**
 * Background processes the local stack starts: spawned detached with output to a log file, remembered by a
 * pid file, and stopped only when the pid still belongs to a process whose command line names our state
 * folder (a recycled pid is never signalled).
 */
import { spawn } from 'node:child_process'
import { open, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { GatewayError } from '../errors.ts'

export interface BackgroundProcess {
  pid: number
  logFile: string
}

export async function spawnBackground(options: {
  command: string
  args: string[]
  cwd: string
  logFile: string
  pidFile: string
  env?: NodeJS.ProcessEnv
}): Promise<BackgroundProcess> {
  const log = await open(options.logFile, 'a')
  try {
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
      env: options.env
    })
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', reject)
      child.once('spawn', () => resolve(child.pid ?? -1))
    })
    child.unref()
    await writeFile(options.pidFile, `${pid}\n`)
    return { pid, logFile: options.logFile }
  } finally {
    await log.close()
  }
}

export async function runToCompletion(command: string, args: string[], cwd: string): Promise<string> {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', resolve)
  })
  if (code !== 0) throw new Error(`${command} exited with ${code}: ${output.trim().split('\n').slice(-8).join('\n')}`)
  return output
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** True when pid runs and one of its command-line arguments is exactly `marker`. */
export async function isOurs(pid: number, marker: string): Promise<boolean> {
  if (!isAlive(pid)) return false
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8')
    return cmdline.split('\0').includes(marker)
  } catch {
    // No /proc (not Linux): fall back to liveness, the pid file was written by us.
    return true
  }
}

export async function readPid(pidFile: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(pidFile, 'utf8')).trim())
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopProcess(pid: number, graceMs: number): Promise<'stopped' | 'killed' | 'gone'> {
  if (!isAlive(pid)) return 'gone'
  // Detached children lead their own process group: signal the group so helpers die with them.
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig)
    } catch {
      try {
        process.kill(pid, sig)
      } catch {
        // already gone
      }
    }
  }
  signal('SIGTERM')
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'stopped'
    await sleep(100)
  }
  signal('SIGKILL')
  while (isAlive(pid)) await sleep(50)
  return 'killed'
}

export async function removeFile(path: string): Promise<void> {
  await rm(path, { force: true })
}

export async function assertPortFree(port: number, host: string, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer()
    server.once('error', (cause: NodeJS.ErrnoException) =>
      reject(
        new GatewayError(
          'ACMGW_PORT_IN_USE',
          `port ${port} on ${host} (${what}) is in use${cause.code === 'EADDRINUSE' ? '' : ` (${cause.code})`}: stop what holds it or choose another port`,
          { cause, details: { port, what } }
        )
      )
    )
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve()))
  })
}

/** A port the OS says is free now; used for test stacks that must not collide. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen({ port: 0, host }, () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export async function tailFile(path: string, lines: number): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}

/**
 * One signal to one process the caller started (the fault suite: SIGKILL, SIGSTOP, SIGCONT). Only the pid is
 * signalled, never its group. False when the process is gone.
 */
export function signalProcess(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal)
    return true
  } catch {
    return false
  }
}

/** Resolves true once pid is gone, false if it still runs after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false
    await sleep(50)
  }
  return true
}
