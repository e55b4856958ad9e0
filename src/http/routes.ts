/**
 * The API's routes as data: method, path, schemas and answers. src/http/app.ts registers a handler for each and
 * src/http/openapi.ts documents the same objects, so the document cannot drift from what is validated.
 */
import * as s from './schemas.ts'
import type { JsonSchema } from './schemas.ts'

export type RouteTag = 'requests' | 'pending' | 'agreements' | 'dead-letters' | 'health' | 'operations'

export interface RouteSpec {
  method: 'GET' | 'POST'
  /** fastify syntax: `:id` */
  url: string
  summary: string
  description?: string
  tag: RouteTag
  /** Served without the bearer token. */
  open: boolean
  /** The answer's media type when it is not JSON (the response schema then describes a string). */
  contentType?: string
  params?: JsonSchema
  body?: JsonSchema
  /** Status → body schema; the first entry is the success answer. */
  responses: Readonly<Record<number, { description: string; schema: JsonSchema }>>
}

const error = (description: string) => ({ description, schema: s.errorBody })
const invalid = error('the request does not fit its schema; `path` names the field')
const unauthorized = error('the bearer token is missing or wrong')
const notFound = (what: string) => error(`no ${what} has that id`)
const unavailable = error('the broker or the registry did not answer; nothing was sent')

const messageIdParam = s.idParam('a message id')

function cooperationRoute(action: s.CooperationAction) {
  return {
    method: 'POST',
    url: `/v1/agreements/:id/${action}`,
    summary: `${action} the cooperation: change the local agreement and notify the partner`,
    tag: 'agreements',
    open: false,
    params: s.idParam('an agreement id'),
    body: s.cooperationChange,
    responses: {
      202: { description: 'the notice was written to Kafka and acknowledged', schema: s.sendReceipt },
      400: invalid,
      401: unauthorized,
      404: notFound('agreement'),
      409: error('the agreement’s status does not allow this action'),
      503: unavailable
    }
  } as const satisfies RouteSpec
}

