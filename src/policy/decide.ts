/**
 * Local policy (TS 23.280 §10.17.3): which incoming requests are decided automatically and which are held as
 * pending requests for an authorised person. First matching rule wins; otherwise the default applies.
 */
import type { Decision, PolicyRule } from '../config/schema.ts'

export interface PolicyInput {
  kind: string
  partner: string
  urgency: string
  requester: string
}

export interface PolicyOutcome {
  decision: Decision
  /** The rule that decided, or undefined for the default. */
  rule: string | undefined
  reason: string
}

export interface Policy {
  default: Decision
  rules: readonly PolicyRule[]
}

/** `*` matches any run of characters; everything else is literal. */
export function globMatches(pattern: string, value: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*')
  return new RegExp(`^${source}$`).test(value)
}

function ruleMatches(rule: PolicyRule, input: PolicyInput): boolean {
  const { kinds, partners, urgencies, requesters } = rule.when
  return (
    (kinds === undefined || kinds.includes(input.kind)) &&
    (partners === undefined || partners.includes(input.partner)) &&
    (urgencies === undefined || urgencies.includes(input.urgency)) &&
    (requesters === undefined || requesters.some((p) => globMatches(p, input.requester)))
  )
}

export function decide(policy: Policy, input: PolicyInput): PolicyOutcome {
  const rule = policy.rules.find((r) => ruleMatches(r, input))
  if (rule === undefined) {
    return {
      decision: policy.default,
      rule: undefined,
      reason: `no rule matched; the policy default is ${policy.default}`
    }
  }
  return { decision: rule.decision, rule: rule.name, reason: rule.reason ?? `rule "${rule.name}"` }
}
