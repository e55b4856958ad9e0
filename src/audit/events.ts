/**
 * Which audit entries each engine event yields (pure). The engine already reports every decision through its
 * `onEvent` hook; this table turns those reports into entries without a body, a secret or a person's data beyond
 * the MC service id of whoever decided. The table is in docs/audit.md.
 */
import { isStatusKind } from '../agreements/lifecycle.ts'
import { isAcmKind, kinds } from '../codec/catalogue.ts'
import type { EngineEvent } from '../gateway/engine.ts'
import { type AuditRecord, automatic } from './chain.ts'

/** The reason code of a redelivered message id: the engine ignores it, the audit keeps the refusal. */
export const replayedReason = 'ACMGW_ENVELOPE_REPLAYED'

/** The rule behind a pending request answered "expired": nobody decided within policy.pendingTtl. */
export const pendingTtlRule = 'policy.pendingTtl'

const isAnswer = (kind: string | null) => kind !== null && isAcmKind(kind) && kinds[kind].role === 'answer'

/** Manual verdicts as the engine reports them → the outcome written to the audit. */
const verdicts: Record<string, string> = { approve: 'APPROVED', reject: 'REJECTED', expired: 'EXPIRED' }

export function auditRecordsOf(event: EngineEvent): AuditRecord[] {
  const about = { partner: event.partner, kind: event.kind, messageId: event.messageId }
  const decidedBy = event.approver ?? automatic
  // A person's decision has no rule; an automatic one names the rule that made it.
  const rule = event.approver == null ? event.rule : undefined
  switch (event.type) {
    case 'sent':
      return [{ type: 'request-sent', ...about }]
    case 'received':
      // An answer is recorded once it has been matched to its request (the "answer" event), with its outcome.
      return isAnswer(event.kind) ? [] : [{ type: 'request-received', ...about }]
    case 'answer':
      return [{ type: 'answer-received', ...about, outcome: event.outcome, decidedBy }]
    case 'pending':
      return [{ type: 'decision', ...about, outcome: 'PENDING', decidedBy: automatic, rule: event.rule }]
    case 'applied':
      if (event.kind !== null && isStatusKind(event.kind)) {
        // The partner changed the agreement and this side followed.
        return [
          {
            type: 'agreement-status',
            ...about,
            outcome: event.outcome,
            decidedBy: event.partner ?? automatic,
            agreementId: event.agreementId
          }
        ]
      }
      return [{ type: 'decision', ...about, outcome: event.outcome, decidedBy, rule }]
    case 'decided': {
      const outcome = event.outcome === undefined ? undefined : (verdicts[event.outcome] ?? event.outcome)
      const decision: AuditRecord = {
        type: 'decision',
        ...about,
        outcome,
        decidedBy,
        rule: outcome === 'EXPIRED' ? pendingTtlRule : rule
      }
      if (event.kind === 'COOPERATION_PROPOSED' && outcome === 'ACCEPTED') {
        return [
          decision,
          { type: 'agreement-status', ...about, outcome: 'ACTIVE', decidedBy, agreementId: event.agreementId }
        ]
      }
      return [decision]
    }
    case 'rejected':
      return [{ type: 'rejection', ...about, reasonCode: event.reasonCode, decidedBy, rule }]
    case 'duplicate':
      // The outcome is what the message's first handling decided, where the gateway still has its trace.
      return [
        {
          type: 'rejection',
          ...about,
          reasonCode: replayedReason,
          decidedBy: automatic,
          ...(event.outcome === undefined ? {} : { outcome: event.outcome })
        }
      ]
    case 'dead-lettered':
      return [{ type: 'dead-letter', ...about, reasonCode: event.reasonCode }]
    case 'status-changed':
      return [
        {
          type: 'agreement-status',
          ...about,
          outcome: event.outcome,
          decidedBy,
          agreementId: event.agreementId
        }
      ]
  }
}
