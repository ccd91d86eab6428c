/**
 * A generator as the UI, the saved file or a `brokerscope simulate` file gives it: untrusted until
 * checked here. checkGenerator validates every field and compiles both templates, so a bad
 * template is refused before anything starts, with the field and the position of the problem.
 */
import type { GeneratorSpec, TemplateProblem } from '../../../shared/tools-api'
import { validateTopicName } from '../../broker/topics/topic-validation'
import { CommandError, publishCommand } from '../../inspector/command-validation'
import { compileTemplate, TemplateError, type CompiledTemplate } from '../templates/template'

export const MAX_GENERATOR_NAME = 100
export const MAX_TEMPLATE_CHARS = 64 * 1024
export const MAX_INTERVAL_MS = 86_400_000
export const MAX_RATE = 1_000_000
export const MAX_COUNT = 1_000_000_000
export const MAX_DURATION_S = 10_000_000

export interface CheckedGenerator {
  spec: GeneratorSpec
  topic: CompiledTemplate
  payload: CompiledTemplate
}

export type GeneratorCheck = { ok: true; value: CheckedGenerator } | { ok: false; problems: TemplateProblem[] }

const KEYS = [
  'name',
  'topic',
  'payload',
  'qos',
  'retain',
  'properties',
  'devices',
  'pace',
  'stop',
  'protocolVersion',
  'clientIdPrefix',
  'username',
  'password'
]

