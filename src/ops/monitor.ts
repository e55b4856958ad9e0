/**
 * The lag monitor inside a running gateway: samples the links every interval (one sample at a time, never
 * overlapping), evaluates them with src/ops/lag.ts and keeps the last hour in memory, one point per interval,
 * for /metrics and the status page. Its timer is unref'd: it never keeps a process alive.
 */
import { evaluateLink, type LagOptions, type LinkLag, type LinkSample, type LinkStatus } from './lag.ts'

export interface LagPoint {
  at: number
  status: LinkStatus
  lagMessages: number
  lagSeconds: number | null
}

export interface LagSnapshot {
  intervalMs: number
  /** When the last sample was taken (null before the first). */
  at: number | null
  /** Why the last sample failed, if it did (the links then show the sample before it). */
  error: string | null
  links: LinkLag[]
  /** By partner, oldest first, at most `maxPoints`. */
  history: Record<string, LagPoint[]>
}

export interface LagMonitorOptions extends LagOptions {
  intervalMs: number
  sample: () => Promise<LinkSample[]>
  /** Called after each successful sample, e.g. to update gauges. */
  onUpdate?: (links: readonly LinkLag[]) => void
  onError?: (error: unknown) => void
  /** How much history to keep (default one hour); the number of points is also capped at 720. */
  historyMs?: number
  /** Released when the monitor stops (the reader's connections). */
  close?: () => Promise<void>
}

export interface LagMonitor {
  snapshot(): LagSnapshot
  /** Takes one sample now (waits for one in flight instead of overlapping it). */
  poll(): Promise<LinkLag[]>
  stop(): Promise<void>
}

export const maxHistoryPoints = 720

/** Appends a point and drops what is older than the window or beyond the cap. */
export function appendPoint(history: readonly LagPoint[], point: LagPoint, windowMs: number, cap: number): LagPoint[] {
  const kept = [...history, point].filter((p) => p.at > point.at - windowMs)
  return kept.length > cap ? kept.slice(kept.length - cap) : kept
}

export function startLagMonitor(options: LagMonitorOptions): LagMonitor {
  const windowMs = options.historyMs ?? 3_600_000
  const cap = Math.min(maxHistoryPoints, Math.max(1, Math.ceil(windowMs / options.intervalMs)))
  let links: LinkLag[] = []
  let at: number | null = null
  let error: string | null = null
  const history = new Map<string, LagPoint[]>()
  let inFlight: Promise<LinkLag[]> | undefined
  let timer: NodeJS.Timeout | undefined
  let stopped = false

  async function once(): Promise<LinkLag[]> {
    try {
      const samples = await options.sample()
      const previous = new Map(links.map((l) => [l.partner, l]))
      links = samples.map((s) => evaluateLink(s, previous.get(s.partner), options))
      at = samples[0]?.at ?? Date.now()
      error = null
      for (const l of links) {
        const point = { at: l.at, status: l.status, lagMessages: l.lagMessages, lagSeconds: l.lagSeconds }
        history.set(l.partner, appendPoint(history.get(l.partner) ?? [], point, windowMs, cap))
      }
      options.onUpdate?.(links)
    } catch (cause) {
      error = cause instanceof Error ? cause.message : String(cause)
      options.onError?.(cause)
    }
    return links
  }

  function poll(): Promise<LinkLag[]> {
    inFlight ??= once().finally(() => (inFlight = undefined))
    return inFlight
  }

  function schedule(delayMs: number): void {
    if (stopped) return
    timer = setTimeout(() => {
      void poll().finally(() => schedule(options.intervalMs))
    }, delayMs)
    timer.unref()
  }
  schedule(0)

  return {
    snapshot: () => ({
      intervalMs: options.intervalMs,
      at,
      error,
      links,
      history: Object.fromEntries([...history].map(([partner, points]) => [partner, [...points]]))
    }),
    poll,
    async stop() {
      stopped = true
      clearTimeout(timer)
      // Closing first cuts short a sample in flight (its probe waits up to seconds for records).
      await options.close?.()
      await inFlight?.catch(() => undefined)
    }
  }
}
