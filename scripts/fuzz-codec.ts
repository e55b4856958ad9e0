/**
 * `npm run fuzz [-- <count> [seed]]`: drives mutated valid records and random inputs through the receiving
 * codec's decode-and-verify (both wire framings) and reports every outcome. A crash is anything thrown that is
 * not a GatewayError; the run fails on any crash, or when one input took 50 ms or more.
 *
 * Half of the mutated inputs are re-signed with the sender's real key, so that they pass the signature check
 * and reach the size, framing, pre-scan, decode, envelope and unsealing steps (what a buggy or compromised
 * partner could send); the other half keep the original signature (what the broker or a stranger could send).
 * Not part of the unit suite; CI runs it with a smaller count.
 *
 * Timing: a single wall-clock observation on a shared machine includes preemption and GC pauses, so the ten
 * slowest inputs are replayed five times each after the run; the verdict uses the median of the replays, and
 * both numbers are printed.
 */
import { writeFile } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import { topicCategories } from '../src/codec/catalogue.ts'
import type { AcmCodec, ConsumedRecord, HeaderValue, ProducedRecord } from '../src/codec/codec.ts'
import { signatureHeader, signerHeader } from '../src/envelope/signing.ts'
import { GatewayError } from '../src/errors.ts'
import {
  baseTime,
  codecFor,
  kindNames,
  message,
  offlineRegistryWire,
  sampleSecrets,
  testPki
} from '../test/helpers/acm.ts'
import { zigzag } from '../test/helpers/avro-bytes.ts'

const count = Number(process.argv[2] ?? 1_000_000)
const seed = Number(process.argv[3] ?? 0x5eed)
if (!Number.isInteger(count) || count < 1) throw new Error(`count must be a positive integer, got ${process.argv[2]}`)
const slowLimitMs = 50

