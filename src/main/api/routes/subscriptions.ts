/** EMQX's /subscriptions: every subscription, filtered and paged. */
import { topicMatchesFilter } from '../../broker/topics/topic-validation'
import type { RouteModule } from '../context'
import { emqxSubscription, paginate } from '../emqx-shapes'
import { PAGE_QUERY, QOS, SUBSCRIPTION_SCHEMA, pageOf } from '../schemas'

interface SubscriptionQuery {
  page: number
  limit: number
  clientid?: string
  topic?: string
  qos?: 0 | 1 | 2
  share_group?: string
  match_topic?: string
}

export const subscriptionRoutes: RouteModule = (app, { broker }) => {
  app.get<{ Querystring: SubscriptionQuery }>(
    '/subscriptions',
    {
      schema: {
        tags: ['Subscriptions'],
        summary: 'Every subscription',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...PAGE_QUERY,
            clientid: { type: 'string' },
            topic: { type: 'string', description: 'exactly this filter (as subscribed)' },
            qos: QOS,
            share_group: { type: 'string' },
            match_topic: { type: 'string', description: 'filters that match this topic' }
          }
        },
        response: { 200: pageOf(SUBSCRIPTION_SCHEMA) }
      }
    },
    async (request) => {
      const q = request.query
      const rows = broker
        .listSubscriptions()
        .filter(
          (s) =>
            (q.clientid === undefined || s.clientId === q.clientid) &&
            (q.topic === undefined || s.filter === q.topic) &&
            (q.qos === undefined || s.qos === q.qos) &&
            (q.share_group === undefined || s.shareGroup === q.share_group) &&
            (q.match_topic === undefined || topicMatchesFilter(s.topicFilter, q.match_topic))
        )
        .map(emqxSubscription)
      return paginate(rows, q.page, q.limit)
    }
  )
}
