/**
 * The audit log in a running gateway: a listener on the engine's events, and a wrapper that makes every local
 * action (send, approve, reject, cooperation changes, redrive) return only once its audit entries are on disk.
 * The inbound consumer flushes before it commits offsets, so a committed record always has its entries.
 */
import type { Logger } from 'pino'
import type { EngineEvent } from '../gateway/engine.ts'
import type { GatewayService } from '../gateway/service.ts'
import { auditRecordsOf } from './events.ts'
import type { AuditWriter } from './file.ts'

export function auditListener(writer: AuditWriter, log: Logger): (event: EngineEvent) => void {
  return (event) => {
    for (const record of auditRecordsOf(event)) {
      try {
        writer.append(record)
      } catch (error) {
        // The next flush (before an offset commit or an API answer) fails too, so the failure is not silent.
        log.error({ err: String(error), type: record.type, messageId: record.messageId }, 'audit entry not written')
      }
    }
  }
}

/** The service, with each state-changing call waiting for the audit entries it caused to be fsync'd. */
export function withAuditFlush(service: GatewayService, writer: AuditWriter): GatewayService {
  const after = async <T>(action: Promise<T>): Promise<T> => {
    try {
      return await action
    } finally {
      // Also after a failure: a refused action can have written a rejection or a dead letter.
      await writer.flush()
    }
  }
  return {
    ...service,
    send: (request) => after(service.send(request)),
    approve: (id, approver, reason) => after(service.approve(id, approver, reason)),
    reject: (id, approver, reason) => after(service.reject(id, approver, reason)),
    changeCooperation: (id, action, requester, reason) =>
      after(service.changeCooperation(id, action, requester, reason)),
    redrive: (id) => after(service.redrive(id))
  }
}
