/**
 * The HTTP API over GatewayService (src/gateway/service.ts): a thin translation that validates with the route
 * schemas, maps errors in one place and logs one line per call without bodies (they carry personal data).
 * It does not listen: the runtime calls `listen` with the configured host and port.
 */
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController
} from 'fastify'
import { GatewayError } from '../errors.ts'
import type { Approver, GatewayService, OutboundRequest } from '../gateway/service.ts'
import { bearerMatches } from './auth.ts'
import { type ErrorBody, errorBody, httpStatusOf } from './errors.ts'
import { openApiDocument } from './openapi.ts'
import { type RouteName, type RouteSpec, routeSpecs } from './routes.ts'
import { type CooperationAction, maxIdLength } from './schemas.ts'
import { statusPageCsp, statusPageHtml } from './status-page.ts'
import type { StatusView } from '../ops/status.ts'

export interface ReadinessCheck {
  ok: boolean
  detail: string
}

export interface Readiness {
  ready: boolean
  checks: Record<string, ReadinessCheck>
}

export interface HttpAppDeps {
  service: GatewayService
  /** When set, every /v1 route requires `Authorization: Bearer <token>`. */
  token?: string
  /** A pino logger (the runtime's); fastify's base logger type is what pino's Logger satisfies. */
  logger?: FastifyBaseLogger
  /** Answers /readyz; without it the gateway is ready as soon as it serves. */
  readiness?: () => Promise<Readiness>
  /** A readiness check that takes longer counts as not ready (default 5 s). */
  readinessTimeoutMs?: number
  /** The operators' view behind /metrics and /v1/status; without it they answer 404 (the page still loads). */
  ops?: OpsEndpoints
}

export interface OpsEndpoints {
  metrics(): Promise<{ contentType: string; body: string }>
  status(): Promise<StatusView>
}

interface IdParams {
  id: string
}

interface ValidationIssue {
  keyword: string
  instancePath: string
  message?: string
  params: Record<string, unknown>
}

/**
 * Where the fault is, as the service names fields: `requester.mcServiceId`, `body.users[2]` for the body (the
 * same paths the gateway's own checks use), `params.id` for a path parameter, nothing for the body as a whole.
 */
