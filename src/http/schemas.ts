/**
 * JSON Schemas of what the HTTP API exchanges, written once: fastify validates requests and serialises answers
 * with them, and the OpenAPI document names them as components (src/http/openapi.ts). They mirror the types in
 * src/gateway/service.ts; test/http/app.test.ts checks answers against both.
 */

export type JsonSchema = Readonly<Record<string, unknown>>

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

const text = (description: string, maxLength = 256): JsonSchema => ({
  type: 'string',
  minLength: 1,
  maxLength,
  description
})
const nullableText = (description: string, maxLength = 256): JsonSchema => ({
  type: ['string', 'null'],
  maxLength,
  description
})
const timestamp = (description: string): JsonSchema => ({ type: 'string', format: 'date-time', description })

export const urgencies = ['LOW', 'NORMAL', 'HIGH', 'IMMEDIATE'] as const
export const cooperationActions = ['propose', 'suspend', 'resume', 'terminate'] as const
export type CooperationAction = (typeof cooperationActions)[number]

const systemId: JsonSchema = {
  type: 'string',
  pattern: '^[a-z][a-z0-9-]{1,31}$',
  description: 'a system id: a lower case letter, then 1 to 31 lower case letters, digits or "-"'
}
const agreementId: JsonSchema = {
  type: 'string',
  pattern: '^[A-Za-z0-9._-]{1,64}$',
  description: 'agreement id, the same on both sides'
}

export const mcServiceUser = deepFreeze({
  type: 'object',
  description: 'an MC service user: the requester of a request or the approver of an answer',
  required: ['mcServiceId'],
  additionalProperties: false,
  properties: {
    mcServiceId: text('the MC service ID (TS 23.280), e.g. sip:alice@nl-police.example'),
    functionalAlias: nullableText('the functional alias the user acts under')
  }
})

export const outboundRequest = deepFreeze({
  type: 'object',
  description: 'a request (or notice) the local MCX core asks the gateway to send to a partner',
  required: ['kind', 'partner', 'agreementId', 'requester', 'body'],
  additionalProperties: false,
  properties: {
    kind: { ...text('the ACM procedure, e.g. MIGRATION_USERS_ADD (docs/catalogue.md)', 64) },
    partner: { ...systemId, description: 'the partner system the request goes to' },
    agreementId,
    requester: mcServiceUser,
    target: {
      type: ['object', 'null'],
      description: 'the target user or functional alias, where the procedure has one',
      additionalProperties: false,
      properties: {
        mcServiceId: nullableText('the target MC service ID'),
        functionalAlias: nullableText('the target functional alias')
      }
    },
    urgency: { type: 'string', enum: [...urgencies], description: 'default NORMAL' },
    ttlSeconds: {
      type: 'integer',
      minimum: 1,
      maximum: 31_536_000,
      description: 'seconds until the partner must not apply it any more; default limits.requestTtl'
    },
    body: {
      type: 'object',
      additionalProperties: true,
      description: 'the procedure’s own fields, as in docs/catalogue.md (without the envelope)'
    }
  }
})

export const sendReceipt = deepFreeze({
  type: 'object',
  description: 'the broker acknowledged the record (acks=all) before this was answered',
  required: ['messageId', 'topic', 'acknowledged'],
  additionalProperties: false,
  properties: {
    messageId: text('the message id of the request; follow it with GET /v1/requests/{id}'),
    topic: text('the topic the record was written to'),
    acknowledged: { type: 'boolean', const: true }
  }
})

export const itemResult = deepFreeze({
  type: 'object',
  required: ['item', 'result', 'reasonCode', 'reason'],
  additionalProperties: false,
  properties: {
    item: text('the item: a user, group or authorisation', 1024),
    result: text('ACCEPTED, REJECTED or NOT_APPLICABLE', 64),
    reasonCode: nullableText('a stable reason code when not accepted', 128),
    reason: nullableText('the reason in words', 1024)
  }
})

export const traceEventTypes = [
  'sent',
  'process-indication',
  'pending',
  'final-response',
  'cooperation-accepted',
  'timed-out',
  'received',
  'rejected',
  'applied',
  'dead-lettered'
] as const

export const traceEvent = deepFreeze({
  type: 'object',
  required: ['at', 'type', 'detail'],
  additionalProperties: false,
  properties: {
    at: timestamp('when it happened'),
    type: { type: 'string', enum: [...traceEventTypes] },
    detail: { type: 'string', maxLength: 4096 },
    items: { type: 'array', items: itemResult, description: 'per-item results of a final response' }
  }
})

export const requestStatuses = ['sent', 'indicated', 'pending', 'answered', 'timed-out'] as const

