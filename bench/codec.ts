/**
 * `npm run bench:codec`: what signing, verification and the guards cost per message, against plain avsc on the
 * same records. Variants run interleaved (one round of each, repeated) after warm-up rounds, so that machine
 * noise hits them alike; medians of the rounds are printed as µs/op, ops/s and the ratio to plain avsc.
 *
 *   avsc encode        type.toBuffer(message)
 *   avsc decode        type.fromBuffer(bytes)
 *   codec encode+sign  schema check, frame header, Avro, Ed25519 signature, headers (embedded / registry framing)
 *   codec verify+decode  sizes, topic, allow-list, Ed25519 verify, pre-scan, decode, envelope checks
 * plus the parts on their own (Ed25519 sign and verify, the pre-scan) to show where the time goes.
 */
import { performance } from 'node:perf_hooks'
import { kinds } from '../src/codec/catalogue.ts'
import type { ProducedRecord } from '../src/codec/codec.ts'
import { compileScanPlan, defaultDecodeLimits, scanRecord } from '../src/codec/guard.ts'
import type { AcmMessage } from '../src/envelope/envelope.ts'
import { verifyRecordSignature } from '../src/envelope/signing.ts'
import { X509Certificate } from 'node:crypto'
import {
  baseTime,
  codecFor,
  kindNames,
  message,
  offlineRegistryWire,
  sampleSecrets,
  schemas,
  testPki
} from '../test/helpers/acm.ts'

const rounds = Number(process.argv[2] ?? 15)
const warmupRounds = 3
const now = baseTime + 1_000

const set = await schemas()
const registryWire = await offlineRegistryWire()
const alpha = { embedded: await codecFor('alpha'), registry: await codecFor('alpha', { wire: registryWire }) }
const bravo = { embedded: await codecFor('bravo'), registry: await codecFor('bravo', { wire: registryWire }) }

// The same records for every variant: one message of each kind (security parameters without sealed secrets,
// measured on their own below because RSA dominates them).
const messages: AcmMessage[] = kindNames.map((k) => message(k))
const types = messages.map((m) => set.get(kinds[m.envelope.kind].record).type)
const plainBytes = messages.map((m, i) => (types[i] as (typeof types)[number]).toBuffer(m))
const produced = {
  embedded: messages.map((m) => alpha.embedded.encode(m)),
  registry: messages.map((m) => alpha.registry.encode(m))
}
const plans = messages.map((m) => compileScanPlan(set.get(kinds[m.envelope.kind].record).type))
const signer = testPki().gateways.alpha.signer
const publicKey = new X509Certificate(testPki().gateways.alpha.signing.certificatePem).publicKey
const sealedRecord: ProducedRecord = alpha.embedded.encode(message('SECURITY_PARAMETERS'), { secrets: sampleSecrets })
const n = messages.length

let sink = 0
const variants: { name: string; perRound: number; run: () => void }[] = [
  { name: 'avsc encode', perRound: 200, run: () => messages.forEach((m, i) => (sink += types[i]!.toBuffer(m).length)) },
  {
    name: 'avsc decode',
    perRound: 200,
    run: () => plainBytes.forEach((b, i) => (sink += types[i]!.fromBuffer(b) ? 1 : 0))
  },
  {
    name: 'codec encode+sign (embedded)',
    perRound: 40,
    run: () => messages.forEach((m) => (sink += alpha.embedded.encode(m).value.length))
  },
  {
    name: 'codec encode+sign (registry)',
    perRound: 40,
    run: () => messages.forEach((m) => (sink += alpha.registry.encode(m).value.length))
  },
  {
    name: 'codec verify+decode (embedded)',
    perRound: 40,
    run: () => produced.embedded.forEach((r) => (sink += bravo.embedded.decode(r, { now }).kind.length))
  },
  {
    name: 'codec verify+decode (registry)',
    perRound: 40,
    run: () => produced.registry.forEach((r) => (sink += bravo.registry.decode(r, { now }).kind.length))
  },
  {
    name: '  part: Ed25519 sign',
    perRound: 40,
    run: () => produced.embedded.forEach((r) => (sink += signer.sign(r.topic, r.key, r.value).length))
  },
  {
    name: '  part: Ed25519 verify',
    perRound: 40,
    run: () =>
      produced.embedded.forEach(
        (r) =>
          (sink += verifyRecordSignature(publicKey, r.topic, r.key, r.value, r.headers['acmgw-signature']!) ? 1 : 0)
      )
  },
  {
    name: '  part: pre-scan guard',
    perRound: 200,
    run: () =>
      plainBytes.forEach((b, i) => {
        scanRecord(plans[i]!, b, 0, b.length, defaultDecodeLimits)
        sink++
      })
  }
]
const sealedVariants: typeof variants = [
  {
    name: 'security parameters, sealed: encode',
    perRound: 5,
    run: () => {
      sink += alpha.embedded.encode(message('SECURITY_PARAMETERS'), { secrets: sampleSecrets }).value.length
    }
  },
  {
    name: 'security parameters, sealed: decode',
    perRound: 5,
    run: () => {
      sink += bravo.embedded.decode(sealedRecord, { now }).kind.length
    }
  }
]

