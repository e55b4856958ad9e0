/**
 * The vocabulary of cooperation (DESIGN §3): agreement statuses, services and data categories. `as const` lists
 * feed the configuration schema, the Avro enums' checks and the types alike.
 */
export const agreementStatuses = ['PROPOSED', 'ACTIVE', 'SUSPENDED', 'TERMINATED'] as const
export type AgreementStatus = (typeof agreementStatuses)[number]

export const mcxServices = ['MCPTT', 'MCDATA', 'MCVIDEO'] as const
export type McxService = (typeof mcxServices)[number]

/** One topic per direction and category: `acm.<from>.<to>.<category>`. */
export const dataCategories = ['status', 'users', 'groups', 'migration', 'security'] as const
export type DataCategory = (typeof dataCategories)[number]

/** Answers flow back on their own category, which every agreement that is not terminated has. */
export const responsesCategory = 'responses'
export type TopicCategory = DataCategory | typeof responsesCategory

export interface AgreementLimits {
  /** Most users of the partner that may be authorised to migrate into this system at one time. */
  maxMigratedUsers?: number | undefined
}

export interface Agreement {
  id: string
  partner: string
  status: AgreementStatus
  services: McxService[]
  categories: DataCategory[]
  validFrom?: string | undefined
  validUntil?: string | undefined
  limits: AgreementLimits
  /** User profile attributes that may be shared with the partner; every other attribute is stripped. */
  sharedUserAttributes?: string[] | undefined
}
