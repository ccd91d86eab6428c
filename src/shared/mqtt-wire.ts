/**
 * What the MQTT wire can carry, checked in the units the wire counts: UTF-8 bytes for strings,
 * bytes for binary data, and the whole packet against the packet size in force. One validator for
 * every door a message comes in by — topic names (broker/topics/topic-validation.ts), the
 * inspector's publish command, the management API — so none of them can hand the encoder a field
 * it cannot write. The decoder applies the same rules to bytes from the network (codec/packet-decoder.ts).
 *
 * Pure: no Node or DOM imports, so the renderer can use it too.
 */
import type { MessageProperties, QoS } from './broker-types'

/** A UTF-8 Encoded String's length prefix is two bytes (MQTT 5 §1.5.4). */
export const MAX_STRING_BYTES = 65_535
/** Binary Data has the same two-byte prefix (§1.5.6). */
export const MAX_BINARY_BYTES = 65_535
/** The largest Remaining Length a four-byte Variable Byte Integer holds (§1.5.5, §2.1.4). */
export const MAX_REMAINING_LENGTH = 268_435_455
/** A whole packet: 1 type byte + 4 length bytes + MAX_REMAINING_LENGTH. */
export const MAX_PACKET_BYTES = 1 + 4 + MAX_REMAINING_LENGTH
const UINT32_MAX = 4_294_967_295

/** A UTF-16 string never takes more than 3 UTF-8 bytes per code unit, so short strings skip the count. */
const SAFE_UTF16_LENGTH = Math.floor(MAX_STRING_BYTES / 3)

/** UTF-8 bytes of `value` (a lone surrogate counts 3: the U+FFFD an encoder writes for it). */
export function utf8ByteLength(value: string): number {
  let bytes = 0
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c < 0x80) bytes += 1
    else if (c < 0x800) bytes += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4
        i++
      } else bytes += 3
    } else bytes += 3
  }
  return bytes
}

/** Why a string cannot be an MQTT UTF-8 Encoded String, for callers that word it their own way. */
export type MqttStringIssue = { kind: 'nul' } | { kind: 'surrogate' } | { kind: 'too-long'; bytes: number }

/**
 * Null when `value` can travel as an MQTT UTF-8 Encoded String, else what is wrong: U+0000
 * [MQTT-1.5.4-2], an unpaired surrogate (it has no UTF-8 form, so the bytes would be ill-formed)
 * [MQTT-1.5.4-1], more than 65,535 UTF-8 bytes [MQTT-1.5.4]. Linear, and on the PUBLISH hot path
 * (topic names) as cheap as one pass over the characters.
 */
export function mqttStringIssue(value: string): MqttStringIssue | null {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c === 0) return { kind: 'nul' }
    if (c >= 0xd800 && c <= 0xdfff) {
      if (c <= 0xdbff) {
        const next = i + 1 < value.length ? value.charCodeAt(i + 1) : 0
        if (next >= 0xdc00 && next <= 0xdfff) {
          i++
          continue
        }
      }
      return { kind: 'surrogate' }
    }
  }
  if (value.length > SAFE_UTF16_LENGTH) {
    const bytes = utf8ByteLength(value)
    if (bytes > MAX_STRING_BYTES) return { kind: 'too-long', bytes }
  }
  return null
}

/** mqttStringIssue in words, naming the string `what`. */
export function mqttStringProblem(value: string, what: string): string | null {
  const issue = mqttStringIssue(value)
  if (issue === null) return null
  switch (issue.kind) {
    case 'nul':
      return `${what} must not contain U+0000`
    case 'surrogate':
      return `${what} contains an unpaired surrogate (invalid UTF-8)`
    case 'too-long':
      return `${what} is longer than ${MAX_STRING_BYTES} bytes (${issue.bytes} UTF-8 bytes)`
  }
}

/** Null when `byteLength` bytes fit MQTT Binary Data, else why not. */
export function mqttBinaryProblem(byteLength: number, what: string): string | null {
  return byteLength > MAX_BINARY_BYTES ? `${what} is longer than ${MAX_BINARY_BYTES} bytes (${byteLength} bytes)` : null
}

/** Bytes a base64 text decodes to (standard alphabet, padding optional; the text is assumed valid). */
export function base64ByteLength(text: string): number {
  let padding = 0
  if (text.endsWith('==')) padding = 2
  else if (text.endsWith('=')) padding = 1
  const chars = text.length - padding
  return Math.floor((chars * 3) / 4)
}

/** PUBLISH properties to check: MessageProperties, with correlation data given by its size. */
export type PublishPropertiesToCheck = Omit<MessageProperties, 'correlationData'> & {
  correlationData?: { readonly byteLength: number }
}

