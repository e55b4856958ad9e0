import { resolve } from 'node:path'
import { type Command, InvalidArgumentError } from 'commander'
import type { AuditAnchor, AuditEntry } from '../../audit/chain.ts'
import { readAuditLines, tamperedError, verifyAuditFile } from '../../audit/file.ts'
import { type CliContext, printJson } from '../context.ts'

function anchor(value: string): AuditAnchor {
  const match = /^(\d+):([0-9a-f]{64})$/.exec(value)
  if (match === null) {
    throw new InvalidArgumentError('an anchor is <seq>:<sha-256 hex>, as `acmgw audit verify` prints it')
  }
  return { seq: Number(match[1]), hash: match[2] as string }
}

function count(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`a positive whole number, got ${value}`)
  return n
}

/** One line per entry: what happened, to what, and who decided. */
export function formatEntry(e: AuditEntry): string {
  const who = e.decidedBy === undefined ? '' : ` by ${e.decidedBy}${e.rule === undefined ? '' : ` (rule ${e.rule})`}`
  const acl =
    e.acl === undefined
      ? ''
      : ` ${e.acl.action} ${e.acl.permission} ${e.acl.operation} ${e.acl.resourceType}:${e.acl.patternType}:${e.acl.resourceName} for ${e.acl.principal}`
  const parts = [
    String(e.seq).padStart(6),
    e.time,
    e.type.padEnd(16),
    e.partner ?? '-',
    e.kind ?? '-',
    e.messageId ?? '-',
    [e.agreementId, e.outcome, e.reasonCode].filter((x) => x !== undefined).join(' ') + who + acl
  ]
  return parts.join('  ').trimEnd()
}

export function registerAuditCommands(program: Command, ctx: CliContext): void {
  const audit = program
    .command('audit')
    .description('the hash-chained audit log a gateway writes (format and anchoring in docs/audit.md)')

  audit
    .command('verify')
    .description('check every entry and link; exit 0 when intact, 65 (ACMGW_AUDIT_TAMPERED) naming the first bad line')
    .argument('<file>', 'an audit log (JSON Lines)')
    .option('--anchor <seq:hash>', 'a head kept elsewhere: entry <seq> must have this hash and must be present', anchor)
    .option('--anchor-last', 'the anchor was the last entry: report entries added after it', false)
    .option('--json', 'print the verdict as JSON', false)
    .action(async (file: string, o: { anchor?: AuditAnchor; anchorLast: boolean; json: boolean }) => {
      const path = resolve(ctx.cwd, file)
      const verdict = await verifyAuditFile(path, {
        ...(o.anchor === undefined ? {} : { anchor: { ...o.anchor, last: o.anchorLast } })
      })
      if (o.json) printJson(ctx, verdict)
      if (!verdict.ok) throw tamperedError(verdict)
      if (!o.json) {
        ctx.out(
          verdict.count === 0
            ? `${path}: intact, no entries yet`
            : `${path}: intact, ${verdict.count} entries; last ${verdict.head.seq}:${verdict.head.hash}`
        )
      }
    })

  audit
    .command('show')
    .description('print the entries (verified first; a log that does not verify is shown, then refused)')
    .argument('<file>', 'an audit log (JSON Lines)')
    .option('--tail <n>', 'only the last n entries', count)
    .option('--json', 'print the entries as JSON Lines, as stored', false)
    .action(async (file: string, o: { tail?: number; json: boolean }) => {
      const path = resolve(ctx.cwd, file)
      const verdict = await verifyAuditFile(path)
      const { values } = await readAuditLines(path)
      const entries = values.flatMap((v) => (v.ok ? [v.value] : []))
      const shown = o.tail === undefined ? entries : entries.slice(-o.tail)
      // A log that does not verify may hold anything: shown as stored, not interpreted.
      for (const entry of shown)
        ctx.out(o.json || !verdict.ok ? JSON.stringify(entry) : formatEntry(entry as AuditEntry))
      if (!verdict.ok) throw tamperedError(verdict, '; the entries above cannot be trusted')
    })
}
