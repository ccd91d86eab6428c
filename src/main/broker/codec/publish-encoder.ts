import type { MessageProperties, QoS } from '../../../shared/broker-types'
import { MAX_REMAINING_LENGTH } from '../../../shared/mqtt-wire'

/**
 * The outgoing PUBLISH encoder. It lives beside mqtt-packet (used for every other packet) because
 * PUBLISH is the hot path: the broker encodes one template per message variant and shares it
 * among subscribers, copying it only to patch in a packet identifier. Golden-byte tests check it
 * against mqtt-packet's generator.
 */

export interface PublishFields {
  topic: string
  payload: Buffer
  qos: QoS
  retain: boolean
  dup: boolean
  /** v5 only; undefined for 3.1/3.1.1. */
  properties?: OutgoingPublishProperties
}

export interface OutgoingPublishProperties extends MessageProperties {
  topicAlias?: number
  subscriptionIdentifiers?: readonly number[]
}

export interface EncodedPublish {
  bytes: Buffer
  /** Offset of the two packet-identifier bytes, or -1 for QoS 0. */
  packetIdOffset: number
}

const PROPERTY = {
  payloadFormatIndicator: 0x01,
  messageExpiryInterval: 0x02,
  contentType: 0x03,
  responseTopic: 0x08,
  correlationData: 0x09,
  subscriptionIdentifier: 0x0b,
  topicAlias: 0x23,
  userProperty: 0x26
} as const

function varIntSize(value: number): number {
  if (value < 128) return 1
  if (value < 16384) return 2
  if (value < 2097152) return 3
  return 4
}

function writeVarInt(buffer: Buffer, offset: number, value: number): number {
  do {
    let byte = value % 128
    value = Math.floor(value / 128)
    if (value > 0) byte |= 0x80
    buffer[offset++] = byte
  } while (value > 0)
  return offset
}

function writeString(buffer: Buffer, offset: number, value: string, byteLength: number): number {
  buffer.writeUInt16BE(byteLength, offset)
  buffer.write(value, offset + 2, byteLength, 'utf8')
  return offset + 2 + byteLength
}

/** Size of the v5 property block (without its own length prefix). */
function propertiesSize(p: OutgoingPublishProperties): number {
  let size = 0
  if (p.payloadFormatIndicator !== undefined) size += 2
  if (p.messageExpiryInterval !== undefined) size += 5
  if (p.contentType !== undefined) size += 3 + Buffer.byteLength(p.contentType)
  if (p.responseTopic !== undefined) size += 3 + Buffer.byteLength(p.responseTopic)
  if (p.correlationData !== undefined) size += 3 + p.correlationData.length
  if (p.subscriptionIdentifiers) {
    for (const id of p.subscriptionIdentifiers) size += 1 + varIntSize(id)
  }
  if (p.topicAlias !== undefined) size += 3
  if (p.userPropertyList) {
    for (const [name, value] of p.userPropertyList) size += 5 + Buffer.byteLength(name) + Buffer.byteLength(value)
  } else if (p.userProperties) {
    for (const [name, value] of Object.entries(p.userProperties)) {
      const nameSize = Buffer.byteLength(name)
      if (Array.isArray(value)) {
        for (const v of value) size += 5 + nameSize + Buffer.byteLength(v)
      } else {
        size += 5 + nameSize + Buffer.byteLength(value)
      }
    }
  }
  return size
}

