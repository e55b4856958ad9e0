/**
 * What an accepted ACM message asks the local MCX system to do, in terms of the local system, independent of
 * the wire format. Each effect is one item of the answer: it is accepted, rejected or not applicable on its own
 * (3GPP: partial acceptance of a list).
 */
export interface MigrationAuthorisation {
  mcServiceId: string
  partnerMcServiceId: string | null
  services: string[]
  validUntil: number | null
}

export interface FeatureSwitch {
  service: string
  feature: string
  enabled: boolean
}

export interface JointGroup {
  mcServiceGroupId: string
  homeSystem: string
  displayName: string
  services: string[]
  members: { mcServiceId: string; system: string }[]
  validUntil: number | null
}

export type Effect =
  /** A partner's user may migrate into this system. */
  | { type: 'migration.authorise'; user: MigrationAuthorisation }
  | { type: 'migration.revoke'; mcServiceId: string }
  | { type: 'interconnection-group.provision'; mcServiceGroupId: string; details: Record<string, unknown> }
  | { type: 'group.member.add'; mcServiceGroupId: string; mcServiceId: string }
  | { type: 'group.member.remove'; mcServiceGroupId: string; mcServiceId: string }
  | { type: 'joint-group.upsert'; group: JointGroup }
  | { type: 'joint-group.dissolve'; mcServiceGroupId: string }
  | { type: 'visiting-service.set'; mcServiceId: string; authorisation: FeatureSwitch }
  | { type: 'user-configuration.share'; mcServiceId: string; profile: Record<string, unknown> }
  | { type: 'user-configuration.withdraw'; mcServiceId: string }
  | { type: 'security-parameters.store'; parameters: Record<string, unknown> }
  | { type: 'agreement.status'; agreementId: string; status: string }
  /** Termination: every migration authorisation, joint-group membership and visiting service of the partner ends. */
  | { type: 'partner.revoke-all'; agreementId: string }

export type ItemResultCode = 'ACCEPTED' | 'REJECTED' | 'NOT_APPLICABLE'

export interface ItemResult {
  item: string
  result: ItemResultCode
  reasonCode: string | null
  reason: string | null
}

export interface EffectBatch {
  /** `<source>/<messageId>`: applying the same batch twice has the effect of applying it once. */
  idempotencyKey: string
  partner: string
  messageId: string
  kind: string
  effects: Effect[]
  /** The agreement's limits, for the adapter to enforce against the local system's current state. */
  limits: { maxMigratedUsers?: number | undefined }
}

/**
 * The edge to the local MCX system. `apply` must be idempotent per idempotencyKey: a second call returns the
 * first call's results and changes nothing. It throws only when it could not apply at all (the gateway retries,
 * then dead-letters); per-item refusals are results.
 */
export interface LocalSystemAdapter {
  readonly name: string
  apply(batch: EffectBatch): Promise<ItemResult[]>
  /** Pending work arrived for a person (3GPP pending ACM data notification). */
  notifyPending(notice: { messageId: string; partner: string; kind: string; requester: string }): Promise<void>
  close(): Promise<void>
}

/** The item label of an effect, as it appears in answers and traces. */
export function itemOf(effect: Effect): string {
  switch (effect.type) {
    case 'migration.authorise':
      return `user:${effect.user.mcServiceId}`
    case 'migration.revoke':
    case 'user-configuration.share':
    case 'user-configuration.withdraw':
      return `user:${effect.mcServiceId}`
    case 'visiting-service.set':
      return `user:${effect.mcServiceId}/${effect.authorisation.service}/${effect.authorisation.feature}`
    case 'group.member.add':
    case 'group.member.remove':
      return `group:${effect.mcServiceGroupId}/user:${effect.mcServiceId}`
    case 'interconnection-group.provision':
    case 'joint-group.dissolve':
      return `group:${effect.mcServiceGroupId}`
    case 'joint-group.upsert':
      return `group:${effect.group.mcServiceGroupId}`
    case 'security-parameters.store':
      return 'security-parameters'
    case 'agreement.status':
      return `agreement:${effect.agreementId}`
    case 'partner.revoke-all':
      return `agreement:${effect.agreementId}/cascade`
  }
}
