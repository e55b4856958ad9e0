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
  ACMGW_KAFKA_NOT_AUTHORIZED: { exitCode: 77, summary: 'the broker refused an operation for lack of an ACL' },
  // --- codec, schemas and envelope (issue 3): a rejected record carries one of these and, where one exists,
  // the Avro field path in `path`.
  ACMGW_SCHEMA_INVALID: {
    exitCode: 65,
    summary: 'a schema file breaks the schema rules (doc, defaults, names, depth)'
  },
  ACMGW_SCHEMA_INCOMPATIBLE: { exitCode: 65, summary: 'a schema is not FULL_TRANSITIVE compatible with a version' },
  ACMGW_SCHEMA_NOT_REGISTERED: { exitCode: 69, summary: 'a schema the gateway ships is not registered' },
  ACMGW_REGISTRY_FAILED: { exitCode: 69, summary: 'the schema registry could not be reached or refused a call' },
  ACMGW_CODEC_OVERSIZE: { exitCode: 65, summary: 'a record, key or header is larger than its limit' },
  ACMGW_CODEC_UNKNOWN_SCHEMA: { exitCode: 65, summary: 'a record names a schema not allowed for its topic' },
  ACMGW_CODEC_TRUNCATED: { exitCode: 65, summary: 'a record ends before its schema says it does' },
  ACMGW_CODEC_TRAILING_DATA: { exitCode: 65, summary: 'a record has bytes after its last field' },
  ACMGW_CODEC_TOO_MANY_ITEMS: { exitCode: 65, summary: 'an array or map declares more items than allowed' },
  ACMGW_CODEC_TOO_DEEP: { exitCode: 65, summary: 'a schema or value nests deeper than allowed' },
  ACMGW_CODEC_TIME_BUDGET: { exitCode: 65, summary: 'decoding a record took longer than its time budget' },
  ACMGW_CODEC_INVALID: { exitCode: 65, summary: 'a record or message does not fit its schema or rules' },
  ACMGW_SIGNATURE_MISSING: { exitCode: 65, summary: 'a record carries no signature or signer key id' },
  ACMGW_SIGNATURE_INVALID: { exitCode: 65, summary: 'a record signature does not verify' },
  ACMGW_SIGNER_UNKNOWN: { exitCode: 65, summary: 'a record is signed by a key that no pin names' },
  ACMGW_SIGNER_MISMATCH: { exitCode: 65, summary: 'a record is signed by a key pinned for another system' },
  ACMGW_SIGNER_CERT_INVALID: {
    exitCode: 65,
    summary: 'a signing or encryption certificate is expired, not yet valid or not issued by the partner CA'
  },
  ACMGW_ENVELOPE_WRONG_TOPIC: { exitCode: 65, summary: 'a record is on a topic that does not fit its kind' },
  ACMGW_ENVELOPE_WRONG_SOURCE: { exitCode: 65, summary: 'the source system does not match the topic or signer' },
  ACMGW_ENVELOPE_WRONG_TARGET: { exitCode: 65, summary: 'a record is addressed to another system' },
  ACMGW_ENVELOPE_KEY_MISMATCH: { exitCode: 65, summary: 'the record key is not the envelope entity key' },
  ACMGW_ENVELOPE_KIND_MISMATCH: { exitCode: 65, summary: 'the envelope kind does not belong to the record schema' },
  ACMGW_ENVELOPE_EXPIRED: { exitCode: 65, summary: 'a message is past its expiresAt' },
  ACMGW_ENVELOPE_NOT_YET_VALID: { exitCode: 65, summary: 'a message was created further in the future than the skew' },
  ACMGW_ENVELOPE_REPLAYED: { exitCode: 65, summary: 'a message id from this source was seen before' },
  ACMGW_RECIPIENT_UNKNOWN: { exitCode: 65, summary: 'there is no encryption certificate for the recipient' },
  ACMGW_DECRYPT_FAILED: { exitCode: 65, summary: 'sealed security parameters could not be decrypted' },
  // --- end of the codec block
  // --- gateway configuration and runtime (issue 5)
  ACMGW_CONFIG_INVALID: { exitCode: 78, summary: 'the gateway configuration is not valid' },
  ACMGW_ADAPTER_FAILED: { exitCode: 69, summary: 'the local MCX system did not accept an effect batch' },
  // --- HTTP API and its CLI client (issue 5, edges)
  ACMGW_REQUEST_INVALID: { exitCode: 65, summary: 'an API request does not fit its schema' },
  ACMGW_UNAUTHORIZED: { exitCode: 77, summary: 'the API bearer token is missing or wrong' },
  ACMGW_NOT_FOUND: { exitCode: 66, summary: 'no request, pending request, agreement or dead letter has that id' },
  ACMGW_CONFLICT: { exitCode: 65, summary: 'the action does not fit the current state (agreement status, decision)' },
  ACMGW_INTERNAL: { exitCode: 70, summary: 'an unexpected failure inside the gateway' },
  ACMGW_GATEWAY_UNREACHABLE: { exitCode: 69, summary: 'the gateway API could not be reached or did not answer as one' },
  ACMGW_WAIT_TIMED_OUT: { exitCode: 75, summary: 'a request had no final answer within the wait' },
  // --- end of the HTTP block
  // --- topics and ACLs as code (acmgw topics, issue 4)
  ACMGW_TOPICS_FILE_INVALID: { exitCode: 65, summary: 'a topic or ACL template file is malformed' },
  ACMGW_AGREEMENTS_FILE_INVALID: {
    exitCode: 65,
    summary: 'the interconnection file (systems, agreements) is malformed'
  },
  /** Not a failure: `topics plan` found changes to apply; exit code 2 like `terraform plan -detailed-exitcode`. */
  ACMGW_TOPICS_DRIFT: { exitCode: 2, summary: 'the cluster differs from the desired topics and ACLs' },
  ACMGW_TOPICS_CONFLICT: {
    exitCode: 65,
    summary: 'the plan holds a change this tool must not make (fewer partitions…)'
  },
  ACMGW_TOPICS_PRUNE_UNCONFIRMED: { exitCode: 64, summary: '--prune would delete topics and --yes was not given' },
  ACMGW_TOPICS_APPLY_INCOMPLETE: { exitCode: 70, summary: 'after apply the cluster still differs from the plan' },
  // --- end of the topics block
  // --- audit log (issue 6, item 4)
  ACMGW_AUDIT_TAMPERED: {
    exitCode: 65,
    summary: 'an audit log does not verify: an entry was modified, removed, reordered, inserted or cut off'
  },
  ACMGW_AUDIT_WRITE_FAILED: { exitCode: 74, summary: 'an audit entry could not be written and synced to disk' },
  // --- end of the audit block
  // --- certificate revocation (issue 7)
  ACMGW_CRL_INVALID: {
    exitCode: 65,
    summary: 'a CRL does not parse, is not signed by the partner CA, names another issuer, or is not current'
  },
  ACMGW_SIGNER_REVOKED: { exitCode: 65, summary: 'a record is signed by a key whose certificate a CRL revokes' }
  // --- end of the revocation block
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
