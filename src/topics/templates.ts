/**
 * Topic and ACL templates: parsed from their YAML text, validated, and resolved (defaults applied, durations in
 * milliseconds). Pure; src/topics/load.ts reads the files.
 */
import type { TopicCategory } from '../agreements/model.ts'
import { parseDuration } from '../config/schema.ts'
import { type Problem, fail, parseYaml, validate } from './documents.ts'
import {
  type AclTemplatesFile,
  aclTemplatesSchema,
  type CleanupPolicy,
  type TopicTemplateDefaults,
  type TopicTemplateOverride,
  topicTemplatesSchema
} from './schema.ts'

export interface TopicTemplate {
  partitions: number
  replicationFactor: number
  minInsyncReplicas: number
  cleanupPolicy: CleanupPolicy
  /** retention.ms; -1 keeps records forever. Only sent to the broker when the policy deletes. */
  retentionMs: number
  configs: Record<string, string>
}

export interface Templates {
  categories: Record<TopicCategory, TopicTemplate>
  /** By private topic name: `acm.<system>.<name>`. */
  private: Record<string, TopicTemplate>
  acls: AclTemplatesFile
}

export interface TemplateTexts {
  topics: { file: string; text: string }
  acls: { file: string; text: string }
}

function retentionMs(text: string): number {
  return text === 'forever' ? -1 : (parseDuration(text) ?? -1)
}

function resolveTemplate(
  defaults: TopicTemplateDefaults,
  override: TopicTemplateOverride,
  path: string,
  problems: Problem[]
): TopicTemplate {
  const template: TopicTemplate = {
    partitions: override.partitions ?? defaults.partitions,
    replicationFactor: override.replicationFactor ?? defaults.replicationFactor,
    minInsyncReplicas: override.minInsyncReplicas ?? defaults.minInsyncReplicas,
    cleanupPolicy: override.cleanupPolicy ?? defaults.cleanupPolicy,
    retentionMs: retentionMs(override.retention ?? defaults.retention),
    configs: { ...defaults.configs, ...override.configs }
  }
  if (template.minInsyncReplicas > template.replicationFactor) {
    // Every acks=all write to such a topic would fail with NOT_ENOUGH_REPLICAS.
    problems.push({
      path: `${path}.minInsyncReplicas`,
      message: `${template.minInsyncReplicas} is more than replicationFactor ${template.replicationFactor}`
    })
  }
  if (override.retention !== undefined && template.cleanupPolicy === 'compact') {
    problems.push({
      path: `${path}.retention`,
      message: 'has no effect on a compact-only topic: use cleanupPolicy compact,delete or drop retention'
    })
  }
  return template
}

export function parseTemplates(texts: TemplateTexts): Templates {
  const topicsFile = texts.topics.file
  const topics = validate(
    topicTemplatesSchema,
    parseYaml(texts.topics.text, topicsFile, 'ACMGW_TOPICS_FILE_INVALID'),
    topicsFile,
    'ACMGW_TOPICS_FILE_INVALID'
  )
  const acls = validate(
    aclTemplatesSchema,
    parseYaml(texts.acls.text, texts.acls.file, 'ACMGW_TOPICS_FILE_INVALID'),
    texts.acls.file,
    'ACMGW_TOPICS_FILE_INVALID'
  )
  const problems: Problem[] = []
  resolveTemplate(topics.defaults, {}, 'defaults', problems)
  const categories = Object.fromEntries(
    Object.entries(topics.categories).map(([category, override]) => [
      category,
      resolveTemplate(topics.defaults, override, `categories.${category}`, problems)
    ])
  ) as Record<TopicCategory, TopicTemplate>
  const privateTopics = Object.fromEntries(
    Object.entries(topics.private).map(([name, override]) => [
      name,
      resolveTemplate(topics.defaults, override, `private.${name}`, problems)
    ])
  )
  if (problems.length > 0) fail('ACMGW_TOPICS_FILE_INVALID', topicsFile, problems)
  return { categories, private: privateTopics, acls }
}
