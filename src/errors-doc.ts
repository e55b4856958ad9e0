/** docs/errors.md, rendered from the one error registry so that the reference cannot drift from the code. */
import { errorCatalogue } from './errors.ts'

export function renderErrorReference(): string {
  const rows = Object.entries(errorCatalogue).map(
    ([code, entry]) => `| \`${code}\` | ${entry.exitCode} | ${entry.summary} |`
  )
  return [
    '# Error codes',
    '',
    'Generated from `src/errors.ts` by `npm run docs:errors`; a test fails when this file is stale.',
    '',
    'Every failure the gateway reports carries one of these codes: in CLI output (`error <CODE>: <message>`, with the',
    'exit status below), in HTTP answers (`{"error":{"code",…}}`, status per [api.md](api.md)), in logs and in',
    'dead-letter records. Codes are stable: a code is never renamed or reused.',
    '',
    '| code | exit status | meaning |',
    '|---|---|---|',
    ...rows,
    ''
  ].join('\n')
}
