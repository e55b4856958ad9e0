/**
 * A unit of work of the engine: state changes, answers and dead letters collected while a batch of records (or
 * one local action) is handled, then published together with acks=all in one producer request. Memory sees each
 * change at once, so later records of the same batch see earlier ones; when the publish fails, the changes are
 * undone so that a redelivery is handled again instead of being mistaken for a duplicate. Pure: the publish is
 * passed in.
 */
import type { ProducedRecord } from '../codec/codec.ts'
import type { DeadLetterRecord } from './engine.ts'
import { type GatewayState, type StateSection, stateRecord, sectionMap, type StateWrite } from './state.ts'

export interface StagedBatch {
  records: ProducedRecord[]
  state: StateWrite[]
  deadLetters: DeadLetterRecord[]
}

export interface Stage {
  /** Sets (or, with undefined, deletes) a state entry in memory now and on the state topic at commit. */
  put(section: StateSection, id: string, value: unknown): void
  send(record: ProducedRecord): void
  deadLetter(letter: DeadLetterRecord): void
  /** Runs once everything staged is acknowledged (events for the audit log, notifications). */
  afterwards(action: () => void | Promise<void>): void
}

interface Touched {
  map: Map<string, unknown>
  id: string
  had: boolean
  before: unknown
  /** What this stage left in memory (undefined: deleted). */
  after: unknown
}

export interface OpenStage extends Stage {
  /** Publishes what was staged, then runs the afterwards actions; on a failed publish undoes and rethrows. */
  commit(publish: (batch: StagedBatch) => Promise<void>): Promise<void>
  rollback(): void
}

export function openStage(state: GatewayState): OpenStage {
  const records: ProducedRecord[] = []
  const deadLetters: DeadLetterRecord[] = []
  // One write per key: the state topic is compacted, only the last value of a key matters.
  const writes = new Map<string, StateWrite>()
  const touched = new Map<string, Touched>()
  const actions: (() => void | Promise<void>)[] = []

  function rollback(): void {
    for (const t of [...touched.values()].reverse()) {
      const current = t.map.has(t.id) ? t.map.get(t.id) : undefined
      // Only what this stage left: a concurrent action may have written the key since, and that stays.
      if (current !== t.after) continue
      if (t.had) t.map.set(t.id, t.before)
      else t.map.delete(t.id)
    }
    touched.clear()
  }

  return {
    put(section, id, value) {
      const map = sectionMap(state, section)
      const write = stateRecord(section, id, value)
      const slot = touched.get(write.key)
      if (slot === undefined) {
        touched.set(write.key, { map, id, had: map.has(id), before: map.get(id), after: value })
      } else slot.after = value
      if (value === undefined) map.delete(id)
      else map.set(id, value)
      writes.set(write.key, write)
    },
    send: (record) => void records.push(record),
    deadLetter: (letter) => void deadLetters.push(letter),
    afterwards: (action) => void actions.push(action),
    async commit(publish) {
      if (records.length + writes.size + deadLetters.length > 0) {
        try {
          await publish({ records, state: [...writes.values()], deadLetters })
        } catch (error) {
          rollback()
          throw error
        }
      }
      for (const action of actions) await action()
    },
    rollback
  }
}
