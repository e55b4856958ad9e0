/**
 * Agreement lifecycle (DESIGN §3): PROPOSED → ACTIVE ⇄ SUSPENDED → TERMINATED, and what traffic each status
 * admits. Pure: the gateway applies the result to its state topic and the adapter.
 */
import type { Agreement, AgreementStatus, TopicCategory } from './model.ts'

export const statusKinds = [
  'COOPERATION_PROPOSED',
  'COOPERATION_ACCEPTED',
  'COOPERATION_SUSPENDED',
  'COOPERATION_RESUMED',
  'COOPERATION_TERMINATED'
] as const
export type StatusKind = (typeof statusKinds)[number]

export function isStatusKind(kind: string): kind is StatusKind {
  return (statusKinds as readonly string[]).includes(kind)
}

const transitions: Record<StatusKind, { from: readonly AgreementStatus[]; to: AgreementStatus }> = {
  COOPERATION_PROPOSED: { from: ['PROPOSED'], to: 'PROPOSED' },
  COOPERATION_ACCEPTED: { from: ['PROPOSED'], to: 'ACTIVE' },
  COOPERATION_SUSPENDED: { from: ['ACTIVE'], to: 'SUSPENDED' },
  COOPERATION_RESUMED: { from: ['SUSPENDED'], to: 'ACTIVE' },
  COOPERATION_TERMINATED: { from: ['PROPOSED', 'ACTIVE', 'SUSPENDED'], to: 'TERMINATED' }
}

export type TransitionResult = { ok: true; status: AgreementStatus } | { ok: false; reason: string }

/** The status after `kind`; a proposal for an agreement that does not exist yet starts it as PROPOSED. */
export function transition(current: AgreementStatus | undefined, kind: StatusKind): TransitionResult {
  const rule = transitions[kind]
  if (current === undefined) {
    return kind === 'COOPERATION_PROPOSED'
      ? { ok: true, status: 'PROPOSED' }
      : { ok: false, reason: 'no such agreement' }
  }
  if (!rule.from.includes(current)) {
    return { ok: false, reason: `the agreement is ${current}; ${kind} needs ${rule.from.join(' or ')}` }
  }
  return { ok: true, status: rule.to }
}

export interface TrafficCheck {
  partner: string
  category: TopicCategory
  now: number
}

export type Admission = { admitted: true } | { admitted: false; reasonCode: string; reason: string }

const refuse = (reasonCode: string, reason: string): Admission => ({ admitted: false, reasonCode, reason })

/**
 * Whether a message of `category` may be exchanged under `agreement` now. Status messages and answers flow in
 * every status but TERMINATED (so that a proposal can be accepted and a suspension lifted); data categories
 * only while ACTIVE, within the validity window and the agreed scope.
 */
export function admit(agreement: Agreement | undefined, check: TrafficCheck): Admission {
  if (agreement === undefined) return refuse('AGREEMENT_UNKNOWN', 'no agreement with that id')
  if (agreement.partner !== check.partner) {
    return refuse('AGREEMENT_OTHER_PARTNER', `the agreement is with ${agreement.partner}, not ${check.partner}`)
  }
  if (agreement.status === 'TERMINATED') return refuse('AGREEMENT_TERMINATED', 'the agreement is terminated')
  if (check.category === 'status' || check.category === 'responses') return { admitted: true }
  if (agreement.status === 'SUSPENDED') {
    return refuse('AGREEMENT_SUSPENDED', 'the cooperation is suspended: no new requests are processed')
  }
  if (agreement.status === 'PROPOSED') return refuse('AGREEMENT_NOT_ACTIVE', 'the agreement is not accepted yet')
  if (!(agreement.categories as readonly string[]).includes(check.category)) {
    return refuse('CATEGORY_OUT_OF_SCOPE', `category ${check.category} is outside the agreement`)
  }
  if (agreement.validFrom !== undefined && check.now < Date.parse(agreement.validFrom)) {
    return refuse('AGREEMENT_NOT_YET_VALID', `the agreement is valid from ${agreement.validFrom}`)
  }
  if (agreement.validUntil !== undefined && check.now > Date.parse(agreement.validUntil)) {
    return refuse('AGREEMENT_EXPIRED', `the agreement ended at ${agreement.validUntil}`)
  }
  return { admitted: true }
}
