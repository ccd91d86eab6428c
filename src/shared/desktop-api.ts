/**
 * What only the desktop app has, beside the inspector's API (api.ts): where its files are, what
 * holds a port it could not bind, opening its data folder, and the settings of the app itself (not
 * the broker's). The preload exposes it as `window.brokerscopeDesktop` over one IPC channel
 * (ipc-channels.ts `desktop`); the headless app has none of it. Pure: no Node or DOM imports.
 */
import type { ListenerName } from './broker-types'
import type { SettingError } from './settings'

/** Where the desktop app keeps things, and what it is. */
export interface DesktopInfo {
  /** The app data folder (Electron's userData). */
  dataDir: string
  settingsFile: string
  savedMessagesFile: string
  /** Retained messages and persistent sessions (when persistence is on). */
  storeDir: string
  /** The current log file; older ones beside it as .1, .2, … */
  logFile: string
  /** How many times the log file was rotated in this run. */
  logRotations: number
  /** Log lines that could not be written to the file (disk full, permissions): counted, never fatal. */
  logWriteFailures: number
  version: string
  build: string
  platform: string
  packaged: boolean
}

/** Who holds a port, as far as the OS says; null fields when it would not say. */
export interface PortHolder {
  pid: number | null
  command: string | null
}

/** A listener that could not start because its port is taken. */
export interface PortConflict {
  listener: ListenerName
  host: string
  port: number
  /** null when the OS did not say who holds it. */
  holder: PortHolder | null
  /** A port that was free on that host just now (null when none was found). */
  suggestedPort: number | null
}

/** The desktop app's own settings (settings.json `desktop`). */
export interface DesktopSettings {
  /** Closing the window keeps the broker running in the tray (Quit from the tray ends it). Off: closing quits. */
  closeToTray: boolean
  /** The log file is rotated when it would grow past this many bytes. */
  logFileMaxBytes: number
  /** Rotated log files kept beside the current one. */
  logFiles: number
}

export const DEFAULT_DESKTOP_SETTINGS: Readonly<DesktopSettings> = Object.freeze({
  closeToTray: false,
  logFileMaxBytes: 5 * 1024 * 1024,
  logFiles: 5
})

export const LOG_FILE_MAX_BYTES_MIN = 64 * 1024
export const LOG_FILE_MAX_BYTES_MAX = 1024 * 1024 * 1024
export const LOG_FILES_MAX = 50

export type DesktopSettingsResult = { ok: true; settings: DesktopSettings } | { ok: false; errors: SettingError[] }

/** The one validator for desktop settings: settings.json, IPC, the Settings view. */
export function mergeDesktopSettings(base: DesktopSettings, patch: unknown): DesktopSettingsResult {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    return { ok: false, errors: [{ key: '(desktop)', message: 'expected an object of desktop settings' }] }
  }
  const next: DesktopSettings = { ...base }
  const errors: SettingError[] = []
  for (const [key, value] of Object.entries(patch)) {
    switch (key) {
      case 'closeToTray':
        if (typeof value === 'boolean') next.closeToTray = value
        else errors.push({ key, message: 'must be true or false' })
        break
      case 'logFileMaxBytes':
        if (isIntegerIn(value, LOG_FILE_MAX_BYTES_MIN, LOG_FILE_MAX_BYTES_MAX)) next.logFileMaxBytes = value
        else errors.push({ key, message: `must be a whole number of bytes from ${LOG_FILE_MAX_BYTES_MIN} to ${LOG_FILE_MAX_BYTES_MAX}` })
        break
      case 'logFiles':
        if (isIntegerIn(value, 0, LOG_FILES_MAX)) next.logFiles = value
        else errors.push({ key, message: `must be a whole number from 0 to ${LOG_FILES_MAX}` })
        break
      default:
        errors.push({ key, message: 'unknown desktop setting' })
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, settings: next }
}

function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
}

export type OpenFolderResult = { ok: true; path: string } | { ok: false; path: string; error: string }

/** Desktop commands: request → response. None takes a path from the renderer. */
export interface DesktopCommands {
  info(): DesktopInfo
  /** The listeners that could not bind because their port is taken, with who holds it and a free port. */
  portConflicts(): Promise<PortConflict[]>
  /** Open the app data folder in the OS file manager. */
  openDataFolder(): Promise<OpenFolderResult>
  getDesktopSettings(): DesktopSettings
  updateDesktopSettings(patch: Partial<DesktopSettings>): DesktopSettingsResult
}

export type DesktopCommandName = keyof DesktopCommands

export const DESKTOP_COMMAND_NAMES: readonly DesktopCommandName[] = [
  'info',
  'portConflicts',
  'openDataFolder',
  'getDesktopSettings',
  'updateDesktopSettings'
]

/** `window.brokerscopeDesktop`, in the desktop app only. */
export interface BrokerScopeDesktopApi {
  call<K extends DesktopCommandName>(name: K, ...args: Parameters<DesktopCommands[K]>): Promise<Awaited<ReturnType<DesktopCommands[K]>>>
}
