import type { MessageProperties, QoS } from '../../shared/broker-types'
import type { EncodedPublish } from './codec/publish-encoder'

/**
 * An application message as the broker holds it between receipt and delivery (and in the retained
 * store). Immutable once created: every subscriber shares the same object, and an encoded PUBLISH
 * can be cached on it.
 */
export interface Message {
  readonly topic: string
  /** May be a view into the socket chunk it arrived in; see detachPayload. */
  payload: Buffer
  readonly qos: QoS
  readonly retain: boolean
  /** v5 properties passed through unchanged (mqtt-packet's names); messageExpiryInterval is rewritten on delivery. */
  readonly properties: MessageProperties | undefined
  /** Epoch ms after which the message must not be delivered, or 0 for never. */
  readonly expiresAt: number
  /** Client that published it, or null for the broker itself ($SYS, the UI). */
  readonly origin: string | null
  readonly createdAt: number
  /** Encoded PUBLISH templates shared by every subscriber that gets the same bytes (see outbound.ts). */
  templates: Array<EncodedPublish | undefined> | undefined
  /** Its record id in the store while durable sessions hold it (0: not stored; negative: written inside its delivery records); see persistence/. */
  storeId: number
  /** How many durable deliveries refer to that record. */
  storeRefs: number
}

export function createMessage(fields: {
  topic: string
  payload: Buffer
  qos: QoS
  retain: boolean
  properties?: MessageProperties
  origin: string | null
  now: number
}): Message {
  const expiry = fields.properties?.messageExpiryInterval
  return {
    topic: fields.topic,
    payload: fields.payload,
    qos: fields.qos,
    retain: fields.retain,
    properties: fields.properties,
    expiresAt: expiry !== undefined ? fields.now + expiry * 1000 : 0,
    origin: fields.origin,
    createdAt: fields.now,
    templates: undefined,
    storeId: 0,
    storeRefs: 0
  }
}

export function isExpired(message: Message, now: number): boolean {
  return message.expiresAt !== 0 && now >= message.expiresAt
}

/** Seconds of life left, for the Message Expiry Interval sent on delivery [MQTT-3.3.2-6]. */
export function remainingExpirySeconds(message: Message, now: number): number | undefined {
  if (message.expiresAt === 0) return undefined
  return Math.max(0, Math.ceil((message.expiresAt - now) / 1000))
}

/**
 * A received payload is a view into the socket chunk it arrived in (zero-copy on the fast path).
 * Before a message is kept for longer than this tick (queued, in flight), give it its own
 * memory, so a 64-byte message does not pin a 64 KiB chunk while a client is away.
 */
export function detachPayload(message: Message): void {
  const payload = message.payload
  if (payload.buffer.byteLength > payload.length + 64) {
    const own = Buffer.allocUnsafeSlow(payload.length)
    payload.copy(own)
    message.payload = own
  }
}

/**
 * For a message kept for long (queued for a client that is away): besides its payload, its
 * encoded PUBLISH templates must not pin the 8 KiB pool slab Buffer.allocUnsafe cut them from
 * (one small template would keep a whole slab alive for as long as the message waits).
 */
export function keepForLater(message: Message): void {
  detachPayload(message)
  const templates = message.templates
  if (templates === undefined) return
  for (let i = 0; i < templates.length; i++) {
    const template = templates[i]
    if (template === undefined) continue
    const bytes = template.bytes
    if (bytes.buffer.byteLength > bytes.length + 64) {
      const own = Buffer.allocUnsafeSlow(bytes.length)
      bytes.copy(own)
      templates[i] = { ...template, bytes: own }
    }
  }
}
