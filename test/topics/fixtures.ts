/** Shared inputs of the topics unit tests: the shipped templates and small interconnection files. */
import { readFileSync } from 'node:fs'
import { stringify } from 'yaml'
import type { AgreementStatus, DataCategory } from '../../src/agreements/model.ts'
import { parseInterconnection, type Interconnection } from '../../src/topics/interconnection.ts'
import { parseTemplates, type Templates } from '../../src/topics/templates.ts'

export const templatesDir = new URL('../../topics/', import.meta.url)

export function shippedText(name: 'topics.yaml' | 'acls.yaml'): string {
  return readFileSync(new URL(name, templatesDir), 'utf8')
}

export function shippedTemplates(): Templates {
  return parseTemplates({
    topics: { file: 'topics/topics.yaml', text: shippedText('topics.yaml') },
    acls: { file: 'topics/acls.yaml', text: shippedText('acls.yaml') }
  })
}

export const everyCategory: DataCategory[] = ['status', 'users', 'groups', 'migration', 'security']

export interface AgreementSpec {
  id: string
  systems: [string, string]
  status?: AgreementStatus
  categories: DataCategory[]
}

export function interconnection(systems: string[], agreements: AgreementSpec[]): Interconnection {
  return parseInterconnection(
    stringify({
      systems: systems.map((id) => ({ id })),
      agreements: agreements.map((a) => ({ ...a, status: a.status ?? 'ACTIVE' }))
    }),
    'interconnection.yaml'
  )
}

/** The deny-matrix world of issue 4: A–B every category, A–C status and groups only. */
export function abcWorld(overrides: Partial<Record<'ab' | 'ac', Partial<AgreementSpec>>> = {}): Interconnection {
  return interconnection(
    ['alpha', 'bravo', 'charlie'],
    [
      { id: 'ab', systems: ['alpha', 'bravo'], categories: everyCategory, ...overrides.ab },
      { id: 'ac', systems: ['alpha', 'charlie'], categories: ['status', 'groups'], ...overrides.ac }
    ]
  )
}
