/** EMQX's retainer: list retained messages, read one (payload base64), delete one. */
import type { RouteModule } from '../context'
import { apiError } from '../context'
import { emqxRetained, isoTime, paginate } from '../emqx-shapes'
import { ERROR_SCHEMA, PAGE_QUERY, pageOf } from '../schemas'

const TAGS = ['Retained messages']
const RETAINED_SCHEMA = {
  type: 'object',
  properties: {
    topic: { type: 'string' },
    qos: { type: 'integer' },
    payload_size: { type: 'integer' },
    publish_at: { type: 'string', format: 'date-time' }
  }
} as const
const MESSAGE_SCHEMA = {
  type: 'object',
  properties: { ...RETAINED_SCHEMA.properties, payload: { type: 'string', description: 'base64' } }
} as const
// The topic is one path segment, URL-encoded (a/b as a%2Fb), as EMQX wants it.
const TOPIC_PARAMS = {
  type: 'object',
  properties: { topic: { type: 'string', minLength: 1, description: 'the topic, URL-encoded (a%2Fb for a/b)' } },
  required: ['topic']
} as const

export const retainerRoutes: RouteModule = (app, { broker }) => {
  app.get<{ Querystring: { page: number; limit: number; topic?: string } }>(
    '/mqtt/retainer/messages',
    {
      schema: {
        tags: TAGS,
        summary: 'Retained messages (without payloads)',
        querystring: { type: 'object', additionalProperties: false, properties: { ...PAGE_QUERY } },
        response: { 200: pageOf(RETAINED_SCHEMA) }
      }
    },
    async (request) => {
      const rows = broker
        .listRetained()
        .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0))
        .map(emqxRetained)
      return paginate(rows, request.query.page, request.query.limit)
    }
  )

  app.get<{ Params: { topic: string } }>(
    '/mqtt/retainer/message/:topic',
    {
      schema: {
        tags: TAGS,
        summary: 'One retained message, payload in base64',
        params: TOPIC_PARAMS,
        response: { 200: MESSAGE_SCHEMA, 404: ERROR_SCHEMA }
      }
    },
    async (request, reply) => {
      const topic = request.params.topic
      const message = broker.getRetained(topic)
      if (message === null) return reply.code(404).send(apiError('NOT_FOUND', `no retained message on "${topic}"`))
      return {
        topic: message.topic,
        qos: message.qos,
        payload_size: message.size,
        publish_at: isoTime(message.updatedAt),
        payload: Buffer.from(message.payload).toString('base64')
      }
    }
  )

  app.delete<{ Params: { topic: string } }>(
    '/mqtt/retainer/message/:topic',
    {
      schema: {
        tags: TAGS,
        summary: 'Delete one retained message',
        params: TOPIC_PARAMS,
        response: { 204: { type: 'null', description: 'deleted' }, 404: ERROR_SCHEMA }
      }
    },
    async (request, reply) => {
      const topic = request.params.topic
      if (!broker.deleteRetained(topic)) return reply.code(404).send(apiError('NOT_FOUND', `no retained message on "${topic}"`))
      return reply.code(204).send()
    }
  )
}
