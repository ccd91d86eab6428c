/**
 * `brokerscope config print [OPTIONS] [--format json5|toml]`: the settings the broker would run
 * with, after the defaults, settings.json in the data folder, the config file (-c) and the flags,
 * printed as a config file in either format (the format of -c by default, else JSON5). The output
 * reads back as a config file. Secrets (the API key) are left out.
 *
 * Exit codes: 0 printed, 2 bad command line or config file.
 */
import JSON5 from 'json5'
import { isSecretSetting, type BrokerSettings } from '../../shared/settings'
import { SETTING_KEYS, parseCliArgs } from '../config/cli-args'
import { loadConfigFile } from '../config/config-file'
import { isTomlPath, settingsToToml } from '../config/toml-config'
import type { CliIo } from './cli'

export const CONFIG_USAGE = [
  'Usage: brokerscope config print [OPTIONS] [--format json5|toml]',
  '',
  'Prints the effective settings: defaults, then settings saved from the UI (--data-dir), then the',
  'config file (-c), then the other options, exactly as `brokerscope OPTIONS` would use them.',
  'The format is that of the -c file by default (TOML for .toml), else JSON5.'
].join('\n')

type Format = 'json5' | 'toml'

export async function configMain(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined || command === '--help' || command === '-h') {
    io.stdout(CONFIG_USAGE)
    return command === undefined ? 2 : 0
  }
  if (command !== 'print') {
    io.stderr(`brokerscope config: unknown command "${command}" (print)`)
    return 2
  }
  let format: Format | null = null
  const options: string[] = []
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]
    const value = arg === '--format' ? rest[++i] : arg.startsWith('--format=') ? arg.slice('--format='.length) : undefined
    if (value === undefined && arg !== '--format') {
      options.push(arg)
      continue
    }
    if (value !== 'json5' && value !== 'toml') {
      io.stderr(`brokerscope config: --format must be json5 or toml (got ${value === undefined ? 'nothing' : `"${value}"`})`)
      return 2
    }
    format = value
  }
  const args = parseCliArgs(options)
  if (args.errors.length > 0) {
    for (const error of args.errors) io.stderr(`brokerscope config: ${error}`)
    return 2
  }
  let fromFile: Partial<BrokerSettings> = {}
  if (args.configPath !== null) {
    const loaded = loadConfigFile(args.configPath)
    if (!loaded.ok) {
      for (const error of loaded.errors) io.stderr(`brokerscope config: ${error}`)
      return 2
    }
    fromFile = loaded.settings
  }
  const { defaultDataDir, resolveSettings } = await import('../core')
  const dataDir = args.dataDir ?? defaultDataDir()
  const resolved = resolveSettings(dataDir, { ...fromFile, ...args.settings })
  if (!resolved.ok) {
    for (const error of resolved.errors) io.stderr(`brokerscope config: ${error.key}: ${error.message}`)
    return 2
  }
  if (resolved.value.settingsFileProblem) io.stderr(`brokerscope config: settings: ${resolved.value.settingsFileProblem}`)
  const chosen = format ?? (args.configPath !== null && isTomlPath(args.configPath) ? 'toml' : 'json5')
  io.stdout(formatSettings(resolved.value.settings, chosen))
  return 0
}

/** The settings as config file text; secrets are named in a comment, never printed. */
export function formatSettings(settings: BrokerSettings, format: Format): string {
  const shown: Record<string, unknown> = {}
  const hidden: string[] = []
  for (const key of SETTING_KEYS) {
    if (isSecretSetting(key) && settings[key] !== null) hidden.push(key)
    else shown[key] = settings[key]
  }
  const comment = format === 'toml' ? '#' : '//'
  const lines = [`${comment} brokerscope: effective settings (defaults < settings.json < config file < options)`]
  if (hidden.length > 0) lines.push(`${comment} ${hidden.join(', ')}: set, not shown`)
  if (format === 'toml') return [...lines, settingsToToml(shown).trimEnd()].join('\n')
  return [...lines, JSON5.stringify(shown, null, 2)].join('\n')
}
