/** EMQX's /clients: list with filters and pages, one client, kick, its subscriptions, subscribe and unsubscribe. */
import type { AdminSubscribeRequest, QoS } from '../../../shared/broker-types'
import { type ApiContext, type RouteModule, apiError } from '../context'
import { emqxClient, emqxSubscription, paginate } from '../emqx-shapes'
import { CLIENT_ID_PARAMS, CLIENT_SCHEMA, ERROR_SCHEMA, PAGE_QUERY, QOS, SUBSCRIPTION_SCHEMA, pageOf } from '../schemas'

interface ClientQuery {
  page: number
  limit: number
  clientid?: string
  username?: string
  like_clientid?: string
  like_username?: string
  conn_state?: 'connected' | 'disconnected'
}

interface SubscribeBody {
  topic: string
  qos: QoS
  nl?: 0 | 1
  rap?: 0 | 1
  rh?: 0 | 1 | 2
}

const TAGS = ['Clients']
const notFound = (clientId: string) => apiError('CLIENTID_NOT_FOUND', `no client or session "${clientId}"`)

export const clientRoutes: RouteModule = (app, { broker }: ApiContext) => {
  app.get<{ Querystring: ClientQuery }>(
    '/clients',
    {
      schema: {
        tags: TAGS,
        summary: 'Clients: connected ones and offline sessions',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...PAGE_QUERY,
            clientid: { type: 'string', description: 'exactly this client id' },
            username: { type: 'string', description: 'exactly this user name' },
            like_clientid: { type: 'string', description: 'client ids containing this text' },
            like_username: { type: 'string', description: 'user names containing this text' },
            conn_state: { type: 'string', enum: ['connected', 'disconnected'] }
          }
        },
        response: { 200: pageOf(CLIENT_SCHEMA) }
      }
    },
    async (request) => {
      const q = request.query
      const rows = broker
        .listClients()
        .filter(
          (c) =>
            (q.clientid === undefined || c.clientId === q.clientid) &&
            (q.username === undefined || c.username === q.username) &&
            (q.like_clientid === undefined || c.clientId.includes(q.like_clientid)) &&
            (q.like_username === undefined || (c.username ?? '').includes(q.like_username)) &&
            (q.conn_state === undefined || c.connected === (q.conn_state === 'connected'))
        )
        .sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0))
        .map(emqxClient)
      return paginate(rows, q.page, q.limit)
    }
  )

  app.get<{ Params: { clientid: string } }>(
    '/clients/:clientid',
    { schema: { tags: TAGS, summary: 'One client', params: CLIENT_ID_PARAMS, response: { 200: CLIENT_SCHEMA, 404: ERROR_SCHEMA } } },
    async (request, reply) => {
      const client = broker.getClient(request.params.clientid)
      if (client === null) return reply.code(404).send(notFound(request.params.clientid))
      return emqxClient(client)
    }
  )

  app.delete<{ Params: { clientid: string } }>(
    '/clients/:clientid',
    {
      schema: {
        tags: TAGS,
        summary: 'Kick a client (v5: DISCONNECT 0x98; its will is sent) or remove an offline session',
        params: CLIENT_ID_PARAMS,
        response: { 204: { type: 'null', description: 'kicked, or the offline session removed' }, 404: ERROR_SCHEMA }
      }
    },
    async (request, reply) => {
      const id = request.params.clientid
      if (!broker.disconnectClient(id) && !broker.deleteSession(id)) return reply.code(404).send(notFound(id))
      return reply.code(204).send()
    }
  )

  app.get<{ Params: { clientid: string } }>(
    '/clients/:clientid/subscriptions',
    {
      schema: {
        tags: TAGS,
        summary: "A client's subscriptions",
        params: CLIENT_ID_PARAMS,
        response: { 200: { type: 'array', items: SUBSCRIPTION_SCHEMA }, 404: ERROR_SCHEMA }
      }
    },
    async (request, reply) => {
      const id = request.params.clientid
      if (broker.getClient(id) === null) return reply.code(404).send(notFound(id))
      return broker
        .listSubscriptions()
        .filter((s) => s.clientId === id)
        .map(emqxSubscription)
    }
  )

  app.post<{ Params: { clientid: string }; Body: SubscribeBody }>(
    '/clients/:clientid/subscribe',
    {
      schema: {
        tags: TAGS,
        summary: "Subscribe a client's session to a filter, as its own SUBSCRIBE would (retained messages follow)",
        params: CLIENT_ID_PARAMS,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['topic'],
          properties: {
            topic: { type: 'string', minLength: 1 },
            qos: { ...QOS, default: 0 },
            nl: { type: 'integer', enum: [0, 1], description: 'No Local (v5 sessions)' },
            rap: { type: 'integer', enum: [0, 1], description: 'Retain As Published (v5 sessions)' },
            rh: { type: 'integer', enum: [0, 1, 2], description: 'Retain Handling (v5 sessions)' }
          }
        },
        response: {
          200: { type: 'object', properties: { clientid: { type: 'string' }, topic: { type: 'string' }, qos: { type: 'integer' } } },
          400: ERROR_SCHEMA,
          404: ERROR_SCHEMA
        }
      }
    },
    async (request, reply) => {
      const id = request.params.clientid
      const body = request.body
      const subscription: AdminSubscribeRequest = {
        topic: body.topic,
        qos: body.qos,
        noLocal: body.nl === 1,
        retainAsPublished: body.rap === 1,
        retainHandling: body.rh ?? 0
      }
      const results = broker.subscribeClient(id, [subscription])
      if (results === null) return reply.code(404).send(notFound(id))
      const [result] = results
      if (!result.ok) return reply.code(400).send(apiError('BAD_REQUEST', `topic: ${result.reason}`))
      return { clientid: id, topic: result.topic, qos: result.qos }
    }
  )

  app.post<{ Params: { clientid: string }; Body: { topic: string } }>(
    '/clients/:clientid/unsubscribe',
    {
      schema: {
        tags: TAGS,
        summary: "Remove a filter from a client's session",
        params: CLIENT_ID_PARAMS,
        body: { type: 'object', additionalProperties: false, required: ['topic'], properties: { topic: { type: 'string', minLength: 1 } } },
        response: { 204: { type: 'null', description: 'unsubscribed' }, 404: ERROR_SCHEMA }
      }
    },
    async (request, reply) => {
      const id = request.params.clientid
      const removed = broker.unsubscribeClient(id, [request.body.topic])
      if (removed === null) return reply.code(404).send(notFound(id))
      if (!removed[0]) return reply.code(404).send(apiError('NOT_FOUND', `client "${id}" has no subscription "${request.body.topic}"`))
      return reply.code(204).send()
    }
  )
}
