/**
 * Fixtures for codec and envelope tests, the fuzz script and the benchmark: an in-memory PKI for three partner
 * gateways, codecs wired to it, and one valid message for every ACM kind.
 */
import { X509Certificate, randomUUID } from 'node:crypto'
import { type AcmKind, kindNames, kinds, type TopicCategory } from '../../src/codec/catalogue.ts'
import { type AcmCodec, type CodecOptions, type SecuritySecrets, createCodec } from '../../src/codec/codec.ts'
import { loadSchemaSet } from '../../src/codec/schema-files.ts'
import type { SchemaSet } from '../../src/codec/schema-set.ts'
import {
  type Wire,
  type WriterEntry,
  categoryRecords,
  createEmbeddedWire,
  createRegistryWire,
  ownWriter
} from '../../src/codec/wire.ts'
import type { AcmMessage, Envelope } from '../../src/envelope/envelope.ts'
import { type PartnerCertificates, type TrustStore, buildTrustStore } from '../../src/envelope/pins.ts'
import { type UnsealingKey, createUnsealingKey } from '../../src/envelope/sealing.ts'
import { type RecordSigner, createRecordSigner } from '../../src/envelope/signing.ts'
import {
  type CertificateAuthority,
  type IssuedCertificate,
  createCertificateAuthority,
  issueLeafCertificate
} from '../../src/pki/certificates.ts'
import { issueSigningCertificate } from '../../src/pki/signing-certificate.ts'

export const systems = ['alpha', 'bravo', 'charlie'] as const
export type TestSystem = (typeof systems)[number]

export interface GatewayIdentity {
  systemId: string
  tls: IssuedCertificate
  signing: IssuedCertificate
  signer: RecordSigner
  unsealingKey: UnsealingKey
}

export interface TestPki {
  ca: CertificateAuthority
  gateways: Record<TestSystem, GatewayIdentity>
  /** Pins of every gateway as a partner sees them. */
  partner(systemId: TestSystem, extraSigningPems?: string[]): PartnerCertificates
}

export function identity(ca: CertificateAuthority, systemId: string, now?: Date): GatewayIdentity {
  const tls = issueLeafCertificate(ca, { commonName: `acmgw.${systemId}`, role: 'client', validDays: 30, now })
  const signing = issueSigningCertificate(ca, { systemId, validDays: 30, now })
  return {
    systemId,
    tls,
    signing,
    signer: createRecordSigner(systemId, signing.privateKeyPem, signing.certificatePem),
    unsealingKey: createUnsealingKey(tls.privateKeyPem, tls.certificatePem)
  }
}

let cachedPki: TestPki | undefined

export function testPki(): TestPki {
  if (cachedPki !== undefined) return cachedPki
  const ca = createCertificateAuthority('acm test CA', 60)
  const gateways = Object.fromEntries(systems.map((id) => [id, identity(ca, id)])) as Record<
    TestSystem,
    GatewayIdentity
  >
  cachedPki = {
    ca,
    gateways,
    partner: (systemId, extra = []) => ({
      systemId,
      caPems: [ca.certificatePem],
      signingCertificatePems: [gateways[systemId].signing.certificatePem, ...extra],
      encryptionCertificatePem: gateways[systemId].tls.certificatePem
    })
  }
  return cachedPki
}

/** The trust store `self` holds: every other test gateway as a partner. */
export function trustFor(self: TestSystem): TrustStore {
  const pki = testPki()
  return buildTrustStore(systems.filter((s) => s !== self).map((s) => pki.partner(s)))
}

let cachedSchemas: SchemaSet | undefined
export async function schemas(): Promise<SchemaSet> {
  cachedSchemas ??= await loadSchemaSet()
  return cachedSchemas
}

/** The Confluent framing with schema ids assigned here (1, 2, … per record name): no registry needed. */
export async function offlineRegistryWire(): Promise<Wire> {
  const set = await schemas()
  const ids = new Map<string, number>()
  const allowed = new Map<TopicCategory, Map<number, WriterEntry>>()
  for (const [category, records] of categoryRecords()) {
    const map = new Map<number, WriterEntry>()
    for (const record of records) {
      const id = ids.get(record) ?? ids.size + 1
      ids.set(record, id)
      map.set(id, ownWriter(set.get(record), String(id)))
    }
    allowed.set(category, map)
  }
  return createRegistryWire(ids, allowed)
}

export async function codecFor(
  self: TestSystem,
  overrides: Partial<CodecOptions> & { wire?: Wire } = {}
): Promise<AcmCodec> {
  const set = await schemas()
  const gateway = testPki().gateways[self]
  return createCodec({
    localSystem: self,
    schemas: set,
    wire: overrides.wire ?? createEmbeddedWire(set),
    signer: gateway.signer,
    trust: trustFor(self),
    unsealingKey: gateway.unsealingKey,
    ...overrides
  })
}

export const baseTime = Date.parse('2026-11-25T10:00:00Z')

export function envelope(kind: AcmKind, overrides: Partial<Envelope> = {}): Envelope {
  const info = kinds[kind]
  return {
    messageId: randomUUID(),
    kind,
    sourceSystem: 'alpha',
    targetSystem: 'bravo',
    agreementId: 'agr-alpha-bravo-2026',
    correlationId: info.role === 'answer' ? randomUUID() : null,
    createdAt: baseTime,
    expiresAt: baseTime + 3_600_000,
    urgency: 'NORMAL',
    requester: { mcServiceId: 'sip:chief.ops@alpha.example', functionalAlias: 'duty-officer' },
    target: info.target === 'none' ? null : { mcServiceId: 'sip:admin@bravo.example', functionalAlias: null },
    approver: info.role === 'answer' ? { mcServiceId: 'sip:admin@alpha.example', functionalAlias: null } : null,
    entityKey: `entity:${kind.toLowerCase()}`,
    entityVersion: 7,
    ...overrides
  }
}

