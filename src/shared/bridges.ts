/**
 * Bridges to other brokers: the configuration record, its defaults, and the one validator used at
 * every edge (config file, command line, the UI's form and commands, bridges.json). Pure: no Node or
 * DOM imports, so the renderer checks a form with the same code.
 *
 * Topic rules are written as mosquitto writes them (mosquitto.conf(5), `topic`):
 *
 *   pattern [[[ out | in | both ] qos] local-prefix remote-prefix]
 *
 * default `out`, QoS 0, no prefixes; `""` stands for an empty pattern or prefix. An outgoing rule
 * subscribes to local-prefix + pattern on our broker and publishes with the local prefix replaced by
 * the remote one; an incoming rule subscribes to remote-prefix + pattern on the remote and publishes
 * here with the remote prefix replaced by the local one. An empty pattern maps one topic to another
 * (both prefixes are then needed and are the two topics).
 */
import type { QoS } from './broker-types'
import { topicFilterProblem } from './topic-match'

export type BridgeDirection = 'in' | 'out' | 'both'
export const BRIDGE_DIRECTIONS: readonly BridgeDirection[] = ['in', 'out', 'both']

export interface TopicRule {
  pattern: string
  direction: BridgeDirection
  qos: QoS
  localPrefix: string
  remotePrefix: string
}

/** 'bridge': carries topics both ways as its rules say; 'inspect': a read-only look at a remote broker. */
export type BridgeKind = 'bridge' | 'inspect'

export interface BridgeConfig {
  /** Names the bridge everywhere: its local client id ($bridge/<name>), $SYS/broker/connection/<name>/state. */
  name: string
  kind: BridgeKind
  /** The remote broker: mqtt://, mqtts://, ws:// or wss:// (ws paths as the remote serves them, e.g. /mqtt). */
  url: string
  /** Runs at start (and Start / Stop in the UI changes it). */
  enabled: boolean
  /** Client id on the remote; null: `<name>.<this host's name>`, as mosquitto does. */
  clientId: string | null
  username: string | null
  password: string | null
  /** MQTT 3.1.1 (4) or 5 towards the remote. */
  protocolVersion: 4 | 5
  /** 3.1.1: tell the remote it is a bridge (mosquitto's try_private), so it does not echo our messages back. */
  tryPrivate: boolean
  /** Clean start (3.1.1 clean session) on the remote. */
  cleanStart: boolean
  /** v5: seconds the remote keeps our session (and queues for us) while we are away; 0xffffffff: never expires. */
  sessionExpiry: number
  /** Seconds; the remote is pinged when nothing else went out. */
  keepAlive: number
  /** PEM file of the CA that signed the remote's certificate (mqtts, wss); null: the system's CAs. */
  caFile: string | null
  /** PEM client certificate and key, when the remote asks for one. */
  certFile: string | null
  keyFile: string | null
  /** Do not check the remote's certificate (testing only: anyone could pose as the remote). */
  insecure: boolean
  topics: string[]
  /** Messages kept for the remote while it is away (QoS 1/2); more are dropped as bridge-queue-full. */
  maxQueuedMessages: number
  /** Payload bytes kept for the remote while it is away; 0: no byte bound. */
  maxQueuedBytes: number
  /** QoS 1/2 messages sent to the remote and not yet acknowledged, at most (the remote's Receive Maximum may lower it). */
  maxInflight: number
  /** The user name our ACL applies to the bridge's local side; null: anonymous rules. */
  localUsername: string | null
}

export const BRIDGE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
export const BRIDGE_URL_SCHEMES = ['mqtt:', 'mqtts:', 'ws:', 'wss:'] as const
export const NEVER_EXPIRES = 0xffffffff
export const MAX_TOPIC_RULES = 100

export const BRIDGE_DEFAULTS: Omit<BridgeConfig, 'name' | 'url' | 'topics'> = {
  kind: 'bridge',
  enabled: true,
  clientId: null,
  username: null,
  password: null,
  protocolVersion: 5,
  tryPrivate: true,
  cleanStart: false,
  sessionExpiry: 3600,
  keepAlive: 60,
  caFile: null,
  certFile: null,
  keyFile: null,
  insecure: false,
  maxQueuedMessages: 10_000,
  maxQueuedBytes: 64 * 1024 * 1024,
  maxInflight: 100,
  localUsername: null
}

/** The local prefix a remote inspection's topics appear under in the tree. */
export function inspectPrefix(name: string): string {
  return `remote/${name}/`
}

/** The local prefix an inspection's topics are under (its first rule's), or '' when it has none. */
export function inspectionPrefixOf(config: Pick<BridgeConfig, 'topics'>): string {
  const parsed = config.topics.length > 0 ? parseTopicRule(config.topics[0]) : null
  return parsed?.ok ? parsed.rule.localPrefix : ''
}

