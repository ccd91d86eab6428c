/**
 * Command-line flags for the headless broker. Every BrokerSettings key is a flag in kebab-case
 * (tcpPort -> --tcp-port); a few aliases follow mosquitto (-p, -c, -v) and mqtt-broker-tokio
 * (--mqtt-retain-support=false ...). Values go through validateSetting, the same check the config
 * file, the IPC API and the settings form use. Pure: no I/O.
 */
import { DEFAULT_SETTINGS, SETTING_FIELDS, validateSetting, type BrokerSettings } from '../../shared/settings'
import { UI_TOKEN_RULE, uiTokenProblem } from './ui-token'

export interface CliParseResult {
  help: boolean
  version: boolean
  configPath: string | null
  /** --data-dir: where settings saved from the UI and saved messages live; null = the default folder. */
  dataDir: string | null
  settings: Partial<BrokerSettings>
  /** The headless inspector UI (not broker settings). */
  ui: UiOptions
  /** --bridge URL, each with the --bridge-topic rules that follow it (checked by cli.ts with the bridge validator). */
  bridges: QuickBridge[]
  errors: string[]
}

/** A bridge from the command line: `--bridge mqtt://host:1883 --bridge-topic 'sensors/# both 1'`. */
export interface QuickBridge {
  url: string
  topics: string[]
}

export interface UiOptions {
  /** HTTP port of the inspector UI; 0 turns it off. */
  port: number
  host: string
  /** Fixed access token (for scripts); null = from tokenFile, $BROKERSCOPE_UI_TOKEN, or a new random one each run. */
  token: string | null
  /** File whose first line is the access token (not visible in `ps`, unlike --ui-token). */
  tokenFile: string | null
}

export const DEFAULT_UI_PORT = 8090

export type SettingKey = keyof BrokerSettings

export const SETTING_KEYS = Object.keys(SETTING_FIELDS) as SettingKey[]

/** tcpPort -> tcp-port */
export function toKebabCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())
}

/** tcp-port -> tcpPort */
export function toCamelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())
}

/** The command-line flag for a setting: tcpPort -> --tcp-port. */
export function settingFlag(key: SettingKey): string {
  return '--' + toKebabCase(key)
}

/** Other names for setting flags (mosquitto / mqtt-broker-tokio habits and short forms). */
export const SETTING_FLAG_ALIASES: Readonly<Record<string, SettingKey>> = Object.freeze({
  '-p': 'tcpPort',
  '--port': 'tcpPort',
  '-b': 'host',
  '--bind': 'host',
  '--max-qos': 'maximumQos',
  '--max-packet-size': 'maximumPacketSize',
  '--mqtt-retain-support': 'retainAvailable',
  '--mqtt-shared-sub-support': 'sharedSubscriptionAvailable',
  '--mqtt-sub-id-support': 'subscriptionIdentifiersAvailable',
  '--mqtt-wc-support': 'wildcardSubscriptionAvailable',
  '--mqtt-maximum-qos': 'maximumQos',
  '--mqtt-receive-maximum': 'receiveMaximum',
  '--mqtt-maximum-packet-size': 'maximumPacketSize',
  '--mqtt-topic-alias-maximum': 'topicAliasMaximum',
  '--mqtt-auto-map-topic-alias': 'autoTopicAlias',
  '--mqtt-server-keep-alive': 'serverKeepAlive',
  '--mqtt-session-expiry-interval': 'sessionExpiryOverride'
} satisfies Record<string, SettingKey>)

type OptionSpec =
  | { type: 'setting'; key: SettingKey }
  | { type: 'preset'; key: SettingKey; value: BrokerSettings[SettingKey] }
  | { type: 'config' }
  | { type: 'data-dir' }
  | { type: 'bridge' }
  | { type: 'bridge-topic' }
  | { type: 'ui'; field: keyof UiOptions }
  | { type: 'help' }
  | { type: 'version' }

const OPTIONS: ReadonlyMap<string, OptionSpec> = buildOptions()

