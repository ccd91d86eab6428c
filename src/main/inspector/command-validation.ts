/**
 * Runtime checks for the commands' arguments. Commands arrive from the renderer (IPC) or a browser
 * (WebSocket): untrusted JSON. The command table (command-table.ts) gives each command a checker
 * built from the pieces here, run before anything reaches the broker; anything unexpected
 * (unknown names, extra keys, wrong types, extra arguments) is refused with a message that says
 * what was wrong. The publish validator (publishCommand) is its own function, for the MQTT
 * property checks to plug into.
 */
import {
  COMMAND_NAMES,
  MAX_CHART_SERIES,
  type CommandName,
  type FindQuery,
  type JsonMessageProperties,
  type PublishCommand,
  type SavedMessage,
  type SchemaDecodeRequest,
  type SeriesSpec
} from '../../shared/api'
import type { QoS } from '../../shared/broker-types'
import { base64ByteLength, MAX_PACKET_BYTES, publishProblem, utf8ByteLength } from '../../shared/mqtt-wire'
import type { BrokerSettings } from '../../shared/settings'
import { validateTopicName } from '../broker/topics/topic-validation'

export class CommandError extends Error {
  override readonly name = 'CommandError'
}

export const MAX_NAME_LENGTH = 200
export const MAX_ID_LENGTH = 65_535
const UINT32_MAX = 4_294_967_295

export function parseCommandName(name: unknown): CommandName {
  if (typeof name !== 'string') throw new CommandError(`command name must be a string, got ${describe(name)}`)
  const known = (COMMAND_NAMES as readonly string[]).includes(name)
  if (!known) throw new CommandError(`unknown command "${truncate(name)}"`)
  return name as CommandName
}

/** The argument list of a command: `args` may be omitted for commands that take none. */
export function argumentList(command: CommandName, args: unknown): readonly unknown[] {
  const list = args === undefined ? [] : args
  if (!Array.isArray(list)) throw new CommandError(`${command}: arguments must be an array, got ${describe(args)}`)
  return list
}

// ───────────────────────────── argument checkers for the command table ─────────────────────────────

/** Checks one untrusted value; `what` names it in the error ("publish: command"). */
export type Check<T> = (value: unknown, what: string) => T

/** A checker for a command's whole argument list. */
export type ArgsCheck<A extends unknown[]> = (command: CommandName, values: readonly unknown[]) => A

export function noArgs(): ArgsCheck<[]> {
  return (command, values) => {
    arity(command, values, 0)
    return []
  }
}

export function args<A extends unknown[]>(...checks: { [I in keyof A]: [name: string, check: Check<A[I]>] }): ArgsCheck<A> {
  return (command, values) => {
    arity(command, values, checks.length)
    return checks.map(([name, check], index) => check(values[index], `${command}: ${name}`)) as A
  }
}

export const text =
  (maxLength: number): Check<string> =>
  (value, what) =>
    string(value, what, maxLength)

export const flag: Check<boolean> = (value, what) => boolean(value, what)

/** An array of at most `maxItems` non-negative integers. */
export const integerList =
  (maxItems: number): Check<number[]> =>
  (value, what) => {
    if (!Array.isArray(value)) throw new CommandError(`${what} must be an array, got ${describe(value)}`)
    if (value.length > maxItems) throw new CommandError(`${what}: at most ${maxItems} items`)
    return value.map((item: unknown, index) => nonNegativeInteger(item, `${what}[${index}]`))
  }

/** An array of at most `maxItems` strings, each at most `maxLength` characters. */
export const textList =
  (maxItems: number, maxLength: number): Check<string[]> =>
  (value, what) => {
    if (!Array.isArray(value)) throw new CommandError(`${what} must be an array, got ${describe(value)}`)
    if (value.length > maxItems) throw new CommandError(`${what}: at most ${maxItems} items`)
    return value.map((item: unknown, index) => string(item, `${what}[${index}]`, maxLength))
  }

export const nonNegativeInteger: Check<number> = (value, what) => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new CommandError(`${what} must be a non-negative integer, got ${describe(value)}`)
  }
  return value
}

/** A settings patch: the keys and values are checked by the broker's own settings validator (mergeSettings). */
export const settingsPatch: Check<Partial<BrokerSettings>> = (value, what) => plainObject(value, what) as Partial<BrokerSettings>

const FIND_KEYS = ['topic', 'payload', 'mode', 'caseSensitive', 'history'] as const