function fieldPath(context: string, issue: ValidationIssue): string | undefined {
  const segments = issue.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
  if (issue.keyword === 'required') segments.push(String(issue.params.missingProperty))
  if (issue.keyword === 'additionalProperties') segments.push(String(issue.params.additionalProperty))
  if (context !== 'body') segments.unshift(context)
  if (segments.length === 0) return undefined
  return segments.map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`)).join('')
}

function issueText(issue: ValidationIssue): string {
  if (issue.keyword === 'required') return 'is required'
  if (issue.keyword === 'additionalProperties') return 'is not a known field'
  if (issue.keyword === 'enum' && Array.isArray(issue.params.allowedValues)) {
    return `must be one of ${issue.params.allowedValues.map(String).join(', ')}`
  }
  return issue.message ?? 'is not valid'
}

function toAnswer(error: unknown, requestId: string): { status: number; body: ErrorBody } {
  if (GatewayError.is(error)) {
    return { status: httpStatusOf(error.code), body: errorBody(error.code, error.message, error.path) }
  }
  const fastifyError = error as Partial<FastifyError> & { validationContext?: string }
  const issue = fastifyError.validation?.[0] as ValidationIssue | undefined
  if (issue !== undefined) {
    const path = fieldPath(fastifyError.validationContext ?? 'body', issue)
    const message = `${path ?? 'the body'} ${issueText(issue)}`
    return { status: 400, body: errorBody('ACMGW_REQUEST_INVALID', message, path) }
  }
  const status = fastifyError.statusCode ?? 500
  if (status >= 400 && status < 500) {
    // fastify's own request errors (bad JSON, media type, size) have fixed messages that quote nothing sent.
    const message = fastifyError.code?.startsWith('FST_') === true ? fastifyError.message : 'the request is not valid'
    return { status, body: errorBody('ACMGW_REQUEST_INVALID', message ?? 'the request is not valid') }
  }
  return {
    status: 500,
    body: errorBody('ACMGW_INTERNAL', `internal error (request ${requestId}); the gateway log has the details`)
  }
}

function found<T>(value: T | undefined, what: string, id: string): T {
  if (value === undefined) throw new GatewayError('ACMGW_NOT_FOUND', `no ${what} with id ${id}`)
  return value
}

async function withTimeout(check: () => Promise<Readiness>, ms: number): Promise<Readiness> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<Readiness>((resolve) => {
    timer = setTimeout(
      () => resolve({ ready: false, checks: { readiness: { ok: false, detail: `no answer within ${ms} ms` } } }),
      ms
    )
  })
  try {
    return await Promise.race([check(), late])
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error)
    return { ready: false, checks: { readiness: { ok: false, detail } } }
  } finally {
    clearTimeout(timer)
  }
}

export function buildHttpApp(deps: HttpAppDeps): FastifyInstance {
  const { service } = deps
  const app: FastifyInstance = Fastify({
    ...(deps.logger === undefined ? { logger: false } : { loggerInstance: deps.logger }),
    // fastify's own request lines would carry URLs and headers; the onResponse hook logs what is wanted.
    logController: new LogController({ disableRequestLogging: true }),
    // Reject what does not fit instead of silently dropping or coercing it, so that a typo is named.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    routerOptions: { maxParamLength: maxIdLength },
    // Errors the router raises before any route runs (bad URL encoding, an over-long id): same body as the
    // rest, and a fixed message, since fastify's quotes the URL.
    frameworkErrors: (error, _request, reply) => {
      const message =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? `an id in the path is longer than ${maxIdLength} characters`
          : 'the URL is not valid'
      // Typed for a generic route; at this point the reply is the plain one.
      const plain = reply as FastifyReply
      void plain.code(error.statusCode ?? 400).send(errorBody('ACMGW_REQUEST_INVALID', message))
    }
  })

  const openUrls = new Set<string>(Object.values(routeSpecs).flatMap((r) => (r.open ? [r.url] : [])))
  const isOpen = (request: FastifyRequest) => openUrls.has(request.routeOptions.url ?? '')

  const { token } = deps
  if (token !== undefined) {
    // Unknown paths are not open either: without the token nobody learns which routes exist.
    app.addHook('onRequest', async (request, reply) => {
      if (isOpen(request) || bearerMatches(request.headers.authorization, token)) return
      void reply.header('www-authenticate', 'Bearer realm="acmgw"')
      throw new GatewayError(
        'ACMGW_UNAUTHORIZED',
        request.headers.authorization === undefined
          ? 'this route needs an Authorization: Bearer header'
          : 'the bearer token is not valid'
      )
    })
  }

  app.addHook('onResponse', async (request, reply) => {
    const line = {
      method: request.method,
      route: request.routeOptions.url ?? null,
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 10) / 10
    }
    // Probes come every few seconds: keep them out of the info stream.
    if (isOpen(request)) request.log.debug(line, 'http')
    else request.log.info(line, 'http')
  })

  app.setErrorHandler((error, request, reply) => {
    const { status, body } = toAnswer(error, request.id)
    if (status >= 500) {
      const err = error instanceof Error ? { type: error.name, message: error.message, stack: error.stack } : error
      request.log.error({ err, code: body.error.code }, 'request failed')
    }
    return reply.code(status).send(body)
  })

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody('ACMGW_NOT_FOUND', `no route ${request.method} ${request.url.replace(/\?.*$/, '')}`))
  )

  const options = (name: RouteName) => {
    const spec = routeSpecs[name]
    return {
      method: spec.method,
      url: spec.url,
      schema: {
        ...('params' in spec ? { params: spec.params } : {}),
        ...('body' in spec ? { body: spec.body } : {}),
        response: Object.fromEntries(
          Object.entries(spec.responses as RouteSpec['responses']).map(([status, r]) => [status, r.schema])
        )
      }
    }
  }

  app.route<{ Body: OutboundRequest }>({
    ...options('sendRequest'),
    // The service resolves only once the broker acknowledged the record: 202 is never answered before that.
    handler: async (request, reply) => reply.code(202).send(await service.send(request.body))
  })

  app.route<{ Params: IdParams }>({
    ...options('getTrace'),
    handler: (request) => found(service.trace(request.params.id), 'request', request.params.id)
  })

  app.route({ ...options('listPending'), handler: () => service.listPending() })

  app.route<{ Params: IdParams }>({
    ...options('getPending'),
    handler: (request) => found(service.getPending(request.params.id), 'pending request', request.params.id)
  })

  app.route<{ Params: IdParams; Body: { approver: Approver; reason?: string } }>({
    ...options('approvePending'),
    handler: (request) => {
      const { id } = request.params
      found(service.getPending(id), 'pending request', id)
      return service.approve(id, request.body.approver, request.body.reason)
    }
  })

  app.route<{ Params: IdParams; Body: { approver: Approver; reason: string } }>({
    ...options('rejectPending'),
    handler: (request) => {
      const { id } = request.params
      found(service.getPending(id), 'pending request', id)
      return service.reject(id, request.body.approver, request.body.reason)
    }
  })

  app.route({ ...options('listAgreements'), handler: () => service.agreements() })

  const cooperation: Record<CooperationAction, RouteName> = {
    propose: 'proposeCooperation',
    suspend: 'suspendCooperation',
    resume: 'resumeCooperation',
    terminate: 'terminateCooperation'
  }
  for (const [action, name] of Object.entries(cooperation) as [CooperationAction, RouteName][]) {
    app.route<{ Params: IdParams; Body: { requester: Approver; reason?: string } }>({
      ...options(name),
      handler: async (request, reply) => {
        const { id } = request.params
        // A proposal may start an agreement this side does not hold yet; every other action needs one.
        if (action !== 'propose')
          found(
            service.agreements().find((a) => a.id === id),
            'agreement',
            id
          )
        const receipt = await service.changeCooperation(id, action, request.body.requester, request.body.reason)
        return reply.code(202).send(receipt)
      }
    })
  }

  app.route({ ...options('listDeadLetters'), handler: async () => service.deadLetters() })

  app.route<{ Params: IdParams }>({
    ...options('getDeadLetter'),
    handler: async (request) => {
      const { id } = request.params
      return found(
        (await service.deadLetters()).find((d) => d.id === id),
        'dead letter',
        id
      )
    }
  })

  app.route<{ Params: IdParams }>({
    ...options('redriveDeadLetter'),
    handler: async (request) => {
      const { id } = request.params
      found(
        (await service.deadLetters()).find((d) => d.id === id),
        'dead letter',
        id
      )
      return service.redrive(id)
    }
  })

  app.route({ ...options('livez'), handler: () => ({ status: 'ok' }) })

  const { readiness } = deps
  const readinessTimeoutMs = deps.readinessTimeoutMs ?? 5000
  app.route({
    ...options('readyz'),
    handler: async (_request, reply) => {
      const result =
        readiness === undefined ? { ready: true, checks: {} } : await withTimeout(readiness, readinessTimeoutMs)
      return reply.code(result.ready ? 200 : 503).send(result)
    }
  })

  const { ops } = deps
  const opsOf = (what: string): OpsEndpoints => {
    if (ops === undefined) throw new GatewayError('ACMGW_NOT_FOUND', `this server has no ${what}`)
    return ops
  }
  app.route({ ...options('getStatus'), handler: () => opsOf('status view').status() })
  // Text answers: registered without the JSON response schema their spec documents as a string.
  app.route({
    method: routeSpecs.metrics.method,
    url: routeSpecs.metrics.url,
    handler: async (_request, reply) => {
      const metrics = await opsOf('metrics').metrics()
      return reply.type(metrics.contentType).send(metrics.body)
    }
  })
  app.route({
    method: routeSpecs.statusPage.method,
    url: routeSpecs.statusPage.url,
    handler: (_request, reply) =>
      reply
        .type(routeSpecs.statusPage.contentType)
        .header('content-security-policy', statusPageCsp)
        .header('cache-control', 'no-store')
        .send(statusPageHtml)
  })

  let document: Record<string, unknown> | undefined
  app.route({ ...options('openapi'), handler: () => (document ??= openApiDocument()) })

  return app
}
