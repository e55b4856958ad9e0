/**
 * The schemas of the files `acmgw topics` reads: the topic templates (topics/topics.yaml), the ACL templates
 * (topics/acls.yaml) and the interconnection file (systems and their agreements). Each zod schema yields the
 * validator, the TypeScript type and the format reference in topics/README.md (src/topics/docs.ts).
 */
import { z } from 'zod'
import { agreementStatuses, dataCategories } from '../agreements/model.ts'
import { parseDuration } from '../config/schema.ts'
import { systemIdPattern } from '../identity/names.ts'

// ---- topic templates -------------------------------------------------------------------------------------

export const cleanupPolicies = ['delete', 'compact', 'compact,delete'] as const
export type CleanupPolicy = (typeof cleanupPolicies)[number]

/** Config keys that have a field of their own; a second way to set them would only invite contradictions. */
export const typedConfigKeys = {
  'min.insync.replicas': 'minInsyncReplicas',
  'cleanup.policy': 'cleanupPolicy',
  'retention.ms': 'retention'
} as const

const retention = z
  .string()
  .refine((v) => v === 'forever' || (parseDuration(v) ?? 0) > 0, {
    message: 'must be a duration such as 12h or 14d, or forever'
  })
  .describe('retention.ms as a duration (`30s`, `12h`, `14d`) or `forever`; only used when cleanupPolicy deletes')

const configValue = z.union([z.string(), z.number(), z.boolean()]).transform(String)

const configs = z
  .record(
    z.string().regex(/^[a-z][a-z0-9]*(\.[a-z0-9]+)*$/, { message: 'must be a Kafka topic config name' }),
    configValue
  )
  .superRefine((entries, ctx) => {
    for (const key of Object.keys(entries)) {
      if (key in typedConfigKeys) {
        const field = typedConfigKeys[key as keyof typeof typedConfigKeys]
        ctx.addIssue({ code: 'custom', path: [key], message: `set it with the template field ${field}` })
      }
    }
  })
  .describe('further topic-level configs, name → value, sent to the broker as strings')

const templateFields = {
  partitions: z.number().int().min(1).max(10_000).describe('number of partitions; can only grow once created'),
  replicationFactor: z
    .number()
    .int()
    .min(1)
    .max(32)
    .describe('replicas per partition; a cluster needs at least this many brokers'),
  minInsyncReplicas: z
    .number()
    .int()
    .min(1)
    .max(32)
    .describe('min.insync.replicas: replicas that must have an acks=all write; at most replicationFactor'),
  cleanupPolicy: z
    .enum(cleanupPolicies)
    .describe('cleanup.policy: `compact` keeps the latest record per key, `delete` drops records older than retention'),
  retention,
  configs
}

const defaultsSchema = z
  .object({ ...templateFields, configs: templateFields.configs.optional() })
  .strict()
  .describe('values every topic template starts from')

const overrideSchema = z
  .object({
    partitions: templateFields.partitions.optional(),
    replicationFactor: templateFields.replicationFactor.optional(),
    minInsyncReplicas: templateFields.minInsyncReplicas.optional(),
    cleanupPolicy: templateFields.cleanupPolicy.optional(),
    retention: templateFields.retention.optional(),
    configs: templateFields.configs.optional()
  })
  .strict()

const categoryTemplates = z
  .object({
    status: overrideSchema.describe('`acm.<from>.<to>.status`: agreement lifecycle, latest state per agreement'),
    users: overrideSchema.describe('`acm.<from>.<to>.users`: user configuration shared or withdrawn'),
    groups: overrideSchema.describe('`acm.<from>.<to>.groups`: group identities, memberships, joint groups'),
    migration: overrideSchema.describe('`acm.<from>.<to>.migration`: users allowed to migrate, visiting services'),
    security: overrideSchema.describe('`acm.<from>.<to>.security`: trust anchors, key material (sealed)'),
    responses: overrideSchema.describe('`acm.<from>.<to>.responses`: process indications and final answers')
  })
  .strict()
  .describe('one template per category, applied over `defaults`; every category must be listed')

/** One segment only: a private topic `acm.<system>.<name>` then has three segments, data topics four. */
export const privateTopicNamePattern = /^[a-z][a-z0-9-]{0,31}$/

const privateTemplates = z
  .record(
    z.string().regex(privateTopicNamePattern, { message: 'must be one name segment: [a-z][a-z0-9-]{0,31}' }),
    overrideSchema.describe('template of `acm.<system>.<name>`, applied over `defaults`')
  )
  .describe(
    "the gateway's own topics `acm.<system>.<name>`, read and written only by that system (e.g. `state`, `dlq`)"
  )

export const topicTemplatesSchema = z
  .object({
    defaults: defaultsSchema,
    categories: categoryTemplates,
    private: privateTemplates
  })
  .strict()

export type TopicTemplatesFile = z.output<typeof topicTemplatesSchema>
export type TopicTemplateOverride = z.output<typeof overrideSchema>
export type TopicTemplateDefaults = z.output<typeof defaultsSchema>

// ---- ACL templates ---------------------------------------------------------------------------------------

/** What a gateway may be granted on a topic: never CREATE, DELETE, ALTER or ALL (topics are this tool's job). */
export const topicOperations = ['READ', 'WRITE', 'DESCRIBE', 'DESCRIBE_CONFIGS'] as const
/** What a gateway may be granted on a consumer group (READ implies DESCRIBE). */
export const groupOperations = ['READ', 'DESCRIBE'] as const