export const findQuery: Check<FindQuery> = (value, what) => {
  const record = plainObject(value, what)
  onlyKeys(record, FIND_KEYS, what)
  const mode = record.mode
  if (mode !== 'substring' && mode !== 'regex') throw new CommandError(`${what}.mode must be "substring" or "regex", got ${describe(mode)}`)
  return {
    topic: string(record.topic, `${what}.topic`, MAX_ID_LENGTH),
    payload: string(record.payload, `${what}.payload`, 1000),
    mode,
    caseSensitive: boolean(record.caseSensitive, `${what}.caseSensitive`),
    history: boolean(record.history, `${what}.history`)
  }
}

export const seriesSpecs: Check<SeriesSpec[]> = (value, what) => {
  if (!Array.isArray(value)) throw new CommandError(`${what} must be an array, got ${describe(value)}`)
  if (value.length > MAX_CHART_SERIES) throw new CommandError(`${what}: at most ${MAX_CHART_SERIES} series`)
  return value.map((item: unknown, index) => {
    const record = plainObject(item, `${what}[${index}]`)
    onlyKeys(record, ['topic', 'path'], `${what}[${index}]`)
    const topic = string(record.topic, `${what}[${index}].topic`, MAX_ID_LENGTH)
    const problem = validateTopicName(topic)
    if (problem) throw new CommandError(`${what}[${index}].topic ${problem}`)
    return { topic, path: string(record.path, `${what}[${index}].path`, 1000) }
  })
}

export const schemaDecodeRequest: Check<SchemaDecodeRequest> = (value, what) => {
  const record = plainObject(value, what)
  const payload = string(record.payload, `${what}.payload`, 64 * 1024 * 1024)
  if (!isBase64(payload)) throw new CommandError(`${what}.payload is not valid base64`)
  if (record.kind === 'sparkplug') {
    onlyKeys(record, ['kind', 'payload'], what)
    return { kind: 'sparkplug', payload }
  }
  if (record.kind !== 'protobuf') throw new CommandError(`${what}.kind must be "protobuf" or "sparkplug", got ${describe(record.kind)}`)
  onlyKeys(record, ['kind', 'payload', 'proto', 'messageType'], what)
  return {
    kind: 'protobuf',
    payload,
    proto: string(record.proto, `${what}.proto`, 1024 * 1024),
    messageType: string(record.messageType, `${what}.messageType`, 1000)
  }
}

// ───────────────────────────── publish ─────────────────────────────

const PUBLISH_KEYS = ['topic', 'payload', 'payloadEncoding', 'qos', 'retain', 'properties'] as const
const SAVED_KEYS = [...PUBLISH_KEYS, 'name'] as const
const PROPERTY_KEYS = [
  'payloadFormatIndicator',
  'messageExpiryInterval',
  'contentType',
  'responseTopic',
  'correlationData',
  'userProperties'
] as const

export function publishCommand(value: unknown, what: string, keys: readonly string[] = PUBLISH_KEYS): PublishCommand {
  const record = plainObject(value, what)
  onlyKeys(record, keys, what)
  const topic = string(record.topic, `${what}.topic`, MAX_ID_LENGTH)
  const topicProblem = validateTopicName(topic)
  if (topicProblem) throw new CommandError(`${what}.topic ${topicProblem}`)
  const payload = record.payload
  if (typeof payload !== 'string') throw new CommandError(`${what}.payload must be a string, got ${describe(payload)}`)
  const encoding = record.payloadEncoding
  if (encoding !== undefined && encoding !== 'utf8' && encoding !== 'base64') {
    throw new CommandError(`${what}.payloadEncoding must be "utf8" or "base64", got ${describe(encoding)}`)
  }
  if (encoding === 'base64' && !isBase64(payload)) throw new CommandError(`${what}.payload is not valid base64`)
  const command: PublishCommand = {
    topic,
    payload,
    qos: qos(record.qos, `${what}.qos`),
    retain: boolean(record.retain, `${what}.retain`)
  }
  if (encoding !== undefined) command.payloadEncoding = encoding
  if (record.properties !== undefined) command.properties = properties(record.properties, `${what}.properties`)
  // Every string and binary field in UTF-8 bytes, and the whole packet, as the wire counts them;
  // the broker checks the packet again against the maximumPacketSize in force.
  const wireProblem = publishProblem(wireFields(command), { maximumPacketSize: MAX_PACKET_BYTES })
  if (wireProblem) throw new CommandError(`${what}: ${wireProblem}`)
  return command
}

