import type { JsonMessageProperties, SavedMessage } from '../../../../shared/api'
import type { QoS } from '../../../../shared/broker-types'
import type { GeneratorSpec } from '../../../../shared/tools-api'
import { buildPublishCommand, EMPTY_PUBLISH_FORM, formFromCommand, type PublishForm } from '../../lib/publish-form'
import { base64ToBytesSafe, bytesAsText } from '../../lib/payload'

/** The generator form as the user edits it: text where the user types. */
export interface GeneratorForm {
  name: string
  topic: string
  payload: string
  qos: QoS
  retain: boolean
  devices: string
  paceKind: 'interval' | 'rate'
  /** ms (interval) or messages a second over all devices (rate). */
  paceValue: string
  stopKind: 'forever' | 'count' | 'duration'
  /** Messages per device (count) or seconds (duration). */
  stopValue: string
  protocolVersion: 4 | 5
  /** MQTT 5 properties, edited as in the publish form. */
  contentType: string
  payloadFormat: PublishForm['payloadFormat']
  messageExpiry: string
  responseTopic: string
  correlationData: string
  userProperties: { key: string; value: string }[]
}

export const EMPTY_GENERATOR_FORM: GeneratorForm = {
  name: 'sensors',
  topic: 'sensors/{{device}}/temperature',
  payload: '{"device": {{device}}, "t": {{walk 18.0 26.0 0.3}}, "at": "{{timestamp "iso"}}"}',
  qos: 0,
  retain: false,
  devices: '10',
  paceKind: 'interval',
  paceValue: '1000',
  stopKind: 'forever',
  stopValue: '100',
  protocolVersion: 5,
  contentType: '',
  payloadFormat: '',
  messageExpiry: '',
  responseTopic: '',
  correlationData: '',
  userProperties: []
}

export type GeneratorFormErrors = Partial<Record<'name' | 'devices' | 'pace' | 'stop' | 'properties', string>>

function positive(text: string): number | null {
  const value = Number(text.trim())
  return text.trim() !== '' && Number.isFinite(value) && value > 0 ? value : null
}

/** The form as the API's GeneratorSpec; field errors for what the main side cannot point at. */
export function buildGeneratorSpec(form: GeneratorForm): { ok: true; spec: GeneratorSpec } | { ok: false; errors: GeneratorFormErrors } {
  const errors: GeneratorFormErrors = {}
  if (form.name.trim() === '') errors.name = 'Give the generator a name'
  const devices = positive(form.devices)
  if (devices === null || !Number.isInteger(devices)) errors.devices = 'Devices must be a whole number, 1 or more'
  const pace = positive(form.paceValue)
  if (pace === null || (form.paceKind === 'interval' && !Number.isInteger(pace))) {
    errors.pace = form.paceKind === 'interval' ? 'The interval is a whole number of ms, 1 or more' : 'The rate must be more than 0'
  }
  const stop = positive(form.stopValue)
  if (form.stopKind !== 'forever' && (stop === null || (form.stopKind === 'count' && !Number.isInteger(stop)))) {
    errors.stop = form.stopKind === 'count' ? 'The count is a whole number, 1 or more' : 'The duration must be more than 0 seconds'
  }
  // The v5 properties: the publish form's own checks.
  const built = buildPublishCommand({ ...EMPTY_PUBLISH_FORM, ...propertyFields(form), topic: 'x' })
  let properties: JsonMessageProperties | undefined
  if (!built.ok) errors.properties = Object.values(built.errors).join('; ')
  else properties = built.command.properties
  if (properties !== undefined && form.protocolVersion === 4) errors.properties = 'MQTT 5 properties need MQTT 5 devices'
  if (Object.keys(errors).length > 0) return { ok: false, errors }
  const spec: GeneratorSpec = {
    name: form.name.trim(),
    topic: form.topic,
    payload: form.payload,
    qos: form.qos,
    retain: form.retain,
    devices: devices as number,
    pace: form.paceKind === 'interval' ? { kind: 'interval', ms: pace as number } : { kind: 'rate', perSecond: pace as number },
    stop:
      form.stopKind === 'count'
        ? { kind: 'count', count: stop as number }
        : form.stopKind === 'duration'
          ? { kind: 'duration', seconds: stop as number }
          : { kind: 'forever' },
    protocolVersion: form.protocolVersion
  }
  if (properties !== undefined) spec.properties = properties
  return { ok: true, spec }
}