/** An inspection of a remote broker: everything it carries (and its $SYS) in, nothing out, under its prefix. */
export function inspectTopics(prefix: string): string[] {
  const local = prefix === '' ? '""' : prefix
  return [`# in 0 ${local} ""`, `$SYS/# in 0 ${local} ""`]
}

// ───────────────────────────── topic rules ─────────────────────────────

export type RuleResult = { ok: true; rule: TopicRule } | { ok: false; error: string }

const unquote = (token: string): string => (token === '""' ? '' : token)
const quote = (value: string): string => (value === '' ? '""' : value)

/** Parse one rule in mosquitto's form. */
export function parseTopicRule(text: string): RuleResult {
  const tokens = text
    .trim()
    .split(/\s+/)
    .filter((t) => t.length > 0)
  if (tokens.length === 0) return { ok: false, error: 'is empty (write e.g. "sensors/# out 1")' }
  if (tokens.length > 5)
    return { ok: false, error: `has ${tokens.length} parts; at most 5: pattern [in|out|both] [qos] [local-prefix] [remote-prefix]` }
  const [patternToken, directionToken = 'out', qosToken = '0', localToken = '""', remoteToken = '""'] = tokens
  if (!(BRIDGE_DIRECTIONS as readonly string[]).includes(directionToken)) {
    return { ok: false, error: `direction must be in, out or both (got "${directionToken}")` }
  }
  if (qosToken !== '0' && qosToken !== '1' && qosToken !== '2') return { ok: false, error: `QoS must be 0, 1 or 2 (got "${qosToken}")` }
  const rule: TopicRule = {
    pattern: unquote(patternToken),
    direction: directionToken as BridgeDirection,
    qos: Number(qosToken) as QoS,
    localPrefix: unquote(localToken),
    remotePrefix: unquote(remoteToken)
  }
  const problem = topicRuleProblem(rule)
  return problem === null ? { ok: true, rule } : { ok: false, error: problem }
}

/** The rule in mosquitto's form, as short as it can be written. */
export function formatTopicRule(rule: TopicRule): string {
  const parts = [quote(rule.pattern), rule.direction, String(rule.qos), quote(rule.localPrefix), quote(rule.remotePrefix)]
  let keep = parts.length
  const defaults = [null, 'out', '0', '""', '""']
  // Trailing defaults can go, but the prefixes go (or stay) as a pair, as mosquitto reads them.
  if (parts[3] === '""' && parts[4] === '""') {
    keep = 3
    while (keep > 1 && parts[keep - 1] === defaults[keep - 1]) keep--
  }
  return parts.slice(0, keep).join(' ')
}

/** Why a rule cannot work (mosquitto's table of valid prefix combinations), or null. */
export function topicRuleProblem(rule: TopicRule): string | null {
  for (const [what, prefix] of [
    ['local prefix', rule.localPrefix],
    ['remote prefix', rule.remotePrefix]
  ] as const) {
    if (prefix.includes('+') || prefix.includes('#')) return `${what} "${prefix}" must not contain + or #`
    if (prefix.includes('\u0000')) return `${what} contains a null character`
  }
  if (rule.pattern === '') {
    // An empty pattern remaps one topic: both prefixes are the topics.
    if (rule.localPrefix === '' || rule.remotePrefix === '')
      return 'an empty pattern ("") needs both a local and a remote prefix (the two topics)'
    return null
  }
  for (const [what, filter] of [
    ['local filter', rule.localPrefix + rule.pattern],
    ['remote filter', rule.remotePrefix + rule.pattern]
  ] as const) {
    const problem = topicFilterProblem(filter)
    if (problem !== null) return `${what} "${filter}" ${problem}`
  }
  return null
}

// ───────────────────────────── validation ─────────────────────────────

export interface BridgeConfigError {
  /** Where in the record: ['topics', 2] for the third rule. */
  path: Array<string | number>
  message: string
}

export type BridgeConfigResult = { ok: true; value: BridgeConfig } | { ok: false; errors: BridgeConfigError[] }

const KEYS = new Set<string>(['name', 'url', 'topics', ...Object.keys(BRIDGE_DEFAULTS)])

/**
 * Check a bridge as the config file, the command line, the UI or bridges.json give it: every key
 * checked, unknown keys refused, defaults filled in. User name and password may come in the URL
 * (mqtt://user:pass@host); they are moved to their fields.
 */
