/**
 * The settings file (settings.json in the data folder; the desktop app's userData):
 *
 *   { "version": 1, "broker": { "tcpPort": 1883, … }, "inspector": { "trafficCapacity": 5000 } }
 *
 * `broker` holds the settings changed from the UI (or, in files written by older versions, all of
 * them); every key is checked with the shared validator (mergeSettings over DEFAULT_SETTINGS).
 * Only changed keys are written, so a value given on the command line is never frozen into the file.
 * Unknown or invalid keys are reported and ignored one by one, so a typo in one setting does not
 * throw the others away; the original file is kept aside (see JsonFileStore).
 * `inspector.trafficCapacity` (optional) is how many traffic rows the inspector keeps.
 * `desktop` (optional) holds the desktop app's own settings (shared/desktop-api.ts), changed keys
 * only; the headless app keeps the section as it is.
 */
import { DEFAULT_DESKTOP_SETTINGS, mergeDesktopSettings, type DesktopSettings } from '../../shared/desktop-api'
import { DEFAULT_SETTINGS, checkSettingCombinations, mergeSettings, type BrokerSettings } from '../../shared/settings'
import { JsonFileStore, Salvaged, type LoadResult } from './json-file-store'

export const SETTINGS_FILE_VERSION = 1
export const TRAFFIC_CAPACITY_MIN = 100
export const TRAFFIC_CAPACITY_MAX = 1_000_000

export interface AppSettings {
  version: typeof SETTINGS_FILE_VERSION
  /** DEFAULT_SETTINGS with the file's keys applied. */
  broker: BrokerSettings
  /** Only the broker keys the file holds. */
  saved: Partial<BrokerSettings>
  inspector: {
    /** Rows kept in the traffic log; absent = the inspector's default. */
    trafficCapacity?: number
  }
  /** Only the desktop keys the file holds (DEFAULT_DESKTOP_SETTINGS fill the rest). */
  desktop: Partial<DesktopSettings>
}

export function defaultAppSettings(): AppSettings {
  return { version: SETTINGS_FILE_VERSION, broker: { ...DEFAULT_SETTINGS }, saved: {}, inspector: {}, desktop: {} }
}

export class SettingsFile {
  private readonly file: JsonFileStore<AppSettings>
  private current: AppSettings = defaultAppSettings()

  constructor(readonly path: string) {
    this.file = new JsonFileStore(path, parseAppSettings, defaultAppSettings(), undefined, (value) => ({
      version: value.version,
      broker: value.saved,
      inspector: value.inspector,
      ...(Object.keys(value.desktop).length > 0 ? { desktop: value.desktop } : {})
    }))
  }

  /** Never throws: problems come back as text, with the defaults (or the usable part) as the value. */
  load(): LoadResult<AppSettings> {
    const loaded = this.file.load()
    this.current = loaded.value
    return loaded
  }

  get value(): AppSettings {
    return this.current
  }

  /** The desktop settings in force: the file's keys over the defaults. */
  get desktop(): DesktopSettings {
    return { ...DEFAULT_DESKTOP_SETTINGS, ...this.current.desktop }
  }

  /** Persist these desktop keys (already validated), keeping everything else. Throws when the write fails. */
  saveDesktopChanges(changes: Partial<DesktopSettings>): void {
    const next: AppSettings = { ...this.current, desktop: { ...this.current.desktop, ...changes } }
    this.file.save(next)
    this.current = next
  }

  /** Persist the given keys of `settings`, keeping the other keys and sections. Throws when the write fails. */
  saveBrokerChanges(settings: BrokerSettings, keys: ReadonlyArray<keyof BrokerSettings>): void {
    const saved: Record<string, unknown> = { ...this.current.saved }
    for (const key of keys) saved[key] = settings[key]
    const next: AppSettings = { ...this.current, saved: saved as Partial<BrokerSettings>, broker: { ...this.current.broker, ...saved } }
    this.file.save(next)
    this.current = next
  }
}

/** The file validator: bad keys are salvaged away, a bad overall shape is an Error. */
export function parseAppSettings(raw: unknown): AppSettings | Error | Salvaged<AppSettings> {
  if (!isRecord(raw)) return new Error('expected an object like { "version": 1, "broker": { … } }')
  if (raw.version !== SETTINGS_FILE_VERSION) {
    return new Error(`unsupported version ${JSON.stringify(raw.version)} (expected ${SETTINGS_FILE_VERSION})`)
  }
  const problems: string[] = []
  for (const key of Object.keys(raw)) {
    if (key !== 'version' && key !== 'broker' && key !== 'inspector' && key !== 'desktop') problems.push(`unknown section "${key}"`)
  }

  let broker: BrokerSettings = { ...DEFAULT_SETTINGS }
  const saved: Record<string, unknown> = {}
  if (raw.broker !== undefined) {
    if (!isRecord(raw.broker)) return new Error('"broker" must be an object')
    // One key at a time so a bad key is reported without discarding the good ones.
    for (const [key, value] of Object.entries(raw.broker)) {
      const merged = mergeSettings(broker, { [key]: value }, { combinations: false })
      if (merged.ok) {
        broker = merged.settings
        saved[key] = merged.settings[key as keyof BrokerSettings]
      } else problems.push(...merged.errors.map((e) => `broker.${key}: ${e.message}`))
    }
    // Settings that only work together (a TLS port needs its certificate): turn the TLS listeners off.
    const combined = checkSettingCombinations(broker)
    if (combined.length > 0) {
      problems.push(...combined.map((e) => `broker.${e.key}: ${e.message} (TLS listeners turned off)`))
      broker = { ...broker, tlsPort: 0, wssPort: 0 }
      saved.tlsPort = 0
      saved.wssPort = 0
    }
  }

  const inspector: AppSettings['inspector'] = {}
  if (raw.inspector !== undefined) {
    if (!isRecord(raw.inspector)) return new Error('"inspector" must be an object')
    for (const [key, value] of Object.entries(raw.inspector)) {
      if (key !== 'trafficCapacity') {
        problems.push(`inspector.${key}: unknown setting`)
      } else if (typeof value !== 'number' || !Number.isInteger(value) || value < TRAFFIC_CAPACITY_MIN || value > TRAFFIC_CAPACITY_MAX) {
        problems.push(`inspector.trafficCapacity: must be a whole number between ${TRAFFIC_CAPACITY_MIN} and ${TRAFFIC_CAPACITY_MAX}`)
      } else {
        inspector.trafficCapacity = value
      }
    }
  }

  const desktop: Partial<DesktopSettings> = {}
  if (raw.desktop !== undefined) {
    if (!isRecord(raw.desktop)) return new Error('"desktop" must be an object')
    // One key at a time, like the broker section: a bad key is reported, the good ones kept.
    for (const [key, value] of Object.entries(raw.desktop)) {
      const merged = mergeDesktopSettings(DEFAULT_DESKTOP_SETTINGS, { [key]: value })
      if (merged.ok) Object.assign(desktop, { [key]: merged.settings[key as keyof DesktopSettings] })
      else problems.push(...merged.errors.map((e) => `desktop.${e.key}: ${e.message}`))
    }
  }

  const value: AppSettings = { version: SETTINGS_FILE_VERSION, broker, saved: saved as Partial<BrokerSettings>, inspector, desktop }
  return problems.length > 0 ? new Salvaged(value, problems) : value
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
