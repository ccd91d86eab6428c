/**
 * A fuzzer for the inspector's command protocol (the headless UI's WebSocket /api, which the IPC
 * channel shares its validator with): valid commands of every kind, then mutated — fields dropped
 * or given another type, sizes across the wire's limits (65,535 UTF-8 bytes), nasty Unicode (lone
 * surrogates, U+0000, emoji, right-to-left marks), extra keys (__proto__ too), extra and missing
 * arguments, unknown command names, bad request ids, text that is not JSON, binary frames — sent
 * over real WebSockets to a ui-server in front of a real broker.
 *
 * A run fails when the process sees an uncaught exception or unhandled rejection, the broker logs
 * an error (other than the ones a refused file path is expected to log), a request is not answered
 * exactly once (with its id, or id null when it had none usable) within the timeout, an error reply
 * is not a short string, a UI socket is closed, Object.prototype gains a property, or the health
 * check fails: an MQTT 5 client that also receives every message the fuzz cases publish (so each
 * one is encoded for delivery), plus a 3.1.1 witness, must stay connected and get every probe it
 * publishes every 200 ms.
 *
 * Each case is a pure function of (seed, index): a failure is reproduced from the seed and the
 * case index printed with it (generateCommandCase). Used by test/fuzz/inspector-fuzz.test.ts (a
 * short run in npm test) and bench/inspector-fuzz.ts (a long one).
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import WebSocket from 'ws'
import { Broker } from '../../src/main/broker/broker'
import { startUiServer, type UiServer } from '../../src/main/headless/ui-server'
import { Inspector } from '../../src/main/inspector/inspector'
import { toolCommandTable } from '../../src/main/tools/tool-commands'
import { ToolHost } from '../../src/main/tools/tool-host'
import type { SavedMessageStore } from '../../src/main/inspector/saved-messages'
import { createLogger } from '../../src/main/logger'
import { COMMAND_NAMES, type SavedMessage, type WsServerMessage } from '../../src/shared/api'
import { validateSetting } from '../../src/shared/settings'
import { freePort } from '../helpers/broker-harness'
import { caseRng, type Prng } from './fuzzer'

// ───────────────────────────── generation ─────────────────────────────

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

export const COMMAND_MUTATIONS = [
  'none',
  'drop-field',
  'retype',
  'unicode',
  'size',
  'extra-key',
  'args',
  'command-name',
  'request-id',
  'deep',
  'not-json',
  'binary'
] as const
export type CommandMutation = (typeof COMMAND_MUTATIONS)[number]

export interface CommandCase {
  index: number
  mutation: string
  /** What is sent: a text frame, or a binary one. */
  frame: { text: string } | { binary: Buffer }
  /** The id the reply must carry: the request's own, or null when it has none the server can use. */
  replyId: number | string | null
}

const TOPIC_POOL = ['fuzz/a', 'fuzz/b/c', 'fuzz/ü/€', 'fuzz/retained/1', 'fuzz/retained/2', 'f', 'fuzz/deep/1/2/3/4/5']
const BRIDGE_NAME_POOL = ['fuzz-bridge', 'fuzz-remote', '', 'ü', '../x']
const CLIENT_POOL = ['fuzz-client', 'ghost', '', 'ü-client', 'x'.repeat(200)]
const NAME_POOL = ['saved-a', 'saved-b', 'ünïcode', 'sp ace', 'x']
const NASTY_STRINGS = [
  '',
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\uDC00x',
  'x\uD83D',
  '😀',
  '\u202Eevil\u202C',
  '\uFEFF',
  'e\u0301\u0301\u0301',
  '#',
  '+',
  'a/#/b',
  '$SYS/broker/version',
  '$share/g/x',
  '../../etc/passwd',
  '%00',
  '\r\n',
  '=1+1',
  'é'.repeat(32_768),
  '€'.repeat(21_846),
  'a'.repeat(65_536),
  'a'.repeat(65_535)
]
const NASTY_NUMBERS = [
  0,
  -0,
  -1,
  1,
  0.5,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  -(2 ** 53),
  1e308,
  -1e308,
  65_535,
  65_536,
  4_294_967_295,
  4_294_967_296
]
const NASTY_NAMES = [
  '',
  'Publish',
  'publish ',
  'snapshot\u0000',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'run',
  'x'.repeat(10_000)
]
const NASTY_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', '', 'é', 'a\u0000', 'k'.repeat(70_000)]