function buildOptions(): Map<string, OptionSpec> {
  const options = new Map<string, OptionSpec>()
  for (const key of SETTING_KEYS) options.set(settingFlag(key), { type: 'setting', key })
  for (const [name, key] of Object.entries(SETTING_FLAG_ALIASES)) options.set(name, { type: 'setting', key })
  options.set('--lan', { type: 'preset', key: 'host', value: '0.0.0.0' })
  options.set('-v', { type: 'preset', key: 'logLevel', value: 'debug' })
  options.set('--verbose', { type: 'preset', key: 'logLevel', value: 'debug' })
  options.set('--ui-port', { type: 'ui', field: 'port' })
  options.set('--ui-host', { type: 'ui', field: 'host' })
  options.set('--ui-token', { type: 'ui', field: 'token' })
  options.set('--ui-token-file', { type: 'ui', field: 'tokenFile' })
  options.set('-c', { type: 'config' })
  options.set('--config', { type: 'config' })
  options.set('--data-dir', { type: 'data-dir' })
  options.set('--bridge', { type: 'bridge' })
  options.set('--bridge-topic', { type: 'bridge-topic' })
  options.set('-h', { type: 'help' })
  options.set('--help', { type: 'help' })
  options.set('-V', { type: 'version' })
  options.set('--version', { type: 'version' })
  return options
}

const TRUE_WORDS = ['true', '1', 'yes', 'on']
const FALSE_WORDS = ['false', '0', 'no', 'off']
const NULL_WORDS = ['none', 'off', 'null']

/** What a setting accepts, in words: "a whole number between 0 and 65535". */
export function describeAccepted(key: SettingKey): string {
  const field = SETTING_FIELDS[key]
  switch (field.kind) {
    case 'boolean':
      return 'true or false (also yes/no, 1/0)'
    case 'integer':
      return `a whole number between ${field.min} and ${field.max}${field.nullable ? ', or none' : ''}`
    case 'enum':
      return `one of ${field.values.join(', ')}`
    case 'string':
      if (key === 'apiKey') return '16 to 128 letters, digits, - _ . or ~, or none'
      if (field.nullable) return 'a file path, or none'
      return key === 'host'
        ? 'a host name or IP address'
        : key === 'wsPath'
          ? 'a path starting with /'
          : key === 'wsAllowedOrigins'
            ? "origins separated by commas (https://dash.example.com,http://10.0.0.5:3000), or '*'"
            : 'text'
  }
}

/** Turn the text of a flag value into the setting's type (validateSetting then checks it). */
function convertValue(key: SettingKey, raw: string): { ok: true; value: unknown } | { ok: false } {
  const field = SETTING_FIELDS[key]
  const word = raw.trim().toLowerCase()
  switch (field.kind) {
    case 'boolean':
      if (TRUE_WORDS.includes(word)) return { ok: true, value: true }
      if (FALSE_WORDS.includes(word)) return { ok: true, value: false }
      return { ok: false }
    case 'integer':
      if (field.nullable && NULL_WORDS.includes(word)) return { ok: true, value: null }
      if (!/^[-+]?\d+$/.test(word)) return { ok: false }
      return { ok: true, value: Number(word) }
    case 'enum':
      if (field.values.every((v) => typeof v === 'number')) {
        return /^[-+]?\d+$/.test(word) ? { ok: true, value: Number(word) } : { ok: false }
      }
      return { ok: true, value: word }
    case 'string':
      // A nullable string is a file path: "none" (or nothing) unsets it.
      if (field.nullable && (NULL_WORDS.includes(word) || word === '')) return { ok: true, value: null }
      // A list that may be empty (wsAllowedOrigins): "none" empties it.
      if (NULL_WORDS.includes(word) && acceptsEmpty(key)) return { ok: true, value: '' }
      return { ok: true, value: raw }
  }
}

function acceptsEmpty(key: SettingKey): boolean {
  return SETTING_FIELDS[key].kind === 'string' && validateSetting(key, '').ok
}

/** validateSetting says "tcpPort must be ..."; on the command line the flag is named instead. */
function stripKey(key: string, message: string): string {
  return message.startsWith(key + ' ') ? message.slice(key.length + 1) : message
}

