import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { type Command, Option } from 'commander'
import { GatewayError, isErrnoException } from '../../errors.ts'
import type { OutboundRequest } from '../../gateway/service.ts'
import { urgencies } from '../../http/schemas.ts'
import { type CliContext, printJson } from '../context.ts'
import {
  connect,
  type GatewayConnectionOptions,
  mcServiceUser,
  positiveInteger,
  withGatewayOptions
} from './gateway-client.ts'
import { formatReceipt } from './gateway-output.ts'

async function readBody(ctx: CliContext, file: string): Promise<Record<string, unknown>> {
  if (file === '-') {
    throw new GatewayError('ACMGW_USAGE', '--body takes a file path; acmgw send does not read standard input')
  }
  const path = resolve(ctx.cwd, file)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const why = isErrnoException(error) ? error.code : String(error)
    throw new GatewayError('ACMGW_FILE_UNREADABLE', `cannot read --body ${path} (${why})`, { path, cause: error })
  }
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch (error) {
    throw new GatewayError('ACMGW_REQUEST_INVALID', `--body ${path} is not JSON: ${(error as Error).message}`, {
      path
    })
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new GatewayError('ACMGW_REQUEST_INVALID', `--body ${path} must hold one JSON object (the procedure fields)`, {
      path
    })
  }
  return body as Record<string, unknown>
}

interface SendOptions extends GatewayConnectionOptions {
  kind: string
  partner: string
  agreement: string
  requester: string
  alias?: string
  urgency?: OutboundRequest['urgency']
  target?: string
  ttl?: number
  body: string
  json: boolean
}

export function registerSendCommand(program: Command, ctx: CliContext): void {
  withGatewayOptions(
    program
      .command('send')
      .description(
        'send a request to a partner through a running gateway; returns once the broker acknowledged it\n' +
          'example: acmgw send --kind MIGRATION_USERS_ADD --partner bravo --agreement alpha-bravo-1 ' +
          '--requester sip:chief@alpha.example --body users.json'
      )
      .requiredOption('--kind <kind>', 'ACM procedure, e.g. MIGRATION_USERS_ADD (docs/catalogue.md)')
      .requiredOption('--partner <systemId>', 'the partner system')
      .requiredOption('--agreement <id>', 'the agreement the request is made under')
      .requiredOption('--requester <mcServiceId>', 'MC service ID of the requesting user, e.g. sip:chief@alpha.example')
      .option('--alias <functionalAlias>', 'functional alias the requester acts under')
      .addOption(new Option('--urgency <urgency>', 'urgency (default NORMAL)').choices(urgencies))
      .option('--target <mcServiceId>', 'target user, for procedures that have one')
      .option(
        '--ttl <seconds>',
        'seconds until the partner must not apply it (default limits.requestTtl)',
        positiveInteger
      )
      .requiredOption(
        '--body <file>',
        'JSON file with the procedure fields (without the envelope); a file path only: standard input is not read'
      )
      .option('--json', 'print the API answer as JSON', false),
    ctx
  ).action(async (o: SendOptions) => {
    const request: OutboundRequest = {
      kind: o.kind,
      partner: o.partner,
      agreementId: o.agreement,
      requester: mcServiceUser(o.requester, o.alias),
      ...(o.target === undefined ? {} : { target: { mcServiceId: o.target } }),
      ...(o.urgency === undefined ? {} : { urgency: o.urgency }),
      ...(o.ttl === undefined ? {} : { ttlSeconds: o.ttl }),
      body: await readBody(ctx, o.body)
    }
    const receipt = await (await connect(ctx, o)).send(request)
    if (o.json) return printJson(ctx, receipt)
    ctx.out(`${formatReceipt(receipt)}\nfollow it with: acmgw trace ${receipt.messageId} --wait 60`)
  })
}