function measure(list: typeof variants, perMessage: number): Map<string, number[]> {
  const samples = new Map<string, number[]>(list.map((v) => [v.name, []]))
  for (let round = 0; round < warmupRounds + rounds; round++) {
    for (const v of list) {
      const t0 = performance.now()
      for (let i = 0; i < v.perRound; i++) v.run()
      const usPerOp = ((performance.now() - t0) * 1000) / (v.perRound * perMessage)
      if (round >= warmupRounds) samples.get(v.name)!.push(usPerOp)
    }
  }
  return samples
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? NaN
}
const quartiles = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return [s[Math.floor(s.length / 4)] ?? NaN, s[Math.floor((3 * s.length) / 4)] ?? NaN]
}

console.log(
  `codec benchmark: ${n} records (one per kind, ${Math.round(plainBytes.reduce((a, b) => a + b.length, 0) / n)} bytes of Avro on average), ${rounds} interleaved rounds after ${warmupRounds} warm-up rounds, Node ${process.version}`
)
const main = measure(variants, n)
const sealed = measure(sealedVariants, 1)
const encodeBase = median(main.get('avsc encode')!)
const decodeBase = median(main.get('avsc decode')!)
const line = (name: string, xs: number[], base: number | undefined) => {
  const us = median(xs)
  const [q1, q3] = quartiles(xs)
  const ratio = base === undefined ? '' : `${(us / base).toFixed(1)}× avsc`
  console.log(
    `${name.padEnd(38)} ${us.toFixed(2).padStart(8)} µs/op  (IQR ${q1!.toFixed(2)}–${q3!.toFixed(2)})  ${Math.round(
      1e6 / us
    )
      .toLocaleString('en')
      .padStart(10)} ops/s  ${ratio}`
  )
}
for (const [name, xs] of main) {
  const base = name.includes('encode') ? encodeBase : name.includes('decode') ? decodeBase : undefined
  line(name, xs, name.startsWith('avsc') ? undefined : base)
}
for (const [name, xs] of sealed) line(name, xs, undefined)
console.log(
  `ratios: encode+sign / avsc encode = ${(median(main.get('codec encode+sign (embedded)')!) / encodeBase).toFixed(1)} (embedded), ${(median(main.get('codec encode+sign (registry)')!) / encodeBase).toFixed(1)} (registry); verify+decode / avsc decode = ${(median(main.get('codec verify+decode (embedded)')!) / decodeBase).toFixed(1)} (embedded), ${(median(main.get('codec verify+decode (registry)')!) / decodeBase).toFixed(1)} (registry)`
)
const beside = (total: string, part: string) => median(main.get(total)!) - median(main.get(part)!)
console.log(
  `codec work besides Ed25519 (embedded): encode ${beside('codec encode+sign (embedded)', '  part: Ed25519 sign').toFixed(1)} µs, decode ${beside('codec verify+decode (embedded)', '  part: Ed25519 verify').toFixed(1)} µs per message`
)
if (sink === -1) console.log('unreachable')