/** Check one flag value; the error text names the flag and what it accepts. */
export function parseSettingValue(
  flag: string,
  key: SettingKey,
  raw: string
): { ok: true; value: BrokerSettings[SettingKey] } | { ok: false; error: string } {
  const got = ` (got "${raw}")`
  const converted = convertValue(key, raw)
  if (!converted.ok) return { ok: false, error: `${flag}: must be ${describeAccepted(key)}${got}` }
  const checked = validateSetting(key, converted.value)
  if (!checked.ok) return { ok: false, error: `${flag}: ${stripKey(key, checked.message)}${got}` }
  return { ok: true, value: checked.value }
}

function looksLikeFlag(arg: string): boolean {
  return arg.length > 1 && arg.startsWith('-') && !/^-\d/.test(arg)
}

export function parseCliArgs(argv: readonly string[]): CliParseResult {
  const result: CliParseResult = {
    help: false,
    version: false,
    configPath: null,
    dataDir: null,
    settings: {},
    ui: { port: DEFAULT_UI_PORT, host: '127.0.0.1', token: null, tokenFile: null },
    bridges: [],
    errors: []
  }
  const settings = result.settings as Record<string, unknown>

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--') {
      for (const rest of argv.slice(i + 1)) result.errors.push(`unexpected argument "${rest}" (brokerscope takes only options)`)
      break
    }
    if (!looksLikeFlag(arg)) {
      result.errors.push(`unexpected argument "${arg}" (brokerscope takes only options)`)
      continue
    }

    const eq = arg.indexOf('=')
    const name = eq >= 0 ? arg.slice(0, eq) : arg
    const inline: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined
    const spec = OPTIONS.get(name)

    // --no-retain-available  ==  --retain-available false
    if (!spec && name.startsWith('--no-')) {
      const positive = OPTIONS.get('--' + name.slice(5))
      if (positive?.type === 'setting' && SETTING_FIELDS[positive.key].kind === 'boolean') {
        if (inline !== undefined) {
          result.errors.push(`${name}: takes no value`)
          continue
        }
        settings[positive.key] = false
        continue
      }
    }

    if (!spec) {
      const hint = suggestFlag(name)
      result.errors.push(`${name}: unknown option${hint ? ` (did you mean ${hint}?)` : ''}`)
      // Its value, if any, is not a second error: there are no positional arguments to confuse it with.
      if (inline === undefined && argv[i + 1] !== undefined && !looksLikeFlag(argv[i + 1]) && argv[i + 1] !== '--') i++
      continue
    }

    // Valueless flags.
    if (spec.type === 'help' || spec.type === 'version' || spec.type === 'preset') {
      if (inline !== undefined) {
        result.errors.push(`${name}: takes no value`)
        continue
      }
      if (spec.type === 'help') result.help = true
      else if (spec.type === 'version') result.version = true
      else settings[spec.key] = spec.value
      continue
    }

    const key = spec.type === 'setting' ? spec.key : null
    const uiNumeric = spec.type === 'ui' && spec.field === 'port'
    const isBoolean = key !== null && SETTING_FIELDS[key].kind === 'boolean'
    const isNumeric = key !== null && SETTING_FIELDS[key].kind !== 'string' && !isBoolean

    // Take the value: inline (--flag=value) or the next argument.
    let value = inline
    if (value === undefined) {
      const next = argv[i + 1]
      const nextIsValue = next !== undefined && next !== '--' && (!looksLikeFlag(next) || ((isNumeric || uiNumeric) && /^-\d/.test(next)))
      if (nextIsValue) {
        value = next
        i++
      } else if (isBoolean) {
        value = 'true' // a bare boolean flag turns the feature on
      } else {
        const what = key
          ? describeAccepted(key)
          : spec.type === 'ui'
            ? describeUiOption(spec.field)
            : spec.type === 'bridge'
              ? 'a broker URL like mqtt://host:1883'
              : spec.type === 'bridge-topic'
                ? "a topic rule like 'sensors/# both 1'"
                : 'a file path'
        result.errors.push(`${name}: needs a value (${what})`)
        continue
      }
    }

    if (spec.type === 'ui') {
      const problem = setUiOption(result.ui, spec.field, value)
      if (problem) result.errors.push(`${name}: ${problem} (got "${value}")`)
      continue
    }

    if (spec.type === 'bridge') {
      result.bridges.push({ url: value, topics: [] })
      continue
    }
    if (spec.type === 'bridge-topic') {
      const last = result.bridges.at(-1)
      if (last === undefined) result.errors.push(`${name}: give --bridge URL first; its --bridge-topic rules follow it`)
      else last.topics.push(value)
      continue
    }

    if (spec.type === 'config' || spec.type === 'data-dir') {
      if (value.length === 0) result.errors.push(`${name}: needs a value (${spec.type === 'config' ? 'a file path' : 'a folder'})`)
      else if (spec.type === 'config') result.configPath = value
      else result.dataDir = value
      continue
    }

    if (value.length === 0 && !acceptsEmpty(spec.key)) {
      result.errors.push(`${name}: needs a value (${describeAccepted(spec.key)})`)
      continue
    }
    const parsed = parseSettingValue(name, spec.key, value)
    if (parsed.ok) settings[spec.key] = parsed.value
    else result.errors.push(parsed.error)
  }
  if (result.ui.token !== null && result.ui.tokenFile !== null) result.errors.push('--ui-token and --ui-token-file: give only one')
  return result
}

