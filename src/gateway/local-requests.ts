/**
 * The local Kafka way in: the MCX core produces JSON requests (the body of POST /v1/requests) to a topic of its
 * own; the gateway sends each one and answers on a results topic under the same key with the receipt
 * (`{"messageId", "topic", "acknowledged": true}`) or the error (`{"error": {"code", "message", "path"}}`).
 * A request is answered once its result is acknowledged, and only then is its offset committed.
 */
import { GatewayError } from '../errors.ts'
import type { InboundRecord, OutboundRecord } from '../kafka/records.ts'
import type { GatewayService, OutboundRequest } from './service.ts'

function isRequest(value: unknown): value is OutboundRequest {
  const v = value as Partial<OutboundRequest> | null
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.kind === 'string' &&
    typeof v.partner === 'string' &&
    typeof v.agreementId === 'string' &&
    typeof v.requester?.mcServiceId === 'string' &&
    typeof v.body === 'object' &&
    v.body !== null
  )
}

/** The result record for one local request. Pure apart from the service call. */
export async function handleLocalRequest(
  service: GatewayService,
  record: InboundRecord,
  resultsTopic: string
): Promise<OutboundRecord> {
  const key = record.key ?? Buffer.from(`${record.partition}/${record.offset}`)
  const answer = (value: unknown): OutboundRecord => ({
    topic: resultsTopic,
    key,
    value: Buffer.from(JSON.stringify(value))
  })
  let request: unknown
  try {
    request = JSON.parse(record.value?.toString('utf8') ?? '')
  } catch {
    return answer({ error: { code: 'ACMGW_REQUEST_INVALID', message: 'the record is not JSON' } })
  }
  if (!isRequest(request)) {
    return answer({
      error: {
        code: 'ACMGW_REQUEST_INVALID',
        message: 'a request needs kind, partner, agreementId, requester.mcServiceId and body (see docs/api.md)'
      }
    })
  }
  try {
    return answer(await service.send(request))
  } catch (error) {
    if (!GatewayError.is(error) || error.code.startsWith('ACMGW_KAFKA_')) throw error // not the request's fault: retry
    return answer({ error: { code: error.code, message: error.message, path: error.path } })
  }
}