/**
 * updateSettings patches. Only these keys get valid values: the rest could rebind listeners on
 * this shared machine, read real paths, or lock the health client out, which would be the test's
 * doing, not a bug. Every other key gets values of the wrong type or out of range.
 */
const SAFE_SETTINGS: Record<string, { make: (r: Prng) => Json; safe: (value: unknown) => boolean }> = {
  retainAvailable: { make: (r) => r.chance(0.5), safe: () => true },
  sharedSubscriptionAvailable: { make: (r) => r.chance(0.5), safe: () => true },
  subscriptionIdentifiersAvailable: { make: (r) => r.chance(0.5), safe: () => true },
  autoTopicAlias: { make: (r) => r.chance(0.5), safe: () => true },
  serverKeepAliveMode: { make: (r) => r.pick(['cap', 'override']), safe: () => true },
  sessionExpiryOverride: { make: (r) => (r.chance(0.5) ? null : r.int(1000)), safe: () => true },
  maxSubscriptionsPerClient: { make: (r) => r.pick([0, 100]), safe: (v) => v === 0 || v === 100 },
  maxQueuedBytes: { make: (r) => r.pick([0, 1_000_000]), safe: (v) => v === 0 || v === 1_000_000 },
  wsAllowedOrigins: { make: (r) => r.pick(['', 'https://a.example', '*', 'not an origin', 'http://x:1,http://y:2']), safe: () => true },
  maxSettingFileSize: { make: (r) => r.pick([1024, 16 * 1024 * 1024, 10, -1]), safe: () => true },
  // Paths the broker must refuse without blocking or reading (see FILE_PLACEHOLDERS), or none.
  inspectorRecordWithoutUi: { make: (r) => r.chance(0.5), safe: () => true },
  authFile: {
    make: (r) => r.pick([null, ...Object.keys(FILE_PLACEHOLDERS)]),
    safe: (v) => v === null || (typeof v === 'string' && Object.hasOwn(FILE_PLACEHOLDERS, v))
  }
}

/**
 * The tools' commands that act (run devices, replay) keep to what this shared machine can take:
 * a started generator runs at most 2 devices at 1 message a second for 2 messages, and a replay
 * goes only to this broker. Their validation is still fuzzed through saveGenerator and
 * previewGenerator, which act on nothing.
 */
function sanitizeTools(request: { command: Json; args: Json }): void {
  if (!Array.isArray(request.args)) return
  const first = request.args[0]
  if (first === null || typeof first !== 'object' || Array.isArray(first)) return
  if (request.command === 'startGenerator') {
    if (typeof first.devices === 'number') first.devices = Math.min(Math.max(first.devices, 1), 2)
    first.pace = { kind: 'interval', ms: 1000 }
    first.stop = { kind: 'count', count: 2 }
  }
  if (request.command === 'startReplay' && first.url !== undefined && first.url !== null) first.url = []
}

/**
 * After mutation, an updateSettings patch may hold any value for any key: one the broker would
 * accept for a key that is not safe to change here becomes [] (which no setting accepts).
 */
function sanitizeSettings(request: { command: Json; args: Json }): void {
  sanitizeTools(request)
  if (request.command !== 'updateSettings' || !Array.isArray(request.args)) return
  const patch = request.args[0]
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return
  for (const key of Object.keys(patch)) {
    const value = patch[key]
    if (!validateSetting(key, value).ok) continue
    const safe = Object.hasOwn(SAFE_SETTINGS, key) && SAFE_SETTINGS[key].safe(value)
    if (!safe) patch[key] = []
  }
}

/** Stand-ins in generated cases (which must not depend on the run's temp folder), replaced when sent. */
const FILE_PLACEHOLDERS: Record<string, (dir: string) => string> = {
  '@fifo@': (dir) => join(dir, 'fifo'),
  '@folder@': (dir) => dir,
  '@missing@': (dir) => join(dir, 'missing.json5'),
  '@zero@': () => '/dev/zero'
}
const OTHER_SETTING_KEYS = [
  'host',
  'tcpPort',
  'wsPort',
  'wsPath',
  'logLevel',
  'maximumQos',
  'receiveMaximum',
  'maximumPacketSize',
  'maxConnections',
  'allowAnonymous',
  'certFile',
  'tlsPort',
  'maxTopicLevels',
  'sysInterval',
  'noSuchSetting'
]