export function validateBridgeConfig(raw: unknown): BridgeConfigResult {
  const errors: BridgeConfigError[] = []
  const fail = (path: Array<string | number>, message: string): void => void errors.push({ path, message })
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, errors: [{ path: [], message: 'a bridge must be an object like { name, url, topics }' }] }
  }
  const record = raw as Record<string, unknown>
  for (const key of Object.keys(record)) if (!KEYS.has(key)) fail([key], `unknown bridge setting "${key}"`)

  const value: BridgeConfig = { ...BRIDGE_DEFAULTS, name: '', url: '', topics: [] }
  const text = (key: keyof BridgeConfig, nullable: boolean, max = 65535): void => {
    const v = record[key]
    if (v === undefined) return
    if (v === null && nullable) (value as unknown as Record<string, unknown>)[key] = null
    else if (typeof v !== 'string') fail([key], `must be ${nullable ? 'text or null' : 'text'}`)
    else if (v.length > max) fail([key], `must be at most ${max} characters`)
    else (value as unknown as Record<string, unknown>)[key] = nullable && v === '' ? null : v
  }
  const flag = (key: keyof BridgeConfig): void => {
    const v = record[key]
    if (v === undefined) return
    if (typeof v !== 'boolean') fail([key], 'must be true or false')
    else (value as unknown as Record<string, unknown>)[key] = v
  }
  const integer = (key: keyof BridgeConfig, min: number, max: number): void => {
    const v = record[key]
    if (v === undefined) return
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail([key], `must be a whole number between ${min} and ${max}`)
    else (value as unknown as Record<string, unknown>)[key] = v
  }

  if (typeof record.name !== 'string' || !BRIDGE_NAME_PATTERN.test(record.name)) {
    fail(['name'], 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit')
  } else value.name = record.name
  if (record.kind !== undefined) {
    if (record.kind !== 'bridge' && record.kind !== 'inspect') fail(['kind'], 'must be "bridge" or "inspect"')
    else value.kind = record.kind
  }
  flag('enabled')
  text('clientId', true, 65535)
  text('username', true)
  text('password', true)
  if (record.protocolVersion !== undefined) {
    if (record.protocolVersion !== 4 && record.protocolVersion !== 5) fail(['protocolVersion'], 'must be 4 (MQTT 3.1.1) or 5')
    else value.protocolVersion = record.protocolVersion
  }
  flag('tryPrivate')
  flag('cleanStart')
  integer('sessionExpiry', 0, NEVER_EXPIRES)
  integer('keepAlive', 5, 65535)
  text('caFile', true, 4096)
  text('certFile', true, 4096)
  text('keyFile', true, 4096)
  flag('insecure')
  integer('maxQueuedMessages', 1, 10_000_000)
  integer('maxQueuedBytes', 0, 2 ** 40)
  integer('maxInflight', 1, 65535)
  text('localUsername', true)
  if (value.clientId !== null && value.clientId.length === 0) value.clientId = null
  if ((value.certFile === null) !== (value.keyFile === null))
    fail([value.certFile === null ? 'certFile' : 'keyFile'], 'certFile and keyFile go together')

  // The URL: scheme, host, port; credentials in it move to username / password.
  if (typeof record.url !== 'string' || record.url.trim() === '') fail(['url'], 'must be a URL like mqtt://broker.example.com:1883')
  else {
    const parsed = parseBrokerUrl(record.url.trim())
    if (!parsed.ok) fail(['url'], parsed.error)
    else {
      value.url = parsed.url
      if (parsed.username !== null) {
        if (record.username !== undefined && record.username !== null && record.username !== parsed.username) {
          fail(['username'], 'is also given in the URL, differently')
        }
        value.username = parsed.username
        if (parsed.password !== null) value.password = parsed.password
      }
    }
  }
  if (value.password !== null && value.username === null) fail(['password'], 'needs a user name (MQTT sends no password without one)')

  // Topic rules: strings in mosquitto's form.
  if (record.topics === undefined && value.kind === 'inspect' && value.name !== '') value.topics = inspectTopics(inspectPrefix(value.name))
  else if (!Array.isArray(record.topics) || record.topics.length === 0)
    fail(['topics'], 'needs at least one topic rule, like "sensors/# both 1"')
  else if (record.topics.length > MAX_TOPIC_RULES) fail(['topics'], `at most ${MAX_TOPIC_RULES} topic rules`)
  else {
    record.topics.forEach((item: unknown, index: number) => {
      if (typeof item !== 'string') {
        fail(['topics', index], 'must be a rule like "sensors/# both 1 local/ remote/"')
        return
      }
      const parsed = parseTopicRule(item)
      if (!parsed.ok) fail(['topics', index], `"${item}" ${parsed.error}`)
      else {
        if (value.kind === 'inspect' && parsed.rule.direction !== 'in') {
          fail(['topics', index], `"${item}": an inspection is read-only, so every rule is "in"`)
        }
        value.topics.push(formatTopicRule(parsed.rule))
      }
    })
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value }
}

