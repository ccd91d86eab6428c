/** PMQ's get_will_messages: the clients holding a will, with its topic and message. */
import type { RouteModule } from '../context'

const WILL_SCHEMA = {
  type: 'object',
  properties: {
    clientid: { type: 'string' },
    connected: { type: 'boolean' },
    topic: { type: 'string' },
    payload: { type: 'string', description: 'base64' },
    qos: { type: 'integer' },
    retain: { type: 'boolean' },
    delay_interval: { type: 'integer', description: 'v5 Will Delay Interval, seconds' }
  }
} as const

export const willRoutes: RouteModule = (app, { broker }) => {
  app.get(
    '/wills',
    {
      schema: {
        tags: ['Clients'],
        summary: "Clients with a will: its topic and message (PMQ's get_will_messages)",
        response: { 200: { type: 'array', items: WILL_SCHEMA } }
      }
    },
    async () =>
      broker.listWills().map((will) => ({
        clientid: will.clientId,
        connected: will.connected,
        topic: will.topic,
        payload: Buffer.from(will.payload).toString('base64'),
        qos: will.qos,
        retain: will.retain,
        delay_interval: will.delayInterval
      }))
  )
}
