/**
 * The registry's I/O edge. Registration and id lookups go through @kafkajs/confluent-schema-registry; the
 * calls it does not offer (list a subject's versions, fetch a version, the compatibility endpoint, per-subject
 * config) go through a small JSON client over node:http(s) with the same basic auth and TLS settings. Both are
 * used at start-up and by `acmgw schemas`, never per message.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import registryPackage from '@kafkajs/confluent-schema-registry'
import { GatewayError } from '../errors.ts'

// CommonJS package: take the values from its default export.
const { SchemaRegistry, SchemaType, COMPATIBILITY } = registryPackage

export interface RegistryConnection {
  /** Base URL of the Confluent-compatible API, e.g. http://localhost:8081 or …/apis/ccompat/v7. */
  url: string
  auth?: { username: string; password: string }
  tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; rejectUnauthorized?: boolean }
  timeoutMs?: number
}

export interface SubjectVersion {
  subject: string
  version: number
  id: number
  schema: string
}

export interface RegistryClient {
  /** Id of exactly this schema under the subject, or undefined when it is not registered there. */
  idOf(subject: string, schema: string): Promise<number | undefined>
  /** Registers under FULL_TRANSITIVE (set on the subject first); returns the id. */
  register(subject: string, schema: string): Promise<number>
  versions(subject: string): Promise<number[]>
  version(subject: string, version: number): Promise<SubjectVersion>
  compatibilityLevel(subject: string): Promise<string | undefined>
  setCompatibilityLevel(subject: string, level: string): Promise<void>
  /** undefined when the subject does not exist yet; otherwise whether the schema fits every version. */
  isCompatible(subject: string, schema: string): Promise<{ compatible: boolean; messages: string[] } | undefined>
  close(): void
}

const contentType = 'application/vnd.schemaregistry.v1+json'

interface HttpAnswer {
  status: number
  body: unknown
}

export function createRegistryClient(connection: RegistryConnection): RegistryClient {
  const base = new URL(connection.url.endsWith('/') ? connection.url : `${connection.url}/`)
  const secure = base.protocol === 'https:'
  const agent = secure ? new HttpsAgent({ keepAlive: true, ...connection.tls }) : new HttpAgent({ keepAlive: true })
  const timeoutMs = connection.timeoutMs ?? 10_000
  const authorization =
    connection.auth === undefined
      ? undefined
      : `Basic ${Buffer.from(`${connection.auth.username}:${connection.auth.password}`).toString('base64')}`
  const library = new SchemaRegistry({
    host: base.href.replace(/\/$/, ''),
    auth: connection.auth,
    agent,
    retry: { retries: 0 }
  })

  function call(method: string, path: string, body?: unknown): Promise<HttpAnswer> {
    const url = new URL(path, base)
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    return new Promise((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)(
        url,
        {
          method,
          agent,
          timeout: timeoutMs,
          headers: {
            accept: contentType,
            ...(payload === undefined ? {} : { 'content-type': contentType, 'content-length': payload.length }),
            ...(authorization === undefined ? {} : { authorization })
          }
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            let parsed: unknown = text
            try {
              parsed = text.length === 0 ? undefined : JSON.parse(text)
            } catch {
              // keep the text for the error message
            }
            resolve({ status: res.statusCode ?? 0, body: parsed })
          })
          res.on('error', reject)
        }
      )
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)))
      req.on('error', (cause) =>
        reject(
          new GatewayError('ACMGW_REGISTRY_FAILED', `${method} ${url.href}: ${cause.message}`, {
            cause,
            path: url.href
          })
        )
      )
      req.end(payload)
    })
  }

  function failed(what: string, answer: HttpAnswer): GatewayError {
    const body = answer.body as { message?: string; error_code?: number } | undefined
    return new GatewayError(
      'ACMGW_REGISTRY_FAILED',
      `${what}: HTTP ${answer.status}${body?.message === undefined ? '' : ` ${body.message}`}`,
      { details: { status: answer.status, errorCode: body?.error_code } }
    )
  }

  const subjectPath = (subject: string) => encodeURIComponent(subject)

  return {
    async idOf(subject, schema) {
      const answer = await call('POST', `subjects/${subjectPath(subject)}`, { schema })
      if (answer.status === 404) return undefined
      if (answer.status !== 200) throw failed(`look up ${subject}`, answer)
      return (answer.body as { id: number }).id
    },
    async register(subject, schema) {
      await this.setCompatibilityLevel(subject, 'FULL_TRANSITIVE')
      try {
        const { id } = await library.register(
          { type: SchemaType.AVRO, schema },
          { subject, compatibility: COMPATIBILITY.FULL_TRANSITIVE }
        )
        return id
      } catch (cause) {
        const status = (cause as { status?: number }).status
        const message = cause instanceof Error ? cause.message : String(cause)
        if (status === 409) {
          throw new GatewayError('ACMGW_SCHEMA_INCOMPATIBLE', `${subject}: the registry refused it: ${message}`, {
            cause,
            path: subject
          })
        }
        throw new GatewayError('ACMGW_REGISTRY_FAILED', `register ${subject}: ${message}`, { cause, path: subject })
      }
    },
    async versions(subject) {
      const answer = await call('GET', `subjects/${subjectPath(subject)}/versions`)
      if (answer.status === 404) return []
      if (answer.status !== 200) throw failed(`versions of ${subject}`, answer)
      return answer.body as number[]
    },
    async version(subject, version) {
      const answer = await call('GET', `subjects/${subjectPath(subject)}/versions/${version}`)
      if (answer.status !== 200) throw failed(`${subject} version ${version}`, answer)
      return answer.body as SubjectVersion
    },
    async compatibilityLevel(subject) {
      const answer = await call('GET', `config/${subjectPath(subject)}`)
      if (answer.status === 404) return undefined
      if (answer.status !== 200) throw failed(`config of ${subject}`, answer)
      return (answer.body as { compatibilityLevel?: string }).compatibilityLevel
    },
    async setCompatibilityLevel(subject, level) {
      const answer = await call('PUT', `config/${subjectPath(subject)}`, { compatibility: level })
      if (answer.status !== 200) throw failed(`set config of ${subject}`, answer)
    },
    async isCompatible(subject, schema) {
      const answer = await call('POST', `compatibility/subjects/${subjectPath(subject)}/versions?verbose=true`, {
        schema
      })
      if (answer.status === 404) return undefined
      if (answer.status !== 200) throw failed(`compatibility of ${subject}`, answer)
      const body = answer.body as { is_compatible: boolean; messages?: string[] }
      return { compatible: body.is_compatible, messages: body.messages ?? [] }
    },
    close() {
      agent.destroy()
    }
  }
}
