/**
 * The broker config file: a JSON5 object (comments, trailing commas, unquoted keys), or a TOML
 * document when the file name ends in .toml (see toml-config.ts), whose keys are BrokerSettings
 * keys, in camelCase (tcpPort) or in the kebab-case of the command-line flags (tcp-port), and
 * `bridges`: a list of bridges to other brokers (see src/shared/bridges.ts). Every error names the
 * file and, where it can, the line:
 *
 *   broker.json5:4:12: invalid character 'x'
 *   broker.json5:7: maximumQos: must be one of 0, 1, 2
 *   broker.json5:9: tcpPrt: unknown setting (did you mean tcpPort?)
 */
import { readFileSync } from 'node:fs'
import JSON5 from 'json5'
import { type BridgeConfig, validateBridgeConfig } from '../../shared/bridges'
import { SETTING_FIELDS, isNullableSetting, validateSetting, type BrokerSettings } from '../../shared/settings'
import { SETTING_FLAG_ALIASES, SETTING_KEYS, closestMatch, toCamelCase, toKebabCase, type SettingKey } from './cli-args'
import { type Json5PathStep, scanJson5Lines } from './json5-key-lines'
import { NULL_IN_TOML, isTomlPath, readTomlDocument } from './toml-config'

export type ConfigFileResult =
  | {
      ok: true
      settings: Partial<BrokerSettings>
      /** `dataDir`: the data folder (settings saved from the UI, the store); the command line's --data-dir wins. */
      dataDir?: string
      /** `bridges`: there when the file has the key. */
      bridges?: BridgeConfig[]
    }
  | { ok: false; errors: string[] }

/** The config file's key for the list of bridges. */
export const BRIDGES_KEY = 'bridges'

/** The line a path into the document is written on (a bridge's keys and rules), when the format tells. */
type PathLine = (path: readonly Json5PathStep[]) => number | undefined

export function loadConfigFile(path: string): ConfigFileResult {
  try {
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (err) {
      return { ok: false, errors: [`${path}: ${describeReadError(err)}`] }
    }
    return isTomlPath(path) ? parseTomlConfigText(text, path) : parseConfigText(text, path)
  } catch (err) {
    // Nothing above should throw; if it does, report rather than crash the caller.
    return { ok: false, errors: [`${path}: ${err instanceof Error ? err.message : String(err)}`] }
  }
}

function describeReadError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code
  if (code === 'ENOENT') return 'config file not found'
  if (code === 'EISDIR') return 'is a directory, not a config file'
  if (code === 'EACCES' || code === 'EPERM') return 'cannot read config file (permission denied)'
  return `cannot read config file: ${err instanceof Error ? err.message : String(err)}`
}

/** Parse and check config text; `name` is what error messages call the file. */
export function parseConfigText(text: string, name: string): ConfigFileResult {
  let data: unknown
  try {
    data = JSON5.parse(text)
  } catch (err) {
    return { ok: false, errors: [describeSyntaxError(err, name)] }
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, errors: [`${name}: must contain an object at the top level, like { tcpPort: 1883 }`] }
  }

  return checkConfigObject(data as Record<string, unknown>, topLevelKeyLines(text), name, undefined, json5PathLines(text))
}

/** The line of each key and value under `bridges`, for its error messages. */
function json5PathLines(text: string): PathLine {
  const lines = new Map<string, number>()
  for (const mark of scanJson5Lines(text)) {
    if (mark.path[0] !== BRIDGES_KEY) continue
    const key = JSON.stringify(mark.path)
    if (mark.kind === 'key' || !lines.has(key)) lines.set(key, mark.line)
  }
  return (path) => lines.get(JSON.stringify(path))
}

/** Parse and check TOML config text (TeleMQ's format): the same keys and checks as JSON5; "none" unsets a nullable setting. */
export function parseTomlConfigText(text: string, name: string): ConfigFileResult {
  const read = readTomlDocument(text, name)
  if (!read.ok) return read
  return checkConfigObject(read.data, read.lines, name, (key, value) => (value === NULL_IN_TOML && isNullableSetting(key) ? null : value))
}

/**
 * Check the top-level keys of a parsed config document (JSON5 or TOML) with the shared validator.
 * `lines` gives the line of each key as written, for the messages; `convert` may turn a value the
 * format cannot express directly into the setting's type first (TOML has no null).
 */
export function checkConfigObject(
  data: Record<string, unknown>,
  lines: ReadonlyMap<string, number>,
  name: string,
  convert: (key: SettingKey, value: unknown) => unknown = (_key, value) => value,
  pathLine: PathLine = () => undefined
): ConfigFileResult {
  const where = (key: string): string => {
    const line = lines.get(key)
    return line === undefined ? `${name}:` : `${name}:${line}:`
  }

  const settings: Record<string, unknown> = {}
  const seenAs = new Map<SettingKey, string>()
  const errors: string[] = []
  let dataDir: string | undefined
  let bridges: BridgeConfig[] | undefined
  for (const [written, value] of Object.entries(data)) {
    if (written === 'dataDir' || written === 'data-dir') {
      // Not a broker setting: where the broker keeps its files, read before anything else.
      if (typeof value !== 'string' || value.trim().length === 0 || value.includes('\0')) {
        errors.push(`${where(written)} ${written}: must be a folder path (got ${showValue(value)})`)
      } else dataDir = value
      continue
    }
    if (written === BRIDGES_KEY) {
      const checked = parseBridges(value, name, (path) => pathLine(path) ?? (path.length === 1 ? lines.get(BRIDGES_KEY) : undefined))
      if (checked.ok) bridges = checked.bridges
      else errors.push(...checked.errors)
      continue
    }
    const key = resolveKey(written)
    if (key === null) {
      const hint = suggestKey(written)
      errors.push(`${where(written)} ${written}: unknown setting${hint ? ` (did you mean ${hint}?)` : ''}`)
      continue
    }
    const earlier = seenAs.get(key)
    if (earlier !== undefined) {
      errors.push(`${where(written)} ${written}: same setting as ${earlier}; give it once`)
      continue
    }
    seenAs.set(key, written)
    const checked = validateSetting(key, convert(key, value))
    if (!checked.ok) {
      errors.push(`${where(written)} ${written}: ${stripKey(key, checked.message)} (got ${showValue(value)})`)
      continue
    }
    settings[key] = checked.value
  }
  if (errors.length > 0) return { ok: false, errors }
  const result: ConfigFileResult = { ok: true, settings: settings as Partial<BrokerSettings> }
  if (dataDir !== undefined) result.dataDir = dataDir
  if (bridges !== undefined) result.bridges = bridges
  return result
}

