/**
 * `npm run bench` (gateway and relay), `npm run bench:relay`, `npm run bench:gateway`: broker-backed benchmarks on
 * a local broker this script starts (free ports, temporary folder, mTLS as in production, stopped at the end).
 *
 *   R        raw kafkajs relay over mTLS (bench/relay.ts): the baseline
 *   R plain  the same relay over the PLAINTEXT listener (TLS cost)
 *   G        two real gateways, A → B → A (bench/gateway.ts)
 *
 * Warm-up first, then interleaved rounds (the order rotates every round) so that machine noise hits all variants
 * alike: throughput at maximum load with CPU µs per message (this process: load generator + relay or gateways +
 * sink; the broker separately), then latency at 10 % of the maximum load, then the memory each variant retained.
 *
 * Options: --rounds N (3), --relay-messages N (20000), --gateway-messages N (3000), --latency-seconds S (6),
 * --memory-messages N (10000: G requests between the two settled-memory readings), --memory-runs N (1: G runs of
 * that size in a row, memory read after each, to see whether RSS levels off).
 */
import { execFile } from 'node:child_process'
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os'
import { promisify } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { findStackJava } from '../src/devstack/runtime.ts'
import { type GatewayBench, gatewayRetentionMs, startGatewayBench } from './gateway.ts'
import { type BenchStack, cpuMeter, median, percentile, settledMemory, spread, startBenchStack } from './harness.ts'
import { type Relay, startRelay } from './relay.ts'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '3' },
    'relay-messages': { type: 'string', default: '20000' },
    'gateway-messages': { type: 'string', default: '3000' },
    'latency-seconds': { type: 'string', default: '6' },
    'memory-messages': { type: 'string', default: '10000' },
    'memory-runs': { type: 'string', default: '1' }
  }
})
const what = positionals[0] ?? 'all'
if (!['all', 'relay', 'gateway'].includes(what)) {
  console.error('usage: node --expose-gc bench/end-to-end.ts [all|relay|gateway] [--rounds N] …')
  process.exit(64)
}
const rounds = Number(values.rounds)
const relayMessages = Number(values['relay-messages'])
const gatewayMessages = Number(values['gateway-messages'])
const latencySeconds = Number(values['latency-seconds'])
const memoryMessages = Number(values['memory-messages'])
const memoryRuns = Number(values['memory-runs'])
const withGateway = what !== 'relay'
const withPlain = what !== 'gateway'
if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
  console.error('run with node --expose-gc (the npm scripts do): memory is read after a full collection')
  process.exit(64)
}

const log = (line: string) => console.error(`[bench] ${line}`)
const started = Date.now()
const java = await findStackJava(process.env)
const javaVersion = await promisify(execFile)(java.broker.command, ['-version'])
  .then((r) => r.stderr.split('\n')[0] ?? '')
  .catch(() => 'unknown')
const load0 = loadavg()

const stack: BenchStack = await startBenchStack((line) => log(line))
let exitCode = 0
try {
  await main(stack)
} catch (error) {
  console.error(error)
  exitCode = 1
} finally {
  await stack.down()
}
process.exit(process.exitCode ?? exitCode)

interface Row {
  perSecond: number[]
  oneWayPerSecond: number[]
  ownUs: number[]
  brokerUs: number[]
  cores: number[]
}
function row(): Row {
  return { perSecond: [], oneWayPerSecond: [], ownUs: [], brokerUs: [], cores: [] }
}