function randomString(r: Prng, max = 40): string {
  if (r.chance(0.15)) return r.pick(NASTY_STRINGS)
  const alphabet = 'abcdefghijklmnopqrstuvwxyz/+#$ü€😀\u0000 .-_'
  const chars = Array.from(alphabet)
  let out = ''
  const length = r.int(max)
  for (let i = 0; i < length; i++) out += r.pick(chars)
  return out
}

function base64(r: Prng, max = 64): string {
  return r.bytes(r.int(max)).toString('base64')
}

function properties(r: Prng): Json {
  const out: Record<string, Json> = {}
  if (r.chance(0.3)) out.payloadFormatIndicator = r.chance(0.5)
  if (r.chance(0.3)) out.messageExpiryInterval = r.pick([0, 1, 60, 4_294_967_295])
  if (r.chance(0.3)) out.contentType = r.pick(['text/plain', 'application/json', randomString(r)])
  if (r.chance(0.3)) out.responseTopic = r.pick(TOPIC_POOL)
  if (r.chance(0.3)) out.correlationData = base64(r)
  if (r.chance(0.3)) out.userProperties = { a: 'b', list: ['1', '2'], [randomString(r, 8)]: randomString(r, 8) }
  return out
}

function publishArgs(r: Prng): Record<string, Json> {
  const command: Record<string, Json> = {
    topic: r.chance(0.95) ? r.pick(TOPIC_POOL) : randomString(r),
    payload: r.chance(0.5) ? randomString(r, 100) : base64(r, 300),
    qos: r.int(3),
    retain: r.chance(0.3)
  }
  if (typeof command.payload === 'string' && r.chance(0.5)) command.payloadEncoding = r.pick(['utf8', 'base64'])
  if (r.chance(0.5)) command.properties = properties(r)
  return command
}

function generatorSpec(r: Prng): Record<string, Json> {
  return {
    name: r.pick(NAME_POOL),
    topic: r.pick(['sim/{{device}}/t', 'sim/{{counter}}', '{{', 'sim/#', '']),
    payload: r.pick(['{"t": {{random 20.0 25.0}}}', '{{counter}}', '{{nope}}', '{{random 1}}', 'plain']),
    qos: r.int(3),
    retain: r.chance(0.2),
    devices: r.pick([1, 2, 0, 100_000]),
    pace: r.pick<Json>([
      { kind: 'interval', ms: 1000 },
      { kind: 'rate', perSecond: 1 },
      { kind: 'interval', ms: 0 }
    ]),
    stop: r.pick<Json>([{ kind: 'count', count: 2 }, { kind: 'duration', seconds: 1 }, { kind: 'forever' }])
  }
}

function settingsPatch(r: Prng): Record<string, Json> {
  const patch: Record<string, Json> = {}
  const safeKeys = Object.keys(SAFE_SETTINGS)
  for (let i = r.int(3); i >= 0; i--) {
    const key = r.pick(safeKeys)
    patch[key] = SAFE_SETTINGS[key].make(r)
  }
  if (r.chance(0.3)) {
    // Wrong types only: never a value these keys would accept.
    patch[r.pick(OTHER_SETTING_KEYS)] = r.pick<Json>(['', 'x', true, [], {}, -1.5, 'null', '1883'])
  }
  return patch
}

