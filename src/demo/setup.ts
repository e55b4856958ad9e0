/**
 * The demo's three systems, their agreements, topics and ACLs, and gateway configurations: what an operator
 * writes by hand for a real deployment, generated here for the local stack.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { stringify } from 'yaml'
import type { GatewayConfigInput } from '../config/schema.ts'
import type { StackInfo } from '../devstack/stack.ts'
import { adminEndpoint } from '../devstack/stack.ts'
import { openTopicAdmin } from '../kafka/admin.ts'
import { pkiLayout } from '../pki/store.ts'
import { applyPlan, planCluster } from '../topics/cluster.ts'
import { desiredState } from '../topics/desired.ts'
import type { Interconnection } from '../topics/interconnection.ts'
import { defaultTemplatesDir, loadTemplates } from '../topics/load.ts'
import { changeCount } from '../topics/plan.ts'

export const demoSystems = ['nl-police', 'be-police', 'de-fire'] as const
export type DemoSystem = (typeof demoSystems)[number]

export const demoAgreements = {
  nlBe: { id: 'nl-be-border-2026', systems: ['nl-police', 'be-police'] as const },
  nlDe: { id: 'nl-de-fire-2026', systems: ['nl-police', 'de-fire'] as const }
}

const names: Record<DemoSystem, string> = {
  'nl-police': 'Politie Nederland',
  'be-police': 'Police fédérale belge',
  'de-fire': 'Feuerwehr Aachen'
}

export function demoInterconnection(nlBeStatus: 'PROPOSED' | 'ACTIVE' | 'TERMINATED'): Interconnection {
  return {
    systems: demoSystems.map((id) => ({ id, name: names[id] })),
    agreements: [
      {
        id: demoAgreements.nlBe.id,
        systems: [...demoAgreements.nlBe.systems],
        status: nlBeStatus,
        categories: ['status', 'users', 'groups', 'migration', 'security']
      },
      {
        id: demoAgreements.nlDe.id,
        systems: [...demoAgreements.nlDe.systems],
        status: 'ACTIVE',
        categories: ['status', 'groups']
      }
    ]
  }
}

/** `acmgw topics apply` for the demo interconnection; returns the number of changes made. */
export async function applyDemoTopics(info: StackInfo, interconnection: Interconnection, cwd: string): Promise<number> {
  const templates = await loadTemplates(defaultTemplatesDir, cwd)
  const desired = desiredState(templates, interconnection, { replicationFactor: 1 })
  const admin = await openTopicAdmin(adminEndpoint(info))
  try {
    const plan = await planCluster(admin, desired)
    if (!plan.drift) return 0
    await applyPlan(admin, desired, plan)
    return changeCount(plan)
  } finally {
    await admin.close()
  }
}

function gatewayConfig(info: StackInfo, dir: string, self: DemoSystem): GatewayConfigInput {
  const pki = (file: string) => join(info.pki.dir, file)
  const partner = (id: DemoSystem) => ({
    id,
    name: names[id],
    signingCertificates: [pki(pkiLayout.gatewaySigningCert(id))],
    encryptionCertificate: pki(pkiLayout.gatewayCert(id))
  })
  const nlBe = {
    id: demoAgreements.nlBe.id,
    status: 'PROPOSED' as const,
    services: ['MCPTT' as const, 'MCDATA' as const],
    categories: ['status' as const, 'users' as const, 'groups' as const, 'migration' as const, 'security' as const],
    limits: { maxMigratedUsers: 2 },
    sharedUserAttributes: ['rank', 'unit']
  }
  const nlDe = {
    id: demoAgreements.nlDe.id,
    status: 'ACTIVE' as const,
    services: ['MCPTT' as const],
    categories: ['status' as const, 'groups' as const]
  }
  const common = {
    system: { id: self, name: names[self] },
    kafka: {
      brokers: info.bootstrapServers,
      tls: { ca: pki(pkiLayout.caCert), cert: pki(pkiLayout.gatewayCert(self)), key: pki(pkiLayout.gatewayKey(self)) }
    },
    signing: { key: pki(pkiLayout.gatewaySigningKey(self)), certificate: pki(pkiLayout.gatewaySigningCert(self)) },
    adapter: { type: 'directory' as const, path: join(dir, `${self}-directory`) },
    http: { host: '127.0.0.1', port: 0 }
  }
  switch (self) {
    case 'nl-police':
      return {
        ...common,
        partners: [partner('be-police'), partner('de-fire')],
        agreements: [
          { ...nlBe, partner: 'be-police' },
          { ...nlDe, partner: 'de-fire' }
        ],
        policy: { default: 'accept' }
      }
    case 'be-police':
      return {
        ...common,
        partners: [partner('nl-police')],
        agreements: [{ ...nlBe, partner: 'nl-police' }],
        policy: {
          default: 'accept',
          rules: [
            {
              name: 'a new cooperation is decided by the duty officer',
              when: { kinds: ['COOPERATION_PROPOSED'] },
              decision: 'pending'
            }
          ]
        }
      }
    case 'de-fire':
      return {
        ...common,
        partners: [partner('nl-police')],
        agreements: [{ ...nlDe, partner: 'nl-police' }],
        policy: {
          default: 'accept',
          rules: [
            {
              name: 'membership of fire groups is checked by the control room',
              when: { kinds: ['GROUP_MEMBERSHIP_UPDATE'] },
              decision: 'pending'
            }
          ]
        }
      }
  }
}

/** Writes `<dir>/<system>.yaml` for every demo system; returns the file paths. */
export async function writeDemoConfigs(info: StackInfo, dir: string): Promise<Record<DemoSystem, string>> {
  await mkdir(dir, { recursive: true })
  const files = {} as Record<DemoSystem, string>
  for (const self of demoSystems) {
    files[self] = join(dir, `${self}.yaml`)
    await writeFile(files[self], stringify(gatewayConfig(info, dir, self)))
  }
  return files
}