function writeProperties(buffer: Buffer, offset: number, p: OutgoingPublishProperties, size: number): number {
  offset = writeVarInt(buffer, offset, size)
  if (p.payloadFormatIndicator !== undefined) {
    buffer[offset++] = PROPERTY.payloadFormatIndicator
    buffer[offset++] = p.payloadFormatIndicator ? 1 : 0
  }
  if (p.messageExpiryInterval !== undefined) {
    buffer[offset++] = PROPERTY.messageExpiryInterval
    buffer.writeUInt32BE(p.messageExpiryInterval, offset)
    offset += 4
  }
  if (p.contentType !== undefined) {
    buffer[offset++] = PROPERTY.contentType
    offset = writeString(buffer, offset, p.contentType, Buffer.byteLength(p.contentType))
  }
  if (p.responseTopic !== undefined) {
    buffer[offset++] = PROPERTY.responseTopic
    offset = writeString(buffer, offset, p.responseTopic, Buffer.byteLength(p.responseTopic))
  }
  if (p.correlationData !== undefined) {
    buffer[offset++] = PROPERTY.correlationData
    buffer.writeUInt16BE(p.correlationData.length, offset)
    buffer.set(p.correlationData, offset + 2)
    offset += 2 + p.correlationData.length
  }
  if (p.topicAlias !== undefined) {
    buffer[offset++] = PROPERTY.topicAlias
    buffer.writeUInt16BE(p.topicAlias, offset)
    offset += 2
  }
  if (p.userPropertyList) {
    for (const [name, value] of p.userPropertyList) {
      buffer[offset++] = PROPERTY.userProperty
      offset = writeString(buffer, offset, name, Buffer.byteLength(name))
      offset = writeString(buffer, offset, value, Buffer.byteLength(value))
    }
  } else if (p.userProperties) {
    for (const [name, value] of Object.entries(p.userProperties)) {
      const nameSize = Buffer.byteLength(name)
      for (const v of Array.isArray(value) ? value : [value]) {
        buffer[offset++] = PROPERTY.userProperty
        offset = writeString(buffer, offset, name, nameSize)
        offset = writeString(buffer, offset, v, Buffer.byteLength(v))
      }
    }
  }
  if (p.subscriptionIdentifiers) {
    for (const id of p.subscriptionIdentifiers) {
      buffer[offset++] = PROPERTY.subscriptionIdentifier
      offset = writeVarInt(buffer, offset, id)
    }
  }
  return offset
}

/**
 * Encode a PUBLISH. Packet identifier bytes are written as 0; patch them with `withPacketId`.
 * Throws a RangeError for a field the wire cannot carry (a string or binary over 65,535 bytes, a
 * packet over the largest Remaining Length) rather than writing a corrupt packet; the connection
 * drops that one delivery (see Connection.sendPublish).
 */
export function encodePublish(fields: PublishFields): EncodedPublish {
  const topicLength = Buffer.byteLength(fields.topic)
  let remaining = 2 + topicLength + fields.payload.length
  if (fields.qos > 0) remaining += 2
  let propsSize = 0
  if (fields.properties) {
    propsSize = propertiesSize(fields.properties)
    remaining += varIntSize(propsSize) + propsSize
  }
  if (remaining > MAX_REMAINING_LENGTH) throw new RangeError(`PUBLISH of ${remaining} bytes is over the largest remaining length`)
  const bytes = Buffer.allocUnsafe(1 + varIntSize(remaining) + remaining)
  bytes[0] = 0x30 | (fields.dup ? 0x08 : 0) | (fields.qos << 1) | (fields.retain ? 1 : 0)
  let offset = writeVarInt(bytes, 1, remaining)
  offset = writeString(bytes, offset, fields.topic, topicLength)
  let packetIdOffset = -1
  if (fields.qos > 0) {
    packetIdOffset = offset
    bytes[offset++] = 0
    bytes[offset++] = 0
  }
  if (fields.properties) offset = writeProperties(bytes, offset, fields.properties, propsSize)
  fields.payload.copy(bytes, offset)
  return { bytes, packetIdOffset }
}

/** A copy of an encoded QoS 1/2 PUBLISH with its packet identifier (and DUP flag) set. */
export function withPacketId(encoded: EncodedPublish, packetId: number, dup: boolean): Buffer {
  const copy = Buffer.allocUnsafe(encoded.bytes.length)
  encoded.bytes.copy(copy)
  copy.writeUInt16BE(packetId, encoded.packetIdOffset)
  if (dup) copy[0] |= 0x08
  return copy
}