export const requestTrace = deepFreeze({
  type: 'object',
  description: 'one request’s story: outbound (this gateway asked) or inbound (a partner asked)',
  required: ['messageId', 'direction', 'kind', 'partner', 'agreementId', 'status', 'outcome', 'expiresAt', 'events'],
  additionalProperties: false,
  properties: {
    messageId: text('the request’s message id'),
    direction: { type: 'string', enum: ['outbound', 'inbound'] },
    kind: text('the ACM procedure', 64),
    partner: systemId,
    agreementId,
    status: { type: 'string', enum: [...requestStatuses] },
    outcome: nullableText('the final outcome (ACCEPTED, REJECTED, PARTIALLY_ACCEPTED, …) once answered', 64),
    expiresAt: timestamp('when the request expires'),
    events: { type: 'array', items: traceEvent, description: 'oldest first' }
  }
})

export const pendingRequest = deepFreeze({
  type: 'object',
  description: 'an inbound request held for a person to approve or reject',
  required: ['messageId', 'partner', 'kind', 'agreementId', 'requester', 'urgency', 'receivedAt', 'decideBy', 'body'],
  additionalProperties: false,
  properties: {
    messageId: text('the request’s message id'),
    partner: systemId,
    kind: text('the ACM procedure', 64),
    agreementId,
    requester: {
      type: 'object',
      required: ['mcServiceId', 'functionalAlias'],
      additionalProperties: false,
      properties: {
        mcServiceId: text('the requester’s MC service ID'),
        functionalAlias: nullableText('the requester’s functional alias')
      }
    },
    urgency: text('LOW, NORMAL, HIGH or IMMEDIATE', 16),
    receivedAt: timestamp('when it arrived'),
    decideBy: timestamp('when it is answered "expired" if nobody decides'),
    body: { type: 'object', additionalProperties: true, description: 'the request’s fields as received' }
  }
})

export const decision = deepFreeze({
  type: 'object',
  required: ['approver'],
  additionalProperties: false,
  properties: {
    approver: mcServiceUser,
    reason: text('why; carried in the signed answer', 1024)
  }
})

export const rejection = deepFreeze({
  ...decision,
  required: ['approver', 'reason']
})

export const cooperationChange = deepFreeze({
  type: 'object',
  required: ['requester'],
  additionalProperties: false,
  properties: {
    requester: mcServiceUser,
    reason: text('why; carried to the partner', 1024)
  }
})

export const agreement = deepFreeze({
  type: 'object',
  required: ['id', 'partner', 'status', 'services', 'categories', 'limits'],
  additionalProperties: false,
  properties: {
    id: agreementId,
    partner: systemId,
    status: { type: 'string', enum: ['PROPOSED', 'ACTIVE', 'SUSPENDED', 'TERMINATED'] },
    services: { type: 'array', items: { type: 'string', enum: ['MCPTT', 'MCDATA', 'MCVIDEO'] } },
    categories: {
      type: 'array',
      items: { type: 'string', enum: ['status', 'users', 'groups', 'migration', 'security'] }
    },
    validFrom: timestamp('start of validity'),
    validUntil: timestamp('end of validity'),
    sharedUserAttributes: {
      type: 'array',
      items: { type: 'string' },
      description: 'user profile attributes that may be shared with the partner; every other one is stripped'
    },
    limits: {
      type: 'object',
      additionalProperties: false,
      properties: {
        maxMigratedUsers: { type: 'integer', minimum: 0, description: 'most partner users authorised to migrate in' }
      }
    }
  }
})

export const deadLetter = deepFreeze({
  type: 'object',
  description: 'a record that could not be processed, with the reason and where it came from',
  required: ['id', 'at', 'reasonCode', 'reason', 'original', 'partner', 'messageId'],
  additionalProperties: false,
  properties: {
    id: text('the dead letter’s id'),
    at: timestamp('when it was dead-lettered'),
    reasonCode: text('a stable reason code, e.g. ACMGW_SIGNATURE_INVALID', 128),
    reason: { type: 'string', maxLength: 4096 },
    original: {
      type: 'object',
      required: ['topic', 'partition', 'offset', 'key', 'timestamp'],
      additionalProperties: false,
      properties: {
        topic: text('the topic of the original record'),
        partition: { type: 'integer', minimum: 0 },
        offset: { type: 'string', pattern: '^[0-9]+$', description: 'Kafka offset (a string: it may pass 2^53)' },
        key: { type: ['string', 'null'] },
        timestamp: { type: 'integer', description: 'record timestamp, milliseconds since the epoch' }
      }
    },
    partner: { ...systemId, type: ['string', 'null'], description: 'the partner, when the record names one' },
    messageId: nullableText('the message id, when it could be read')
  }
})

export const redriveResult = deepFreeze({
  type: 'object',
  required: ['redriven', 'detail'],
  additionalProperties: false,
  properties: {
    redriven: { type: 'boolean' },
    detail: { type: 'string', maxLength: 4096 }
  }
})