function describeUiOption(field: keyof UiOptions): string {
  return field === 'port'
    ? 'a port 0-65535, 0 = off'
    : field === 'host'
      ? 'an address'
      : field === 'tokenFile'
        ? 'a file path'
        : UI_TOKEN_RULE
}

/** Check and store one --ui-* value; returns a problem or null. */
function setUiOption(ui: UiOptions, field: keyof UiOptions, value: string): string | null {
  if (field === 'port') {
    const port = Number(value)
    if (!/^\d+$/.test(value) || port > 65535) return 'must be a port between 0 and 65535'
    ui.port = port
  } else if (field === 'host') {
    const checked = validateSetting('host', value)
    if (!checked.ok) return 'is not a host name or IP address'
    ui.host = value
  } else if (field === 'tokenFile') {
    ui.tokenFile = value
  } else {
    const problem = uiTokenProblem(value)
    if (problem !== null) return problem
    ui.token = value
  }
  return null
}

/** Edit distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1))
      diagonal = above
    }
  }
  return row[b.length]
}

/** The closest of `candidates` to `input`, if it is close enough to be a plausible typo. */
export function closestMatch(input: string, candidates: Iterable<string>): string | null {
  const lower = input.toLowerCase()
  let best: string | null = null
  let bestDistance = Infinity
  for (const candidate of candidates) {
    const d = editDistance(lower, candidate.toLowerCase())
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  const bare = lower.replace(/^-+/, '')
  const limit = Math.max(2, Math.floor(bare.length / 3))
  if (best !== null && bestDistance <= limit) return best
  // A unique prefix ("--retain" -> "--retain-available") is a good hint too.
  if (bare.length >= 3) {
    const prefixed = [...candidates].filter((c) => c.toLowerCase().replace(/^-+/, '').startsWith(bare))
    if (prefixed.length === 1) return prefixed[0]
  }
  return null
}

function suggestFlag(name: string): string | null {
  if (!name.startsWith('--') && name.length <= 2) return null // an unknown -x: nothing sensible to guess
  const longNames = [...OPTIONS.keys()].filter((n) => n.startsWith('--'))
  // "-tcp-port" is most likely "--tcp-port".
  return closestMatch(name.startsWith('--') ? name : '-' + name, longNames)
}

// ---------------------------------------------------------------------------------------------
// --help

const GROUPS: ReadonlyArray<{ title: string; keys: readonly SettingKey[] }> = [
  { title: 'Listeners', keys: ['host', 'tcpPort', 'wsPort', 'wsPath', 'wsAllowedOrigins', 'unixSocket'] },
  { title: 'Socket options (TCP and TLS)', keys: ['socketNoDelay', 'socketSendBufSize', 'socketRecvBufSize', 'socketKeepaliveTime'] },
  {
    title: 'MQTT features',
    keys: [
      'retainAvailable',
      'wildcardSubscriptionAvailable',
      'sharedSubscriptionAvailable',
      'subscriptionIdentifiersAvailable',
      'maximumQos',
      'autoTopicAlias',
      'serverKeepAlive',
      'serverKeepAliveMode',
      'sessionExpiryOverride'
    ]
  },
  {
    title: 'Limits',
    keys: [
      'receiveMaximum',
      'maximumPacketSize',
      'topicAliasMaximum',
      'maxConnections',
      'maxInflightMessages',
      'maxQueuedMessages',
      'maxQueuedBytes',
      'queueQos0Messages',
      'connectTimeout',
      'maxTopicLevels',
      'maxTopicLength',
      'maxSubscriptionsPerClient',
      'drainTimeout',
      'maxSettingFileSize'
    ]
  },
  {
    title: 'Authentication and TLS',
    keys: [
      'allowAnonymous',
      'sessionTakeover',
      'authFile',
      'tlsPort',
      'wssPort',
      'certFile',
      'keyFile',
      'caFile',
      'requireClientCertificate',
      'useIdentityAsUsername'
    ]
  },
  {
    title: 'Inspector',
    keys: ['inspectorHistoryPerTopic', 'inspectorHistoryBytes', 'inspectorMaxTopics', 'inspectorRecordWithoutUi']
  },
  {
    title: 'Simulate, record and replay',
    keys: ['recordMaxBytes', 'recordMaxSeconds', 'recordBufferBytes', 'simulateMaxDevices', 'simulateMaxInflight']
  },
  { title: 'Management API and metrics', keys: ['apiPort', 'apiKey', 'metricsPublic'] },
  { title: 'Other', keys: ['persistence', 'clientConfigurationFile', 'logLevel', 'sysInterval'] }
]

function placeholder(key: SettingKey): string {
  const field = SETTING_FIELDS[key]
  switch (field.kind) {
    case 'boolean':
      return '[<true|false>]'
    case 'integer':
      return field.nullable ? '<N|none>' : '<N>'
    case 'enum':
      return `<${field.values.join('|')}>`
    case 'string':
      if (key === 'apiKey') return '<KEY|none>'
      if (key === 'unixSocket') return '<PATH|none>'
      if (field.nullable) return '<FILE|none>'
      return key === 'host' ? '<ADDR>' : key === 'wsPath' ? '<PATH>' : key === 'wsAllowedOrigins' ? '<ORIGINS|*>' : '<TEXT>'
  }
}

function formatDefault(value: unknown): string {
  return value === null || value === '' ? 'none' : String(value)
}

function optionEntry(names: string[], value: string, lines: string[]): string {
  const shorts = names.filter((n) => !n.startsWith('--'))
  const longs = names.filter((n) => n.startsWith('--'))
  const head = shorts.length ? `  ${shorts.join(', ')}, ${longs.join(', ')}` : `      ${longs.join(', ')}`
  return [`${head}${value ? ' ' + value : ''}`, ...lines.map((l) => `          ${l}`)].join('\n')
}

function settingEntry(key: SettingKey): string {
  const flag = settingFlag(key)
  const aliases = Object.entries(SETTING_FLAG_ALIASES)
    .filter(([, k]) => k === key)
    .map(([n]) => n)
  const shortAliases = aliases.filter((n) => !n.startsWith('--'))
  const longAliases = aliases.filter((n) => n.startsWith('--') && !n.startsWith('--mqtt-'))
  const compatAliases = aliases.filter((n) => n.startsWith('--mqtt-'))
  const field = SETTING_FIELDS[key]
  const range = field.kind === 'integer' ? ` [range: ${field.min}-${field.max}]` : ''
  const lines = [`${field.help} [default: ${formatDefault(DEFAULT_SETTINGS[key])}]${range}`]
  if (compatAliases.length) lines.push(`(also ${compatAliases.join(', ')})`)
  return optionEntry([...shortAliases, flag, ...longAliases], placeholder(key), lines)
}

/** The --help text. */
export function usage(): string {
  const listed = new Set<SettingKey>(GROUPS.flatMap((g) => g.keys))
  const out: string[] = ['BrokerScope: an MQTT 3.1.1/5 broker with a live inspector (headless).', '', 'Usage: brokerscope [OPTIONS]', '']
  for (const group of GROUPS) {
    out.push(`${group.title}:`)
    for (const key of group.keys) out.push(settingEntry(key))
    if (group.title === 'Listeners') {
      out.push(optionEntry(['--lan'], '', ['listen on every interface (same as --host 0.0.0.0)']))
    }
    if (group.title === 'Other') {
      // Settings added later without a group still get a flag in the help.
      for (const key of SETTING_KEYS) if (!listed.has(key)) out.push(settingEntry(key))
      out.push(optionEntry(['-v', '--verbose'], '', ['log everything (same as --log-level debug)']))
      out.push(optionEntry(['--ui-port'], '<PORT>', [`inspector UI over HTTP, 0 = off [default: ${DEFAULT_UI_PORT}]`]))
      out.push(optionEntry(['--ui-host'], '<HOST>', ['address the inspector UI binds [default: 127.0.0.1]']))
      out.push(
        optionEntry(['--ui-token'], '<TOKEN>', [
          'fixed UI access token for scripts [default: a new random one each run]',
          `(${UI_TOKEN_RULE})`,
          'other local users can read it in the process list (ps): prefer --ui-token-file',
          'or the BROKERSCOPE_UI_TOKEN environment variable'
        ])
      )
      out.push(
        optionEntry(['--ui-token-file'], '<FILE>', ['read the UI access token from the first line of FILE (keep it private: chmod 600)'])
      )
      out.push(
        optionEntry(['-c', '--config'], '<FILE>', [
          'read settings from a JSON5 or TOML (.toml) file (camelCase or kebab-case keys); flags override it'
        ])
      )
      out.push(
        optionEntry(['--data-dir'], '<DIR>', [
          'folder for settings saved from the UI and saved messages [default: $BROKERSCOPE_DATA_DIR or ~/.config/brokerscope]'
        ])
      )
      out.push(
        optionEntry(['--bridge'], '<URL>', ['bridge to another broker (mqtt://, mqtts://, ws://, wss://; user:password@ in the URL)'])
      )
      out.push(
        optionEntry(['--bridge-topic'], '<RULE>', [
          "a topic rule for the --bridge before it, as mosquitto writes it: 'pattern [in|out|both] [qos] [local-prefix] [remote-prefix]'"
        ])
      )
      out.push(optionEntry(['-h', '--help'], '', ['print this help']))
      out.push(optionEntry(['-V', '--version'], '', ['print the version']))
    }
    out.push('')
  }
  out.push(
    'Commands:',
    '  passwd FILE add USER [--password P]   add or change a user in an auth file (password from stdin if not given)',
    '  passwd FILE delete USER               remove a user',
    '  passwd FILE list                      list the users',
    '  gen-cert [--out DIR] [--host NAMES]   make a self-signed development certificate and key',
    '  simulate FILE.json5 [--url URL]       run simulated devices (generators) against a broker',
    '  record --url URL --out FILE.jsonl [--pcap FILE.pcapng] [--topic F]   record a broker as a subscriber',
    '  replay FILE [--speed N] [--url URL]   publish a recording again (see `brokerscope replay --help`)',
    '  config print [OPTIONS] [--format json5|toml]   print the effective settings (defaults, saved, file, flags)',
    '  inspect URL [--user U] [--password P] look at a remote broker in the inspector (read-only; see inspect --help)',
    'A running broker re-reads its --auth-file on SIGHUP.',
    '',
    'Values: --flag value and --flag=value both work. Booleans take true/false, yes/no or 1/0;',
    'a bare boolean flag means true and --no-<flag> means false. "none" unsets a <N|none> value.',
    '',
    'Examples:',
    '  brokerscope                                   TCP on 127.0.0.1:1883, WebSocket on ws://127.0.0.1:8083/mqtt',
    '  brokerscope --lan -p 1884 --ws-port 0         every interface, TCP on 1884 only',
    '  brokerscope --maximum-qos 1 --retain-available false',
    '  brokerscope --server-keep-alive=60 --session-expiry-override 300',
    '  brokerscope -c broker.json5 -v                settings from a file, debug logging',
    '  brokerscope --auth-file auth.json5 --allow-anonymous false    users and ACL rules from a file',
    '  brokerscope --tls-port 8883 --cert-file cert.pem --key-file key.pem   MQTT over TLS',
    "  brokerscope --bridge mqtt://cloud.example.com --bridge-topic 'sensors/# both 1'   bridge sensors/# both ways",
    '  brokerscope inspect mqtt://test.mosquitto.org  watch a remote broker'
  )
  return out.join('\n')
}
