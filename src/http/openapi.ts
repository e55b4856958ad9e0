/**
 * The OpenAPI 3.1 document, assembled from the route table and the schema objects the routes validate with.
 * A schema object that is one of the named schemas becomes a `$ref` to components.schemas (by identity, so
 * that a field which merely looks alike is not folded).
 */
import packageJson from '../../package.json' with { type: 'json' }
import { type RouteTag, routeSpecs } from './routes.ts'
import { type JsonSchema, namedSchemas } from './schemas.ts'

const names = new Map<unknown, string>(Object.entries(namedSchemas).map(([name, schema]) => [schema, name]))

function withRefs(value: unknown, self?: string): unknown {
  const name = names.get(value)
  if (name !== undefined && name !== self) return { $ref: `#/components/schemas/${name}` }
  if (Array.isArray(value)) return value.map((v) => withRefs(v))
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withRefs(v)]))
  }
  return value
}

const tagDescriptions: Record<RouteTag, string> = {
  requests: 'requests this gateway sends to partners, and their traces',
  pending: 'inbound requests held for a person to decide',
  agreements: 'cooperation agreements and their lifecycle',
  'dead-letters': 'records that could not be processed',
  health: 'probes and this document',
  operations: 'the operators’ view: status page, status view and metrics (docs/operations.md)'
}

const json = (schema: JsonSchema) => ({ 'application/json': { schema: withRefs(schema) } })

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const [operationId, route] of Object.entries(routeSpecs)) {
    const path = route.url.replace(/:([A-Za-z]+)/g, '{$1}')
    const params = 'params' in route ? (route.params.properties as Record<string, JsonSchema>) : {}
    paths[path] ??= {}
    paths[path][route.method.toLowerCase()] = {
      operationId,
      summary: route.summary,
      ...('description' in route ? { description: route.description } : {}),
      tags: [route.tag],
      security: route.open ? [] : [{ bearer: [] }],
      ...(Object.keys(params).length > 0
        ? {
            parameters: Object.entries(params).map(([name, schema]) => ({
              name,
              in: 'path',
              required: true,
              description: schema.description,
              schema: withRefs(schema)
            }))
          }
        : {}),
      ...('body' in route ? { requestBody: { required: true, content: json(route.body) } } : {}),
      responses: Object.fromEntries(
        Object.entries(route.responses).map(
          ([status, answer]: [string, { description: string; schema: JsonSchema }]) => [
            status,
            {
              description: answer.description,
              content: 'contentType' in route ? { [route.contentType]: { schema: answer.schema } } : json(answer.schema)
            }
          ]
        )
      )
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'MCX ACM Gateway API',
      version: packageJson.version,
      description:
        'The API a local MCX core uses to send ACM requests to partner systems, follow them, decide pending ' +
        'requests, change cooperation and handle dead letters. Errors answer {"error":{"code","message","path"}} ' +
        'with a stable code (docs/api.md).',
      license: { name: packageJson.license, identifier: packageJson.license }
    },
    servers: [{ url: 'http://127.0.0.1:8080', description: 'the default listener (http.host, http.port)' }],
    tags: Object.entries(tagDescriptions).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'the token in http.tokenFile; required on /v1 when that is set'
        }
      },
      schemas: Object.fromEntries(Object.entries(namedSchemas).map(([name, schema]) => [name, withRefs(schema, name)]))
    }
  }
}
