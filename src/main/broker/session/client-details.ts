/**
 * One session in full, for BrokerControl.clientDetails (the inspector's client panel): what its
 * connection announced and was told, its will, and the messages it holds for the client. Reads
 * the session and connection; changes nothing. Lists are cut to `maxMessages` each.
 */
import type { ClientDetails, ClientInfo, PendingMessageInfo, SubscriptionInfo } from '../../../shared/broker-types'
import type { Message } from '../message'
import type { Delivery, InflightEntry, Session } from './session'

/** Bytes of a will or pending message payload the details carry. */
const PREVIEW_BYTES = 4096

export function describeClient(
  session: Session,
  client: ClientInfo,
  subscriptions: SubscriptionInfo[],
  maxMessages: number
): ClientDetails {
  const connection = session.connection
  const will = session.will
  const inflight = first(session.inflightEntries(), maxMessages, (entry: InflightEntry) => pending(entry, entry.packetId, entry.state))
  const queued = first(session.queuedDeliveries(), maxMessages, (delivery: Delivery) => pending(delivery, null, 'queued'))
  return {
    client,
    announced: connection
      ? {
          receiveMaximum: connection.clientReceiveMaximum,
          maximumPacketSize: connection.clientMaximumPacketSize,
          topicAliasMaximum: connection.clientTopicAliasMaximum
        }
      : null,
    limits: connection ? { ...connection.limits } : null,
    will: will
      ? {
          topic: will.message.topic,
          qos: will.message.qos,
          retain: will.message.retain,
          size: will.message.payload.length,
          preview: preview(will.message),
          delaySeconds: will.delaySeconds,
          properties: will.message.properties ?? {}
        }
      : null,
    subscriptions,
    inflight,
    queued,
    inflightNotListed: session.inflightCount - inflight.length,
    queuedNotListed: session.queuedCount - queued.length
  }
}

function pending(delivery: Delivery, packetId: number | null, state: PendingMessageInfo['state']): PendingMessageInfo {
  const message = delivery.message
  return {
    topic: message.topic,
    qos: delivery.qos,
    retain: delivery.retain,
    size: message.payload.length,
    packetId,
    state,
    createdAt: message.createdAt,
    preview: preview(message)
  }
}

function preview(message: Message): Uint8Array {
  // A copy: the payload buffer may be reused or released once the message is gone.
  return Buffer.from(message.payload.subarray(0, PREVIEW_BYTES))
}

function first<T>(items: Iterable<T>, max: number, map: (item: T) => PendingMessageInfo): PendingMessageInfo[] {
  const out: PendingMessageInfo[] = []
  for (const item of items) {
    if (out.length >= max) break
    out.push(map(item))
  }
  return out
}