const users = ['sip:u1@alpha.example', 'sip:u2@alpha.example', 'sip:u3@alpha.example']

/** A valid body for every kind (the fields besides the envelope). */
export function body(kind: AcmKind): Record<string, unknown> {
  switch (kind) {
    case 'COOPERATION_PROPOSED':
      return {
        terms: {
          termsVersion: 1,
          services: ['MCPTT', 'MCDATA'],
          dataCategories: ['STATUS', 'GROUPS', 'MIGRATION', 'RESPONSES'],
          validFrom: baseTime,
          validUntil: baseTime + 90 * 86_400_000,
          maxMigratedUsers: 200,
          maxJointGroups: null,
          description: 'forest fire mutual aid'
        }
      }
    case 'COOPERATION_ACCEPTED':
    case 'COOPERATION_SUSPENDED':
    case 'COOPERATION_RESUMED':
    case 'COOPERATION_TERMINATED':
      return { termsVersion: 1, effectiveAt: baseTime, reason: kind === 'COOPERATION_ACCEPTED' ? null : 'drill ended' }
    case 'USER_CONFIGURATION_SHARED':
      return {
        users: users.map((mcServiceId, i) => ({
          mcServiceId,
          displayName: `Officer ${i}`,
          organisation: 'Alpha Fire',
          functionalAliases: i === 0 ? ['incident-commander'] : [],
          services: ['MCPTT'],
          attributes: { rank: 'captain' }
        }))
      }
    case 'USER_CONFIGURATION_WITHDRAWN':
      return { mcServiceIds: users.slice(0, 2), reason: 'left the incident' }
    case 'INTERCONNECTION_GROUP_IDENTITY_PROVISION':
      return {
        groups: [
          { mcServiceGroupId: 'sip:fire-ops@alpha.example', service: 'MCPTT', displayName: 'Fire ops' },
          { mcServiceGroupId: 'sip:fire-video@alpha.example', service: 'MCVIDEO', displayName: null }
        ]
      }
    case 'GROUP_MEMBERSHIP_UPDATE':
      return { mcServiceGroupId: 'sip:fire-ops@alpha.example', operation: 'ADD', mcServiceIdList: users }
    case 'JOINT_GROUP_CREATE':
    case 'JOINT_GROUP_UPDATE':
      return {
        group: {
          mcServiceGroupId: 'sip:joint-1@alpha.example',
          homeSystem: 'alpha',
          displayName: 'Joint border patrol',
          services: ['MCPTT', 'MCDATA'],
          members: [
            { mcServiceId: users[0], systemId: 'alpha' },
            { mcServiceId: 'sip:b1@bravo.example', systemId: 'bravo' }
          ],
          validUntil: null
        }
      }
    case 'JOINT_GROUP_DISSOLVE':
      return { mcServiceGroupId: 'sip:joint-1@alpha.example', effectiveAt: baseTime, reason: null }
    case 'MIGRATION_USERS_ADD':
      return {
        users: users.map((mcServiceId) => ({
          mcServiceId,
          partnerMcServiceId: null,
          services: ['MCPTT'],
          validFrom: null,
          validUntil: baseTime + 86_400_000
        }))
      }
    case 'MIGRATION_USERS_REMOVE':
      return { mcServiceIds: users, effectiveAt: null, reason: 'incident closed' }
    case 'VISITING_USER_SERVICE_AUTHORISATION':
      return {
        mcServiceIds: users,
        authorisations: [
          { service: 'MCPTT', feature: 'emergency-call', enabled: true },
          { service: 'MCVIDEO', feature: 'private-call', enabled: false }
        ]
      }
    case 'SECURITY_PARAMETERS':
      return {
        securityDomain: 'alpha.example',
        trustAnchors: [
          {
            purpose: 'idms',
            certificateDer: new X509Certificate(testPki().ca.certificatePem).raw
          }
        ],
        kmsUris: ['https://kms.alpha.example/'],
        sealed: null
      }
    case 'PROCESS_INDICATION':
      return { state: 'BEING_ASSESSED', handling: 'MANUAL', expectedDecisionBy: baseTime + 3_600_000 }
    case 'FINAL_RESPONSE':
      return {
        requestKind: 'MIGRATION_USERS_ADD',
        outcome: 'PARTIALLY_ACCEPTED',
        handling: 'MANUAL',
        decidedAt: baseTime,
        items: [
          { item: users[0], result: 'ACCEPTED', reasonCode: null, reason: null },
          { item: users[1], result: 'REJECTED', reasonCode: 'limit-exceeded', reason: 'agreement allows 1 more' }
        ]
      }
  }
}

export function message(kind: AcmKind, overrides: Partial<Envelope> = {}): AcmMessage {
  return { envelope: envelope(kind, overrides), ...body(kind) }
}

export const sampleSecrets: SecuritySecrets = {
  groupKeys: [
    {
      mcServiceGroupId: 'sip:fire-ops@alpha.example',
      gmkId: 'gmk-0001',
      keyMaterial: Buffer.alloc(32, 7),
      activationTime: baseTime,
      expiryTime: null
    }
  ],
  secrets: { 'kms-client-secret': Buffer.from('s3cr3t') }
}

export { kindNames }
