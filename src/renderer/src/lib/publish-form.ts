import type { JsonMessageProperties, PublishCommand, SavedMessage } from '../../../shared/api'
import type { QoS } from '../../../shared/broker-types'
import { base64ToBytesSafe, bytesAsText, bytesToBase64, isStrictBase64, utf8ToBase64 } from './payload'

export type PayloadEncoding = 'utf8' | 'base64' | 'hex'

/** Hex digits as bytes; separators (spaces, colons, commas, line breaks) and 0x prefixes are allowed. Null when not hex. */
export function hexToBytes(text: string): Uint8Array | null {
  const clean = text.replace(/0x/gi, '').replace(/[\s:,-]+/g, '')
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) return null
  const out = new Uint8Array(clean.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16)
  return out
}

/** The publish form as the user edits it: strings where the user types. */
export interface PublishForm {
  topic: string
  payload: string
  /** How the payload box is read: text, base64, or hex digits (spaces, colons and 0x allowed). */
  payloadEncoding: PayloadEncoding
  qos: QoS
  retain: boolean
  contentType: string
  /** '' = not sent, 'bytes' = 0 (unspecified bytes), 'utf8' = 1 (UTF-8 text). */
  payloadFormat: '' | 'bytes' | 'utf8'
  messageExpiry: string
  responseTopic: string
  /** Correlation data typed as UTF-8 text; sent as base64. */
  correlationData: string
  userProperties: { key: string; value: string }[]
}

export const EMPTY_PUBLISH_FORM: PublishForm = {
  topic: '',
  payload: '',
  payloadEncoding: 'utf8',
  qos: 0,
  retain: false,
  contentType: '',
  payloadFormat: '',
  messageExpiry: '',
  responseTopic: '',
  correlationData: '',
  userProperties: []
}

export type PublishFormErrors = Partial<Record<'topic' | 'payload' | 'messageExpiry' | 'responseTopic' | 'userProperties', string>>

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length
}

function topicNameProblem(topic: string, what: string): string | null {
  if (topic.length === 0) return `${what} is required`
  // [MQTT-3.3.2-2] a topic name must not contain wildcards.
  if (topic.includes('+') || topic.includes('#')) return `${what} must not contain + or # (wildcards are for subscriptions)`
  if (topic.includes('\u0000')) return `${what} must not contain a null character`
  if (utf8Length(topic) > 65535) return `${what} is longer than 65,535 bytes`
  return null
}

/** Validate the form and turn it into the command the API takes. */
export function buildPublishCommand(form: PublishForm): { ok: true; command: PublishCommand } | { ok: false; errors: PublishFormErrors } {
  const errors: PublishFormErrors = {}
  const topicProblem = topicNameProblem(form.topic, 'Topic')
  if (topicProblem) errors.topic = topicProblem
  if (form.payloadEncoding === 'base64' && !isStrictBase64(form.payload.replace(/\s+/g, ''))) {
    errors.payload = 'Payload is not valid base64'
  }
  const hexBytes = form.payloadEncoding === 'hex' ? hexToBytes(form.payload) : null
  if (form.payloadEncoding === 'hex' && hexBytes === null) {
    errors.payload = 'Payload is not hex: pairs of 0-9 / a-f digits (spaces and colons allowed)'
  }
  const properties: JsonMessageProperties = {}
  if (form.contentType !== '') properties.contentType = form.contentType
  if (form.payloadFormat !== '') properties.payloadFormatIndicator = form.payloadFormat === 'utf8'
  if (form.messageExpiry.trim() !== '') {
    const value = Number(form.messageExpiry.trim())
    if (!Number.isInteger(value) || value < 0 || value > 4294967295) {
      errors.messageExpiry = 'Message expiry must be a whole number of seconds (0 – 4294967295)'
    } else {
      properties.messageExpiryInterval = value
    }
  }
  if (form.responseTopic !== '') {
    const problem = topicNameProblem(form.responseTopic, 'Response topic')
    if (problem) errors.responseTopic = problem
    else properties.responseTopic = form.responseTopic
  }
  if (form.correlationData !== '') properties.correlationData = utf8ToBase64(form.correlationData)
  const userProperties: Record<string, string | string[]> = {}
  for (const { key, value } of form.userProperties) {
    if (key === '' && value === '') continue
    if (key === '') {
      errors.userProperties = 'Every user property needs a key'
      continue
    }
    const existing = userProperties[key]
    if (existing === undefined) userProperties[key] = value
    else userProperties[key] = Array.isArray(existing) ? [...existing, value] : [existing, value]
  }
  if (Object.keys(userProperties).length > 0) properties.userProperties = userProperties
  if (Object.keys(errors).length > 0) return { ok: false, errors }
  const command: PublishCommand = {
    topic: form.topic,
    payload:
      form.payloadEncoding === 'base64' ? form.payload.replace(/\s+/g, '') : hexBytes !== null ? bytesToBase64(hexBytes) : form.payload,
    qos: form.qos,
    retain: form.retain
  }
  if (form.payloadEncoding !== 'utf8') command.payloadEncoding = 'base64'
  if (Object.keys(properties).length > 0) command.properties = properties
  return { ok: true, command }
}

/** Load a command (from history or a saved message) back into the form. */
export function formFromCommand(command: PublishCommand): PublishForm {
  const props = command.properties ?? {}
  let correlationData = ''
  if (props.correlationData) {
    const bytes = base64ToBytesSafe(props.correlationData)
    correlationData = (bytes && bytesAsText(bytes)) ?? ''
  }
  const userProperties: { key: string; value: string }[] = []
  for (const [key, value] of Object.entries(props.userProperties ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) userProperties.push({ key, value: v })
  }
  return {
    topic: command.topic,
    payload: command.payload,
    payloadEncoding: command.payloadEncoding === 'base64' ? 'base64' : 'utf8',
    qos: command.qos,
    retain: command.retain,
    contentType: props.contentType ?? '',
    payloadFormat: props.payloadFormatIndicator === undefined ? '' : props.payloadFormatIndicator ? 'utf8' : 'bytes',
    messageExpiry: props.messageExpiryInterval === undefined ? '' : String(props.messageExpiryInterval),
    responseTopic: props.responseTopic ?? '',
    correlationData,
    userProperties
  }
}

export interface HistoryEntry {
  time: number
  command: PublishCommand
}

export const HISTORY_LIMIT = 50

function sameCommand(a: PublishCommand, b: PublishCommand): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/** Newest first; an identical command moves to the top instead of repeating; at most `limit`. */
export function pushHistory(history: readonly HistoryEntry[], entry: HistoryEntry, limit = HISTORY_LIMIT): HistoryEntry[] {
  const rest = history.filter((h) => !sameCommand(h.command, entry.command))
  return [entry, ...rest].slice(0, limit)
}

/** Parse history read back from storage, dropping anything that is not the right shape. */
export function parseHistory(raw: string | null): HistoryEntry[] {
  if (!raw) return []
  try {
    const value: unknown = JSON.parse(raw)
    if (!Array.isArray(value)) return []
    return value
      .filter(
        (v): v is HistoryEntry =>
          typeof v === 'object' &&
          v !== null &&
          typeof (v as HistoryEntry).time === 'number' &&
          typeof (v as HistoryEntry).command === 'object' &&
          (v as HistoryEntry).command !== null &&
          typeof (v as HistoryEntry).command.topic === 'string' &&
          typeof (v as HistoryEntry).command.payload === 'string'
      )
      .slice(0, HISTORY_LIMIT)
  } catch {
    return []
  }
}

export function savedFromCommand(name: string, command: PublishCommand): SavedMessage {
  return { ...command, name }
}
