/**
 * Prometheus metrics of one gateway, in a registry of its own (never prom-client's global one, so several
 * gateways in one process do not collide). Labels have bounded cardinality by construction: partners are the
 * configured ones, kinds the catalogue's, outcomes short codes capped in number; never message ids, users or
 * error text.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { kinds } from '../codec/catalogue.ts'
import type { EngineEvent } from '../gateway/engine.ts'
import { type CertificateValidity, daysLeft } from './certificates.ts'
import { type LinkLag, linkStatuses } from './lag.ts'

export interface GatewayMetricsSources {
  partners: readonly string[]
  pendingByPartner: () => Iterable<string>
  deadLetterPartners: () => Iterable<string | null>
  certificates: readonly CertificateValidity[]
  now?: () => number
}

export interface GatewayMetrics {
  onEvent(event: EngineEvent): void
  onLag(links: readonly LinkLag[]): void
  render(): Promise<string>
  readonly contentType: string
}

/** Outcome and reason codes are short identifiers from fixed sets; anything else, or too many, is "other". */
const maxOutcomes = 64
const codePattern = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/

export const latencyBucketsSeconds = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 86400]

export function createGatewayMetrics(sources: GatewayMetricsSources): GatewayMetrics {
  const registry = new Registry()
  const registers = [registry]
  const now = sources.now ?? Date.now
  const partners = new Set(sources.partners)
  const knownKinds = new Set(Object.keys(kinds))
  const outcomes = new Set<string>()
  const partnerLabel = (p: string | null) => (p === null ? 'none' : partners.has(p) ? p : 'other')
  const kindLabel = (k: string | null) => (k === null ? 'none' : knownKinds.has(k) ? k : 'other')
  const outcomeLabel = (o: string | undefined) => {
    if (o === undefined) return 'none'
    if (!codePattern.test(o)) return 'other'
    if (!outcomes.has(o)) {
      if (outcomes.size >= maxOutcomes) return 'other'
      outcomes.add(o)
    }
    return o
  }

  collectDefaultMetrics({ register: registry })
  const messages = new Counter({
    name: 'acmgw_messages_total',
    help: 'Messages and decisions by direction, partner, kind, engine event and outcome (or reason code)',
    labelNames: ['direction', 'partner', 'kind', 'event', 'outcome'] as const,
    registers
  })
  const latency = new Histogram({
    name: 'acmgw_message_latency_seconds',
    help: 'End to end: inbound from the sender creating the request to its final answer; outbound from sending to receiving the answer',
    labelNames: ['direction', 'partner', 'kind'] as const,
    buckets: latencyBucketsSeconds,
    registers
  })
  const lagMessages = new Gauge({
    name: 'acmgw_lag_messages',
    help: 'Records in the partner topics not yet consumed by this gateway’s group',
    labelNames: ['partner', 'topic', 'partition'] as const,
    registers
  })
  const lagSeconds = new Gauge({
    name: 'acmgw_lag_seconds',
    help: 'Age of the first unconsumed record (0 when caught up); absent when its timestamp is not known',
    labelNames: ['partner', 'topic', 'partition'] as const,
    registers
  })
  const linkStatus = new Gauge({
    name: 'acmgw_link_status',
    help: 'Status of the link from each partner: 1 for the current status, 0 for the others',
    labelNames: ['partner', 'status'] as const,
    registers
  })
  new Gauge({
    name: 'acmgw_pending_requests',
    help: 'Inbound requests waiting for a person’s decision',
    labelNames: ['partner'] as const,
    registers,
    collect() {
      this.reset()
      for (const p of sources.partners) this.set({ partner: p }, 0)
      for (const p of sources.pendingByPartner()) this.inc({ partner: partnerLabel(p) })
    }
  })
  new Gauge({
    name: 'acmgw_dead_letters',
    help: 'Records on the dead-letter topic, by the partner they came from (none: not attributable)',
    labelNames: ['partner'] as const,
    registers,
    collect() {
      this.reset()
      for (const p of sources.partners) this.set({ partner: p }, 0)
      for (const p of sources.deadLetterPartners()) this.inc({ partner: partnerLabel(p) })
    }
  })
  new Gauge({
    name: 'acmgw_certificate_expiry_days',
    help: 'Days until each certificate expires (negative: expired)',
    labelNames: ['system', 'certificate'] as const,
    registers,
    collect() {
      for (const c of sources.certificates) {
        this.set({ system: c.system, certificate: c.certificate }, Math.round(daysLeft(c, now()) * 100) / 100)
      }
    }
  })

  return {
    contentType: registry.contentType,
    onEvent(event) {
      const partner = partnerLabel(event.partner)
      const kind = kindLabel(event.kind)
      messages.inc({
        direction: event.direction,
        partner,
        kind,
        event: event.type,
        outcome: outcomeLabel(event.outcome ?? event.reasonCode)
      })
      if (event.latencyMs !== undefined && event.latencyMs >= 0) {
        latency.observe({ direction: event.direction, partner, kind }, event.latencyMs / 1000)
      }
    },
    onLag(links) {
      lagMessages.reset()
      lagSeconds.reset()
      linkStatus.reset()
      for (const link of links) {
        const partner = partnerLabel(link.partner)
        for (const s of linkStatuses) linkStatus.set({ partner, status: s }, s === link.status ? 1 : 0)
        for (const p of link.partitions) {
          const labels = { partner, topic: p.topic, partition: String(p.partition) }
          lagMessages.set(labels, p.lagMessages)
          if (p.lagSeconds !== null) lagSeconds.set(labels, p.lagSeconds)
        }
      }
    },
    render: () => registry.metrics()
  }
}
