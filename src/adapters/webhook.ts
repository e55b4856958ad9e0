/**
 * Delivers effect batches to the local MCX system over HTTP: `POST <url>` with a JSON body
 * (`{"event":"effects", …batch}` or `{"event":"pending", …notice}`) and an `Idempotency-Key` header, bounded retries with doubling backoff on network errors, timeouts and 5xx/429.
 * The receiver must treat a repeated key as the same request and answer with the same item results.
 * 4xx other than 429 is final (the batch is malformed for that system; retrying cannot help).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { GatewayError } from '../errors.ts'
import type { EffectBatch, ItemResult, LocalSystemAdapter } from './effects.ts'

export interface WebhookOptions {
  url: string
  timeoutMs: number
  retries: number
  backoffMs: number
  fetch?: typeof fetch
}

function isItemResults(value: unknown, count: number): value is ItemResult[] {
  return (
    Array.isArray(value) &&
    value.length === count &&
    value.every(
      (r) =>
        typeof r === 'object' &&
        r !== null &&
        typeof (r as ItemResult).item === 'string' &&
        ['ACCEPTED', 'REJECTED', 'NOT_APPLICABLE'].includes((r as ItemResult).result)
    )
  )
}

export function createWebhookAdapter(options: WebhookOptions): LocalSystemAdapter {
  const send = options.fetch ?? fetch
  async function post(idempotencyKey: string, body: unknown): Promise<unknown> {
    const failures: string[] = []
    for (let attempt = 0; attempt <= options.retries; attempt++) {
      if (attempt > 0) await sleep(options.backoffMs * 2 ** (attempt - 1))
      try {
        const response = await send(options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(options.timeoutMs)
        })
        const text = await response.text()
        if (response.ok) return text === '' ? undefined : (JSON.parse(text) as unknown)
        failures.push(`HTTP ${response.status}`)
        if (response.status < 500 && response.status !== 429) break
      } catch (error) {
        failures.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error))
      }
    }
    throw new GatewayError(
      'ACMGW_ADAPTER_FAILED',
      `webhook ${options.url} did not accept ${idempotencyKey} after ${failures.length} attempt(s): ${failures.join('; ')}`,
      { details: { attempts: failures.length } }
    )
  }
  return {
    name: 'webhook',
    async apply(batch: EffectBatch): Promise<ItemResult[]> {
      const answer = (await post(batch.idempotencyKey, { event: 'effects', ...batch })) as
        { results?: unknown } | undefined
      if (!isItemResults(answer?.results, batch.effects.length)) {
        throw new GatewayError(
          'ACMGW_ADAPTER_FAILED',
          `webhook ${options.url} answered ${batch.idempotencyKey} without one item result per effect ({"results":[{"item","result"}…]})`
        )
      }
      return answer.results
    },
    async notifyPending(notice) {
      await post(`pending/${notice.messageId}`, { event: 'pending', ...notice })
    },
    close: () => Promise.resolve()
  }
}
