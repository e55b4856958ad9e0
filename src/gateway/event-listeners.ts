/**
 * Several consumers of engine events (the audit log, metrics, …) share the engine's one `onEvent` hook. Each
 * listener is isolated: one that throws is logged and neither stops the others nor the record being processed.
 */
import type { Logger } from 'pino'
import type { EngineEvent } from './engine.ts'

export type EngineEventListener = (event: EngineEvent) => void

export function composeEventListeners(
  log: Logger,
  listeners: readonly (EngineEventListener | undefined)[]
): EngineEventListener {
  const active = listeners.filter((l): l is EngineEventListener => l !== undefined)
  return (event) => {
    for (const listener of active) {
      try {
        listener(event)
      } catch (error) {
        log.error({ err: String(error), event: event.type }, 'an engine event listener failed')
      }
    }
  }
}
