#!/usr/bin/env node
// The process entry: the only module that reads `process` and handles signals.
import { runCli } from './program.ts'

// kafkajs 2.2.4 schedules a negative timeout on newer Node (harmless, it is clamped to 1 ms): keep that one
// warning out of operators' terminals and print every other warning as Node would.
process.removeAllListeners('warning')
process.on('warning', (warning) => {
  if (warning.name === 'TimeoutNegativeWarning' && warning.stack?.includes('kafkajs') === true) return
  process.stderr.write(`${warning.name}: ${warning.message}\n`)
})

let graceful: ((signal: string) => void) | undefined
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (graceful === undefined) process.exit(signal === 'SIGINT' ? 130 : 143)
    const finish = graceful
    graceful = undefined // a second signal ends the process
    finish(signal)
  })
}

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  untilShutdown: () => new Promise<string>((resolve) => (graceful = resolve))
})
// Exit once stdout and stderr are flushed rather than when the last handle closes: a gateway stop may leave a
// step behind (ops.stopTimeout) whose sockets would keep the process alive.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)))