export const errorBody = deepFreeze({
  type: 'object',
  description: 'every failed call answers this',
  required: ['error'],
  additionalProperties: false,
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      additionalProperties: false,
      properties: {
        code: { type: 'string', pattern: '^ACMGW_[A-Z0-9_]+$', description: 'a stable code (docs/api.md)' },
        message: { type: 'string' },
        path: {
          type: 'string',
          description: 'the field at fault: requester.mcServiceId, body.users[0] (in the request body), params.id'
        }
      }
    }
  }
})

export const liveness = deepFreeze({
  type: 'object',
  required: ['status'],
  additionalProperties: false,
  properties: { status: { type: 'string', const: 'ok' } }
})

export const readiness = deepFreeze({
  type: 'object',
  required: ['ready', 'checks'],
  additionalProperties: false,
  properties: {
    ready: { type: 'boolean' },
    checks: {
      type: 'object',
      description: 'one entry per dependency (broker, state topic, adapter, …)',
      additionalProperties: {
        type: 'object',
        required: ['ok', 'detail'],
        additionalProperties: false,
        properties: { ok: { type: 'boolean' }, detail: { type: 'string' } }
      }
    }
  }
})

export const activityEntry = deepFreeze({
  type: 'object',
  description: 'a recent decision, rejection or dead letter, as the engine reported it',
  required: ['at', 'type', 'direction', 'partner', 'kind', 'messageId'],
  additionalProperties: false,
  properties: {
    at: timestamp('when it happened'),
    type: {
      type: 'string',
      enum: ['received', 'sent', 'applied', 'rejected', 'pending', 'decided', 'dead-lettered', 'duplicate', 'answer']
    },
    direction: { type: 'string', enum: ['inbound', 'outbound'] },
    partner: { type: ['string', 'null'] },
    kind: { type: ['string', 'null'] },
    messageId: { type: ['string', 'null'] },
    outcome: { type: 'string' },
    reasonCode: { type: 'string' },
    approver: { type: ['string', 'null'] },
    latencyMs: { type: 'number' }
  }
})

export const linkView = deepFreeze({
  type: 'object',
  description: 'the link from one partner into this gateway: status, lag and its last hour as an SVG chart',
  required: ['partner', 'status', 'reason', 'members', 'lagMessages', 'lagSeconds', 'at', 'chart'],
  additionalProperties: false,
  properties: {
    partner: systemId,
    status: { type: 'string', enum: ['OK', 'LAGGING', 'STALLED', 'STOPPED'], description: 'docs/operations.md' },
    reason: { type: 'string' },
    members: { type: 'integer', minimum: 0, description: 'members of the reading consumer group' },
    lagMessages: { type: 'integer', minimum: 0 },
    lagSeconds: { type: ['number', 'null'], description: 'age of the first unconsumed record; null: not known' },
    at: timestamp('when the sample was taken'),
    chart: { type: 'string', description: 'an SVG document' }
  }
})

export const statusView = deepFreeze({
  type: 'object',
  description: 'what the status page shows',
  required: ['system', 'at', 'lag', 'links', 'agreements', 'rejections', 'decisions', 'deadLetters'],
  additionalProperties: false,
  properties: {
    system: systemId,
    at: timestamp('when this view was made'),
    lag: {
      type: 'object',
      required: ['intervalMs', 'at', 'error'],
      additionalProperties: false,
      properties: {
        intervalMs: { type: 'integer' },
        at: { type: ['string', 'null'], description: 'the last sample' },
        error: { type: ['string', 'null'], description: 'why the last sample failed' }
      }
    },
    links: { type: 'array', items: linkView },
    agreements: { type: 'array', items: agreement },
    rejections: { type: 'array', items: activityEntry, description: 'newest first, at most 20' },
    decisions: { type: 'array', items: activityEntry, description: 'newest first, at most 20' },
    deadLetters: { type: 'array', items: deadLetter, description: 'newest first, at most 20' }
  }
})

/** Longest id a path may carry (message ids are UUIDs, agreement ids at most 64 characters). */
export const maxIdLength = 256

export const idParam = (description: string): JsonSchema =>
  deepFreeze({
    type: 'object',
    required: ['id'],
    additionalProperties: false,
    properties: { id: { type: 'string', minLength: 1, maxLength: maxIdLength, description } }
  })

export const arrayOf = (items: JsonSchema): JsonSchema => deepFreeze({ type: 'array', items })

/** The schemas the OpenAPI document lists under components.schemas, by name. */
export const namedSchemas: Readonly<Record<string, JsonSchema>> = {
  OutboundRequest: outboundRequest,
  SendReceipt: sendReceipt,
  McServiceUser: mcServiceUser,
  RequestTrace: requestTrace,
  TraceEvent: traceEvent,
  ItemResult: itemResult,
  PendingRequest: pendingRequest,
  Decision: decision,
  Rejection: rejection,
  CooperationChange: cooperationChange,
  Agreement: agreement,
  DeadLetter: deadLetter,
  RedriveResult: redriveResult,
  Error: errorBody,
  Liveness: liveness,
  Readiness: readiness,
  StatusView: statusView,
  LinkView: linkView,
  ActivityEntry: activityEntry
}
