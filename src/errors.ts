/**
 * The one registry of error codes. Codes are stable: they appear in logs, CLI output, HTTP answers and
 * dead-letter records, so a code is never renamed or reused; a new failure gets a new code.
 */
export const errorCatalogue = {
  ACMGW_USAGE: { exitCode: 64, summary: 'the command line is not valid' },
  ACMGW_SYSTEM_ID_INVALID: { exitCode: 65, summary: 'a system id does not match [a-z][a-z0-9-]{1,31}' },
  ACMGW_FILE_UNREADABLE: { exitCode: 66, summary: 'a file could not be read' },
  ACMGW_FILE_EXISTS: { exitCode: 73, summary: 'a file exists and --force was not given' },
  ACMGW_FILE_UNWRITABLE: { exitCode: 73, summary: 'a file could not be written' },
  ACMGW_PKI_INVALID: { exitCode: 65, summary: 'a certificate, key or CSR is malformed or does not fit' },
  ACMGW_RUNTIME_FETCH_FAILED: { exitCode: 69, summary: 'the broker or registry runtime could not be fetched' },
  ACMGW_JAVA_MISSING: { exitCode: 69, summary: 'no usable Java (17 or newer) was found' },
  ACMGW_PORT_IN_USE: { exitCode: 69, summary: 'a port the local stack needs is taken' },
  ACMGW_STACK_START_FAILED: { exitCode: 70, summary: 'the local broker or registry did not start' },
  ACMGW_STACK_NOT_RUNNING: { exitCode: 69, summary: 'the local stack is not running' },
  ACMGW_STACK_RUNNING: { exitCode: 69, summary: 'the local stack is already running' },
  ACMGW_KAFKA_UNREACHABLE: { exitCode: 69, summary: 'the Kafka cluster could not be reached' },
  ACMGW_KAFKA_TLS_FAILED: { exitCode: 69, summary: 'the TLS handshake with the Kafka cluster failed' },
  ACMGW_KAFKA_NOT_AUTHORIZED: { exitCode: 77, summary: 'the broker refused an operation for lack of an ACL' }
} as const satisfies Record<string, { exitCode: number; summary: string }>

export type ErrorCode = keyof typeof errorCatalogue

export interface GatewayErrorOptions {
  cause?: unknown
  /** Where the fault is: a file path, a config path or an Avro field path. */
  path?: string
  details?: Record<string, unknown>
}

const brand = Symbol.for('mcx-acm-gateway.error')

export class GatewayError extends Error {
  readonly code: ErrorCode
  readonly path: string | undefined
  readonly details: Readonly<Record<string, unknown>>
  readonly [brand] = true

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'GatewayError'
    this.code = code
    this.path = options.path
    this.details = Object.freeze({ ...options.details })
  }

  get exitCode(): number {
    return errorCatalogue[this.code].exitCode
  }

  /** Brand check instead of instanceof, so that it holds when the module is loaded twice. */
  static is(value: unknown): value is GatewayError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true
  }
}

export function isErrnoException(value: unknown): value is NodeJS.ErrnoException {
  return value instanceof Error && typeof (value as NodeJS.ErrnoException).code === 'string'
}
