/**
 * Stopping a gateway's parts in reverse order of start, each step bounded in time. A step that does not finish
 * (a kafkajs consumer still joining its group behind a dead member waits out that member's session) is left
 * behind so that the rest, producer and audit log above all, still closes; the process then exits with it
 * pending. Nothing is lost by that: handled work is durable before its offset is marked, the rest is redelivered.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'

export interface StopStep {
  what: string
  stop: () => Promise<void>
}

export function createShutdown(log: Logger, stepTimeoutMs: number) {
  const steps: StopStep[] = []
  return {
    /** Registers what to stop; steps run in reverse order of registration. */
    onStop: (what: string, stop: () => Promise<void>): void => {
      steps.push({ what, stop })
    },
    /** Runs every registered step once; complete is false when a step was left behind. */
    stopAll: async (): Promise<{ complete: boolean }> => {
      let complete = true
      for (const { what, stop } of steps.splice(0).reverse()) {
        const outcome = await Promise.race([
          stop().then(
            () => 'stopped' as const,
            (error: unknown) => {
              log.warn({ err: String(error), what }, 'stop failed')
              return 'failed' as const
            }
          ),
          sleep(stepTimeoutMs, 'timed out' as const, { ref: false })
        ])
        if (outcome === 'timed out') {
          complete = false
          log.warn({ what, timeoutMs: stepTimeoutMs }, 'stop step did not finish in time; going on without it')
        }
      }
      return { complete }
    }
  }
}