/** A valid request for a random command. */
function validRequest(r: Prng, id: number): { id: Json; command: string; args: Json[] } {
  const command = r.pick(COMMAND_NAMES)
  const args = ((): Json[] => {
    switch (command) {
      case 'snapshot':
      case 'clearRetained':
      case 'clearTraffic':
      case 'listSavedMessages':
        return []
      case 'publish':
        return [publishArgs(r)]
      case 'disconnectClient':
      case 'deleteSession':
        return [r.pick(CLIENT_POOL)]
      case 'getRetained':
      case 'deleteRetained':
        return [r.pick(TOPIC_POOL)]
      case 'getTrafficPayload':
        return [r.int(20_000)]
      case 'setTrafficPaused':
        return [r.chance(0.2)]
      case 'updateSettings':
        return [settingsPatch(r)]
      case 'saveMessage':
        return [{ name: r.pick(NAME_POOL), ...publishArgs(r) }]
      case 'deleteSavedMessage':
        return [r.pick(NAME_POOL)]
      case 'deleteRetainedSubtree':
      case 'topicHistory':
        return [r.pick(TOPIC_POOL)]
      case 'historyPayload':
        return [r.pick(TOPIC_POOL), r.int(200)]
      case 'activity':
        return []
      case 'findTopics':
        return [
          {
            topic: r.pick(['', 'fuzz/#', 'fuzz/+/c', 'ü', '#']),
            payload: r.pick(['', 'a', '(a+)+$', '^.*$', '[', '\\', '(?<x>a)\\k<x>', randomString(r, 10)]),
            mode: r.pick(['substring', 'regex']),
            caseSensitive: r.chance(0.5),
            history: r.chance(0.5)
          }
        ]
      case 'watchSeries':
        return [[{ topic: r.pick(TOPIC_POOL), path: r.pick(['', 'a', 'a.b[0]', '[', 'x'.repeat(100)]) }]]
      case 'decodeSchema':
        return [
          r.chance(0.5)
            ? {
                kind: 'protobuf',
                proto: r.pick([
                  'syntax = "proto3"; message M { int32 a = 1; }',
                  'message',
                  '',
                  'syntax = "proto3"; message M { M m = 1; }'
                ]),
                messageType: r.pick(['M', '', 'N']),
                payload: base64(r, 16)
              }
            : { kind: 'sparkplug', payload: base64(r, 32) }
        ]
      case 'storeStatus':
      case 'clearStoredData':
      case 'toolStatus':
      case 'listGenerators':
      case 'stopRecording':
      case 'listRecordings':
      case 'pauseReplay':
      case 'resumeReplay':
      case 'stopReplay':
        return []
      case 'saveGenerator':
      case 'previewGenerator':
      case 'startGenerator':
        return [generatorSpec(r)]
      case 'deleteGenerator':
      case 'pauseGenerator':
      case 'resumeGenerator':
      case 'stopGenerator':
        return [r.pick(NAME_POOL)]
      case 'startRecording':
        return [{ pcap: r.chance(0.5) }]
      case 'networkAddresses':
        return []
      case 'clientDetails':
        return [r.pick(CLIENT_POOL)]
      case 'latestPayload':
        return [r.pick(TOPIC_POOL)]
      case 'deleteRetainedTopics':
        return [Array.from({ length: r.int(4) }, () => r.pick(TOPIC_POOL))]
      case 'trafficPayloads':
        return [Array.from({ length: r.int(6) }, () => r.int(20_000))]
      case 'listBridges':
        return []
      case 'saveBridge':
        // Remotes that refuse at once (nothing listens on port 9 here): the bridge only backs off.
        return [
          {
            config: {
              name: r.pick(BRIDGE_NAME_POOL),
              url: r.pick(['mqtt://127.0.0.1:9', 'ws://127.0.0.1:9/mqtt', 'mqtts://127.0.0.1:9', 'http://x', '']),
              topics: [r.pick(['# out 0', 'fuzz/# both 1', 'a in 2 local/ remote/', '# sideways', ''])],
              protocolVersion: r.pick([4, 5, 3]),
              maxQueuedMessages: r.pick([0, 10, -1, 1e9])
            },
            keepPassword: r.chance(0.5)
          }
        ]
      case 'deleteBridge':
        return [r.pick(BRIDGE_NAME_POOL)]
      case 'setBridgeRunning':
        return [r.pick(BRIDGE_NAME_POOL), r.chance(0.5)]
      case 'connectRemote':
        return [
          {
            url: r.pick(['mqtt://127.0.0.1:9', 'wss://127.0.0.1:9', 'nope']),
            name: r.pick(BRIDGE_NAME_POOL),
            prefix: r.pick(['remote/x/', '', '#/'])
          }
        ]
      case 'startReplay':
        return [{ recording: r.pick(['none.jsonl', '../x.jsonl', '', 'rec.jsonl']), speed: r.pick([0, 1, 2, -1]), url: null }]
    }
  })()
  return { id, command, args }
}

/** Every node of a JSON tree with a way to replace it (the root and the request id excluded). */
function nodes(root: Json): Array<{ value: Json; set: (v: Json) => void; remove: () => void }> {
  const out: Array<{ value: Json; set: (v: Json) => void; remove: () => void }> = []
  const walk = (value: Json, depth: number): void => {
    if (depth > 6 || value === null || typeof value !== 'object') return
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        out.push({ value: item, set: (v) => (value[i] = v), remove: () => value.splice(i, 1) })
        walk(item, depth + 1)
      })
      return
    }
    for (const key of Object.keys(value)) {
      if (depth === 0 && key === 'id') continue
      out.push({ value: value[key], set: (v) => (value[key] = v), remove: () => delete value[key] })
      walk(value[key], depth + 1)
    }
  }
  walk(root, 0)
  return out
}

