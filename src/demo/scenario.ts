/**
 * The mutual-aid scenario of `acmgw demo`: a cross-border incident in which Dutch police, Belgian police and a
 * German fire service exercise every ACM procedure through their gateways, printed as a timeline.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { GatewayService, RequestTrace } from '../gateway/service.ts'
import { demoAgreements, type DemoSystem } from './setup.ts'

export interface ScenarioDeps {
  gateways: Record<DemoSystem, GatewayService>
  /** Re-applies topics and ACLs with the nl-be agreement in the given status; returns the number of changes. */
  applyTopics: (nlBeStatus: 'ACTIVE' | 'TERMINATED') => Promise<number>
  /** What the directories of the local systems hold, for the cascade check. */
  directorySummary(
    system: DemoSystem,
    partner: DemoSystem
  ): Promise<{ migrationAuthorisations: number; visitingServices: number; jointGroupMembersFromPartner: number }>
  out: (line: string) => void
  timeoutMs?: number
}

export interface ScenarioResult {
  steps: number
  outcomes: Record<string, string>
}

const nl = 'nl-police'
const be = 'be-police'
const de = 'de-fire'
const officer = (system: string, who: string) => ({ mcServiceId: `sip:${who}@${system}.example` })

export async function runScenario(deps: ScenarioDeps): Promise<ScenarioResult> {
  const { gateways, out } = deps
  const started = Date.now()
  const timeoutMs = deps.timeoutMs ?? 60_000
  const outcomes: Record<string, string> = {}
  let step = 0
  const clock = () => `+${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`
  const say = (text: string) => out(`${clock()}  ${text}`)
  const title = (text: string) => out(`\n${++step}. ${text}`)

  async function until<T>(what: string, probe: () => T | undefined | false): Promise<T> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const value = probe()
      if (value !== undefined && value !== false) return value
      if (Date.now() > deadline) throw new Error(`the demo waited ${timeoutMs / 1000} s for ${what}`)
      await sleep(100)
    }
  }

  const answered = (from: DemoSystem, messageId: string) =>
    until(`the answer to ${messageId}`, () => {
      const trace = gateways[from].trace(messageId)
      return trace?.status === 'answered' ? trace : undefined
    })

  function describeAnswer(trace: RequestTrace): string {
    const items = trace.events.at(-1)?.items ?? []
    const detail = items
      .filter((i) => i.result !== 'ACCEPTED')
      .map((i) => `${i.item} ${i.result} (${i.reasonCode ?? ''}${i.reason === null ? '' : `: ${i.reason}`})`)
    return `${trace.outcome ?? '?'}${items.length > 0 ? `, ${items.length} item(s)` : ''}${detail.length > 0 ? ` — ${detail.join('; ')}` : ''}`
  }

  async function request(
    name: string,
    from: DemoSystem,
    to: DemoSystem,
    agreementId: string,
    kind: string,
    body: Record<string, unknown>,
    target?: string
  ): Promise<RequestTrace> {
    const receipt = await gateways[from].send({
      kind,
      partner: to,
      agreementId,
      requester: officer(from, 'liaison'),
      target: target === undefined ? null : { mcServiceId: target },
      urgency: 'HIGH',
      body
    })
    say(`${from} → ${to}  ${kind}  sent (message ${receipt.messageId.slice(0, 8)}…, acknowledged by the broker)`)
    const trace = await answered(from, receipt.messageId)
    for (const event of trace.events.slice(1)) say(`${to} → ${from}  ${event.type}: ${event.detail}`)
    say(`${from} sees: ${describeAnswer(trace)}`)
    outcomes[name] = trace.outcome ?? 'none'
    return trace
  }

  out('Mutual aid at the Dutch–Belgian–German border: a flood in the Meuse valley.')

  title('nl-police proposes a cross-border cooperation to be-police; be-police holds it for its duty officer')
  const proposal = await gateways[nl].changeCooperation(
    demoAgreements.nlBe.id,
    'propose',
    officer(nl, 'chief'),
    'flood response Meuse valley'
  )
  say(`${nl} → ${be}  COOPERATION_PROPOSED  sent`)
  const pending = await until('the proposal to arrive at be-police', () => gateways[be].getPending(proposal.messageId))
  say(`${be}: pending request from ${pending.partner} (${pending.kind}), decide by ${pending.decideBy}`)
  await gateways[be].approve(proposal.messageId, officer(be, 'duty-officer'))
  say(`${be}: approved by sip:duty-officer@be-police.example`)
  await until(
    'both sides ACTIVE',
    () =>
      gateways[nl].agreements().find((a) => a.id === demoAgreements.nlBe.id)?.status === 'ACTIVE' &&
      gateways[be].agreements().find((a) => a.id === demoAgreements.nlBe.id)?.status === 'ACTIVE'
  )
  say(`agreement ${demoAgreements.nlBe.id} is ACTIVE at both gateways`)
  outcomes.cooperation = 'ACTIVE'

  const agreement = demoAgreements.nlBe.id
  title('nl-police provides its interconnection group identity and creates joint groups with be-police and de-fire')
  await request(
    'groupIdentity',
    nl,
    be,
    agreement,
    'INTERCONNECTION_GROUP_IDENTITY_PROVISION',
    {
      groups: [{ mcServiceGroupId: 'sip:flood-ops@nl-police.example', service: 'MCPTT', displayName: 'Flood ops' }]
    },
    'sip:admin@be-police.example'
  )
  await request('jointGroup', nl, be, agreement, 'JOINT_GROUP_CREATE', {
    group: {
      mcServiceGroupId: 'sip:joint-meuse@nl-police.example',
      homeSystem: nl,
      displayName: 'Joint Meuse patrol',
      services: ['MCPTT'],
      members: [
        { mcServiceId: 'sip:de-vries@nl-police.example', systemId: nl },
        { mcServiceId: 'sip:peeters@be-police.example', systemId: be }
      ],
      validUntil: null
    }
  })

  await request('jointGroupDe', nl, de, demoAgreements.nlDe.id, 'JOINT_GROUP_CREATE', {
    group: {
      mcServiceGroupId: 'sip:fire-liaison@nl-police.example',
      homeSystem: nl,
      displayName: 'Fire liaison',
      services: ['MCPTT'],
      members: [
        { mcServiceId: 'sip:de-vries@nl-police.example', systemId: nl },
        { mcServiceId: 'sip:mueller@de-fire.example', systemId: de }
      ],
      validUntil: null
    }
  })

  title('nl-police sends its security parameters; the group key material is sealed to be-police’s certificate')
  await request('securityParameters', nl, be, agreement, 'SECURITY_PARAMETERS', {
    securityDomain: 'nl-police.example',
    trustAnchors: [],
    kmsUris: ['https://kms.nl-police.example/'],
    sealed: null,
    secrets: {
      groupKeys: [
        {
          mcServiceGroupId: 'sip:joint-meuse@nl-police.example',
          gmkId: 'gmk-2026-11',
          keyMaterial: Buffer.from('demo group master key, 32 bytes!').toString('base64'),
          activationTime: Date.now(),
          expiryTime: null
        }
      ],
      secrets: {}
    }
  })

  title('nl-police asks be-police to let three officers migrate; the agreement allows two, so one is refused')
  const migrants = ['sip:de-vries@nl-police.example', 'sip:jansen@nl-police.example', 'sip:bakker@nl-police.example']
  await request('migration', nl, be, agreement, 'MIGRATION_USERS_ADD', {
    users: migrants.map((mcServiceId) => ({
      mcServiceId,
      partnerMcServiceId: null,
      services: ['MCPTT', 'MCDATA', 'MCVIDEO'],
      validFrom: null,
      validUntil: null
    }))
  })

  title('nl-police asks be-police to enable services for its visiting officers')
  await request('visiting', nl, be, agreement, 'VISITING_USER_SERVICE_AUTHORISATION', {
    mcServiceIds: migrants.slice(0, 2),
    authorisations: [
      { service: 'MCPTT', feature: 'emergency-call', enabled: true },
      { service: 'MCDATA', feature: 'short-data', enabled: true }
    ]
  })

  title('nl-police shares the configuration of its visiting officers (only the attributes the agreement allows leave)')
  await request('userConfiguration', nl, be, agreement, 'USER_CONFIGURATION_SHARED', {
    users: migrants.slice(0, 2).map((mcServiceId, i) => ({
      mcServiceId,
      displayName: i === 0 ? 'Insp. de Vries' : 'Ag. Jansen',
      organisation: 'Politie Limburg',
      functionalAliases: i === 0 ? ['flood-liaison'] : [],
      services: ['MCPTT'],
      attributes: {
        rank: i === 0 ? 'inspecteur' : 'agent',
        unit: 'Limburg-Zuid',
        homeAddress: 'never leaves nl-police'
      }
    }))
  })

  title('nl-police asks de-fire to add officers to the fire service group; the control room approves it')
  const membership = await gateways[nl].send({
    kind: 'GROUP_MEMBERSHIP_UPDATE',
    partner: de,
    agreementId: demoAgreements.nlDe.id,
    requester: officer(nl, 'liaison'),
    target: { mcServiceId: 'sip:control-room@de-fire.example' },
    urgency: 'IMMEDIATE',
    body: {
      mcServiceGroupId: 'sip:wasser-einsatz@de-fire.example',
      operation: 'ADD',
      mcServiceIdList: migrants.slice(0, 2)
    }
  })
  say(`${nl} → ${de}  GROUP_MEMBERSHIP_UPDATE  sent`)
  await until('the request pending at de-fire', () => gateways[de].getPending(membership.messageId))
  await until(
    'the pending indication at nl-police',
    () => gateways[nl].trace(membership.messageId)?.status === 'pending'
  )
  say(`${de}: pending request from ${nl}; ${nl} has the process indication (PENDING_APPROVAL)`)
  await gateways[de].approve(membership.messageId, officer(de, 'control-room'))
  say(`${de}: approved by sip:control-room@de-fire.example`)
  const approved = await answered(nl, membership.messageId)
  say(`${nl} sees: ${describeAnswer(approved)}`)
  outcomes.pendingApproved = approved.outcome ?? 'none'

  title('the situation changes: the joint group is renamed, one officer goes home, his shared profile is withdrawn')
  await request('jointGroupUpdate', nl, be, agreement, 'JOINT_GROUP_UPDATE', {
    group: {
      mcServiceGroupId: 'sip:joint-meuse@nl-police.example',
      homeSystem: nl,
      displayName: 'Joint Meuse patrol (night)',
      services: ['MCPTT'],
      members: [
        { mcServiceId: 'sip:de-vries@nl-police.example', systemId: nl },
        { mcServiceId: 'sip:peeters@be-police.example', systemId: be }
      ],
      validUntil: null
    }
  })
  await request('migrationRemove', nl, be, agreement, 'MIGRATION_USERS_REMOVE', {
    mcServiceIds: [migrants[1]],
    effectiveAt: null,
    reason: 'back to base'
  })
  await request('userConfigurationWithdrawn', nl, be, agreement, 'USER_CONFIGURATION_WITHDRAWN', {
    mcServiceIds: [migrants[1]],
    reason: 'back to base'
  })

  title('be-police suspends the cooperation for an incident review; new requests are refused, then it resumes')
  await gateways[be].changeCooperation(agreement, 'suspend', officer(be, 'chief'), 'incident review')
  await until(
    'nl-police to see SUSPENDED',
    () => gateways[nl].agreements().find((a) => a.id === agreement)?.status === 'SUSPENDED'
  )
  say(`${be} → ${nl}  COOPERATION_SUSPENDED; ${nl} shows the agreement SUSPENDED`)
  try {
    await gateways[nl].send({
      kind: 'MIGRATION_USERS_ADD',
      partner: be,
      agreementId: agreement,
      requester: officer(nl, 'liaison'),
      body: { users: [] }
    })
    outcomes.suspended = 'sent'
  } catch (error) {
    say(`${nl}: a new migration request is refused: ${(error as Error).message}`)
    outcomes.suspended = 'refused'
  }
  await gateways[be].changeCooperation(agreement, 'resume', officer(be, 'chief'))
  await until(
    'nl-police to see ACTIVE again',
    () => gateways[nl].agreements().find((a) => a.id === agreement)?.status === 'ACTIVE'
  )
  say(`${be} → ${nl}  COOPERATION_RESUMED; the agreement is ACTIVE again`)

  title('de-fire’s part ends: one officer leaves the fire group (approved again), the fire liaison group is dissolved')
  const leave = await gateways[nl].send({
    kind: 'GROUP_MEMBERSHIP_UPDATE',
    partner: de,
    agreementId: demoAgreements.nlDe.id,
    requester: officer(nl, 'liaison'),
    target: { mcServiceId: 'sip:control-room@de-fire.example' },
    body: {
      mcServiceGroupId: 'sip:wasser-einsatz@de-fire.example',
      operation: 'DELETE',
      mcServiceIdList: migrants.slice(1, 2)
    }
  })
  await until('the removal pending at de-fire', () => gateways[de].getPending(leave.messageId))
  await gateways[de].approve(leave.messageId, officer(de, 'control-room'))
  const left = await answered(nl, leave.messageId)
  say(`${nl} → ${de}  GROUP_MEMBERSHIP_UPDATE (DELETE), approved by the control room: ${describeAnswer(left)}`)
  outcomes.membershipDelete = left.outcome ?? 'none'
  await request('jointGroupDissolve', nl, de, demoAgreements.nlDe.id, 'JOINT_GROUP_DISSOLVE', {
    mcServiceGroupId: 'sip:fire-liaison@nl-police.example',
    effectiveAt: Date.now(),
    reason: 'fire service withdrawn'
  })

  title('the flood is over: nl-police terminates the cooperation, and both sides cascade')
  const before = await deps.directorySummary(be, nl)
  await gateways[nl].changeCooperation(agreement, 'terminate', officer(nl, 'chief'), 'incident closed')
  await until(
    'be-police to see TERMINATED',
    () => gateways[be].agreements().find((a) => a.id === agreement)?.status === 'TERMINATED'
  )
  const after = await deps.directorySummary(be, nl)
  say(
    `${be}: migration authorisations ${before.migrationAuthorisations} → ${after.migrationAuthorisations}, visiting services ${before.visitingServices} → ${after.visitingServices}, ${nl} members of joint groups ${before.jointGroupMembersFromPartner} → ${after.jointGroupMembersFromPartner}`
  )
  const revoked = await deps.applyTopics('TERMINATED')
  say(
    `operator: acmgw topics apply with the agreement TERMINATED — ${revoked} ACL change(s), the broker now refuses the link`
  )
  outcomes.terminated = after.migrationAuthorisations === 0 && after.visitingServices === 0 ? 'cascaded' : 'incomplete'

  out(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s: ${step} steps, every ACM procedure exercised.`)
  return { steps: step, outcomes }
}
