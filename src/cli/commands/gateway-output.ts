/**
 * Human output of the commands that talk to a running gateway: aligned columns and the request timeline.
 * `--json` bypasses all of this and prints the API's JSON.
 */
import type { Agreement } from '../../agreements/model.ts'
import type { DeadLetter, PendingRequest, RequestTrace, SendReceipt } from '../../gateway/service.ts'

/** Pads every column but the last to its widest cell. */
export function columns(rows: readonly (readonly string[])[], indent = ''): string {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)))
  return rows
    .map((row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '))
    .map((line) => line.trimEnd())
    .join('\n')
}

const fieldList = (fields: readonly (readonly [string, string])[]) => columns(fields.map(([k, v]) => [`${k}:`, v]))

export function isFinal(trace: RequestTrace): boolean {
  return trace.status === 'answered' || trace.status === 'timed-out'
}

export function formatTrace(trace: RequestTrace): string {
  const header = fieldList([
    ['request', trace.messageId],
    ['direction', trace.direction === 'outbound' ? `outbound, to ${trace.partner}` : `inbound, from ${trace.partner}`],
    ['kind', trace.kind],
    ['agreement', trace.agreementId],
    ['status', trace.outcome === null ? trace.status : `${trace.status}: ${trace.outcome}`],
    ['expires', trace.expiresAt]
  ])
  const timeWidth = Math.max(4, ...trace.events.map((e) => e.at.length))
  const typeWidth = Math.max(5, ...trace.events.map((e) => e.type.length))
  const line = (at: string, type: string, detail: string) =>
    `${at.padEnd(timeWidth)}  ${type.padEnd(typeWidth)}  ${detail}`.trimEnd()
  const lines = [line('TIME', 'EVENT', 'DETAIL')]
  for (const event of trace.events) {
    lines.push(line(event.at, event.type, event.detail))
    if (event.items !== undefined && event.items.length > 0) {
      // Per-item results sit under the detail column of their final answer.
      const indent = ' '.repeat(timeWidth + typeWidth + 4)
      lines.push(
        columns(
          event.items.map((it) => [it.item, it.result, it.reasonCode ?? '', it.reason ?? '']),
          indent
        )
      )
    }
  }
  const footer = isFinal(trace) ? [] : ['', 'no final answer yet']
  return [header, '', ...lines, ...footer].join('\n')
}

export function formatReceipt(receipt: SendReceipt): string {
  return fieldList([
    ['message id', receipt.messageId],
    ['topic', receipt.topic],
    ['acknowledged', 'yes (acks=all)']
  ])
}

export function formatPendingList(pending: readonly PendingRequest[]): string {
  if (pending.length === 0) return 'no pending requests'
  return columns([
    ['MESSAGE ID', 'PARTNER', 'KIND', 'URGENCY', 'REQUESTER', 'RECEIVED', 'DECIDE BY'],
    ...pending.map((p) => [
      p.messageId,
      p.partner,
      p.kind,
      p.urgency,
      p.requester.mcServiceId,
      p.receivedAt,
      p.decideBy
    ])
  ])
}

export function formatPending(p: PendingRequest): string {
  const requester =
    p.requester.functionalAlias === null
      ? p.requester.mcServiceId
      : `${p.requester.mcServiceId} as ${p.requester.functionalAlias}`
  return [
    fieldList([
      ['message id', p.messageId],
      ['partner', p.partner],
      ['kind', p.kind],
      ['agreement', p.agreementId],
      ['requester', requester],
      ['urgency', p.urgency],
      ['received', p.receivedAt],
      ['decide by', p.decideBy]
    ]),
    'body:',
    JSON.stringify(p.body, null, 2).replace(/^/gm, '  ')
  ].join('\n')
}

const coordinates = (d: DeadLetter) => `${d.original.topic}[${d.original.partition}]@${d.original.offset}`

export function formatDeadLetters(letters: readonly DeadLetter[]): string {
  if (letters.length === 0) return 'no dead letters'
  return columns([
    ['ID', 'AT', 'REASON', 'PARTNER', 'ORIGINAL'],
    ...letters.map((d) => [d.id, d.at, d.reasonCode, d.partner ?? '-', coordinates(d)])
  ])
}

export function formatDeadLetter(d: DeadLetter): string {
  return fieldList([
    ['id', d.id],
    ['at', d.at],
    ['reason code', d.reasonCode],
    ['reason', d.reason],
    ['partner', d.partner ?? '-'],
    ['message id', d.messageId ?? '-'],
    ['original', coordinates(d)],
    ['record key', d.original.key ?? '-'],
    ['record time', new Date(d.original.timestamp).toISOString()]
  ])
}

export function formatAgreements(agreements: readonly Agreement[]): string {
  if (agreements.length === 0) return 'no agreements'
  return columns([
    ['ID', 'PARTNER', 'STATUS', 'SERVICES', 'CATEGORIES', 'VALID'],
    ...agreements.map((a) => [
      a.id,
      a.partner,
      a.status,
      a.services.join(','),
      a.categories.join(','),
      a.validFrom === undefined && a.validUntil === undefined
        ? 'always'
        : `${a.validFrom ?? '…'} – ${a.validUntil ?? '…'}`
    ])
  ])
}