function otherTypeValue(r: Prng): Json {
  return r.pick<() => Json>([
    () => null,
    () => r.chance(0.5),
    () => r.pick(NASTY_NUMBERS),
    () => randomString(r),
    () => [],
    () => [randomString(r), r.int(10)],
    () => ({}),
    () => ({ [randomString(r, 8)]: randomString(r, 8) })
  ])()
}

function mutate(r: Prng, request: { id: Json; command: Json; args: Json }, mutation: CommandMutation): void {
  const all = nodes(request as unknown as Json)
  const some = (): (typeof all)[number] | undefined => (all.length > 0 ? r.pick(all) : undefined)
  switch (mutation) {
    case 'drop-field':
      some()?.remove()
      break
    case 'retype':
      some()?.set(otherTypeValue(r))
      break
    case 'unicode': {
      const strings = all.filter((n) => typeof n.value === 'string')
      const target = strings.length > 0 ? r.pick(strings) : some()
      target?.set(r.pick(NASTY_STRINGS))
      break
    }
    case 'size': {
      const target = some()
      const size = r.pick([65_535, 65_536, 70_000, 100_000])
      if (r.chance(0.7)) target?.set(r.pick(['a', 'é', '€', '😀']).repeat(Math.ceil(size / 2)))
      else target?.set(Array.from({ length: r.pick([100, 1000, 10_000]) }, (_, i) => i))
      break
    }
    case 'extra-key': {
      const objects = all.filter((n) => n.value !== null && typeof n.value === 'object' && !Array.isArray(n.value))
      const target = (objects.length > 0 ? r.pick(objects).value : request) as Record<string, Json>
      target[r.pick(NASTY_KEYS)] = otherTypeValue(r)
      break
    }
    case 'args':
      if (Array.isArray(request.args)) {
        if (r.chance(0.5)) request.args.push(otherTypeValue(r))
        else request.args.pop()
      } else request.args = otherTypeValue(r)
      if (r.chance(0.1)) delete (request as Partial<typeof request>).args
      break
    case 'command-name':
      request.command = r.chance(0.8) ? r.pick(NASTY_NAMES) : otherTypeValue(r)
      break
    case 'request-id': {
      // Unusable ids (the reply then has id null), or odd but valid ones that stay unique.
      const unusable: Json[] = [null, true, {}, [], 'x'.repeat(101), Number.POSITIVE_INFINITY]
      const id = request.id
      // Derived from the case's own (unique, positive) id only once, so they cannot collide.
      const odd = typeof id === 'number' && Number.isInteger(id) && id > 0 ? [-id, id + 0.5, `s${id}`, `é😀${id}`] : []
      request.id = r.pick<Json>([...unusable, ...odd])
      if (r.chance(0.2)) delete (request as Partial<typeof request>).id
      break
    }
    case 'deep':
      // Spliced into the text when sent (see deepText): building it as a value would overflow our own stack.
      some()?.set(`${DEEP_MARK}${r.pick([50, 500, 10_000])}:${r.chance(0.5) ? 'array' : 'object'}`)
      break
    default:
      break
  }
}

const DEEP_MARK = '\u0001deep:'

/** JSON nested `depth` levels deep, as text. */
function deepText(depth: number, kind: string): string {
  return kind === 'array' ? `${'['.repeat(depth)}"bottom"${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}"bottom"${'}'.repeat(depth)}`
}

/** The reply id the server should use for a request that parsed as JSON. */
function expectedId(request: unknown): number | string | null {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return null
  const id = (request as { id?: unknown }).id
  if (typeof id === 'number' && Number.isFinite(id)) return id
  if (typeof id === 'string' && id.length <= 100) return id
  return null
}

const NOT_JSON = ['', '{', '}', 'undefined', 'NaN', "{'id':1}", '{"id":1,}', '{"id":1} trailing', '\u0000', '[1,2', '{"a":'] as const
const JSON_NOT_REQUEST = ['null', '[]', '1', '"snapshot"', 'true', '[{"id":1,"command":"snapshot"}]']