/** The command as the shared wire validator sees it: payload and correlation data by their decoded size. */
function wireFields(command: PublishCommand): Parameters<typeof publishProblem>[0] {
  const { correlationData, ...rest } = command.properties ?? {}
  return {
    topic: command.topic,
    payloadBytes: command.payloadEncoding === 'base64' ? base64ByteLength(command.payload) : utf8ByteLength(command.payload),
    qos: command.qos,
    properties: correlationData === undefined ? rest : { ...rest, correlationData: { byteLength: base64ByteLength(correlationData) } }
  }
}

export function savedMessage(value: unknown, what: string): SavedMessage {
  const record = plainObject(value, what)
  const name = string(record.name, `${what}.name`, MAX_NAME_LENGTH)
  if (name.trim().length === 0) throw new CommandError(`${what}.name must not be empty`)
  return { name, ...publishCommand(record, what, SAVED_KEYS) }
}

function properties(value: unknown, what: string): JsonMessageProperties {
  const record = plainObject(value, what)
  onlyKeys(record, PROPERTY_KEYS, what)
  const out: JsonMessageProperties = {}
  if (record.payloadFormatIndicator !== undefined) {
    out.payloadFormatIndicator = boolean(record.payloadFormatIndicator, `${what}.payloadFormatIndicator`)
  }
  if (record.messageExpiryInterval !== undefined) {
    const interval = record.messageExpiryInterval
    if (typeof interval !== 'number' || !Number.isInteger(interval) || interval < 0 || interval > UINT32_MAX) {
      throw new CommandError(`${what}.messageExpiryInterval must be an integer from 0 to ${UINT32_MAX}, got ${describe(interval)}`)
    }
    out.messageExpiryInterval = interval
  }
  if (record.contentType !== undefined) out.contentType = string(record.contentType, `${what}.contentType`, MAX_ID_LENGTH)
  if (record.responseTopic !== undefined) {
    const responseTopic = string(record.responseTopic, `${what}.responseTopic`, MAX_ID_LENGTH)
    // [MQTT-3.3.2-13] the Response Topic is a topic name: no wildcards.
    const problem = validateTopicName(responseTopic)
    if (problem) throw new CommandError(`${what}.responseTopic ${problem}`)
    out.responseTopic = responseTopic
  }
  if (record.correlationData !== undefined) {
    const data = record.correlationData
    if (typeof data !== 'string' || !isBase64(data)) throw new CommandError(`${what}.correlationData must be a base64 string`)
    out.correlationData = data
  }
  if (record.userProperties !== undefined) out.userProperties = userProperties(record.userProperties, `${what}.userProperties`)
  return out
}

function userProperties(value: unknown, what: string): Record<string, string | string[]> {
  const record = plainObject(value, what)
  // No prototype: a user property named "__proto__" is a user property, not a prototype to set.
  const out = Object.create(null) as Record<string, string | string[]>
  for (const [key, entry] of Object.entries(record)) {
    if (typeof entry === 'string') out[key] = entry
    else if (Array.isArray(entry) && entry.every((item) => typeof item === 'string')) out[key] = [...(entry as string[])]
    else throw new CommandError(`${what}["${truncate(key)}"] must be a string or an array of strings`)
  }
  return out
}

export function arity(command: CommandName, values: readonly unknown[], expected: number): void {
  if (values.length !== expected) {
    throw new CommandError(`${command} takes ${expected} argument${expected === 1 ? '' : 's'}, got ${values.length}`)
  }
}

function string(value: unknown, what: string, maxLength: number): string {
  if (typeof value !== 'string') throw new CommandError(`${what} must be a string, got ${describe(value)}`)
  if (value.length > maxLength) throw new CommandError(`${what} is longer than ${maxLength} characters`)
  return value
}

function boolean(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw new CommandError(`${what} must be true or false, got ${describe(value)}`)
  return value
}

function qos(value: unknown, what: string): QoS {
  if (value !== 0 && value !== 1 && value !== 2) throw new CommandError(`${what} must be 0, 1 or 2, got ${describe(value)}`)
  return value
}

export function plainObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CommandError(`${what} must be an object, got ${describe(value)}`)
  }
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) throw new CommandError(`${what} must be a plain object`)
  return value as Record<string, unknown>
}

export function onlyKeys(record: Record<string, unknown>, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(record)) {
    if (!allowed.includes(key)) throw new CommandError(`${what} has an unknown field "${truncate(key)}"`)
  }
}

/** Standard alphabet, padding optional; what btoa() and Buffer produce. */
export function isBase64(text: string): boolean {
  return text.length % 4 !== 1 && /^[A-Za-z0-9+/]*={0,2}$/.test(text)
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string') return `the string "${truncate(value)}"`
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return typeof value === 'object' ? 'an object' : typeof value
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text
}
