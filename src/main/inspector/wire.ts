/**
 * Broker types → the JSON rows the UI receives (and the one way back, a publish command → a
 * PublishRequest). Bytes become base64; anything unbounded (long topics, huge properties) is cut
 * here so one packet can never make a row large.
 */
import type { ClientDetailsRow, JsonMessageProperties, PendingMessageRow, PublishCommand, RetainedRow, TrafficRow } from '../../shared/api'
import type {
  BrokerStats,
  ClientDetails,
  MessageProperties,
  PacketRecord,
  PendingMessageInfo,
  PublishRequest,
  RetainedInfo
} from '../../shared/broker-types'

/**
 * Per-row text bounds: topics may be 64 KiB (and SUBSCRIBE rows join every filter), v5 user
 * properties can fill a packet. Without these a 10 000-row ring could hold gigabytes of text.
 */
export const MAX_ROW_TOPIC_CHARS = 1024
export const MAX_ROW_PROPERTY_CHARS = 2048

/** A traffic row for a packet (without its payload preview: that is made only for rows that are sent). */
export function trafficRow(id: number, time: number, packet: PacketRecord): TrafficRow {
  const row: TrafficRow = {
    id,
    time,
    direction: packet.direction,
    clientId: packet.clientId,
    type: packet.type,
    size: packet.size
  }
  if (packet.packetId !== undefined) row.packetId = packet.packetId
  if (packet.topic !== undefined) {
    row.topic = packet.topic.length > MAX_ROW_TOPIC_CHARS ? `${packet.topic.slice(0, MAX_ROW_TOPIC_CHARS)}…` : packet.topic
  }
  if (packet.qos !== undefined) row.qos = packet.qos
  if (packet.retain !== undefined) row.retain = packet.retain
  if (packet.dup !== undefined) row.dup = packet.dup
  if (packet.reasonCode !== undefined) row.reasonCode = packet.reasonCode
  if (packet.properties !== undefined) row.properties = rowProperties(packet.properties)
  return row
}

export function toPublishRequest(command: PublishCommand): PublishRequest {
  const request: PublishRequest = {
    topic: command.topic,
    payload: Buffer.from(command.payload, command.payloadEncoding === 'base64' ? 'base64' : 'utf8'),
    qos: command.qos,
    retain: command.retain
  }
  if (command.properties !== undefined) {
    const { correlationData, ...rest } = command.properties
    const properties: MessageProperties = { ...rest }
    if (correlationData !== undefined) properties.correlationData = Buffer.from(correlationData, 'base64')
    request.properties = properties
  }
  return request
}

export function jsonMessageProperties(properties: MessageProperties): JsonMessageProperties {
  const { correlationData, ...rest } = properties
  const out: JsonMessageProperties = { ...rest }
  if (correlationData !== undefined) out.correlationData = Buffer.from(correlationData).toString('base64')
  return out
}

export function clientDetailsRow(details: ClientDetails): ClientDetailsRow {
  const pending = (message: PendingMessageInfo): PendingMessageRow => ({
    ...message,
    preview: base64Preview(message.preview, message.preview.length)
  })
  const will = details.will
  return {
    ...details,
    will: will
      ? { ...will, preview: base64Preview(will.preview, will.preview.length), properties: jsonMessageProperties(will.properties) }
      : null,
    inflight: details.inflight.map(pending),
    queued: details.queued.map(pending)
  }
}

export function retainedRow(info: RetainedInfo, previewBytes: number): RetainedRow {
  return {
    topic: info.topic,
    qos: info.qos,
    size: info.size,
    preview: base64Preview(info.preview, previewBytes),
    updatedAt: info.updatedAt,
    properties: jsonMessageProperties(info.properties)
  }
}

/**
 * Packet properties as JSON (bytes such as correlation data become base64), or, past
 * MAX_ROW_PROPERTY_CHARS, a marker with their approximate size.
 */
export function rowProperties(properties: Record<string, unknown>): Record<string, unknown> {
  const budget = { left: MAX_ROW_PROPERTY_CHARS }
  const converted = jsonRecord(properties, 0, budget)
  if (budget.left >= 0) return converted
  return { truncated: true, approximateChars: MAX_ROW_PROPERTY_CHARS - budget.left }
}

interface Budget {
  left: number
}

function jsonRecord(properties: Record<string, unknown>, depth: number, budget: Budget): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(properties)) {
    budget.left -= key.length
    const value = jsonValue(properties[key], depth + 1, budget)
    if (value !== undefined) out[key] = value
    // Over budget: the caller discards the result, so stop converting now.
    if (budget.left < 0) break
  }
  return out
}

function jsonValue(value: unknown, depth: number, budget: Budget): unknown {
  if (value === null || typeof value === 'boolean') {
    budget.left -= 5
    return value
  }
  if (typeof value === 'string') {
    budget.left -= value.length
    return value
  }
  if (typeof value === 'number') {
    budget.left -= 8
    return Number.isFinite(value) ? value : String(value)
  }
  if (typeof value === 'bigint') return jsonValue(value.toString(), depth, budget)
  if (value instanceof Uint8Array) {
    budget.left -= Math.ceil(value.byteLength / 3) * 4
    // Never encode a huge blob only to throw it away.
    if (budget.left < 0) return undefined
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')
  }
  // Properties are shallow (user properties are one level deeper); anything deeper is not MQTT data.
  if (depth > 4) return undefined
  if (Array.isArray(value)) {
    const out: unknown[] = []
    for (const item of value) {
      out.push(jsonValue(item, depth + 1, budget) ?? null)
      if (budget.left < 0) break
    }
    return out
  }
  if (typeof value === 'object') return jsonRecord(value as Record<string, unknown>, depth, budget)
  return undefined
}

export function base64Preview(payload: Uint8Array, previewBytes: number): string {
  const view = Buffer.from(payload.buffer, payload.byteOffset, Math.min(payload.byteLength, previewBytes))
  return view.toString('base64')
}

export interface RateBase {
  time: number
  publishReceived: number
  publishSent: number
  bytesReceived: number
  bytesSent: number
}

export function rateBase(stats: BrokerStats, time: number): RateBase {
  return {
    time,
    publishReceived: stats.publishReceived,
    publishSent: stats.publishSent,
    bytesReceived: stats.bytesReceived,
    bytesSent: stats.bytesSent
  }
}
