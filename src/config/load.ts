/**
 * Reads a gateway configuration file (YAML or JSON), validates it against the one schema and resolves every
 * file path relative to the file. Every problem is reported at once, each with its path.
 */
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path'
import { parse, YAMLParseError } from 'yaml'
import type { z } from 'zod'
import { GatewayError } from '../errors.ts'
import { readTextFile } from '../pki/store.ts'
import { type GatewayConfig, gatewayConfigSchema } from './schema.ts'

export interface ConfigProblem {
  path: string
  message: string
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, part) =>
      typeof part === 'number' ? `${text}[${part}]` : text === '' ? String(part) : `${text}.${String(part)}`,
    ''
  )
}

function problemsOf(error: z.ZodError): ConfigProblem[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return { path: formatPath(issue.path) || '(top level)', message: `unknown key(s): ${issue.keys.join(', ')}` }
    }
    return { path: formatPath(issue.path) || '(top level)', message: issue.message }
  })
}

/** Validates an already parsed document; `source` names it in errors. */
export function validateConfig(document: unknown, source: string): GatewayConfig {
  const result = gatewayConfigSchema.safeParse(document)
  if (result.success) return result.data
  const problems = problemsOf(result.error)
  throw new GatewayError(
    'ACMGW_CONFIG_INVALID',
    `${source} is not a valid gateway configuration:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`,
    { path: source, details: { problems } }
  )
}

/**
 * Every `file(…)` field of the schema, rewritten to an absolute path. The audit log defaults to the config
 * file's name with `.audit.jsonl`: two gateways (or two replicas) configured in one folder never share a chain.
 */
function resolvePaths(config: GatewayConfig, file: string): GatewayConfig {
  const base = dirname(file)
  const at = (p: string) => (isAbsolute(p) ? p : resolve(base, p))
  const atOptional = (p: string | undefined) => (p === undefined ? undefined : at(p))
  return {
    ...config,
    kafka: {
      ...config.kafka,
      tls: { ca: at(config.kafka.tls.ca), cert: at(config.kafka.tls.cert), key: at(config.kafka.tls.key) }
    },
    codec:
      config.codec.mode === 'registry'
        ? {
            mode: 'registry',
            registry: {
              ...config.codec.registry,
              passwordFile: atOptional(config.codec.registry.passwordFile),
              ca: atOptional(config.codec.registry.ca)
            }
          }
        : config.codec,
    signing: { key: at(config.signing.key), certificate: at(config.signing.certificate) },
    encryption:
      config.encryption === undefined
        ? undefined
        : { key: at(config.encryption.key), certificate: at(config.encryption.certificate) },
    partners: config.partners.map((p) => ({
      ...p,
      signingCertificates: p.signingCertificates.map(at),
      encryptionCertificate: at(p.encryptionCertificate),
      ca: atOptional(p.ca),
      crl: atOptional(p.crl)
    })),
    adapter:
      config.adapter.type === 'directory' ? { ...config.adapter, path: at(config.adapter.path) } : config.adapter,
    http: { ...config.http, tokenFile: atOptional(config.http.tokenFile) },
    audit: { file: at(config.audit.file ?? `${basename(file, extname(file))}.audit.jsonl`) }
  }
}

export async function loadConfig(file: string): Promise<GatewayConfig> {
  const text = await readTextFile(file, 'gateway configuration')
  let document: unknown
  try {
    document = parse(text, { prettyErrors: true })
  } catch (cause) {
    const where = cause instanceof YAMLParseError ? ` (line ${cause.linePos?.[0].line ?? '?'})` : ''
    throw new GatewayError('ACMGW_CONFIG_INVALID', `${file} is not valid YAML${where}: ${(cause as Error).message}`, {
      cause,
      path: file
    })
  }
  return Object.freeze(resolvePaths(validateConfig(document, file), resolve(file)))
}