/** The user properties as ordered pairs, whichever form they were given in. */
function userPropertyPairs(properties: PublishPropertiesToCheck): Array<[string, string]> {
  if (properties.userPropertyList) return properties.userPropertyList
  const pairs: Array<[string, string]> = []
  for (const [name, value] of Object.entries(properties.userProperties ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) pairs.push([name, v])
  }
  return pairs
}

/**
 * Null when every MQTT 5 PUBLISH property can be encoded, else the first problem, naming the
 * property under `what` (e.g. "properties.contentType is longer than 65535 bytes …").
 */
export function publishPropertiesProblem(properties: PublishPropertiesToCheck, what = 'properties'): string | null {
  const pfi = properties.payloadFormatIndicator
  if (pfi !== undefined && typeof pfi !== 'boolean') return `${what}.payloadFormatIndicator must be true or false`
  const expiry = properties.messageExpiryInterval
  if (expiry !== undefined && (!Number.isInteger(expiry) || expiry < 0 || expiry > UINT32_MAX)) {
    return `${what}.messageExpiryInterval must be an integer from 0 to ${UINT32_MAX}`
  }
  for (const key of ['contentType', 'responseTopic'] as const) {
    const value = properties[key]
    if (value === undefined) continue
    if (typeof value !== 'string') return `${what}.${key} must be a string`
    const problem = mqttStringProblem(value, `${what}.${key}`)
    if (problem) return problem
  }
  if (properties.correlationData !== undefined) {
    const problem = mqttBinaryProblem(properties.correlationData.byteLength, `${what}.correlationData`)
    if (problem) return problem
  }
  for (const [name, value] of userPropertyPairs(properties)) {
    if (typeof name !== 'string' || typeof value !== 'string') return `${what}.userProperties must be strings`
    const problem =
      mqttStringProblem(name, `${what}.userProperties: a user property name`) ??
      mqttStringProblem(value, `${what}.userProperties["${shorten(name)}"]: a user property value`)
    if (problem) return problem
  }
  return null
}

/** Size of the PUBLISH property block as the broker forwards it (without its own length prefix). */
export function publishPropertiesSize(properties: PublishPropertiesToCheck): number {
  let size = 0
  if (properties.payloadFormatIndicator !== undefined) size += 2
  if (properties.messageExpiryInterval !== undefined) size += 5
  if (properties.contentType !== undefined) size += 3 + utf8ByteLength(properties.contentType)
  if (properties.responseTopic !== undefined) size += 3 + utf8ByteLength(properties.responseTopic)
  if (properties.correlationData !== undefined) size += 3 + properties.correlationData.byteLength
  for (const [name, value] of userPropertyPairs(properties)) size += 5 + utf8ByteLength(name) + utf8ByteLength(value)
  return size
}

/** Bytes of a Variable Byte Integer holding `value`. */
export function varIntSize(value: number): number {
  return value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4
}

/** A whole PUBLISH packet's size: fixed header, topic, packet id, (v5) properties, payload. */
export function publishPacketSize(fields: {
  topicBytes: number
  payloadBytes: number
  qos: QoS
  /** The v5 property block's size, or null for 3.1/3.1.1 (no properties on the wire). */
  propertiesBytes: number | null
}): number {
  let remaining = 2 + fields.topicBytes + fields.payloadBytes + (fields.qos > 0 ? 2 : 0)
  if (fields.propertiesBytes !== null) remaining += varIntSize(fields.propertiesBytes) + fields.propertiesBytes
  return 1 + varIntSize(remaining) + remaining
}

export interface PublishToCheck {
  topic: string
  payloadBytes: number
  qos: QoS
  properties?: PublishPropertiesToCheck
}

/**
 * Null when a message published as the broker can be encoded for every subscriber version: its
 * properties fit the wire, and the whole MQTT 5 PUBLISH (the larger form) fits `maximumPacketSize`
 * in force and the protocol's own limit. Topic-name rules (wildcards, empty) are
 * validateTopicName's; this checks the topic only as a string.
 */
export function publishProblem(message: PublishToCheck, limits: { readonly maximumPacketSize: number }): string | null {
  const topicProblem = mqttStringProblem(message.topic, 'topic name')
  if (topicProblem) return topicProblem
  const properties = message.properties ?? {}
  const propertiesProblem = publishPropertiesProblem(properties)
  if (propertiesProblem) return propertiesProblem
  const size = publishPacketSize({
    topicBytes: utf8ByteLength(message.topic),
    payloadBytes: message.payloadBytes,
    qos: message.qos,
    propertiesBytes: publishPropertiesSize(properties)
  })
  if (size > MAX_PACKET_BYTES) return `the PUBLISH would be ${size} bytes, more than MQTT allows (${MAX_PACKET_BYTES})`
  if (size > limits.maximumPacketSize) {
    return `the PUBLISH would be ${size} bytes, more than maximumPacketSize (${limits.maximumPacketSize})`
  }
  return null
}

function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text
}