/** The rules of a valid config, parsed. */
export function topicRulesOf(config: BridgeConfig): TopicRule[] {
  return config.topics.map((line) => {
    const parsed = parseTopicRule(line)
    if (!parsed.ok) throw new Error(`bridge ${config.name}: topic "${line}" ${parsed.error}`)
    return parsed.rule
  })
}

export type BrokerUrlResult =
  | { ok: true; url: string; scheme: (typeof BRIDGE_URL_SCHEMES)[number]; host: string; username: string | null; password: string | null }
  | { ok: false; error: string }

/** Check a remote broker URL; credentials are taken out of it. */
export function parseBrokerUrl(text: string): BrokerUrlResult {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return { ok: false, error: `"${text}" is not a URL (write e.g. mqtt://broker.example.com:1883)` }
  }
  const scheme = url.protocol as (typeof BRIDGE_URL_SCHEMES)[number]
  if (!(BRIDGE_URL_SCHEMES as readonly string[]).includes(scheme)) {
    return { ok: false, error: `scheme must be mqtt://, mqtts://, ws:// or wss:// (got ${url.protocol}//)` }
  }
  if (url.hostname === '') return { ok: false, error: 'needs a host name' }
  if ((scheme === 'mqtt:' || scheme === 'mqtts:') && url.pathname !== '' && url.pathname !== '/') {
    return { ok: false, error: `an ${scheme}// URL has no path (got ${url.pathname})` }
  }
  const username = url.username === '' ? null : decodeURIComponent(url.username)
  const password = url.password === '' ? null : decodeURIComponent(url.password)
  url.username = ''
  url.password = ''
  let clean = url.toString()
  // new URL() adds a "/" to mqtt://host; the broker's URL reads better without it.
  if ((scheme === 'mqtt:' || scheme === 'mqtts:') && clean.endsWith('/')) clean = clean.slice(0, -1)
  return { ok: true, url: clean, scheme, host: url.hostname, username, password }
}

/** A name for a bridge to this URL that is not taken yet: the host, then host-2, host-3… */
export function suggestBridgeName(url: string, taken: ReadonlySet<string>): string {
  const parsed = parseBrokerUrl(url)
  const base =
    (parsed.ok ? parsed.host : 'remote')
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 56) || 'remote'
  if (!taken.has(base)) return base
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`
}

// ───────────────────────────── requests from the UI ─────────────────────────────

/** Add a bridge, or change one (previousName: the name it had, when it is renamed). */
export interface SaveBridgeRequest {
  /** Checked with validateBridgeConfig on the main side. */
  config: Partial<BridgeConfig> & { name: string; url: string }
  previousName?: string
  /** Keep the stored password when the form left it empty (the UI never sees passwords). */
  keepPassword?: boolean
}

/** "Connect to a broker…": a read-only inspection of a remote broker under its own prefix. */
export interface InspectRequest {
  url: string
  username?: string | null
  password?: string | null
  /** Default: the host name (host-2, host-3… when taken). */
  name?: string
  /** Where its topics appear here; default remote/<name>/. */
  prefix?: string
  protocolVersion?: 4 | 5
  caFile?: string | null
  insecure?: boolean
}

// ───────────────────────────── status, as the inspector reports it ─────────────────────────────

export type BridgeState = 'stopped' | 'connecting' | 'connected' | 'waiting'

export interface BridgeCounters {
  /** Messages from the remote published here, and their payload bytes. */
  messagesIn: number
  bytesIn: number
  /** Messages sent to the remote (acknowledged by it at QoS 1/2), and their payload bytes. */
  messagesOut: number
  bytesOut: number
  /** Messages for the remote that did not reach it, by reason (bridge-queue-full, qos0-offline, …). */
  dropped: Record<string, number>
  /** Connection attempts after the first. */
  reconnects: number
}

export interface BridgeStatus {
  /** The config as given, with the password left out (passwordSet says whether there is one). */
  config: Omit<BridgeConfig, 'password'> & { password: null }
  passwordSet: boolean
  /** Where it was defined: the config file or command line (read-only here) or the UI (bridges.json). */
  source: 'config' | 'ui'
  state: BridgeState
  /** Why the last connection failed or ended, in words ("connection refused", "not authorized", "TLS: unknown CA"). */
  lastError: string | null
  lastErrorAt: number | null
  connectedSince: number | null
  /** When the next connection attempt is due (state 'waiting'). */
  nextAttemptAt: number | null
  /** MQTT 3.1.1 with try_private: whether the remote took the bridge flag (null: not known yet). */
  bridgeFlagAccepted: boolean | null
  /** Messages waiting for the remote in the bridge's local session, and in flight to it. */
  queued: number
  inflight: number
  /** Recent problems that did not stop it (a refused subscription or message), newest last, with their time. */
  problems: string[]
  counters: BridgeCounters
}