/** Case `index` of the run with `seed`; `nextId` is the request id to use (unique per run). */
export function generateCommandCase(seed: number, index: number, nextId: number): CommandCase {
  const r = caseRng(seed, index)
  const mutation = r.pick(COMMAND_MUTATIONS)
  if (mutation === 'binary') return { index, mutation, frame: { binary: r.bytes(r.int(64)) }, replyId: null }
  if (mutation === 'not-json') {
    const text = r.chance(0.5) ? r.pick(NOT_JSON) : r.pick(JSON_NOT_REQUEST)
    return { index, mutation, frame: { text }, replyId: null }
  }
  const request = validRequest(r, nextId) as { id: Json; command: Json; args: Json }
  let name: string = mutation
  if (mutation !== 'none') {
    mutate(r, request, mutation)
    // Now and then a second mutation on top.
    if (r.chance(0.2)) {
      const second = r.pick(COMMAND_MUTATIONS.slice(1, 10))
      mutate(r, request, second)
      name = `${mutation}+${second}`
    }
  }
  sanitizeSettings(request)
  const text = JSON.stringify(request)
  const replyId = expectedId(JSON.parse(text))
  const deep = text.replace(/"\\u0001deep:(\d+):(array|object)"/g, (_whole, depth: string, kind: string) => deepText(Number(depth), kind))
  return { index, mutation: name, frame: { text: deep }, replyId }
}

// ───────────────────────────── running ─────────────────────────────

export interface InspectorFuzzOptions {
  cases: number
  seed?: number
  /** UI sockets, each with `window` requests in flight (default 4 × 16). */
  sockets?: number
  window?: number
  /** A request not answered in this time is a failure (default 10 s). */
  replyTimeoutMs?: number
  stopOnFailure?: boolean
  onProgress?: (done: number, elapsedMs: number) => void
}

export interface InspectorFuzzFailure {
  kind: string
  message: string
  /** Case indices to regenerate with generateCommandCase(seed, index). */
  cases: number[]
  seed: number
}

export interface InspectorFuzzResult {
  seed: number
  cases: number
  durationMs: number
  casesPerSecond: number
  byMutation: Record<string, number>
  replies: { ok: number; refused: number; withoutId: number }
  probesSent: number
  probesReceived: number
  /** Messages the v5 health client and the 3.1.1 witness received (fuzz publishes encoded for delivery). */
  witnessed: number
  failures: InspectorFuzzFailure[]
}

/** Errors a refused file path or reload is expected to log; anything else logged at ERROR is a failure. */
const EXPECTED_ERRORS = [/^auth file: /]

/** The publish form's store, bounded (the fuzzer tests the commands, not the store's growth). */
class BoundedSavedMessages implements SavedMessageStore {
  private readonly messages = new Map<string, SavedMessage>()
  list(): SavedMessage[] {
    return [...this.messages.values()].map((m) => structuredClone(m))
  }
  save(message: SavedMessage): SavedMessage[] {
    this.messages.delete(message.name)
    this.messages.set(message.name, structuredClone(message))
    if (this.messages.size > 32) this.messages.delete(this.messages.keys().next().value as string)
    return this.list()
  }
  delete(name: string): SavedMessage[] {
    this.messages.delete(name)
    return this.list()
  }
}

interface Pending {
  caseIndex: number
  timer: NodeJS.Timeout
}