/** `bridges: [ { name, url, topics: ['sensors/# both 1'] }, … ]`, each checked by the one bridge validator. */
function parseBridges(
  value: unknown,
  name: string,
  pathLine: PathLine
): { ok: true; bridges: BridgeConfig[] } | { ok: false; errors: string[] } {
  /** The line of the deepest part of `path` that is known. */
  const lineOf = (path: readonly Json5PathStep[]): string => {
    for (let n = path.length; n > 0; n--) {
      const line = pathLine(path.slice(0, n))
      if (line !== undefined) return `${name}:${line}:`
    }
    return `${name}:`
  }
  if (!Array.isArray(value))
    return {
      ok: false,
      errors: [`${lineOf([BRIDGES_KEY])} bridges: must be a list, like [{ name: 'cloud', url: 'mqtt://…', topics: ['#'] }]`]
    }
  const errors: string[] = []
  const bridges: BridgeConfig[] = []
  value.forEach((entry: unknown, index: number) => {
    const checked = validateBridgeConfig(entry)
    if (!checked.ok) {
      for (const error of checked.errors) {
        const where = [BRIDGES_KEY, index, ...error.path]
        errors.push(`${lineOf(where)} ${describePath(where)}: ${error.message}`)
      }
    } else if (bridges.some((b) => b.name === checked.value.name)) {
      errors.push(`${lineOf([BRIDGES_KEY, index, 'name'])} bridges[${index}].name: a second bridge named "${checked.value.name}"`)
    } else bridges.push(checked.value)
  })
  return errors.length > 0 ? { ok: false, errors } : { ok: true, bridges }
}

/** ['bridges', 0, 'topics', 1] → bridges[0].topics[1] */
function describePath(path: readonly Json5PathStep[]): string {
  return path.map((step, i) => (typeof step === 'number' ? `[${step}]` : i === 0 ? step : `.${step}`)).join('')
}

/** tcpPort or tcp-port -> tcpPort; anything else -> null. */
function resolveKey(written: string): SettingKey | null {
  if (Object.hasOwn(SETTING_FIELDS, written)) return written as SettingKey
  if (/^[a-z0-9]+(-[a-z0-9]+)+$/.test(written)) {
    const camel = toCamelCase(written)
    if (Object.hasOwn(SETTING_FIELDS, camel)) return camel as SettingKey
  }
  return null
}

/** A close key, in the style the file uses (camelCase or kebab-case). */
function suggestKey(written: string): string | null {
  const kebab = written.includes('-')
  // A command-line alias used as a key ("port", "max-qos") has an obvious answer.
  const alias = SETTING_FLAG_ALIASES['--' + written] ?? SETTING_FLAG_ALIASES['-' + written]
  if (alias) return kebab ? toKebabCase(alias) : alias
  const candidates = SETTING_KEYS.map((k) => (kebab ? toKebabCase(k) : k))
  return closestMatch(written, candidates)
}

function stripKey(key: string, message: string): string {
  return message.startsWith(key + ' ') ? message.slice(key.length + 1) : message
}

function showValue(value: unknown): string {
  try {
    const shown = JSON.stringify(value)
    if (shown === undefined) return String(value)
    return shown.length > 40 ? shown.slice(0, 37) + '...' : shown
  } catch {
    return String(value)
  }
}

/** A JSON5 parse error as `name:line:col: message` (also used for the auth file). */
export function describeSyntaxError(err: unknown, name: string): string {
  const e = err as { message?: string; lineNumber?: number; columnNumber?: number }
  let message = String(e?.message ?? err)
    .replace(/^JSON5:\s*/, '')
    .replace(/\s+at \d+:\d+$/, '')
  if (typeof e?.lineNumber === 'number' && typeof e?.columnNumber === 'number') {
    return `${name}:${e.lineNumber}:${e.columnNumber}: ${message}`
  }
  message = message || 'invalid JSON5'
  return `${name}: ${message}`
}

/**
 * Line (1-based) of each key of the top-level object, found by scanning the text while skipping
 * strings and comments, so a key mentioned in a comment or nested object is not mistaken for it.
 * Only called on text JSON5 accepted. A repeated key maps to its last line (JSON5 keeps the last).
 */
export function topLevelKeyLines(text: string): Map<string, number> {
  const lines = new Map<string, number>()
  for (const { kind, path, line } of scanJson5Lines(text)) {
    if (kind === 'key' && path.length === 1) lines.set(String(path[0]), line)
  }
  return lines
}
