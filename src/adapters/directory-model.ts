/**
 * The built-in directory's data and how an effect batch changes it. No I/O: the file edge (directory.ts) journals
 * each batch and replays the journal over the last snapshot with the same applyBatch, so the outcome of a batch
 * depends on nothing but the document, the batch and its time.
 */
import {
  type Effect,
  type EffectBatch,
  type FeatureSwitch,
  type ItemResult,
  type JointGroup,
  type MigrationAuthorisation,
  itemOf
} from './effects.ts'

export interface PartnerRecords {
  agreements: Record<string, string>
  migrationAuthorisations: Record<string, MigrationAuthorisation>
  interconnectionGroups: Record<string, Record<string, unknown>>
  groupMembers: Record<string, string[]>
  jointGroups: Record<string, JointGroup>
  visitingServices: Record<string, Record<string, FeatureSwitch>>
  userConfigurations: Record<string, Record<string, unknown>>
  securityParameters: Record<string, unknown> | null
}

export interface DirectoryDocument {
  version: 1
  /** The snapshot's generation: only the journal of the same generation is replayed over it. */
  generation?: number
  partners: Record<string, PartnerRecords>
  /** Results per idempotency key, so that a repeated batch changes nothing and answers the same. */
  applied: Record<string, { at: number; results: ItemResult[] }>
}

export function emptyDirectory(): DirectoryDocument {
  return { version: 1, partners: {}, applied: {} }
}

function emptyPartner(): PartnerRecords {
  return {
    agreements: {},
    migrationAuthorisations: {},
    interconnectionGroups: {},
    groupMembers: {},
    jointGroups: {},
    visitingServices: {},
    userConfigurations: {},
    securityParameters: null
  }
}

const accepted = (item: string): ItemResult => ({ item, result: 'ACCEPTED', reasonCode: null, reason: null })
const notApplicable = (item: string, reasonCode: string, reason: string): ItemResult => ({
  item,
  result: 'NOT_APPLICABLE',
  reasonCode,
  reason
})
const rejected = (item: string, reasonCode: string, reason: string): ItemResult => ({
  item,
  result: 'REJECTED',
  reasonCode,
  reason
})

function applyEffect(records: PartnerRecords, effect: Effect, batch: EffectBatch): ItemResult {
  const { limits, partner } = batch
  const item = itemOf(effect)
  switch (effect.type) {
    case 'migration.authorise': {
      const already = effect.user.mcServiceId in records.migrationAuthorisations
      const count = Object.keys(records.migrationAuthorisations).length
      if (!already && limits.maxMigratedUsers !== undefined && count >= limits.maxMigratedUsers) {
        return rejected(item, 'LIMIT_REACHED', `the agreement allows at most ${limits.maxMigratedUsers} migrated users`)
      }
      records.migrationAuthorisations[effect.user.mcServiceId] = effect.user
      return accepted(item)
    }
    case 'migration.revoke': {
      if (!(effect.mcServiceId in records.migrationAuthorisations)) {
        return notApplicable(item, 'NOT_AUTHORISED', 'the user was not authorised to migrate')
      }
      delete records.migrationAuthorisations[effect.mcServiceId]
      delete records.visitingServices[effect.mcServiceId]
      return accepted(item)
    }
    case 'interconnection-group.provision':
      records.interconnectionGroups[effect.mcServiceGroupId] = effect.details
      return accepted(item)
    case 'group.member.add': {
      const members = (records.groupMembers[effect.mcServiceGroupId] ??= [])
      if (!members.includes(effect.mcServiceId)) members.push(effect.mcServiceId)
      return accepted(item)
    }
    case 'group.member.remove': {
      const members = records.groupMembers[effect.mcServiceGroupId] ?? []
      if (!members.includes(effect.mcServiceId)) return notApplicable(item, 'NOT_A_MEMBER', 'the user is not a member')
      records.groupMembers[effect.mcServiceGroupId] = members.filter((m) => m !== effect.mcServiceId)
      return accepted(item)
    }
    case 'joint-group.upsert':
      records.jointGroups[effect.group.mcServiceGroupId] = effect.group
      return accepted(item)
    case 'joint-group.dissolve': {
      if (!(effect.mcServiceGroupId in records.jointGroups)) {
        return notApplicable(item, 'NO_SUCH_GROUP', 'no such joint group')
      }
      delete records.jointGroups[effect.mcServiceGroupId]
      return accepted(item)
    }
    case 'visiting-service.set': {
      if (!(effect.mcServiceId in records.migrationAuthorisations)) {
        return rejected(item, 'NOT_AUTHORISED', 'the user is not authorised to migrate into this system')
      }
      const services = (records.visitingServices[effect.mcServiceId] ??= {})
      services[`${effect.authorisation.service}/${effect.authorisation.feature}`] = effect.authorisation
      return accepted(item)
    }
    case 'user-configuration.share':
      records.userConfigurations[effect.mcServiceId] = effect.profile
      return accepted(item)
    case 'user-configuration.withdraw': {
      if (!(effect.mcServiceId in records.userConfigurations)) {
        return notApplicable(item, 'NOT_SHARED', 'no configuration of that user was shared')
      }
      delete records.userConfigurations[effect.mcServiceId]
      return accepted(item)
    }
    case 'security-parameters.store':
      records.securityParameters = effect.parameters
      return accepted(item)
    case 'agreement.status':
      records.agreements[effect.agreementId] = effect.status
      return accepted(item)
    case 'partner.revoke-all': {
      records.migrationAuthorisations = {}
      records.visitingServices = {}
      for (const [id, group] of Object.entries(records.jointGroups)) {
        records.jointGroups[id] = { ...group, members: group.members.filter((m) => m.system !== partner) }
      }
      return accepted(item)
    }
  }
}

/**
 * Applies a batch once, in place (a copy per batch would cost the whole document each time): a repeated
 * idempotency key returns the stored results and changes nothing. No effect throws, so a batch is applied whole.
 */
export function applyBatch(
  doc: DirectoryDocument,
  batch: EffectBatch,
  now: number
): { results: ItemResult[]; repeated: boolean } {
  const previous = doc.applied[batch.idempotencyKey]
  if (previous !== undefined) return { results: previous.results, repeated: true }
  const records = (doc.partners[batch.partner] ??= emptyPartner())
  const results = batch.effects.map((effect) => applyEffect(records, effect, batch))
  doc.applied[batch.idempotencyKey] = { at: now, results }
  return { results, repeated: false }
}

/** Forgets idempotency keys older than `maxAgeMs` (longer than any replay window the gateway uses). */
export function pruneApplied(doc: DirectoryDocument, now: number, maxAgeMs: number): DirectoryDocument {
  const applied = Object.fromEntries(Object.entries(doc.applied).filter(([, v]) => now - v.at <= maxAgeMs))
  return { ...doc, applied }
}