export async function runInspectorFuzz(options: InspectorFuzzOptions): Promise<InspectorFuzzResult> {
  const seed = (options.seed ?? Date.now() ^ (Math.random() * 0x7fffffff)) >>> 0
  const socketCount = options.sockets ?? 4
  const window = options.window ?? 16
  const replyTimeoutMs = options.replyTimeoutMs ?? 10_000
  const stopOnFailure = options.stopOnFailure ?? true
  const failures: InspectorFuzzFailure[] = []
  const byMutation: Record<string, number> = {}
  const recent: number[] = []
  const fail = (kind: string, message: string, cases: number[] = recent.slice(-8)): void => {
    if (failures.length < 50) failures.push({ kind, message: message.slice(0, 2000), cases, seed })
  }
  const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort().join(',')

  // A broker and its inspector behind a real ui-server, on free ports, with its errors watched.
  const dir = mkdtempSync(join(tmpdir(), 'brokerscope-inspector-fuzz-'))
  const rendererDir = join(dir, 'renderer')
  mkdirSync(rendererDir)
  execFileSync('mkfifo', [join(dir, 'fifo')])
  // The broker sets its logger's level from settings.logLevel on every update: keep only errors.
  const logger = createLogger('error', (line) => {
    const at = line.indexOf(' ERROR ')
    if (at < 0) return
    const text = line.slice(at + 7).trim()
    if (!EXPECTED_ERRORS.some((pattern) => pattern.test(text))) fail('error-logged', text)
  })
  const tcpPort = await freePort()
  // The tools' own caps, kept small here (their keys are not fuzzed with valid values).
  const broker = new Broker(
    { sysInterval: 0, tcpPort, wsPort: 0, persistence: false, simulateMaxDevices: 4, recordMaxBytes: 1024 * 1024, recordMaxSeconds: 30 },
    { logger }
  )
  await broker.start()
  // A small traffic log: snapshots (fuzzed like any command) stay cheap.
  const tools = new ToolHost({ broker, dataDir: dir, logger })
  const inspector = new Inspector(broker, {
    savedMessages: new BoundedSavedMessages(),
    trafficCapacity: 500,
    toolCommands: toolCommandTable(tools)
  })
  const token = `fuzz-${seed.toString(36)}-token-0123456789`
  const withFiles = (text: string): string =>
    text.includes('"@')
      ? text.replace(/"(@[a-z]+@)"/g, (whole, key: string) =>
          FILE_PLACEHOLDERS[key] ? JSON.stringify(FILE_PLACEHOLDERS[key](dir)) : whole
        )
      : text
  const server: UiServer = await startUiServer(inspector, { host: '127.0.0.1', port: 0, rendererDir, token })

  const onUncaught = (error: unknown): void => fail('uncaught-exception', String((error as Error)?.stack ?? error))
  const onRejection = (error: unknown): void => fail('unhandled-rejection', String((error as Error)?.stack ?? error))
  process.on('uncaughtException', onUncaught)
  process.on('unhandledRejection', onRejection)

  // Health: a v5 client that receives everything published (so every fuzz publish is encoded for
  // it, with topic aliases), a 3.1.1 witness, and a probe every 200 ms that must come back.
  let ending = false
  const probeTopic = `probe-${seed.toString(36)}/probe`
  const healthy = await mqtt.connectAsync(`mqtt://127.0.0.1:${tcpPort}`, {
    clientId: `probe-${seed.toString(36)}`,
    protocolVersion: 5,
    reconnectPeriod: 0,
    properties: { topicAliasMaximum: 20 }
  })
  const witness = await mqtt.connectAsync(`mqtt://127.0.0.1:${tcpPort}`, {
    clientId: `witness-${seed.toString(36)}`,
    protocolVersion: 4,
    reconnectPeriod: 0
  })
  let witnessed = 0
  let probesSent = 0
  let probesReceived = 0
  const pendingProbes = new Set<string>()
  for (const [name, client] of [
    ['the v5 health client', healthy],
    ['the 3.1.1 witness', witness]
  ] as const) {
    client.on('close', () => void (ending || fail('healthy-disconnected', `${name} was disconnected`)))
    client.on('error', (error) => void (ending || fail('healthy-disconnected', `${name}: ${error.message}`)))
    client.on('message', (topic, payload) => {
      witnessed++
      if (client === healthy && topic === probeTopic && pendingProbes.delete(payload.toString())) probesReceived++
    })
  }
  await healthy.subscribeAsync('#', { qos: 1 })
  await witness.subscribeAsync('#', { qos: 1 })
  const probeTimer = setInterval(() => {
    const payload = String(probesSent++)
    pendingProbes.add(payload)
    healthy.publish(probeTopic, payload, { qos: 1 })
  }, 200)

  // The UI sockets, each a page: cases are dealt out to them in order; `window` in flight each.
  let nextCase = 0
  let nextId = 1
  let done = 0
  const replies = { ok: 0, refused: 0, withoutId: 0 }
  const started = Date.now()
  let lastProgress = started
  const stopped = (): boolean => stopOnFailure && failures.length > 0

  const runSocket = (): Promise<void> =>
    new Promise((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${token}`, { origin: `http://127.0.0.1:${server.port}` })
      const byId = new Map<number | string, Pending>()
      /** Cases whose reply has id null, oldest first: the server answers those without an id. */
      const withoutId: Pending[] = []
      let finished = false
      const finish = (): void => {
        if (finished) return
        finished = true
        for (const pending of [...byId.values(), ...withoutId]) clearTimeout(pending.timer)
        ws.removeAllListeners('close')
        ws.terminate()
        resolve()
      }
      const settle = (): void => {
        done++
        if (options.onProgress && Date.now() - lastProgress >= 1000) {
          lastProgress = Date.now()
          options.onProgress(done, lastProgress - started)
        }
        pump()
      }
      const pump = (): void => {
        if (stopped()) return finish()
        while (byId.size + withoutId.length < window && nextCase < options.cases) {
          const c = generateCommandCase(seed, nextCase++, nextId++)
          recent.push(c.index)
          if (recent.length > 64) recent.shift()
          byMutation[c.mutation.split('+')[0]] = (byMutation[c.mutation.split('+')[0]] ?? 0) + 1
          const pending: Pending = {
            caseIndex: c.index,
            timer: setTimeout(() => {
              fail('no-reply', `case ${c.index} (${c.mutation}) got no reply within ${replyTimeoutMs} ms`, [c.index])
              finish()
            }, replyTimeoutMs)
          }
          if (c.replyId === null) withoutId.push(pending)
          else byId.set(c.replyId, pending)
          if ('binary' in c.frame) ws.send(c.frame.binary, { binary: true })
          else ws.send(withFiles(c.frame.text))
        }
        if (byId.size + withoutId.length === 0 && nextCase >= options.cases) finish()
      }
      ws.on('open', pump)
      ws.on('message', (data: Buffer, isBinary) => {
        if (isBinary) return fail('bad-reply', 'the server sent a binary frame')
        const message = JSON.parse(data.toString()) as WsServerMessage
        if ('event' in message) return
        const pending = message.id === null ? withoutId.shift() : byId.get(message.id)
        if (pending === undefined) return fail('bad-reply', `a reply nobody asked for: ${data.toString().slice(0, 200)}`)
        if (message.id !== null) byId.delete(message.id)
        clearTimeout(pending.timer)
        if (message.ok) replies.ok++
        else {
          replies.refused++
          if (typeof message.error !== 'string' || message.error.length === 0 || message.error.length > 4000) {
            fail('bad-reply', `case ${pending.caseIndex}: the error is not a short message (${String(message.error).length} chars)`, [
              pending.caseIndex
            ])
          }
        }
        if (message.id === null) replies.withoutId++
        settle()
      })
      ws.on('unexpected-response', (_req, res) => {
        fail('socket', `the UI socket was refused: HTTP ${res.statusCode}`)
        finish()
      })
      ws.on('error', (error) => {
        fail('socket', `UI socket error: ${error.message}`)
        finish()
      })
      ws.on('close', (code) => {
        fail('socket', `the server closed a UI socket (${code})`)
        finish()
      })
    })

  await Promise.all(Array.from({ length: socketCount }, () => runSocket()))
  const durationMs = Date.now() - started

  // The inspector still answers, the probes all came back, nothing was polluted.
  const after = await inspector.handleCommand('snapshot', []).catch((error: unknown) => {
    fail('after', `snapshot failed after the run: ${String(error)}`)
    return null
  })
  if (after !== null && after.stats.clientsConnected < 2) fail('after', 'the health clients are not connected after the run')
  const deadline = Date.now() + 3000
  while (pendingProbes.size > 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  if (pendingProbes.size > 1) fail('probes', `${pendingProbes.size} probes did not come back`)
  if (Object.getOwnPropertyNames(Object.prototype).sort().join(',') !== prototypeBefore) fail('pollution', 'Object.prototype changed')
  // Whatever a command let in, the broker could encode it for every subscriber (src/shared/mqtt-wire.ts).
  const encodingFailed = broker.stats().droppedByReason['encoding-failed']
  if (encodingFailed > 0) fail('encoding', `${encodingFailed} deliveries could not be encoded`)

  ending = true
  clearInterval(probeTimer)
  await Promise.all([healthy.endAsync(true), witness.endAsync(true)]).catch(() => {})
  await server.close()
  await tools.dispose()
  inspector.dispose()
  await broker.stop()
  process.off('uncaughtException', onUncaught)
  process.off('unhandledRejection', onRejection)
  rmSync(dir, { recursive: true, force: true })

  return {
    seed,
    cases: done,
    durationMs,
    casesPerSecond: Math.round((done * 1000) / Math.max(1, durationMs)),
    byMutation,
    replies,
    probesSent,
    probesReceived,
    witnessed,
    failures
  }
}

export function formatCommandFailure(failure: InspectorFuzzFailure): string {
  const lines = [`${failure.kind}: ${failure.message}`, `  seed ${failure.seed}, cases ${failure.cases.join(', ')}`]
  for (const index of failure.cases.slice(-3)) {
    const c = generateCommandCase(failure.seed, index, 1)
    const sent = 'binary' in c.frame ? `binary ${c.frame.binary.toString('hex')}` : c.frame.text
    lines.push(`  case ${index} (${c.mutation}): ${sent.slice(0, 300)}${sent.length > 300 ? `… (${sent.length} chars)` : ''}`)
  }
  return lines.join('\n')
}
