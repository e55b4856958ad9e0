/**
 * What the status page shows, as one JSON document (GET /v1/status), and the lag chart it draws: an inline SVG
 * rendered here from the monitor's history, so the page needs no chart library and no network.
 */
import type { Agreement } from '../agreements/model.ts'
import type { DeadLetter, GatewayService } from '../gateway/service.ts'
import type { Activity, ActivityEntry } from './activity.ts'
import type { LinkStatus } from './lag.ts'
import type { LagMonitor, LagPoint } from './monitor.ts'

export interface LinkView {
  partner: string
  status: LinkStatus
  reason: string
  members: number
  lagMessages: number
  lagSeconds: number | null
  at: string
  /** Lag over the last hour, an SVG document. */
  chart: string
}

export interface StatusView {
  system: string
  at: string
  lag: { intervalMs: number; at: string | null; error: string | null }
  links: LinkView[]
  agreements: Agreement[]
  rejections: ActivityEntry[]
  decisions: ActivityEntry[]
  deadLetters: DeadLetter[]
}

export interface StatusSources {
  service: GatewayService
  lag: LagMonitor
  activity: Activity
  now?: () => number
}

const statusColour: Record<LinkStatus, string> = {
  OK: '#2e7d32',
  LAGGING: '#ef6c00',
  STALLED: '#c62828',
  STOPPED: '#6a1b9a'
}

const escapeXml = (text: string) =>
  text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c] ?? c)

/**
 * Lag in messages over the window as a line, with a dot per point coloured by the link's status at that point.
 * The y axis scales to the largest lag shown (at least 1), the x axis is the window ending now.
 */
export function renderLagChart(
  points: readonly LagPoint[],
  options: { now: number; windowMs: number; width?: number; height?: number; title: string }
): string {
  const width = options.width ?? 480
  const height = options.height ?? 120
  const pad = { left: 36, right: 8, top: 8, bottom: 18 }
  const plotW = width - pad.left - pad.right
  const plotH = height - pad.top - pad.bottom
  const start = options.now - options.windowMs
  const shown = points.filter((p) => p.at >= start && p.at <= options.now)
  const top = Math.max(1, ...shown.map((p) => p.lagMessages))
  const x = (at: number) => pad.left + ((at - start) / options.windowMs) * plotW
  const y = (lag: number) => pad.top + plotH - (lag / top) * plotH
  const r = (n: number) => Math.round(n * 10) / 10
  const line = shown.map((p) => `${r(x(p.at))},${r(y(p.lagMessages))}`).join(' ')
  const minutes = Math.round(options.windowMs / 60_000)
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(options.title)}">`,
    `<title>${escapeXml(options.title)}</title>`,
    `<rect x="${pad.left}" y="${pad.top}" width="${plotW}" height="${plotH}" fill="#fafafa" stroke="#ccc"/>`,
    `<text x="${pad.left - 4}" y="${pad.top + 8}" font-size="10" text-anchor="end">${top}</text>`,
    `<text x="${pad.left - 4}" y="${pad.top + plotH}" font-size="10" text-anchor="end">0</text>`,
    `<text x="${pad.left}" y="${height - 4}" font-size="10">-${minutes} min</text>`,
    `<text x="${width - pad.right}" y="${height - 4}" font-size="10" text-anchor="end">now</text>`
  ]
  if (shown.length === 0) {
    parts.push(
      `<text x="${pad.left + plotW / 2}" y="${pad.top + plotH / 2}" font-size="11" text-anchor="middle">no samples yet</text>`
    )
  } else {
    if (shown.length > 1) parts.push(`<polyline fill="none" stroke="#1565c0" stroke-width="1.5" points="${line}"/>`)
    for (const p of shown) {
      const lagText = p.lagSeconds === null ? 'age unknown' : `${Math.round(p.lagSeconds)} s`
      parts.push(
        `<circle cx="${r(x(p.at))}" cy="${r(y(p.lagMessages))}" r="2.5" fill="${statusColour[p.status]}">` +
          `<title>${new Date(p.at).toISOString()} ${p.status}: ${p.lagMessages} messages, ${lagText}</title></circle>`
      )
    }
  }
  parts.push('</svg>')
  return parts.join('')
}

export async function buildStatusView(sources: StatusSources): Promise<StatusView> {
  const now = (sources.now ?? Date.now)()
  const snapshot = sources.lag.snapshot()
  const windowMs = 3_600_000
  return {
    system: sources.service.systemId,
    at: new Date(now).toISOString(),
    lag: {
      intervalMs: snapshot.intervalMs,
      at: snapshot.at === null ? null : new Date(snapshot.at).toISOString(),
      error: snapshot.error
    },
    links: snapshot.links.map((l) => ({
      partner: l.partner,
      status: l.status,
      reason: l.reason,
      members: l.members,
      lagMessages: l.lagMessages,
      lagSeconds: l.lagSeconds,
      at: new Date(l.at).toISOString(),
      chart: renderLagChart(snapshot.history[l.partner] ?? [], {
        now,
        windowMs,
        title: `lag of the link from ${l.partner}, last hour`
      })
    })),
    agreements: sources.service.agreements(),
    rejections: sources.activity.recent(['rejected', 'dead-lettered']).slice(0, 20),
    decisions: sources.activity.recent(['decided']).slice(0, 20),
    deadLetters: (await sources.service.deadLetters()).slice(-20).reverse()
  }
}

/** What an HTTP app needs to serve /metrics and /v1/status for a running gateway. */
export function opsEndpoints(gateway: {
  service: GatewayService
  lag: LagMonitor
  activity: Activity
  metrics: { contentType: string; render(): Promise<string> }
}): { metrics(): Promise<{ contentType: string; body: string }>; status(): Promise<StatusView> } {
  return {
    metrics: async () => ({ contentType: gateway.metrics.contentType, body: await gateway.metrics.render() }),
    status: () => buildStatusView(gateway)
  }
}