function propertyFields(form: GeneratorForm): Partial<PublishForm> {
  return {
    contentType: form.contentType,
    payloadFormat: form.payloadFormat,
    messageExpiry: form.messageExpiry,
    responseTopic: form.responseTopic,
    correlationData: form.correlationData,
    userProperties: form.userProperties
  }
}

export function formFromSpec(spec: GeneratorSpec): GeneratorForm {
  const properties = formFromCommand({ topic: spec.topic, payload: '', qos: spec.qos, retain: spec.retain, properties: spec.properties })
  return {
    ...EMPTY_GENERATOR_FORM,
    name: spec.name,
    topic: spec.topic,
    payload: spec.payload,
    qos: spec.qos,
    retain: spec.retain,
    devices: String(spec.devices),
    paceKind: spec.pace.kind,
    paceValue: String(spec.pace.kind === 'interval' ? spec.pace.ms : spec.pace.perSecond),
    stopKind: spec.stop.kind,
    stopValue: spec.stop.kind === 'count' ? String(spec.stop.count) : spec.stop.kind === 'duration' ? String(spec.stop.seconds) : '100',
    protocolVersion: spec.protocolVersion ?? 5,
    contentType: properties.contentType,
    payloadFormat: properties.payloadFormat,
    messageExpiry: properties.messageExpiry,
    responseTopic: properties.responseTopic,
    correlationData: properties.correlationData,
    userProperties: properties.userProperties
  }
}

/**
 * A saved message of the Publish view as a generator: its topic, payload, QoS, retain and
 * properties, sent by one device every second until stopped. A binary (base64) payload is kept
 * as its text when it is text, else it cannot be a template and is refused.
 */
export function formFromSaved(message: SavedMessage): { ok: true; form: GeneratorForm } | { ok: false; error: string } {
  let payload = message.payload
  if (message.payloadEncoding === 'base64') {
    const bytes = base64ToBytesSafe(message.payload)
    const text = bytes ? bytesAsText(bytes) : null
    if (text === null) return { ok: false, error: `“${message.name}” has a binary payload; a generator payload is a text template` }
    payload = text
  }
  const spec: GeneratorSpec = {
    name: message.name,
    topic: message.topic,
    // Braces in a saved payload are text, not placeholders.
    payload: payload.replaceAll('{{', '\\{{'),
    qos: message.qos,
    retain: message.retain,
    devices: 1,
    pace: { kind: 'interval', ms: 1000 },
    stop: { kind: 'forever' }
  }
  if (message.properties !== undefined) spec.properties = message.properties
  return { ok: true, form: formFromSpec(spec) }
}

/** "10 devices × every 1000 ms = 10 msg/s" */
export function describePace(spec: GeneratorSpec): string {
  const total = spec.pace.kind === 'rate' ? spec.pace.perSecond : (spec.devices * 1000) / spec.pace.ms
  const per = spec.pace.kind === 'interval' ? `every ${spec.pace.ms} ms` : `${spec.pace.perSecond} msg/s in total`
  const stop =
    spec.stop.kind === 'count' ? `, ${spec.stop.count} each` : spec.stop.kind === 'duration' ? `, for ${spec.stop.seconds} s` : ''
  return `${spec.devices} device${spec.devices === 1 ? '' : 's'}, ${per} (${formatRate(total)} msg/s)${stop}`
}

function formatRate(value: number): string {
  return value >= 100 ? String(Math.round(value)) : String(Math.round(value * 100) / 100)
}
