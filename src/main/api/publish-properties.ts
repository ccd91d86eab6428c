/**
 * PUBLISH properties from an API request (EMQX's names) → the broker's MessageProperties, with every
 * string held to MQTT's rules in UTF-8 bytes, not JavaScript characters: at most 65,535 bytes
 * [MQTT-1.5.4-1], well-formed UTF-8 (a lone surrogate is not) [MQTT-1.5.4-1], no U+0000
 * [MQTT-1.5.4-2]; correlation data at most 65,535 bytes [MQTT-1.5.6-1]; a response topic is a topic
 * name without wildcards [MQTT-3.3.2-14].
 *
 * checkMqttString words the shared validator's answer (src/shared/mqtt-wire.ts) in this API's terms.
 */
import type { MessageProperties } from '../../shared/broker-types'
import { MAX_STRING_BYTES, mqttStringIssue } from '../../shared/mqtt-wire'

export interface ApiPublishProperties {
  payload_format_indicator?: 0 | 1
  message_expiry_interval?: number
  content_type?: string
  response_topic?: string
  correlation_data?: string
  user_properties?: Record<string, string | string[]>
}

/** Why `value` cannot be an MQTT UTF-8 string, or null. */
export function checkMqttString(value: string): string | null {
  const issue = mqttStringIssue(value)
  if (issue === null) return null
  switch (issue.kind) {
    case 'surrogate':
      return 'is not valid UTF-8 (it has a lone surrogate)'
    case 'nul':
      return 'must not contain U+0000'
    case 'too-long':
      return `is ${issue.bytes} bytes in UTF-8; at most ${MAX_STRING_BYTES}`
  }
}

export type PropertiesResult = { ok: true; properties: MessageProperties | undefined } | { ok: false; field: string; message: string }

/** Check and convert; `at` prefixes field names in errors ("properties.user_properties.a"). */
export function toMessageProperties(input: ApiPublishProperties | undefined, at = 'properties'): PropertiesResult {
  if (input === undefined) return { ok: true, properties: undefined }
  const bad = (field: string, message: string): PropertiesResult => ({ ok: false, field: `${at}.${field}`, message })
  const properties: MessageProperties = {}
  if (input.payload_format_indicator !== undefined) properties.payloadFormatIndicator = input.payload_format_indicator === 1
  if (input.message_expiry_interval !== undefined) properties.messageExpiryInterval = input.message_expiry_interval
  if (input.content_type !== undefined) {
    const problem = checkMqttString(input.content_type)
    if (problem) return bad('content_type', problem)
    properties.contentType = input.content_type
  }
  if (input.response_topic !== undefined) {
    const problem = checkMqttString(input.response_topic)
    if (problem) return bad('response_topic', problem)
    if (/[+#]/.test(input.response_topic)) return bad('response_topic', 'must be a topic name, without + or #')
    properties.responseTopic = input.response_topic
  }
  if (input.correlation_data !== undefined) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(input.correlation_data)) return bad('correlation_data', 'must be base64')
    const bytes = Buffer.from(input.correlation_data, 'base64')
    if (bytes.length > MAX_STRING_BYTES) return bad('correlation_data', `is ${bytes.length} bytes; at most ${MAX_STRING_BYTES}`)
    properties.correlationData = bytes
  }
  if (input.user_properties !== undefined) {
    const list: Array<[string, string]> = []
    for (const [name, values] of Object.entries(input.user_properties)) {
      const nameProblem = checkMqttString(name)
      if (nameProblem) return bad(`user_properties`, `name ${JSON.stringify(name.slice(0, 40))} ${nameProblem}`)
      for (const value of Array.isArray(values) ? values : [values]) {
        const valueProblem = checkMqttString(value)
        if (valueProblem) return bad(`user_properties.${name}`, valueProblem)
        list.push([name, value])
      }
    }
    properties.userProperties = input.user_properties
    properties.userPropertyList = list
  }
  return { ok: true, properties }
}