async function main(s: BenchStack): Promise<void> {
  log(
    `broker ${s.info.bootstrapServers.join(',')} (Kafka ${s.info.versions.kafka}), plaintext 127.0.0.1:${s.plaintextPort}`
  )
  const admin = await s.admin()
  const relayTls: Relay = await startRelay({
    name: 'tls',
    client: await s.tls('bench-relay-tls'),
    admin,
    valueBytes: 1024
  })
  const relayPlain: Relay | undefined = withPlain
    ? await startRelay({ name: 'plain', client: s.plaintext('bench-relay-plain'), admin, valueBytes: 1024 })
    : undefined
  const gateway: GatewayBench | undefined = withGateway ? await startGatewayBench(s, admin) : undefined
  const brokerPid = s.info.processes.broker
  const cpu = cpuMeter(brokerPid)

  type Variant = {
    name: string
    messages: number
    run: (n: number) => Promise<{ perSecond: number; oneWayPerSecond?: number }>
  }
  const variants: Variant[] = [
    { name: 'R (mTLS)', messages: relayMessages, run: (n) => relayTls.throughput(n) },
    ...(relayPlain === undefined
      ? []
      : [{ name: 'R (plaintext)', messages: relayMessages, run: (n: number) => relayPlain.throughput(n) }]),
    ...(gateway === undefined
      ? []
      : [{ name: 'G (A→B→A)', messages: gatewayMessages, run: (n: number) => gateway.throughput(n) }])
  ]

  log('warm-up')
  for (const v of variants) await v.run(Math.max(200, Math.round(v.messages / 4)))
  await relayTls.latency(200, 2)
  if (gateway !== undefined) await gateway.latency(50, 2)

  const results = new Map(variants.map((v) => [v.name, row()]))
  for (let round = 0; round < rounds; round++) {
    const order = variants.map((_, i) => variants[(i + round) % variants.length]!)
    for (const v of order) {
      const meter = await cpu.start()
      const r = await v.run(v.messages)
      const c = await meter.stop(v.messages)
      const x = results.get(v.name)!
      x.perSecond.push(r.perSecond)
      if (r.oneWayPerSecond !== undefined) x.oneWayPerSecond.push(r.oneWayPerSecond)
      x.ownUs.push(c.ownUsPerMsg)
      x.brokerUs.push(c.brokerUsPerMsg)
      x.cores.push(c.ownCores)
      log(
        `round ${round + 1}/${rounds} ${v.name}: ${Math.round(r.perSecond)} msg/s, ${c.ownUsPerMsg.toFixed(0)} µs/msg here, ${c.brokerUsPerMsg.toFixed(0)} µs/msg broker`
      )
    }
  }

  const rMax = median(results.get('R (mTLS)')!.perSecond)
  const gMax = gateway === undefined ? undefined : median(results.get('G (A→B→A)')!.perSecond)
  // The latency comparison runs R and G at the same rate: 10 % of G's maximum (10 % of R's without G).
  const rate = Math.max(1, Math.round(0.1 * (gMax ?? rMax)))
  const rOwnRate = Math.max(1, Math.round(0.1 * rMax))
  type Lat = { name: string; run: () => Promise<{ latencies: number[]; oneWay?: number[] }> }
  const latencyVariants: Lat[] = [
    { name: `R (mTLS) at ${rate}/s`, run: () => relayTls.latency(rate, latencySeconds) },
    ...(gateway === undefined
      ? []
      : [{ name: `G round trip at ${rate}/s`, run: () => gateway.latency(rate, latencySeconds) }]),
    ...(gateway !== undefined && withPlain
      ? [{ name: `R (mTLS) at ${rOwnRate}/s (10 % of R)`, run: () => relayTls.latency(rOwnRate, latencySeconds) }]
      : [])
  ]
  const lat = new Map<
    string,
    { p50: number[]; p99: number[]; max: number[]; oneWayP50: number[]; oneWayP99: number[]; all: number[] }
  >(latencyVariants.map((v) => [v.name, { p50: [], p99: [], max: [], oneWayP50: [], oneWayP99: [], all: [] }]))
  for (let round = 0; round < rounds; round++) {
    const order = latencyVariants.map((_, i) => latencyVariants[(i + round) % latencyVariants.length]!)
    for (const v of order) {
      const r = await v.run()
      const x = lat.get(v.name)!
      x.p50.push(percentile(r.latencies, 50))
      x.p99.push(percentile(r.latencies, 99))
      x.max.push(r.latencies.at(-1) ?? NaN)
      x.all.push(...r.latencies)
      if (r.oneWay !== undefined) {
        x.oneWayP50.push(percentile(r.oneWay, 50))
        x.oneWayP99.push(percentile(r.oneWay, 99))
      }
      log(
        `latency round ${round + 1}/${rounds} ${v.name}: p50 ${percentile(r.latencies, 50).toFixed(1)} ms, p99 ${percentile(r.latencies, 99).toFixed(1)} ms`
      )
    }
  }

  // Memory: settled RSS and heap before and after a long run of one variant, scaled to 100 000 messages. The
  // gateway keeps what a request needs for its lifetime (replay protection, trace) and forgets it after: it is
  // read right after the run (what the windows hold) and once the windows have passed (what stays for good),
  // after a first run of the same size that settles the working set.
  const memory: {
    name: string
    messages: number
    rss: number
    heap: number
    windowHeap?: number
    /** Settled RSS and heap growth since the first reading, after each run. */
    series: { rss: number; heap: number }[]
  }[] = []
  const per100k = (bytes: number, messages: number) => (bytes / messages) * 100_000
  const measureMemory = async (
    name: string,
    messages: number,
    run: (n: number) => Promise<unknown>,
    retentionMs = 0,
    runs = 1
  ) => {
    if (retentionMs > 0) {
      // A first run of the same size brings the process to the working set that a full window needs (allocators
      // keep freed pages); growth is then read between the ends of equal runs.
      await run(messages)
      await sleep(retentionMs)
    }
    const before = await settledMemory()
    let inWindow: Awaited<ReturnType<typeof settledMemory>> | undefined
    const series: { rss: number; heap: number }[] = []
    let after = before
    for (let i = 0; i < runs; i++) {
      await run(messages)
      if (i === 0 && retentionMs > 0) inWindow = await settledMemory()
      await sleep(retentionMs)
      after = await settledMemory()
      series.push({ rss: after.rss - before.rss, heap: after.heapUsed - before.heapUsed })
      log(
        `memory ${name}: after ${(i + 1) * messages} messages RSS ${((after.rss - before.rss) / 2 ** 20).toFixed(1)} MiB, heap ${((after.heapUsed - before.heapUsed) / 2 ** 20).toFixed(1)} MiB${inWindow === undefined || i > 0 ? '' : `; heap right after the run ${((inWindow.heapUsed - before.heapUsed) / 2 ** 20).toFixed(1)} MiB`}`
      )
    }
    memory.push({
      name,
      messages: messages * runs,
      rss: per100k(after.rss - before.rss, messages * runs),
      heap: per100k(after.heapUsed - before.heapUsed, messages * runs),
      windowHeap: inWindow === undefined ? undefined : (inWindow.heapUsed - before.heapUsed) / messages,
      series
    })
  }
  await measureMemory('R (mTLS)', Math.max(relayMessages, memoryMessages), (n) => relayTls.throughput(n))
  if (gateway !== undefined) {
    await measureMemory('G (A→B→A)', memoryMessages, (n) => gateway.throughput(n), gatewayRetentionMs, memoryRuns)
  }
  const outcomes = gateway?.outcomes()

  await relayTls.stop()
  await relayPlain?.stop()
  await gateway?.stop()

  // ---- report ----
  const cpu0 = cpus()[0]
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`
  const out = (line = '') => console.log(line)
  out(`# end-to-end benchmark (${what}), ${new Date().toISOString()}`)
  out(
    `machine: ${availableParallelism()} CPUs (${cpu0?.model ?? 'unknown'}), ${mib(totalmem())} RAM, load average ${load0.map((x) => x.toFixed(2)).join(' ')} at start and ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} at end`
  )
  out(
    `Node ${process.version}, ${javaVersion}, Apache Kafka ${s.info.versions.kafka} (one local KRaft broker, 512 MiB heap)`
  )
  out(
    `${rounds} interleaved rounds after warm-up; R ${relayMessages} and G ${gatewayMessages} messages per throughput round; latency ${latencySeconds} s per round; values: median (min–max) over the rounds`
  )
  out()
  out('throughput at maximum load')
  for (const [name, x] of results) {
    const oneWay = x.oneWayPerSecond.length > 0 ? `, one way (B applied) ${spread(x.oneWayPerSecond, 0)} msg/s` : ''
    out(
      `  ${name.padEnd(14)} ${spread(x.perSecond, 0)} msg/s${oneWay}; CPU ${spread(x.ownUs, 0)} µs/msg in this process (${spread(x.cores, 2)} cores), broker ${spread(x.brokerUs, 0)} µs/msg`
    )
  }
  if (gMax !== undefined) {
    const g = results.get('G (A→B→A)')!.perSecond
    const r = results.get('R (mTLS)')!.perSecond
    const ratios = g.map((x, i) => x / (r[i] ?? NaN))
    out(`  G / R = ${spread(ratios, 3)} (target ≥ 0.5) ${median(ratios) >= 0.5 ? 'MET' : 'MISSED'}`)
  }
  if (relayPlain !== undefined) {
    const t = results.get('R (mTLS)')!.perSecond
    const p = results.get('R (plaintext)')!.perSecond
    out(
      `  R mTLS / R plaintext = ${spread(
        t.map((x, i) => x / (p[i] ?? NaN)),
        3
      )}`
    )
  }
  out()
  out("latency (ms, from the send call to the sink / to A's trace answered), p50 and p99 per round")
  for (const [name, x] of lat) {
    const sorted = [...x.all].sort((a, b) => a - b)
    const oneWay =
      x.oneWayP50.length > 0 ? `; one way to B applied p50 ${spread(x.oneWayP50)} p99 ${spread(x.oneWayP99)}` : ''
    out(
      `  ${name.padEnd(34)} p50 ${spread(x.p50)} p99 ${spread(x.p99)} max ${spread(x.max)}; pooled p50 ${percentile(sorted, 50).toFixed(1)} p99 ${percentile(sorted, 99).toFixed(1)}${oneWay}`
    )
  }
  if (gateway !== undefined) {
    const r = lat.get(`R (mTLS) at ${rate}/s`)!
    const g = lat.get(`G round trip at ${rate}/s`)!
    const d50 = g.p50.map((x, i) => x - (r.p50[i] ?? NaN))
    const d99 = g.p99.map((x, i) => x - (r.p99[i] ?? NaN))
    out(
      `  G − R at ${rate}/s: p50 ${spread(d50)} ms, p99 ${spread(d99)} ms (target p99 ≤ R + 5 ms) ${median(d99) <= 5 ? 'MET' : 'MISSED'}`
    )
    if (g.oneWayP99.length > 0) {
      const w99 = g.oneWayP99.map((x, i) => x - (r.p99[i] ?? NaN))
      out(`  G one way − R at ${rate}/s: p99 ${spread(w99)} ms`)
    }
  }
  out()
  out('memory retained after a full collection, scaled to 100 000 messages')
  for (const m of memory) {
    out(
      `  ${m.name.padEnd(14)} RSS ${mib(m.rss)}, heap ${mib(m.heap)} per 100 000 (measured over ${m.messages})${m.name.startsWith('G') ? ` once the retention windows passed (target RSS ≤ 5 MiB) ${Math.max(m.rss, m.heap) <= 5 * 2 ** 20 ? 'MET' : 'MISSED'} (judged on the larger of RSS and heap: RSS moves in allocator steps and can fall)` : ''}`
    )
    if (m.series.length > 1) {
      const steps = m.series.map(
        (x, i) => `${mib(x.rss)} / ${mib(x.heap)} after ${((i + 1) * m.messages) / m.series.length}`
      )
      out(`  ${''.padEnd(14)} RSS / heap growth, run by run: ${steps.join('; ')}`)
    }
    if (m.windowHeap !== undefined) {
      out(
        `  ${''.padEnd(14)} while requests are inside their windows: ${m.windowHeap.toFixed(0)} bytes of heap per request (both gateways)`
      )
    }
  }
  if (outcomes !== undefined) out(`gateway outcomes: ${JSON.stringify(outcomes)}`)
  out(`total ${((Date.now() - started) / 1000).toFixed(0)} s`)
}
