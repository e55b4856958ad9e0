/**
 * The one configuration schema of a gateway (`acmgw run --config gateway.yaml`). It yields the validator
 * (`parseGatewayConfig`), the TypeScript type (`GatewayConfig`) and the reference docs
 * (`npm run docs:config` → docs/configuration.md, checked for staleness by a test).
 */
import { z } from 'zod'
import { agreementStatuses, dataCategories, mcxServices } from '../agreements/model.ts'
import { systemIdPattern } from '../identity/names.ts'

const units = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

/** "500ms", "30s", "15m", "24h", "7d" → milliseconds. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text)
  if (match === null) return undefined
  return Number(match[1]) * units[match[2] as keyof typeof units]
}

const duration = (description: string) =>
  z
    .string()
    .refine((v) => parseDuration(v) !== undefined, { message: 'must be a duration such as 500ms, 30s, 15m, 24h or 7d' })
    .describe(description)

const systemId = z
  .string()
  .regex(systemIdPattern, { message: `must match ${systemIdPattern.source}` })
  .describe('system id: a lower case letter, then 1 to 31 lower case letters, digits or "-"')

const file = (description: string) => z.string().min(1).describe(`${description} (path, relative to the config file)`)

const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, { message: 'must be host:port' })

const tlsFiles = z
  .object({
    ca: file('CA certificate(s) that issued the brokers’ certificates, PEM'),
    cert: file('this gateway’s client certificate, PEM (CN acmgw.<system id>)'),
    key: file('its private key, PKCS#8 PEM, mode 0600')
  })
  .strict()

const codec = z
  .discriminatedUnion('mode', [
    z
      .object({
        mode: z.literal('embedded').describe('Avro single-object encoding, schemas shipped with the gateway')
      })
      .strict(),
    z
      .object({
        mode: z.literal('registry').describe('Confluent wire format against a Confluent-compatible registry'),
        registry: z
          .object({
            url: z.url().describe('registry base URL, e.g. https://registry:8081 or …/apis/ccompat/v7'),
            username: z.string().optional().describe('basic auth user'),
            passwordFile: file('basic auth password').optional(),
            ca: file('CA certificate for an https registry').optional()
          })
          .strict()
      })
      .strict()
  ])
  .default({ mode: 'embedded' })
  .describe('how records are encoded on the wire')

const partner = z
  .object({
    id: systemId,
    name: z.string().optional().describe('display name'),
    signingCertificates: z
      .array(file('a pinned signing certificate of the partner gateway'))
      .min(1)
      .max(2)
      .describe('the partner’s pinned signing certificate(s); two during a key rotation overlap'),
    encryptionCertificate: file('certificate whose key security parameters are encrypted to').describe(
      'the partner’s certificate that sensitive security parameters are encrypted to'
    ),
    ca: file('CA that must have issued the partner’s certificates').optional(),
    crl: file(
      'the partner CA’s certificate revocation list, PEM or DER, signed by that CA (`acmgw pki revoke` writes one); a pinned certificate it revokes is no longer trusted and records it signed are dead-lettered with ACMGW_SIGNER_REVOKED; it must be current (thisUpdate ≤ now < nextUpdate) at start, is re-read when the file changes, and once stale makes the partner’s records fail with ACMGW_CRL_INVALID'
    ).optional()
  })
  .strict()

const agreement = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, { message: 'must be 1 to 64 letters, digits, ".", "_" or "-"' })
      .describe('agreement id, the same on both sides'),
    partner: systemId.describe('the other system of the agreement'),
    status: z.enum(agreementStatuses).default('ACTIVE').describe('status at first start; later changes are state'),
    services: z.array(z.enum(mcxServices)).min(1).describe('services in scope'),
    categories: z.array(z.enum(dataCategories)).min(1).describe('data categories in scope; no others are exchanged'),
    validFrom: z.iso.datetime({ offset: true }).optional().describe('start of validity (ISO 8601)'),
    validUntil: z.iso.datetime({ offset: true }).optional().describe('end of validity (ISO 8601)'),
    limits: z
      .object({
        maxMigratedUsers: z.number().int().min(0).optional().describe('most partner users authorised to migrate in')
      })
      .strict()
      .default({})
      .describe('what the agreement allows at most'),
    sharedUserAttributes: z
      .array(z.string().min(1))
      .default([])
      .describe('user profile attributes that may be shared with the partner; all others are stripped on the way out')
  })
  .strict()

const decision = z.enum(['accept', 'reject', 'pending'])

const policyRule = z
  .object({
    name: z.string().min(1).describe('shown in logs, audit and answers'),
    when: z
      .object({
        kinds: z.array(z.string().min(1)).optional().describe('message kinds, e.g. migration.add-users'),
        partners: z.array(systemId).optional(),
        urgencies: z.array(z.string().min(1)).optional().describe('envelope urgency values'),
        requesters: z
          .array(z.string().min(1))
          .optional()
          .describe('requester MC service ids; "*" matches any run of characters')
      })
      .strict()
      .default({}),
    decision: decision.describe('accept and apply, reject, or hold as a pending request for a person'),
    reason: z.string().optional().describe('reason carried in the answer')
  })
  .strict()

const adapter = z
  .discriminatedUnion('type', [
    z
      .object({
        type: z
          .literal('directory')
          .describe('built-in file-backed directory: directory.json and a journal of the batches since, each fsynced'),
        path: file('folder of the directory')
      })
      .strict(),
    z
      .object({
        type: z.literal('webhook').describe('POST each effect to the local MCX system'),
        url: z.url(),
        timeout: duration('per attempt').default('5s'),
        retries: z.number().int().min(0).max(10).default(3),
        backoff: duration('first retry delay, doubled per retry').default('200ms')
      })
      .strict(),
    z
      .object({
        type: z.literal('kafka').describe('produce each effect to a local Kafka topic'),
        topic: z.string().min(1)
      })
      .strict()
  ])
  .describe('how accepted effects reach the local MCX system')

export const gatewayConfigSchema = z
  .object({
    system: z
      .object({ id: systemId, name: z.string().optional().describe('display name') })
      .strict()
      .describe('this MCX system'),
    kafka: z
      .object({
        brokers: z.array(hostPort).min(1).describe('bootstrap servers'),
        tls: tlsFiles.describe('mutual TLS: every broker requires a client certificate'),
        clientId: z.string().optional().describe('defaults to acmgw.<system id>'),
        sessionTimeout: duration(
          'how long the group waits for a silent member: after a crash, a restarted gateway (or another replica) takes over its partitions after this; shorter fails over sooner, but a pause longer than this (GC, a frozen host) causes a rebalance'
        )
          .refine(
            (v) => {
              const ms = parseDuration(v) ?? 0
              return ms >= 6_000 && ms <= 300_000
            },
            { message: 'must be between 6s (the broker’s group.min.session.timeout.ms) and 5m' }
          )
          .default('30s')
      })
      .strict()
      .describe('the Kafka cluster(s) and this gateway’s mutual-TLS identity'),
    codec,
    signing: z
      .object({
        key: file('this gateway’s signing key (Ed25519 or P-256), PKCS#8 PEM'),
        certificate: file('its signing certificate, as partners pin it')
      })
      .strict()
      .describe('every record this gateway sends is signed with this key'),
    encryption: z
      .object({
        key: file('key that decrypts security parameters sent to this system'),
        certificate: file('the certificate partners encrypt to')
      })
      .strict()
      .optional()
      .describe('defaults to kafka.tls cert and key'),
    partners: z.array(partner).default([]).describe('partner systems and how to verify them'),
    agreements: z
      .array(agreement)
      .default([])
      .describe('cooperation agreements at first start; the running state lives in the gateway’s state topic'),
    policy: z
      .object({
        default: decision.default('pending').describe('decision for a request that no rule matches'),
        rules: z.array(policyRule).default([]).describe('first match wins'),
        pendingTtl: duration('how long a pending request waits before it is answered "expired"').default('24h')
      })
      .strict()
      .default({ default: 'pending', rules: [], pendingTtl: '24h' })
      .describe('local policy: which incoming requests are decided automatically and which wait for a person'),
    adapter: adapter.default({ type: 'directory', path: 'directory' }),
    localRequests: z
      .object({
        topic: z.string().min(1).describe('JSON requests from the local MCX core (the body of POST /v1/requests)'),
        resultsTopic: z.string().min(1).describe('where the gateway answers each one: receipt or error, same key')
      })
      .strict()
      .optional()
      .describe('a local Kafka topic as a third way in for the MCX core, besides the HTTP API and acmgw send'),
    http: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        tokenFile: file('bearer token required on every API call except /livez, /readyz, /metrics').optional()
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8080 })
      .describe('the API for the local MCX core, health, metrics and the status page'),
    audit: z
      .object({
        file: file(
          'the hash-chained audit log, JSON Lines; default: the config file name with .audit.jsonl, e.g. gateway.audit.jsonl'
        ).optional()
      })
      .strict()
      .default({})
      .describe('append-only audit log of every request, decision, rejection and status change (docs/audit.md)'),
    limits: z
      .object({
        maxRecordBytes: z.number().int().min(1024).default(262_144).describe('larger records are dead-lettered'),
        requestTtl: duration('default expiry of requests this gateway sends').default('1h'),
        maxClockSkew: duration(
          'tolerated clock difference to partners; a received message id is remembered against replay until the message expires plus this'
        ).default('5m'),
        traceRetention: duration(
          'how long the trace of a finished request (answered, rejected, timed out) stays queryable; the audit log keeps every decision for ever'
        ).default('24h'),
        maxTraces: z
          .number()
          .int()
          .min(100)
          .default(10_000)
          .describe('at most this many finished traces are kept (the oldest go first), so memory stays bounded'),
        processingAttempts: z
          .number()
          .int()
          .min(1)
          .max(20)
          .default(3)
          .describe('attempts before a record goes to the dead-letter topic')
      })
      .strict()
      .default({
        maxRecordBytes: 262_144,
        requestTtl: '1h',
        maxClockSkew: '5m',
        traceRetention: '24h',
        maxTraces: 10_000,
        processingAttempts: 3
      })
      .describe('bounds that keep a gateway safe from hostile or stuck input'),
    ops: z
      .object({
        lagInterval: duration('how often the lag monitor samples the links into this gateway').default('30s'),
        lagThreshold: duration('a link is LAGGING when its oldest unconsumed record is older than this').default('60s'),
        stalledIntervals: z
          .number()
          .int()
          .min(1)
          .max(100)
          .default(3)
          .describe('a link is STALLED when it has lag and its committed offset did not move for this many intervals'),
        stopTimeout: duration(
          'how long each step of a graceful stop may take (a consumer still joining its group can wait out a dead member); then the stop goes on without it — handled work is durable, the rest is redelivered'
        ).default('10s')
      })
      .strict()
      .default({ lagInterval: '30s', lagThreshold: '60s', stalledIntervals: 3, stopTimeout: '10s' })
      .describe('the operators’ view: lag monitoring, metrics and the status page (docs/operations.md)')
  })
  .strict()
  .superRefine((config, ctx) => {
    const partners = new Set(config.partners.map((p) => p.id))
    config.partners.forEach((p, i) => {
      if (p.id === config.system.id) {
        ctx.addIssue({ code: 'custom', path: ['partners', i, 'id'], message: 'a system cannot be its own partner' })
      }
      if (config.partners.findIndex((q) => q.id === p.id) !== i) {
        ctx.addIssue({ code: 'custom', path: ['partners', i, 'id'], message: `partner ${p.id} is listed twice` })
      }
    })
    config.agreements.forEach((a, i) => {
      if (!partners.has(a.partner)) {
        ctx.addIssue({
          code: 'custom',
          path: ['agreements', i, 'partner'],
          message: `no partner ${a.partner} in partners`
        })
      }
      if (config.agreements.findIndex((b) => b.id === a.id) !== i) {
        ctx.addIssue({ code: 'custom', path: ['agreements', i, 'id'], message: `agreement ${a.id} is listed twice` })
      }
      if (a.validFrom !== undefined && a.validUntil !== undefined && a.validFrom >= a.validUntil) {
        ctx.addIssue({ code: 'custom', path: ['agreements', i, 'validUntil'], message: 'must be after validFrom' })
      }
    })
  })

export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>
export type GatewayConfig = z.output<typeof gatewayConfigSchema>
export type AdapterConfig = GatewayConfig['adapter']
export type PolicyRule = GatewayConfig['policy']['rules'][number]
export type Decision = z.infer<typeof decision>
