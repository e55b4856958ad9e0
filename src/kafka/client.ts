/**
 * The one place that imports the Kafka client library. Everything else asks this module for a connected
 * client built from file paths (CA, certificate, key) and gets errors back as GatewayErrors with stable codes.
 */
import { readFile } from 'node:fs/promises'
import type { ConnectionOptions } from 'node:tls'
import kafkajs, { type Kafka, type KafkaConfig, type LogEntry } from 'kafkajs'
import type { Logger } from 'pino'
import { GatewayError, isErrnoException } from '../errors.ts'

// kafkajs is CommonJS; named imports of its values are not reliable under ESM.
const { Kafka: KafkaClient, logLevel } = kafkajs

export interface TlsFiles {
  caFile: string
  certFile: string
  keyFile: string
}

export interface KafkaEndpoint {
  brokers: readonly string[]
  tls: TlsFiles
  clientId: string
}

export interface KafkaClientOptions {
  logger?: Logger
  /** Attempts per request before kafkajs gives up; tests of refusals want 0. */
  retries?: number
  connectionTimeoutMs?: number
  requestTimeoutMs?: number
}

async function readTlsFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path)
  } catch (cause) {
    const reason = isErrnoException(cause) ? cause.code : 'unreadable'
    throw new GatewayError('ACMGW_FILE_UNREADABLE', `cannot read ${what} ${path} (${reason})`, { cause, path })
  }
}

export async function loadTlsOptions(files: TlsFiles): Promise<ConnectionOptions> {
  const [ca, cert, key] = await Promise.all([
    readTlsFile(files.caFile, 'CA certificate'),
    readTlsFile(files.certFile, 'client certificate'),
    readTlsFile(files.keyFile, 'client key')
  ])
  return { ca: [ca], cert, key, minVersion: 'TLSv1.2' }
}

const levelNames: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug'
}

function pinoLogCreator(logger: Logger) {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, ...rest } = log
      logger[levelNames[level] ?? 'info']({ kafkajs: namespace, ...rest }, message)
    }
}

export async function createKafkaClient(endpoint: KafkaEndpoint, options: KafkaClientOptions = {}): Promise<Kafka> {
  const config: KafkaConfig = {
    clientId: endpoint.clientId,
    brokers: [...endpoint.brokers],
    ssl: await loadTlsOptions(endpoint.tls),
    connectionTimeout: options.connectionTimeoutMs ?? 5_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    retry: { retries: options.retries ?? 5, initialRetryTime: 200, maxRetryTime: 5_000 },
    logLevel: options.logger === undefined ? logLevel.NOTHING : logLevel.WARN
  }
  if (options.logger !== undefined) config.logCreator = pinoLogCreator(options.logger)
  return new KafkaClient(config)
}

interface KafkaJsLikeError {
  name?: string
  type?: string
  message?: string
  code?: string
  cause?: unknown
  originalError?: unknown
  errors?: unknown[]
}

/** The error and everything it wraps: kafkajs nests through originalError, cause and aggregate errors. */
function chain(error: unknown): KafkaJsLikeError[] {
  const seen: KafkaJsLikeError[] = []
  const queue: unknown[] = [error]
  while (queue.length > 0 && seen.length < 16) {
    const current = queue.shift()
    if (typeof current !== 'object' || current === null) continue
    const e = current as KafkaJsLikeError
    seen.push(e)
    queue.push(e.originalError, e.cause, ...(Array.isArray(e.errors) ? e.errors : []))
  }
  return seen
}

const tlsCodes =
  /CERT|SSL|TLS|self.signed|unable to verify|certificate|handshake|alert|ERR_TLS|EPROTO|ECONNRESET|socket disconnected/i

/**
 * Turns a kafkajs failure into a GatewayError with a stable code. The authorisation case carries the broker's
 * error type (TOPIC_AUTHORIZATION_FAILED, GROUP_AUTHORIZATION_FAILED, CLUSTER_AUTHORIZATION_FAILED …).
 */
export function classifyKafkaError(error: unknown, action: string): GatewayError {
  if (GatewayError.is(error)) return error
  const links = chain(error)
  const authorization = links.find((e) => typeof e.type === 'string' && e.type.endsWith('AUTHORIZATION_FAILED'))
  if (authorization?.type !== undefined) {
    return new GatewayError('ACMGW_KAFKA_NOT_AUTHORIZED', `${action}: the broker refused it (${authorization.type})`, {
      cause: error,
      details: { kafkaError: authorization.type }
    })
  }
  const text = links.map((e) => `${e.code ?? ''} ${e.message ?? ''}`).join(' | ')
  if (tlsCodes.test(text)) {
    return new GatewayError('ACMGW_KAFKA_TLS_FAILED', `${action}: TLS with the broker failed (${text})`, {
      cause: error
    })
  }
  return new GatewayError('ACMGW_KAFKA_UNREACHABLE', `${action}: ${text || String(error)}`, { cause: error })
}

export interface ClusterDescription {
  clusterId: string
  brokers: { nodeId: number; host: string; port: number }[]
  controller: number | null
}

/** One admin round trip; used to wait for a broker and by `acmgw kafka status`. */
export async function describeCluster(
  endpoint: KafkaEndpoint,
  options: KafkaClientOptions = {}
): Promise<ClusterDescription> {
  const kafka = await createKafkaClient(endpoint, { retries: 0, ...options })
  const admin = kafka.admin()
  try {
    await admin.connect()
    return await admin.describeCluster()
  } catch (error) {
    throw classifyKafkaError(error, `describe cluster at ${endpoint.brokers.join(',')}`)
  } finally {
    await admin.disconnect().catch(() => undefined)
  }
}