const topicOps = (description: string) =>
  z
    .array(z.enum(topicOperations))
    .min(1)
    .refine((ops) => new Set(ops).size === ops.length, { message: 'lists an operation twice' })
    .describe(description)

const groupGrant = z
  .object({
    name: z
      .string()
      .regex(/^([a-z0-9-]+(\.[a-z0-9-]+)*)?$/, { message: 'must be empty or dot-separated [a-z0-9-] segments' })
      .optional()
      .describe('LITERAL group `acmgw.<system>` (empty) or `acmgw.<system>.<name>`'),
    prefix: z
      .string()
      .regex(/^([a-z0-9-]+\.)+$/, { message: 'must be dot-separated [a-z0-9-] segments ending with "."' })
      .optional()
      .describe(
        'PREFIXED groups `acmgw.<system>.<prefix>…`, for one group per replica; confined to the system’s own groups'
      ),
    operations: z
      .array(z.enum(groupOperations))
      .min(1)
      .refine((ops) => new Set(ops).size === ops.length, { message: 'lists an operation twice' })
      .describe('operations on the group; joining and committing offsets need READ')
  })
  .strict()
  .refine((g) => (g.name === undefined) !== (g.prefix === undefined), {
    message: 'give exactly one of name and prefix'
  })
  .describe('one group (name) or one family of groups (prefix) of each system, with the operations granted')

export const aclTemplatesSchema = z
  .object({
    link: z
      .object({
        writer: topicOps('the sending gateway (`<from>`) on `acm.<from>.<to>.<category>`'),
        reader: topicOps('the receiving gateway (`<to>`) on `acm.<from>.<to>.<category>`')
      })
      .strict()
      .describe('grants on link topics; no other principal gets anything on them'),
    private: z
      .object({ owner: topicOps('the system’s own gateway on each of its private topics') })
      .strict()
      .describe('grants on `acm.<system>.<name>` private topics'),
    groups: z
      .record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9-]*$/), groupGrant)
      .describe('consumer groups of a system’s gateway, by purpose; each grant goes to that system alone')
  })
  .strict()

export type AclTemplatesFile = z.output<typeof aclTemplatesSchema>
export type GroupGrant = z.output<typeof groupGrant>

// ---- interconnection file: systems and agreements --------------------------------------------------------

const systemId = z
  .string()
  .regex(systemIdPattern, { message: `must match ${systemIdPattern.source}` })
  .describe('system id: a lower case letter, then 1 to 31 lower case letters, digits or "-"')

export const interconnectionSchema = z
  .object({
    systems: z
      .array(
        z
          .object({ id: systemId, name: z.string().optional().describe('display name') })
          .strict()
          .describe('a system whose gateway uses this cluster')
      )
      .min(1)
      .describe('every system whose gateway uses the cluster; each gets its private topics and groups'),
    agreements: z
      .array(
        z
          .object({
            id: z
              .string()
              .regex(/^[A-Za-z0-9._-]{1,64}$/, { message: 'must be 1 to 64 letters, digits, ".", "_" or "-"' })
              .describe('agreement id, the same on both sides'),
            systems: z.array(systemId).length(2).describe('the two systems of the agreement'),
            status: z
              .enum(agreementStatuses)
              .describe('TERMINATED revokes every grant of the link; all other statuses keep the scope open'),
            categories: z
              .array(z.enum(dataCategories))
              .min(1)
              .describe('data categories in scope, in both directions; `status` and `responses` are always there')
          })
          .strict()
          .describe('one agreement between two of the systems')
      )
      .default([])
      .describe('cooperation agreements between the systems')
  })
  .strict()
  .superRefine((file, ctx) => {
    const known = new Set<string>()
    file.systems.forEach((s, i) => {
      if (known.has(s.id))
        ctx.addIssue({ code: 'custom', path: ['systems', i, 'id'], message: `${s.id} is listed twice` })
      known.add(s.id)
    })
    const live = new Map<string, string>()
    file.agreements.forEach((a, i) => {
      if (file.agreements.findIndex((b) => b.id === a.id) !== i) {
        ctx.addIssue({ code: 'custom', path: ['agreements', i, 'id'], message: `agreement ${a.id} is listed twice` })
      }
      a.systems.forEach((s, j) => {
        if (!known.has(s)) {
          ctx.addIssue({ code: 'custom', path: ['agreements', i, 'systems', j], message: `no system ${s} in systems` })
        }
      })
      if (a.systems[0] === a.systems[1]) {
        ctx.addIssue({
          code: 'custom',
          path: ['agreements', i, 'systems'],
          message: 'a system cannot agree with itself'
        })
      }
      if (new Set(a.categories).size !== a.categories.length) {
        ctx.addIssue({ code: 'custom', path: ['agreements', i, 'categories'], message: 'lists a category twice' })
      }
      if (a.status !== 'TERMINATED') {
        // One live agreement per pair, so that the link's scope and status are never ambiguous.
        const pair = [...a.systems].sort().join(' and ')
        const other = live.get(pair)
        if (other !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['agreements', i, 'status'],
            message: `${pair} already have agreement ${other} that is not TERMINATED`
          })
        }
        live.set(pair, a.id)
      }
    })
  })

export type InterconnectionFile = z.output<typeof interconnectionSchema>
export type AgreementEntry = InterconnectionFile['agreements'][number]