/** Check an untrusted generator. `maxDevices` is the simulateMaxDevices setting. */
export function checkGenerator(raw: unknown, maxDevices: number): GeneratorCheck {
  const problems: TemplateProblem[] = []
  const problem = (field: string, message: string): void => void problems.push({ field, message })
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { ok: false, problems: [{ field: '', message: 'a generator must be an object' }] }
  const record = raw as Record<string, unknown>
  for (const key of Object.keys(record)) {
    if (KEYS.includes(key)) continue
    // Named, not echoed whole: a key can be any size (found by the inspector command fuzzer).
    const shown = key.length > 40 ? `${key.slice(0, 40)}…` : key
    problem(shown, `unknown field "${shown}"`)
  }

  const name = record.name
  if (typeof name !== 'string' || name.trim() === '') problem('name', 'name must be a non-empty string')
  else if (name.length > MAX_GENERATOR_NAME) problem('name', `name is longer than ${MAX_GENERATOR_NAME} characters`)

  const topic = compileField(record.topic, 'topic', problems)
  const payload = compileField(record.payload, 'payload', problems)
  if (topic !== null) {
    // A wildcard in the literal text can never make a topic name [MQTT-3.3.2-2].
    const literal = topic.source.replace(/\{\{[^}]*\}\}/g, 'x')
    const topicProblem = literal === '' && topic.constant ? 'must not be empty' : validateTopicName(literal)
    if (topicProblem) problem('topic', `topic ${topicProblem}`)
  }

  // QoS, retain and the v5 properties: the publish command's own checks.
  let properties: GeneratorSpec['properties']
  try {
    const checked = publishCommand(
      { topic: 'x', payload: '', qos: record.qos, retain: record.retain, properties: record.properties },
      'generator'
    )
    properties = checked.properties
  } catch (error) {
    const message = error instanceof CommandError ? error.message.replace(/^generator\./, '') : String(error)
    problem(message.split(' ')[0], message)
  }

  const devices = record.devices
  if (!isInteger(devices, 1, maxDevices))
    problem('devices', `devices must be a whole number from 1 to ${maxDevices} (the simulateMaxDevices setting)`)

  const pace = record.pace as GeneratorSpec['pace'] | undefined
  if (typeof pace !== 'object' || pace === null) problem('pace', 'pace must be { kind: "interval", ms } or { kind: "rate", perSecond }')
  else if (pace.kind === 'interval') {
    if (!isInteger(pace.ms, 1, MAX_INTERVAL_MS)) problem('pace', `the interval must be a whole number of ms from 1 to ${MAX_INTERVAL_MS}`)
  } else if (pace.kind === 'rate') {
    if (typeof pace.perSecond !== 'number' || !(pace.perSecond > 0) || pace.perSecond > MAX_RATE) {
      problem('pace', `the rate must be more than 0 and at most ${MAX_RATE} messages a second`)
    }
  } else problem('pace', 'pace.kind must be "interval" or "rate"')

  const stop = record.stop as GeneratorSpec['stop'] | undefined
  if (typeof stop !== 'object' || stop === null)
    problem('stop', 'stop must be { kind: "forever" }, { kind: "count", count } or { kind: "duration", seconds }')
  else if (stop.kind === 'count') {
    if (!isInteger(stop.count, 1, MAX_COUNT)) problem('stop', `the count must be a whole number from 1 to ${MAX_COUNT}`)
  } else if (stop.kind === 'duration') {
    if (typeof stop.seconds !== 'number' || !(stop.seconds > 0) || stop.seconds > MAX_DURATION_S) {
      problem('stop', `the duration must be more than 0 and at most ${MAX_DURATION_S} seconds`)
    }
  } else if (stop.kind !== 'forever') problem('stop', 'stop.kind must be "forever", "count" or "duration"')

  const version = record.protocolVersion
  if (version !== undefined && version !== 4 && version !== 5) problem('protocolVersion', 'protocolVersion must be 4 (MQTT 3.1.1) or 5')
  if (version === 4 && record.properties !== undefined && Object.keys(record.properties as object).length > 0) {
    problem('properties', 'MQTT 5 properties need protocolVersion 5')
  }
  for (const key of ['clientIdPrefix', 'username', 'password'] as const) {
    const value = record[key]
    if (value !== undefined && (typeof value !== 'string' || value.length > 1000))
      problem(key, `${key} must be text of at most 1000 characters`)
  }

  if (problems.length > 0 || topic === null || payload === null) return { ok: false, problems }
  const spec: GeneratorSpec = {
    name: (name as string).trim(),
    topic: topic.source,
    payload: payload.source,
    qos: record.qos as GeneratorSpec['qos'],
    retain: record.retain as boolean,
    devices: devices as number,
    pace:
      pace?.kind === 'interval'
        ? { kind: 'interval', ms: pace.ms }
        : { kind: 'rate', perSecond: (pace as { perSecond: number }).perSecond },
    stop:
      stop?.kind === 'count'
        ? { kind: 'count', count: stop.count }
        : stop?.kind === 'duration'
          ? { kind: 'duration', seconds: stop.seconds }
          : { kind: 'forever' }
  }
  if (properties !== undefined && Object.keys(properties).length > 0) spec.properties = properties
  if (version === 4 || version === 5) spec.protocolVersion = version
  for (const key of ['clientIdPrefix', 'username', 'password'] as const) {
    if (typeof record[key] === 'string') spec[key] = record[key] as string
  }
  return { ok: true, value: { spec, topic, payload } }
}

function compileField(value: unknown, field: 'topic' | 'payload', problems: TemplateProblem[]): CompiledTemplate | null {
  if (typeof value !== 'string') {
    problems.push({ field, message: `${field} must be a string` })
    return null
  }
  if (value.length > MAX_TEMPLATE_CHARS) {
    problems.push({ field, message: `${field} is longer than ${MAX_TEMPLATE_CHARS} characters` })
    return null
  }
  try {
    return compileTemplate(value)
  } catch (error) {
    if (error instanceof TemplateError) {
      problems.push({ field, message: `${field} ${error.line}:${error.column}: ${error.detail}`, line: error.line, column: error.column })
    } else problems.push({ field, message: `${field}: ${String(error)}` })
    return null
  }
}

function isInteger(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
}

/** Messages a second over all devices. */
export function expectedRate(spec: GeneratorSpec): number {
  return spec.pace.kind === 'rate' ? spec.pace.perSecond : (spec.devices * 1000) / spec.pace.ms
}

/** The interval between two messages of one device, ms. */
export function deviceIntervalMs(spec: GeneratorSpec): number {
  return spec.pace.kind === 'interval' ? spec.pace.ms : (spec.devices * 1000) / spec.pace.perSecond
}

export function problemsText(problems: readonly TemplateProblem[]): string {
  return problems.map((p) => p.message).join('; ')
}
