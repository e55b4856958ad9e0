/**
 * The one place where error codes become HTTP statuses, and the body every failure answers.
 */
import { type ErrorCode, errorCatalogue } from '../errors.ts'

const byCode: Partial<Record<ErrorCode, number>> = {
  ACMGW_USAGE: 400,
  ACMGW_REQUEST_INVALID: 400,
  ACMGW_SYSTEM_ID_INVALID: 400,
  ACMGW_UNAUTHORIZED: 401,
  ACMGW_NOT_FOUND: 404,
  ACMGW_CONFLICT: 409,
  ACMGW_CODEC_OVERSIZE: 413,
  ACMGW_CONFIG_INVALID: 422,
  ACMGW_ADAPTER_FAILED: 502,
  ACMGW_INTERNAL: 500
}

/** Families of codes, so that codes added later land in the right class without touching this file. */
const byPrefix: readonly (readonly [string, number])[] = [
  ['ACMGW_AGREEMENT_', 409],
  ['ACMGW_PENDING_', 409],
  ['ACMGW_KAFKA_', 503],
  ['ACMGW_REGISTRY_', 503],
  ['ACMGW_SCHEMA_NOT_REGISTERED', 503]
]

/** Last resort by the sysexits class of the code's exit code. */
const byExitCode: Readonly<Record<number, number>> = {
  64: 400, // usage
  65: 422, // data the gateway cannot process as given
  69: 503, // a service it needs is unavailable
  75: 503, // temporary failure
  78: 422 // configuration
}

export function httpStatusOf(code: ErrorCode): number {
  const direct = byCode[code]
  if (direct !== undefined) return direct
  const family = byPrefix.find(([prefix]) => code.startsWith(prefix))
  if (family !== undefined) return family[1]
  return byExitCode[errorCatalogue[code].exitCode] ?? 500
}

export interface ErrorBody {
  error: { code: string; message: string; path?: string }
}

export function errorBody(code: ErrorCode, message: string, path?: string): ErrorBody {
  return { error: path === undefined ? { code, message } : { code, message, path } }
}
