/**
 * A small typed client for the gateway's HTTP API (docs/api.md), and the `--url` / `--token-file` options the
 * commands that talk to a running gateway share. API errors come back as GatewayErrors with the API's code and
 * message, so the CLI prints and exits with them as if the failure were local.
 */
import { resolve } from 'node:path'
import { type Command, InvalidArgumentError, Option } from 'commander'
import type { Agreement } from '../../agreements/model.ts'
import { type ErrorCode, errorCatalogue, GatewayError } from '../../errors.ts'
import type {
  Approver,
  DeadLetter,
  OutboundRequest,
  PendingRequest,
  RequestTrace,
  SendReceipt
} from '../../gateway/service.ts'
import { readTokenFile } from '../../http/auth.ts'
import type { CooperationAction } from '../../http/schemas.ts'
import type { CliContext } from '../context.ts'

export const defaultGatewayUrl = 'http://127.0.0.1:8080'

export interface GatewayClientOptions {
  /** Base URL of the API, e.g. http://127.0.0.1:8080 (a path prefix behind a proxy is kept). */
  url: string
  token?: string
  /** Per call; a send waits for the broker's acknowledgement, so this is generous (default 60 s). */
  timeoutMs?: number
}

function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer within ${timeoutMs / 1000} s`
  }
  // undici reports "fetch failed" and puts the socket error in `cause`.
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined
  if (cause?.code !== undefined) return `${cause.message ?? 'connection failed'} (${cause.code})`
  return error instanceof Error ? (cause?.message ?? error.message) : String(error)
}

function isErrorBody(value: unknown): value is { error: { code: string; message: string; path?: string } } {
  if (typeof value !== 'object' || value === null) return false
  const error = (value as { error?: unknown }).error
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { message?: unknown }).message === 'string'
  )
}

export class GatewayClient {
  readonly url: string
  private readonly base: URL
  private readonly token: string | undefined
  private readonly timeoutMs: number

  constructor(options: GatewayClientOptions) {
    let base: URL
    try {
      base = new URL(options.url)
    } catch {
      throw new GatewayError('ACMGW_USAGE', `--url ${JSON.stringify(options.url)} is not a URL`)
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new GatewayError('ACMGW_USAGE', `--url ${options.url} must be an http:// or https:// URL`)
    }
    if (!base.pathname.endsWith('/')) base.pathname += '/'
    this.base = base
    this.url = options.url
    this.token = options.token
    this.timeoutMs = options.timeoutMs ?? 60_000
  }

  send(request: OutboundRequest): Promise<SendReceipt> {
    return this.call('POST', ['v1', 'requests'], request)
  }

  trace(messageId: string): Promise<RequestTrace> {
    return this.call('GET', ['v1', 'requests', messageId])
  }

  listPending(): Promise<PendingRequest[]> {
    return this.call('GET', ['v1', 'pending'])
  }

  getPending(messageId: string): Promise<PendingRequest> {
    return this.call('GET', ['v1', 'pending', messageId])
  }

  approve(messageId: string, approver: Approver, reason?: string): Promise<RequestTrace> {
    return this.call('POST', ['v1', 'pending', messageId, 'approve'], { approver, reason })
  }

  reject(messageId: string, approver: Approver, reason: string): Promise<RequestTrace> {
    return this.call('POST', ['v1', 'pending', messageId, 'reject'], { approver, reason })
  }

  agreements(): Promise<Agreement[]> {
    return this.call('GET', ['v1', 'agreements'])
  }

  changeCooperation(
    agreementId: string,
    action: CooperationAction,
    requester: Approver,
    reason?: string
  ): Promise<SendReceipt> {
    return this.call('POST', ['v1', 'agreements', agreementId, action], { requester, reason })
  }

  deadLetters(): Promise<DeadLetter[]> {
    return this.call('GET', ['v1', 'dead-letters'])
  }

  deadLetter(id: string): Promise<DeadLetter> {
    return this.call('GET', ['v1', 'dead-letters', id])
  }

  redrive(id: string): Promise<{ redriven: boolean; detail: string }> {
    return this.call('POST', ['v1', 'dead-letters', id, 'redrive'])
  }

  private async call<T>(method: 'GET' | 'POST', segments: string[], body?: object): Promise<T> {
    // Ids are encoded as one segment each: an id can never reach another route.
    const target = new URL(segments.map(encodeURIComponent).join('/'), this.base)
    const headers: Record<string, string> = { accept: 'application/json' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`
    let status: number
    let text: string
    try {
      const response = await fetch(target, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs)
      })
      status = response.status
      text = await response.text()
    } catch (error) {
      throw new GatewayError(
        'ACMGW_GATEWAY_UNREACHABLE',
        `cannot reach the gateway API at ${this.url}: ${describeFailure(error, this.timeoutMs)}`,
        { cause: error }
      )
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      parsed = undefined
    }
    if (status >= 200 && status < 300 && parsed !== undefined) return parsed as T
    if (isErrorBody(parsed)) {
      const { code, message, path } = parsed.error
      const known = Object.hasOwn(errorCatalogue, code)
      throw new GatewayError(known ? (code as ErrorCode) : 'ACMGW_INTERNAL', known ? message : `${code}: ${message}`, {
        path,
        details: { status, method, url: target.href }
      })
    }
    throw new GatewayError(
      'ACMGW_GATEWAY_UNREACHABLE',
      `${method} ${target.href} answered HTTP ${status} without the gateway's JSON; is ${this.url} the gateway API?`
    )
  }
}

export interface GatewayConnectionOptions {
  url: string
  tokenFile?: string
}

/** `--url` and `--token-file`, defaulting to $ACMGW_URL and $ACMGW_TOKEN_FILE. */
export function withGatewayOptions(command: Command, ctx: CliContext): Command {
  const url = ctx.env.ACMGW_URL
  const tokenFile = ctx.env.ACMGW_TOKEN_FILE
  return command
    .addOption(
      new Option('--url <url>', 'base URL of the gateway API').default(
        url !== undefined && url !== '' ? url : defaultGatewayUrl,
        `$ACMGW_URL or ${defaultGatewayUrl}`
      )
    )
    .addOption(
      new Option('--token-file <file>', 'file holding the API bearer token (http.tokenFile of the gateway)').default(
        tokenFile !== undefined && tokenFile !== '' ? tokenFile : undefined,
        '$ACMGW_TOKEN_FILE'
      )
    )
}

export async function connect(ctx: CliContext, options: GatewayConnectionOptions): Promise<GatewayClient> {
  const token = options.tokenFile === undefined ? undefined : await readTokenFile(resolve(ctx.cwd, options.tokenFile))
  return new GatewayClient({ url: options.url, token })
}

export function positiveInteger(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`must be a whole number above 0, got ${value}`)
  return n
}

export function seconds(value: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n < 0 || value.trim() === '') {
    throw new InvalidArgumentError(`must be a number of seconds, got ${value}`)
  }
  return n
}

/** The user (requester or approver) from `--requester`/`--approver` and `--alias`. */
export function mcServiceUser(mcServiceId: string, alias: string | undefined): Approver {
  return alias === undefined ? { mcServiceId } : { mcServiceId, functionalAlias: alias }
}
