/**
 * The last decisions and rejections of a gateway, in memory, for the status page: a ring of engine events with
 * the time they happened. Bounded; the audit log is the durable record.
 */
import type { EngineEvent } from '../gateway/engine.ts'

export interface ActivityEntry extends EngineEvent {
  at: string
}

export interface Activity {
  onEvent(event: EngineEvent): void
  /** Newest first. */
  recent(types?: readonly EngineEvent['type'][]): ActivityEntry[]
}

/** What an operator looks back at; receipts and sends are too many and say little. */
const kept = new Set<EngineEvent['type']>(['rejected', 'dead-lettered', 'decided', 'pending'])

export function createActivity(capacity = 100, now: () => number = Date.now): Activity {
  const ring: ActivityEntry[] = []
  return {
    onEvent(event) {
      if (!kept.has(event.type)) return
      ring.push({ ...event, at: new Date(now()).toISOString() })
      if (ring.length > capacity) ring.splice(0, ring.length - capacity)
    },
    recent(types) {
      const list = types === undefined ? ring : ring.filter((e) => types.includes(e.type))
      return [...list].reverse()
    }
  }
}
