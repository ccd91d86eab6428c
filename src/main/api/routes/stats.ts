/**
 * EMQX's /stats (gauges) and /metrics (counters) as JSON, with EMQX's dotted names, one object per
 * node (`[{ node, … }]`) or, with ?aggregate=true, the object alone; and the Prometheus text format
 * at EMQX's /prometheus/stats (also at /metrics outside /api/v5, see server.ts).
 */
import type { BrokerStats } from '../../../shared/broker-types'
import type { RouteModule } from '../context'
import { NODE_NAME } from '../emqx-shapes'
import { PROMETHEUS_CONTENT_TYPE } from '../prometheus'

export function emqxStats(stats: BrokerStats): Record<string, number> {
  return {
    'connections.count': stats.clientsConnected,
    'connections.max': stats.clientsMaximum,
    'live_connections.count': stats.clientsConnected,
    'live_connections.max': stats.clientsMaximum,
    'sessions.count': stats.clientsConnected + stats.clientsDisconnected,
    'subscriptions.count': stats.subscriptionCount,
    'subscriptions.shared.count': stats.sharedSubscriptionCount,
    'retained.count': stats.retainedCount,
    'messages.stored.count': stats.storedMessages,
    'messages.stored.bytes': stats.storedBytes,
    'messages.inflight.count': stats.inflight
  }
}

export function emqxMetrics(stats: BrokerStats): Record<string, number> {
  const metrics: Record<string, number> = {
    'bytes.received': stats.bytesReceived,
    'bytes.sent': stats.bytesSent,
    'packets.received': stats.messagesReceived,
    'packets.sent': stats.messagesSent,
    'packets.publish.received': stats.publishReceived,
    'packets.publish.sent': stats.publishSent,
    'messages.received': stats.publishReceived,
    'messages.sent': stats.publishSent,
    'messages.dropped': stats.publishDropped,
    'messages.payload.bytes.received': stats.publishBytesReceived,
    'messages.payload.bytes.sent': stats.publishBytesSent,
    'client.connected': stats.connectionsTotal,
    'client.sessions.total': stats.clientsTotal,
    'session.expired': stats.clientsExpired,
    'sockets.opened': stats.socketsTotal
  }
  for (const [reason, count] of Object.entries(stats.droppedByReason)) metrics[`messages.dropped.${reason}`] = count
  for (const [limit, count] of Object.entries(stats.limitsHit)) metrics[`limits.hit.${limit}`] = count
  return metrics
}

const AGGREGATE_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: { aggregate: { type: 'boolean', default: false, description: 'true: one object instead of a list per node' } }
} as const

const numbers = { type: 'object', additionalProperties: { type: 'number' } } as const
const perNode = {
  oneOf: [numbers, { type: 'array', items: { type: 'object', additionalProperties: true, properties: { node: { type: 'string' } } } }]
} as const

export const statsRoutes: RouteModule = (app, { broker, metrics }) => {
  app.get<{ Querystring: { aggregate: boolean } }>(
    '/stats',
    {
      schema: {
        tags: ['Monitoring'],
        summary: 'Gauges: connections, sessions, subscriptions, retained and stored messages',
        querystring: AGGREGATE_QUERY,
        response: { 200: perNode }
      }
    },
    async (request) => {
      const stats = emqxStats(broker.stats())
      return request.query.aggregate ? stats : [{ node: NODE_NAME, ...stats }]
    }
  )

  app.get<{ Querystring: { aggregate: boolean } }>(
    '/metrics',
    {
      schema: {
        tags: ['Monitoring'],
        summary: 'Counters: bytes, packets, messages, drops by reason, limits hit',
        querystring: AGGREGATE_QUERY,
        response: { 200: perNode }
      }
    },
    async (request) => {
      const counters = emqxMetrics(broker.stats())
      return request.query.aggregate ? counters : [{ node: NODE_NAME, ...counters }]
    }
  )

  app.get(
    '/prometheus/stats',
    {
      schema: {
        tags: ['Monitoring'],
        summary: 'Prometheus text format (same as /metrics at the root)',
        produces: ['text/plain'],
        response: { 200: { type: 'string', description: 'Prometheus text exposition format 0.0.4' } }
      }
    },
    async (_request, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(await metrics.render())
  )
}
