/**
 * Every ACM procedure in terms of the receiving system: which local effects an accepted message has (one item of
 * the answer each), and which entity a message changes. Pure; the bodies are the decoded Avro records of
 * docs/catalogue.md.
 */
import type { SecuritySecrets } from '../codec/codec.ts'
import type { Effect, JointGroup } from '../adapters/effects.ts'

type Body = Record<string, unknown>

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : [])

function jointGroupOf(group: Body, fallbackHome: string): JointGroup {
  const members = Array.isArray(group.members) ? (group.members as Body[]) : []
  return {
    mcServiceGroupId: String(group.mcServiceGroupId),
    homeSystem: typeof group.homeSystem === 'string' ? group.homeSystem : fallbackHome,
    displayName: typeof group.displayName === 'string' ? group.displayName : '',
    services: strings(group.services),
    members: members.map((m) => ({ mcServiceId: String(m.mcServiceId), system: String(m.systemId) })),
    validUntil: typeof group.validUntil === 'number' ? group.validUntil : null
  }
}

/** Secrets are summarised, never handed on whole: the adapter learns which keys arrived, not their bytes. */
function securityParametersOf(body: Body, secrets: SecuritySecrets | undefined): Record<string, unknown> {
  const anchors = Array.isArray(body.trustAnchors) ? (body.trustAnchors as Body[]) : []
  return {
    securityDomain: body.securityDomain,
    kmsUris: strings(body.kmsUris),
    trustAnchors: anchors.map((a) => ({
      purpose: a.purpose,
      certificateDer: Buffer.isBuffer(a.certificateDer) ? a.certificateDer.toString('base64') : null
    })),
    groupKeys: (secrets?.groupKeys ?? []).map((k) => ({
      mcServiceGroupId: k.mcServiceGroupId,
      gmkId: k.gmkId,
      keyMaterial: k.keyMaterial.toString('base64'),
      activationTime: k.activationTime,
      expiryTime: k.expiryTime
    })),
    secretNames: Object.keys(secrets?.secrets ?? {})
  }
}

/**
 * The effects of an accepted message of `kind` from `partner`. Status kinds are handled by the agreement
 * lifecycle (see cooperationEffects); answers have none.
 */
export function effectsOf(kind: string, body: Body, partner: string, secrets?: SecuritySecrets): Effect[] {
  switch (kind) {
    case 'MIGRATION_USERS_ADD':
      return (Array.isArray(body.users) ? (body.users as Body[]) : []).map((u) => ({
        type: 'migration.authorise',
        user: {
          mcServiceId: String(u.mcServiceId),
          partnerMcServiceId: typeof u.partnerMcServiceId === 'string' ? u.partnerMcServiceId : null,
          services: strings(u.services),
          validUntil: typeof u.validUntil === 'number' ? u.validUntil : null
        }
      }))
    case 'MIGRATION_USERS_REMOVE':
      return strings(body.mcServiceIds).map((mcServiceId) => ({ type: 'migration.revoke', mcServiceId }))
    case 'VISITING_USER_SERVICE_AUTHORISATION': {
      const switches = Array.isArray(body.authorisations) ? (body.authorisations as Body[]) : []
      return strings(body.mcServiceIds).flatMap((mcServiceId) =>
        switches.map((s) => ({
          type: 'visiting-service.set' as const,
          mcServiceId,
          authorisation: { service: String(s.service), feature: String(s.feature), enabled: s.enabled === true }
        }))
      )
    }
    case 'INTERCONNECTION_GROUP_IDENTITY_PROVISION':
      return (Array.isArray(body.groups) ? (body.groups as Body[]) : []).map((g) => ({
        type: 'interconnection-group.provision',
        mcServiceGroupId: String(g.mcServiceGroupId),
        details: { service: g.service, displayName: g.displayName ?? null, homeSystem: partner }
      }))
    case 'GROUP_MEMBERSHIP_UPDATE': {
      const mcServiceGroupId = String(body.mcServiceGroupId)
      const type = body.operation === 'DELETE' ? ('group.member.remove' as const) : ('group.member.add' as const)
      return strings(body.mcServiceIdList).map((mcServiceId) => ({ type, mcServiceGroupId, mcServiceId }))
    }
    case 'JOINT_GROUP_CREATE':
    case 'JOINT_GROUP_UPDATE':
      return [{ type: 'joint-group.upsert', group: jointGroupOf((body.group ?? {}) as Body, partner) }]
    case 'JOINT_GROUP_DISSOLVE':
      return [{ type: 'joint-group.dissolve', mcServiceGroupId: String(body.mcServiceGroupId) }]
    case 'USER_CONFIGURATION_SHARED':
      return (Array.isArray(body.users) ? (body.users as Body[]) : []).map((u) => ({
        type: 'user-configuration.share',
        mcServiceId: String(u.mcServiceId),
        profile: { ...u }
      }))
    case 'USER_CONFIGURATION_WITHDRAWN':
      return strings(body.mcServiceIds).map((mcServiceId) => ({ type: 'user-configuration.withdraw', mcServiceId }))
    case 'SECURITY_PARAMETERS':
      return [{ type: 'security-parameters.store', parameters: securityParametersOf(body, secrets) }]
    default:
      return []
  }
}

/** What a status change means locally: the new status, and on termination the cascade. */
export function cooperationEffects(agreementId: string, status: string): Effect[] {
  const effects: Effect[] = [{ type: 'agreement.status', agreementId, status }]
  if (status === 'TERMINATED') effects.push({ type: 'partner.revoke-all', agreementId })
  return effects
}

/**
 * The entity an outbound message changes, used as record key (per-entity order) and for per-entity versions.
 * Lists of users are one entity per request: their per-user results come back as items.
 */
export function entityKeyOf(kind: string, body: Body, agreementId: string, messageId: string): string {
  switch (kind) {
    case 'GROUP_MEMBERSHIP_UPDATE':
    case 'JOINT_GROUP_DISSOLVE':
      return `group:${String(body.mcServiceGroupId)}`
    case 'JOINT_GROUP_CREATE':
    case 'JOINT_GROUP_UPDATE':
      return `group:${String((body.group as Body | undefined)?.mcServiceGroupId)}`
    case 'SECURITY_PARAMETERS':
      return `security:${String(body.securityDomain)}`
    case 'COOPERATION_PROPOSED':
    case 'COOPERATION_ACCEPTED':
    case 'COOPERATION_SUSPENDED':
    case 'COOPERATION_RESUMED':
    case 'COOPERATION_TERMINATED':
      return `agreement:${agreementId}`
    default:
      return `${requestEntityPrefix}${messageId}`
  }
}

const requestEntityPrefix = 'request:'

/**
 * Whether versions of this entity are worth remembering: a request that is its own entity is never updated by a
 * later one (replays are the inbox's business), so remembering its version would only grow the state for ever.
 */
export function isVersioned(entityKey: string): boolean {
  return !entityKey.startsWith(requestEntityPrefix)
}