export const routeSpecs = {
  sendRequest: {
    method: 'POST',
    url: '/v1/requests',
    summary: 'send a request to a partner',
    description:
      'Checks the request against its agreement, projects, signs, encodes and produces it. Answers only after ' +
      'the broker acknowledged the record with acks=all; follow its progress with GET /v1/requests/{id}.',
    tag: 'requests',
    open: false,
    body: s.outboundRequest,
    responses: {
      202: { description: 'written to Kafka and acknowledged', schema: s.sendReceipt },
      400: invalid,
      401: unauthorized,
      404: error('the agreement or partner is not known'),
      409: error('the agreement does not admit the request now (suspended, terminated, not yet accepted)'),
      413: error('the encoded record is larger than limits.maxRecordBytes'),
      422: error('the body does not fit the procedure’s schema'),
      503: unavailable
    }
  },
  getTrace: {
    method: 'GET',
    url: '/v1/requests/:id',
    summary: 'a request’s trace: sent → process indication → pending/decided → final answer',
    tag: 'requests',
    open: false,
    params: messageIdParam,
    responses: {
      200: { description: 'the trace', schema: s.requestTrace },
      401: unauthorized,
      404: notFound('request')
    }
  },
  listPending: {
    method: 'GET',
    url: '/v1/pending',
    summary: 'inbound requests waiting for a person’s decision',
    tag: 'pending',
    open: false,
    responses: {
      200: { description: 'oldest first', schema: s.arrayOf(s.pendingRequest) },
      401: unauthorized
    }
  },
  getPending: {
    method: 'GET',
    url: '/v1/pending/:id',
    summary: 'one pending request with its fields',
    tag: 'pending',
    open: false,
    params: messageIdParam,
    responses: {
      200: { description: 'the pending request', schema: s.pendingRequest },
      401: unauthorized,
      404: notFound('pending request')
    }
  },
  approvePending: {
    method: 'POST',
    url: '/v1/pending/:id/approve',
    summary: 'approve a pending request',
    description: 'Applies it through the adapter and sends the signed final answer naming the approver.',
    tag: 'pending',
    open: false,
    params: messageIdParam,
    body: s.decision,
    responses: {
      200: { description: 'the request’s trace after the decision', schema: s.requestTrace },
      400: invalid,
      401: unauthorized,
      404: notFound('pending request'),
      409: error('the request was decided or expired meanwhile'),
      503: unavailable
    }
  },
  rejectPending: {
    method: 'POST',
    url: '/v1/pending/:id/reject',
    summary: 'reject a pending request (a reason is required)',
    tag: 'pending',
    open: false,
    params: messageIdParam,
    body: s.rejection,
    responses: {
      200: { description: 'the request’s trace after the decision', schema: s.requestTrace },
      400: invalid,
      401: unauthorized,
      404: notFound('pending request'),
      409: error('the request was decided or expired meanwhile'),
      503: unavailable
    }
  },
  listAgreements: {
    method: 'GET',
    url: '/v1/agreements',
    summary: 'the agreements with partners and their status',
    tag: 'agreements',
    open: false,
    responses: {
      200: { description: 'every agreement', schema: s.arrayOf(s.agreement) },
      401: unauthorized
    }
  },
  proposeCooperation: cooperationRoute('propose'),
  suspendCooperation: cooperationRoute('suspend'),
  resumeCooperation: cooperationRoute('resume'),
  terminateCooperation: cooperationRoute('terminate'),
  listDeadLetters: {
    method: 'GET',
    url: '/v1/dead-letters',
    summary: 'records that could not be processed',
    tag: 'dead-letters',
    open: false,
    responses: {
      200: { description: 'every dead letter', schema: s.arrayOf(s.deadLetter) },
      401: unauthorized,
      503: unavailable
    }
  },
  getDeadLetter: {
    method: 'GET',
    url: '/v1/dead-letters/:id',
    summary: 'one dead letter',
    tag: 'dead-letters',
    open: false,
    params: s.idParam('a dead letter id'),
    responses: {
      200: { description: 'the dead letter', schema: s.deadLetter },
      401: unauthorized,
      404: notFound('dead letter'),
      503: unavailable
    }
  },
  redriveDeadLetter: {
    method: 'POST',
    url: '/v1/dead-letters/:id/redrive',
    summary: 'process a dead letter again',
    tag: 'dead-letters',
    open: false,
    params: s.idParam('a dead letter id'),
    responses: {
      200: { description: 'whether it was re-queued, and why not', schema: s.redriveResult },
      401: unauthorized,
      404: notFound('dead letter'),
      503: unavailable
    }
  },
  livez: {
    method: 'GET',
    url: '/livez',
    summary: 'the process answers (no I/O)',
    tag: 'health',
    open: true,
    responses: { 200: { description: 'alive', schema: s.liveness } }
  },
  readyz: {
    method: 'GET',
    url: '/readyz',
    summary: 'the gateway can do its work: each dependency checked',
    tag: 'health',
    open: true,
    responses: {
      200: { description: 'ready', schema: s.readiness },
      503: { description: 'not ready; the failing checks say why', schema: s.readiness }
    }
  },
  getStatus: {
    method: 'GET',
    url: '/v1/status',
    summary:
      'what the status page shows: links with lag and its last hour, agreements, recent rejections and dead letters',
    tag: 'operations',
    open: false,
    responses: {
      200: { description: 'the status view', schema: s.statusView },
      401: unauthorized,
      503: unavailable
    }
  },
  statusPage: {
    method: 'GET',
    url: '/',
    summary: 'the status page (HTML with inline CSS and script; no external resources)',
    description: 'Its data comes from /v1/status and /v1/pending; when a token is configured the page asks for it.',
    tag: 'operations',
    open: true,
    contentType: 'text/html; charset=utf-8',
    responses: { 200: { description: 'the page', schema: { type: 'string' } } }
  },
  metrics: {
    method: 'GET',
    url: '/metrics',
    summary: 'Prometheus metrics (text exposition format); docs/operations.md lists them',
    tag: 'operations',
    open: true,
    contentType: 'text/plain; version=0.0.4; charset=utf-8',
    responses: { 200: { description: 'the metrics', schema: { type: 'string' } } }
  },
  openapi: {
    method: 'GET',
    url: '/openapi.json',
    summary: 'this document',
    tag: 'health',
    open: true,
    responses: {
      200: { description: 'the OpenAPI 3.1 document', schema: { type: 'object', additionalProperties: true } }
    }
  }
} as const satisfies Record<string, RouteSpec>

export type RouteName = keyof typeof routeSpecs