// mulberry32: small, fast, reproducible
let state = seed >>> 0
function random(): number {
  state = (state + 0x6d2b79f5) >>> 0
  let t = state
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const int = (n: number) => Math.floor(random() * n)
const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T
const randomBytes = (n: number) => {
  const b = Buffer.allocUnsafe(n)
  for (let i = 0; i < n; i++) b[i] = int(256)
  return b
}

// --- codecs: embedded, and the Confluent framing with ids assigned offline (no registry needed to fuzz it)
const registryWire = await offlineRegistryWire()
const senders = { embedded: await codecFor('alpha'), registry: await codecFor('alpha', { wire: registryWire }) }
const receivers: Record<'embedded' | 'registry', AcmCodec> = {
  embedded: await codecFor('bravo'),
  registry: await codecFor('bravo', { wire: registryWire })
}
const signer = testPki().gateways.alpha.signer
const now = baseTime + 1_000

const seeds: { mode: 'embedded' | 'registry'; record: ProducedRecord }[] = []
for (const mode of ['embedded', 'registry'] as const) {
  for (const kind of kindNames) {
    const m = message(kind)
    seeds.push({
      mode,
      record: senders[mode].encode(m, kind === 'SECURITY_PARAMETERS' ? { secrets: sampleSecrets } : {})
    })
  }
  // a bigger one: many users, so that arrays and maps get mutated too
  const big = message('USER_CONFIGURATION_SHARED')
  big.users = Array.from({ length: 40 }, (_, i) => ({
    mcServiceId: `sip:user${i}@alpha.example`,
    displayName: i % 2 === 0 ? `User ${i}` : null,
    organisation: null,
    functionalAliases: [`alias-${i}`],
    services: ['MCPTT', 'MCDATA'],
    attributes: { rank: String(i), unit: 'north' }
  }))
  seeds.push({ mode, record: senders[mode].encode(big) })
}
for (const s of seeds) receivers[s.mode].decode(s.record, { now }) // every seed is valid

const interesting = [0, 1, 2 ** 31 - 1, -(2 ** 31), 2 ** 53, -1, 2 ** 62, 64, 127, 128, 10_001, 100_001]

function mutate(value: Buffer): Buffer {
  const v = Buffer.from(value)
  switch (int(10)) {
    case 0: {
      const flips = 1 + int(4)
      for (let i = 0; i < flips; i++) {
        const at = int(v.length)
        v[at] = (v[at] ?? 0) ^ (1 << int(8))
      }
      return v
    }
    case 1: {
      v[int(v.length)] = pick([0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe])
      return v
    }
    case 2: {
      // a varint with an interesting value, written over or inserted at a random place
      const at = int(v.length)
      const varint = zigzag(pick(interesting))
      return random() < 0.5
        ? Buffer.concat([v.subarray(0, at), varint, v.subarray(at)])
        : Buffer.concat([v.subarray(0, at), varint, v.subarray(Math.min(v.length, at + varint.length))])
    }
    case 3:
      return v.subarray(0, int(v.length))
    case 4:
      return Buffer.concat([v, randomBytes(1 + int(64))])
    case 5: {
      const from = int(v.length)
      const len = int(Math.min(64, v.length - from))
      const at = int(v.length)
      return Buffer.concat([v.subarray(0, at), v.subarray(from, from + len), v.subarray(at)])
    }
    case 6: {
      const at = int(v.length)
      return Buffer.concat([v.subarray(0, at), v.subarray(Math.min(v.length, at + 1 + int(32)))])
    }
    case 7: {
      const other = pick(seeds).record.value
      const cut = int(Math.min(v.length, other.length))
      return Buffer.concat([v.subarray(0, cut), other.subarray(cut)])
    }
    case 8: {
      // long runs of continuation bytes: over-long varints
      const at = int(v.length)
      return Buffer.concat([v.subarray(0, at), Buffer.alloc(1 + int(40), 0xff), v.subarray(at)])
    }
    default: {
      // keep the frame header, randomise the rest
      const header = v[0] === 0 ? 5 : 10
      return Buffer.concat([v.subarray(0, header), randomBytes(int(512))])
    }
  }
}

function headersFor(topic: string, key: Buffer, value: Buffer, sign: boolean, original: Record<string, Buffer>) {
  const headers: Record<string, HeaderValue> = sign
    ? { [signatureHeader]: signer.sign(topic, key, value), [signerHeader]: Buffer.from(signer.keyId) }
    : { ...original }
  const r = random()
  if (r < 0.02) delete headers[signatureHeader]
  else if (r < 0.04) headers[signerHeader] = randomBytes(int(60))
  else if (r < 0.05) headers[signatureHeader] = randomBytes(64)
  else if (r < 0.06) headers[signatureHeader] = [headers[signatureHeader] as Buffer, randomBytes(64)]
  else if (r < 0.065) headers.junk = randomBytes(2_000)
  return headers
}

function makeInput(): { mode: 'embedded' | 'registry'; record: ConsumedRecord; signed: boolean } {
  const r = random()
  const mode = random() < 0.5 ? 'embedded' : 'registry'
  if (r < 0.1) {
    // random inputs: random bytes, sometimes behind a valid-looking frame header
    const seed = pick(seeds.filter((s) => s.mode === mode)).record
    const body = randomBytes(int(r < 0.01 ? 1_100_000 : 2_048))
    const value = random() < 0.5 ? Buffer.concat([seed.value.subarray(0, mode === 'embedded' ? 10 : 5), body]) : body
    const signed = random() < 0.5
    const topic =
      random() < 0.9
        ? seed.topic
        : `acm.${pick(['alpha', 'bravo', 'charlie', 'x'])}.bravo.${pick([...topicCategories, 'nope'])}`
    return {
      mode,
      signed,
      record: { topic, key: seed.key, value, headers: headersFor(topic, seed.key, value, signed, seed.headers) }
    }
  }
  const seed = pick(seeds.filter((s) => s.mode === mode)).record
  const value = mutate(seed.value)
  const key = random() < 0.03 ? randomBytes(int(40)) : seed.key
  const topic = random() < 0.03 ? `acm.alpha.bravo.${pick(topicCategories)}` : seed.topic
  const signed = random() < 0.5
  return { mode, signed, record: { topic, key, value, headers: headersFor(topic, key, value, signed, seed.headers) } }
}

const outcomes = new Map<string, number>()
const crashes: { error: string; input: string }[] = []
interface Slow {
  ms: number
  outcome: string
  mode: 'embedded' | 'registry'
  record: ConsumedRecord
}
const slowest: Slow[] = []
let signedInputs = 0
let decodeMs = 0
const started = performance.now()
for (let i = 0; i < count; i++) {
  const { mode, record, signed } = makeInput()
  if (signed) signedInputs++
  let outcome: string
  const t0 = performance.now()
  try {
    receivers[mode].decode(record, { now })
    outcome = 'accepted'
  } catch (error) {
    if (GatewayError.is(error)) {
      outcome = error.code
    } else {
      outcome = 'CRASH'
      if (crashes.length < 20) {
        crashes.push({
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          input: JSON.stringify({
            mode,
            topic: record.topic,
            key: record.key?.toString('hex'),
            value: record.value?.toString('hex')
          })
        })
      }
    }
  }
  const ms = performance.now() - t0
  decodeMs += ms
  if (slowest.length < 10 || ms > (slowest[slowest.length - 1] as Slow).ms) {
    slowest.push({ ms, outcome, mode, record })
    slowest.sort((a, b) => b.ms - a.ms)
    slowest.length = Math.min(slowest.length, 10)
  }
  outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
  if ((i + 1) % 100_000 === 0) console.error(`… ${i + 1} inputs, ${outcomes.get('CRASH') ?? 0} crashes`)
}
const wallSeconds = (performance.now() - started) / 1000
const crashCount = outcomes.get('CRASH') ?? 0

// Replay the slowest inputs: what they cost, without the machine's hiccups of the moment.
const replayed = slowest.map((s) => {
  const times: number[] = []
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now()
    try {
      receivers[s.mode].decode(s.record, { now })
    } catch {
      // the outcome is already counted
    }
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  return { ...s, replayMs: times[2] as number }
})
const worst = replayed.reduce((a, b) => (b.replayMs > a.replayMs ? b : a))
const observed = slowest[0] as Slow

console.log(`fuzz: ${count} inputs (seed ${seed}), ${signedInputs} re-signed with the sender's key`)
console.log(`wall ${wallSeconds.toFixed(1)} s, mean decode ${((decodeMs / count) * 1000).toFixed(1)} µs`)
console.log(`crashes: ${crashCount}`)
console.log(
  `slowest single observation: ${observed.ms.toFixed(2)} ms (${observed.outcome}, ${observed.record.value?.length ?? 0} bytes)`
)
console.log(
  `slowest input replayed (median of 5, over the 10 slowest): ${worst.replayMs.toFixed(2)} ms (${worst.outcome}, ${worst.record.value?.length ?? 0} bytes; observed ${worst.ms.toFixed(2)} ms); limit ${slowLimitMs} ms`
)
console.log(`heap used at the end: ${(process.memoryUsage().heapUsed / 1024 / 1024).toFixed(1)} MiB`)
console.log('outcomes:')
for (const [outcome, n] of [...outcomes].sort((a, b) => b[1] - a[1])) console.log(`  ${outcome.padEnd(32)} ${n}`)
if (crashes.length > 0) {
  const file = `fuzz-crashes-${Date.now()}.json`
  await writeFile(file, JSON.stringify(crashes, null, 2))
  console.log(`first crashes written to ${file}`)
}
if (crashCount > 0 || worst.replayMs >= slowLimitMs) process.exitCode = 1
