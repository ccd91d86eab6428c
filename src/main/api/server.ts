/**
 * The management API's HTTP server (fastify): EMQX 5 shapes under /api/v5, Prometheus at /metrics,
 * the OpenAPI document at /api/v5/openapi.json.
 *
 * Why fastify: each route is declared once with JSON schemas that fastify validates requests with
 * (ajv) and @fastify/swagger turns into the OpenAPI document, so what is documented is what is
 * enforced. Request bodies are validated strictly (no type coercion, unknown fields refused, every
 * error named: "body.qos: must be equal to one of the allowed values"); query strings are coerced
 * from text, as they must be.
 *
 * Every request passes, in order: the Origin check (403), credentials (401: nothing else runs),
 * routing (404), the schema (400), the handler. Errors are JSON in EMQX's { code, message } shape.
 */
import swagger from '@fastify/swagger'
import Ajv, { type ErrorObject } from 'ajv'
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify'
import type { BrokerControl } from '../broker/control'
import type { Logger } from '../logger'
import { checkCredentials, ownOrigins } from './auth'
import { type ApiContext, type RouteModule, apiError } from './context'
import { BrokerMetrics, PROMETHEUS_CONTENT_TYPE } from './prometheus'
import { clientRoutes } from './routes/clients'
import { publishRoutes } from './routes/publish'
import { retainerRoutes } from './routes/retainer'
import { settingsRoutes } from './routes/settings'
import { statsRoutes } from './routes/stats'
import { subscriptionRoutes } from './routes/subscriptions'
import { userRoutes } from './routes/users'
import { willRoutes } from './routes/wills'

export const API_PREFIX = '/api/v5'

const ROUTES: readonly RouteModule[] = [
  clientRoutes,
  subscriptionRoutes,
  retainerRoutes,
  publishRoutes,
  statsRoutes,
  settingsRoutes,
  userRoutes,
  willRoutes
]

/** Paths a scraper may read without credentials when settings.metricsPublic is on. */
const METRICS_PATHS = new Set(['/metrics', `${API_PREFIX}/prometheus/stats`])

export interface ApiServerOptions {
  host: string
  port: number
  logger: Logger
  version: string
}

export interface ApiServer {
  /** http://host:port */
  readonly url: string
  readonly port: number
  close(): Promise<void>
}

/** Build the app without listening (tests call inject on it; startApiServer listens). */
export async function buildApiApp(broker: BrokerControl, options: ApiServerOptions): Promise<FastifyInstance> {
  const { logger } = options
  const app = Fastify({
    logger: false,
    // A base64 payload of the largest packet the broker accepts, plus room for the JSON around it.
    bodyLimit: Math.ceil((broker.getSettings().maximumPacketSize * 4) / 3) + 64 * 1024,
    // On close (stop, or a port change made through PUT /settings itself) answers in flight still go out.
    forceCloseConnections: 'idle',
    return503OnClosing: true
  })

  const strict = new Ajv({ allErrors: true, coerceTypes: false, useDefaults: true, removeAdditional: false, strict: false })
  const lenient = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true, removeAdditional: false, strict: false })
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : lenient).compile(schema))
  app.setSchemaErrorFormatter((errors, dataVar) => new Error(describeSchemaErrors(errors as ErrorObject[], dataVar)))

  let allowedOrigins = new Set<string>()
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin
    if (origin !== undefined && !allowedOrigins.has(origin)) {
      return reply.code(403).send(apiError('FORBIDDEN', `requests from the origin ${origin} are refused`))
    }
    const path = request.url.split('?')[0]
    if (broker.getSettings().metricsPublic && METRICS_PATHS.has(path)) return
    const outcome = await checkCredentials(request.headers.authorization, broker)
    if (!outcome.ok) {
      reply.header('WWW-Authenticate', 'Basic realm="brokerscope", Bearer')
      return reply.code(401).send(apiError('UNAUTHORIZED', outcome.message))
    }
  })

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) return reply.code(400).send(apiError('BAD_REQUEST', error.message))
    const status = error.statusCode ?? 500
    if (status >= 400 && status < 500) {
      const message =
        error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error instanceof SyntaxError
          ? `body is not valid JSON: ${error.message}`
          : error.message
      return reply
        .code(status)
        .send(apiError(status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_REQUEST', message))
    }
    logger.error(`management API: ${request.method} ${request.url} failed:`, error)
    return reply.code(500).send(apiError('INTERNAL_ERROR', 'the request failed; the broker log says why'))
  })
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(apiError('NOT_FOUND', `no such endpoint: ${request.method} ${request.url.split('?')[0]}`))
  )

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'BrokerScope management API',
        version: options.version,
        description: "EMQX 5's shapes for clients, subscriptions, retained messages, publishing and monitoring; PMQ's users and wills."
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'the API key shown in Settings (settings.apiKey)' },
          basic: { type: 'http', scheme: 'basic', description: 'a user of the auth file' }
        }
      },
      security: [{ apiKey: [] }, { basic: [] }]
    }
  })

  const metrics = new BrokerMetrics(broker)
  app.addHook('onResponse', async (_request, reply) => metrics.countApiResponse(reply.statusCode))
  const context: ApiContext = { broker, metrics, logger }
  await app.register(
    async (scope) => {
      for (const routes of ROUTES) routes(scope, context)
      scope.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
    },
    { prefix: API_PREFIX }
  )
  app.get(
    '/metrics',
    { schema: { tags: ['Monitoring'], summary: 'Prometheus text format', response: { 200: { type: 'string' } } } },
    async (_request, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(await metrics.render())
  )

  app.addHook('onListen', async () => {
    const address = app.server.address()
    const port = typeof address === 'object' && address !== null ? address.port : options.port
    allowedOrigins = ownOrigins(options.host, port)
  })
  await app.ready()
  return app
}

export async function startApiServer(broker: BrokerControl, options: ApiServerOptions): Promise<ApiServer> {
  const app = await buildApiApp(broker, options)
  await app.listen({ host: options.host, port: options.port })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : options.port
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  return { url: `http://${host}:${port}`, port, close: () => app.close() }
}

/** ajv's errors as one line naming each field: "body.qos: must be one of 0, 1, 2; body.topic: is required". */
export function describeSchemaErrors(errors: readonly ErrorObject[], dataVar: string): string {
  const parts = errors.map((error) => {
    const base = [dataVar, ...error.instancePath.split('/').filter(Boolean)].join('.')
    switch (error.keyword) {
      case 'required':
        return `${base}.${String(error.params.missingProperty)}: is required`
      case 'additionalProperties':
        return `${base}.${String(error.params.additionalProperty)}: is not a known field`
      case 'enum':
        return `${base}: must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`
      default:
        return `${base}: ${error.message ?? 'is not valid'}`
    }
  })
  return [...new Set(parts)].join('; ')
}
