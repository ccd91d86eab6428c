/**
 * The recording file: JSON Lines, one JSON object a line.
 *
 *   {"format":"brokerscope-recording","version":1,"source":"broker","startedAt":…}          header
 *   {"time":…,"direction":"in","clientId":"s1","type":"publish","size":31,"topic":"a/b",
 *    "qos":1,"retain":false,"dup":false,"packetId":1,"payload":"21.5"}                        one per packet
 *   {"format":"brokerscope-recording-end","endedAt":…,"written":…,"notWritten":…,"reason":"stopped"}
 *
 * `direction` is always the broker's view: "in" = client → broker. A `source: "subscriber"`
 * recording (`brokerscope record`) holds what one subscribing client saw: the messages are "out"
 * packets to it. Payloads are UTF-8 text when they are valid UTF-8, else base64 with
 * `"payloadEncoding":"base64"`; byte-valued properties (correlation data) are base64. A file cut
 * short (a crash, a full disk) is still readable up to its last complete line.
 */
import type { PacketRecord, QoS } from '../../../shared/broker-types'

export const RECORDING_FORMAT = 'brokerscope-recording'
export const RECORDING_END_FORMAT = 'brokerscope-recording-end'
export const RECORDING_VERSION = 1

export interface RecordingHeader {
  format: typeof RECORDING_FORMAT
  version: typeof RECORDING_VERSION
  /** 'broker': every packet of this broker; 'subscriber': what one subscribing client received. */
  source: 'broker' | 'subscriber'
  startedAt: number
  /** For 'subscriber': the broker URL and the filters subscribed to. */
  url?: string
  topics?: string[]
  clientId?: string
}

export interface RecordedPacket {
  time: number
  direction: 'in' | 'out'
  clientId: string
  type: string
  size: number
  packetId?: number
  topic?: string
  qos?: QoS
  retain?: boolean
  dup?: boolean
  reasonCode?: number
  properties?: Record<string, unknown>
  payload?: string
  payloadEncoding?: 'base64'
}

export interface RecordingTrailer {
  format: typeof RECORDING_END_FORMAT
  endedAt: number
  written: number
  notWritten: number
  reason: string
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** A broker packet event as a recording line's object. */
export function recordedPacket(packet: PacketRecord, time: number): RecordedPacket {
  const out: RecordedPacket = { time, direction: packet.direction, clientId: packet.clientId, type: packet.type, size: packet.size }
  if (packet.packetId !== undefined) out.packetId = packet.packetId
  if (packet.topic !== undefined) out.topic = packet.topic
  if (packet.qos !== undefined) out.qos = packet.qos
  if (packet.retain !== undefined) out.retain = packet.retain
  if (packet.dup !== undefined) out.dup = packet.dup
  if (packet.reasonCode !== undefined) out.reasonCode = packet.reasonCode
  if (packet.properties !== undefined) {
    const properties = jsonProperties(packet.properties)
    if (Object.keys(properties).length > 0) out.properties = properties
  }
  if (packet.payload !== undefined) Object.assign(out, encodePayload(packet.payload))
  return out
}

export function encodePayload(payload: Uint8Array): { payload: string; payloadEncoding?: 'base64' } {
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)
  try {
    return { payload: utf8.decode(bytes) }
  } catch {
    return { payload: bytes.toString('base64'), payloadEncoding: 'base64' }
  }
}

export function decodePayload(record: { payload?: string; payloadEncoding?: string }): Buffer {
  if (record.payload === undefined) return Buffer.alloc(0)
  return Buffer.from(record.payload, record.payloadEncoding === 'base64' ? 'base64' : 'utf8')
}

/** Keys whose values are bytes on the wire: base64 in the file. */
export const BYTE_PROPERTIES = new Set(['correlationData', 'authenticationData'])

/** Packet properties as JSON: bytes as base64, the duplicate ordered user-property list left out. */
export function jsonProperties(properties: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(properties)) {
    if (value === undefined || key === 'userPropertyList') continue
    if (value instanceof Uint8Array) out[key] = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')
    else if (typeof value === 'bigint') out[key] = value.toString()
    else out[key] = value
  }
  return out
}

/** The reverse of jsonProperties for the byte-valued keys. */
export function wireProperties(properties: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (properties === undefined) return undefined
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(properties)) {
    out[key] = BYTE_PROPERTIES.has(key) && typeof value === 'string' ? Buffer.from(value, 'base64') : value
  }
  return out
}
