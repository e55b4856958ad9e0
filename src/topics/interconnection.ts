/**
 * The interconnection file: which systems use the cluster and what they agreed. Pure: parse, validate, and the
 * links that are live (every agreement that is not TERMINATED) with the categories each carries.
 */
import { type TopicCategory, responsesCategory, type AgreementStatus } from '../agreements/model.ts'
import { parseYaml, validate } from './documents.ts'
import { type InterconnectionFile, interconnectionSchema } from './schema.ts'

export type Interconnection = InterconnectionFile

export function parseInterconnection(text: string, file: string): Interconnection {
  return validate(
    interconnectionSchema,
    parseYaml(text, file, 'ACMGW_AGREEMENTS_FILE_INVALID'),
    file,
    'ACMGW_AGREEMENTS_FILE_INVALID'
  )
}

export interface Link {
  agreementId: string
  status: AgreementStatus
  systems: readonly [string, string]
  /** In both directions; always holds `status` and `responses`. */
  categories: TopicCategory[]
}

/** Always open on a live link: lifecycle messages (proposed, accepted, suspended …) and answers. */
export const linkControlCategories: readonly TopicCategory[] = ['status', responsesCategory]

/**
 * Every status but TERMINATED keeps the agreed scope open at the broker: the gateway admits traffic by status
 * (src/agreements/lifecycle.ts), and a PROPOSED → ACTIVE or SUSPENDED → ACTIVE change happens by message, which
 * must not wait for an operator to re-apply. TERMINATED is final, so the broker revokes the link then.
 */
export function liveLinks(interconnection: Interconnection): Link[] {
  return interconnection.agreements
    .filter((a) => a.status !== 'TERMINATED')
    .map((a) => ({
      agreementId: a.id,
      status: a.status,
      systems: [a.systems[0] ?? '', a.systems[1] ?? ''] as const,
      categories: [...new Set<TopicCategory>([...linkControlCategories, ...a.categories])]
    }))
}
