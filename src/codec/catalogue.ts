/**
 * The message catalogue: every ACM kind with its topic category (DESIGN §3/§4), the record schema that
 * carries it, and whether the procedure addresses a user in the partner system. `schemas/` holds the record
 * definitions; docs/catalogue.md is generated from this table and those files (`npm run catalogue`).
 */

export const namespace = 'org.mcx.acm'

export const topicCategories = ['status', 'users', 'groups', 'migration', 'security', 'responses'] as const
export type TopicCategory = (typeof topicCategories)[number]

export const envelopeRecord = `${namespace}.Envelope`
/** Encrypted inside SecurityParameters, never a Kafka value on its own. */
export const sealedSecretsRecord = `${namespace}.SecuritySecrets`

export interface KindInfo {
  category: TopicCategory
  record: string
  /** request: starts a procedure; answer: carries a correlationId; notice: a one-way change. */
  role: 'request' | 'answer' | 'notice'
  /** Whether the envelope names a partner user or alias (3GPP target MC service ID / functional alias). */
  target: 'required' | 'optional' | 'none'
  procedure: string
}

const r = (name: string) => `${namespace}.${name}`

export const kinds = {
  COOPERATION_PROPOSED: {
    category: 'status',
    record: r('CooperationProposal'),
    role: 'request',
    target: 'none',
    procedure: 'cooperation proposed'
  },
  COOPERATION_ACCEPTED: {
    category: 'status',
    record: r('CooperationStatusChange'),
    role: 'answer',
    target: 'none',
    procedure: 'cooperation accepted'
  },
  COOPERATION_SUSPENDED: {
    category: 'status',
    record: r('CooperationStatusChange'),
    role: 'notice',
    target: 'none',
    procedure: 'cooperation suspended'
  },
  COOPERATION_RESUMED: {
    category: 'status',
    record: r('CooperationStatusChange'),
    role: 'notice',
    target: 'none',
    procedure: 'cooperation resumed'
  },
  COOPERATION_TERMINATED: {
    category: 'status',
    record: r('CooperationStatusChange'),
    role: 'notice',
    target: 'none',
    procedure: 'cooperation terminated'
  },
  USER_CONFIGURATION_SHARED: {
    category: 'users',
    record: r('UserConfigurationShare'),
    role: 'notice',
    target: 'none',
    procedure: 'user configuration shared'
  },
  USER_CONFIGURATION_WITHDRAWN: {
    category: 'users',
    record: r('UserConfigurationWithdrawal'),
    role: 'notice',
    target: 'none',
    procedure: 'user configuration withdrawn'
  },
  INTERCONNECTION_GROUP_IDENTITY_PROVISION: {
    category: 'groups',
    record: r('InterconnectionGroupIdentityProvision'),
    role: 'request',
    target: 'required',
    procedure: 'interconnection group identity provision (TS 23.280 10.17.4.2)'
  },
  GROUP_MEMBERSHIP_UPDATE: {
    category: 'groups',
    record: r('GroupMembershipUpdate'),
    role: 'request',
    target: 'required',
    procedure: 'group membership update (TS 23.280 10.17.2)'
  },
  JOINT_GROUP_CREATE: {
    category: 'groups',
    record: r('JointGroupCreate'),
    role: 'request',
    target: 'optional',
    procedure: 'joint group create'
  },
  JOINT_GROUP_UPDATE: {
    category: 'groups',
    record: r('JointGroupUpdate'),
    role: 'request',
    target: 'optional',
    procedure: 'joint group update'
  },
  JOINT_GROUP_DISSOLVE: {
    category: 'groups',
    record: r('JointGroupDissolve'),
    role: 'request',
    target: 'optional',
    procedure: 'joint group dissolve'
  },
  MIGRATION_USERS_ADD: {
    category: 'migration',
    record: r('MigrationUsersAdd'),
    role: 'request',
    target: 'optional',
    procedure: 'add users for migration (TS 23.280 10.17.5.2)'
  },
  MIGRATION_USERS_REMOVE: {
    category: 'migration',
    record: r('MigrationUsersRemove'),
    role: 'request',
    target: 'optional',
    procedure: 'remove users for migration (TS 23.280 10.17.5.3)'
  },
  VISITING_USER_SERVICE_AUTHORISATION: {
    category: 'migration',
    record: r('VisitingUserServiceAuthorisation'),
    role: 'request',
    target: 'optional',
    procedure: 'visiting-user service authorisation (enable/disable per service and feature)'
  },
  SECURITY_PARAMETERS: {
    category: 'security',
    record: r('SecurityParameters'),
    role: 'notice',
    target: 'none',
    procedure: 'security parameters (trust anchors, KMS URIs, sealed group key material)'
  },
  PROCESS_INDICATION: {
    category: 'responses',
    record: r('ProcessIndication'),
    role: 'answer',
    target: 'optional',
    procedure: 'process indication (TS 23.280 10.17.5.2 step 4)'
  },
  FINAL_RESPONSE: {
    category: 'responses',
    record: r('FinalResponse'),
    role: 'answer',
    target: 'optional',
    procedure: 'final response with a result and reason per item'
  }
} as const satisfies Record<string, KindInfo>

export type AcmKind = keyof typeof kinds
export const kindNames = Object.keys(kinds) as AcmKind[]

export function isAcmKind(value: unknown): value is AcmKind {
  return typeof value === 'string' && Object.hasOwn(kinds, value)
}

/** Record full names that travel as Kafka values, in catalogue order, each once. */
export const valueRecords: readonly string[] = [...new Set(kindNames.map((k) => kinds[k].record))]

export function recordsOfCategory(category: TopicCategory): string[] {
  return [...new Set(kindNames.filter((k) => kinds[k].category === category).map((k) => kinds[k].record))]
}

export function kindsOfRecord(record: string): AcmKind[] {
  return kindNames.filter((k) => kinds[k].record === record)
}

/** `acm.<from>.<to>.<category>` (DESIGN §2). */
export function topicName(from: string, to: string, category: TopicCategory): string {
  return `acm.${from}.${to}.${category}`
}

export interface ParsedTopic {
  from: string
  to: string
  category: TopicCategory
}

const topicPattern = /^acm\.([a-z][a-z0-9-]{1,31})\.([a-z][a-z0-9-]{1,31})\.([a-z]+)$/

export function parseTopic(topic: string): ParsedTopic | undefined {
  const m = topicPattern.exec(topic)
  if (m === null) return undefined
  const category = m[3] as TopicCategory
  if (!(topicCategories as readonly string[]).includes(category)) return undefined
  return { from: m[1] as string, to: m[2] as string, category }
}
