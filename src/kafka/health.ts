/**
 * Broker reachability for /readyz: one cheap admin round trip (DescribeCluster, answered from the broker's
 * metadata) with a short timeout, its answer cached for a few seconds so probes every second cost nothing.
 */
import type { Admin, Kafka } from 'kafkajs'
import { classifyKafkaError } from './client.ts'

export interface BrokerCheck {
  ok: boolean
  detail: string
}

export interface BrokerProbe {
  check(): Promise<BrokerCheck>
  close(): Promise<void>
}

export function createBrokerProbe(
  kafka: Kafka,
  options: { timeoutMs?: number; cacheMs?: number; now?: () => number } = {}
): BrokerProbe {
  const timeoutMs = options.timeoutMs ?? 2_000
  const cacheMs = options.cacheMs ?? 5_000
  const now = options.now ?? Date.now
  let admin: Admin | undefined
  let cached: { at: number; result: BrokerCheck } | undefined
  let inFlight: Promise<BrokerCheck> | undefined

  async function reset(): Promise<void> {
    const old = admin
    admin = undefined
    await old?.disconnect().catch(() => undefined)
  }

  async function ask(): Promise<BrokerCheck> {
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
    })
    try {
      const answer = await Promise.race([
        (async () => {
          admin ??= kafka.admin({ retry: { retries: 0 } })
          await admin.connect()
          return admin.describeCluster()
        })(),
        late
      ])
      return { ok: true, detail: `${answer.brokers.length} broker(s) answered, cluster ${answer.clusterId}` }
    } catch (error) {
      await reset()
      return { ok: false, detail: classifyKafkaError(error, 'reach the broker').message }
    } finally {
      clearTimeout(timer)
    }
  }

  return {
    check() {
      if (cached !== undefined && now() - cached.at < cacheMs) return Promise.resolve(cached.result)
      inFlight ??= ask()
        .then((result) => {
          cached = { at: now(), result }
          return result
        })
        .finally(() => (inFlight = undefined))
      return inFlight
    },
    close: reset
  }
}
