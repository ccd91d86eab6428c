/**
 * EMQX's /publish and /publish/bulk: publish as the broker. 200 when the message reached at least
 * one subscriber, 202 with reason code 16 when none matched (as EMQX 5 answers); bad input 400,
 * naming the field (body.properties.user_properties.a: …).
 */
import { randomUUID } from 'node:crypto'
import type { PublishRequest, QoS } from '../../../shared/broker-types'
import type { ApiContext, RouteModule } from '../context'
import { apiError } from '../context'
import { type ApiPublishProperties, checkMqttString, toMessageProperties } from '../publish-properties'
import { ERROR_SCHEMA, PUBLISH_MESSAGE_SCHEMA, PUBLISH_RESULT_SCHEMA } from '../schemas'

interface PublishBody {
  topic: string
  payload: string
  payload_encoding: 'plain' | 'base64'
  qos: QoS
  retain: boolean
  clientid?: string
  properties?: ApiPublishProperties
}

type Outcome =
  | { ok: true; delivered: boolean; result: { id: string; reason_code?: number; message?: string } }
  | { ok: false; message: string }

/** Check one message (field names prefixed with `at`) and publish it. */
function publishOne(body: PublishBody, at: string, { broker }: ApiContext): Outcome {
  const problem = checkMessage(body, at)
  if (problem) return { ok: false, message: problem }
  const properties = toMessageProperties(body.properties)
  const request: PublishRequest = {
    topic: body.topic,
    payload: body.payload_encoding === 'base64' ? Buffer.from(body.payload, 'base64') : body.payload,
    qos: body.qos,
    retain: body.retain,
    properties: properties.ok ? properties.properties : undefined
  }
  let recipients: number
  try {
    recipients = broker.publish(request)
  } catch (err) {
    // broker.publish refuses what validateTopicName refuses ("topic must not contain wildcards").
    return { ok: false, message: `${at}.${err instanceof Error ? err.message : String(err)}` }
  }
  const id = randomUUID()
  if (recipients > 0) return { ok: true, delivered: true, result: { id } }
  return { ok: true, delivered: false, result: { id, reason_code: 16, message: 'no_matching_subscribers' } }
}

/** What is wrong with a message beyond its schema (UTF-8 rules, wildcards, base64), or null. */
function checkMessage(body: PublishBody, at: string): string | null {
  const topicProblem = checkMqttString(body.topic)
  if (topicProblem) return `${at}.topic: ${topicProblem}`
  // [MQTT-3.3.2-2] a topic name has no wildcards.
  if (/[+#]/.test(body.topic)) return `${at}.topic: must not contain wildcards (+ or #)`
  if (body.payload_encoding === 'base64' && !/^[A-Za-z0-9+/]*={0,2}$/.test(body.payload)) {
    return `${at}.payload: is not base64 (payload_encoding is base64)`
  }
  const properties = toMessageProperties(body.properties, `${at}.properties`)
  return properties.ok ? null : `${properties.field}: ${properties.message}`
}

export const publishRoutes: RouteModule = (app, context) => {
  app.post<{ Body: PublishBody }>(
    '/publish',
    {
      schema: {
        tags: ['Publish'],
        summary: 'Publish a message as the broker',
        body: PUBLISH_MESSAGE_SCHEMA,
        response: {
          200: { ...PUBLISH_RESULT_SCHEMA, description: 'delivered to at least one subscriber' },
          202: { ...PUBLISH_RESULT_SCHEMA, description: 'accepted, but no subscriber matched (reason_code 16)' },
          400: ERROR_SCHEMA
        }
      }
    },
    async (request, reply) => {
      const outcome = publishOne(request.body, 'body', context)
      if (!outcome.ok) return reply.code(400).send(apiError('BAD_REQUEST', outcome.message))
      return reply.code(outcome.delivered ? 200 : 202).send(outcome.result)
    }
  )

  app.post<{ Body: PublishBody[] }>(
    '/publish/bulk',
    {
      schema: {
        tags: ['Publish'],
        summary: 'Publish several messages; all are checked before any is sent',
        body: { type: 'array', minItems: 1, maxItems: 10000, items: PUBLISH_MESSAGE_SCHEMA },
        response: {
          200: { type: 'array', items: PUBLISH_RESULT_SCHEMA, description: 'at least one message reached a subscriber' },
          202: { type: 'array', items: PUBLISH_RESULT_SCHEMA, description: 'no message reached a subscriber' },
          400: ERROR_SCHEMA
        }
      }
    },
    async (request, reply) => {
      // Check everything first, so a bad message in the middle does not leave half the batch sent.
      for (const [index, body] of request.body.entries()) {
        const problem = checkMessage(body, `body/${index}`)
        if (problem) return reply.code(400).send(apiError('BAD_REQUEST', problem))
      }
      const results: Array<{ id: string; reason_code?: number; message?: string }> = []
      let delivered = false
      for (const [index, body] of request.body.entries()) {
        const outcome = publishOne(body, `body/${index}`, context)
        if (!outcome.ok) return reply.code(400).send(apiError('BAD_REQUEST', outcome.message))
        delivered ||= outcome.delivered
        results.push(outcome.result)
      }
      return reply.code(delivered ? 200 : 202).send(results)
    }
  )
}
