/**
 * Names of everything this capability puts on a cluster (DESIGN §3). A namespace, when given, is prepended with
 * a dot to every topic and group name, so independent deployments or test runs can share one cluster without
 * seeing each other's resources; principals are never namespaced (they come from certificates).
 */
import type { TopicCategory } from '../agreements/model.ts'
import { GatewayError } from '../errors.ts'

export const topicRoot = 'acm'
export const groupRoot = 'acmgw'

/** No dots, so a namespace can never make its names look like another namespace's (or the default's). */
export const namespacePattern = /^[a-z0-9][a-z0-9-]{0,31}$/

export function assertNamespace(namespace: string): string {
  if (namespace === '') return namespace
  if (!namespacePattern.test(namespace) || namespace === topicRoot || namespace === groupRoot) {
    throw new GatewayError(
      'ACMGW_USAGE',
      `namespace ${JSON.stringify(namespace)} is not valid: it must match ${namespacePattern.source} and not be "${topicRoot}" or "${groupRoot}"`
    )
  }
  return namespace
}

export interface Names {
  namespace: string
  /** Every managed topic name starts with this, e.g. `acm.` or `t1.acm.`. */
  topicPrefix: string
  /** Every managed consumer group name starts with this, e.g. `acmgw.`. */
  groupPrefix: string
  dataTopic(from: string, to: string, category: TopicCategory): string
  /** `acm.<system>.<name>`: one segment after the system, so never mistaken for a link topic. */
  privateTopic(system: string, name: string): string
  stateTopic(system: string): string
  deadLetterTopic(system: string): string
  consumerGroup(system: string): string
}

export function names(namespace = ''): Names {
  const ns = assertNamespace(namespace)
  const lead = ns === '' ? '' : `${ns}.`
  const topicPrefix = `${lead}${topicRoot}.`
  const groupPrefix = `${lead}${groupRoot}.`
  return {
    namespace: ns,
    topicPrefix,
    groupPrefix,
    dataTopic: (from, to, category) => `${topicPrefix}${from}.${to}.${category}`,
    privateTopic: (system, name) => `${topicPrefix}${system}.${name}`,
    // The names src/gateway/runtime.ts uses.
    stateTopic: (system) => `${topicPrefix}${system}.state`,
    deadLetterTopic: (system) => `${topicPrefix}${system}.dlq`,
    consumerGroup: (system) => `${groupPrefix}${system}`
  }
}
