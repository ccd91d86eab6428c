/**
 * The desktop commands (shared/desktop-api.ts) on the running app. Plain Node: the one OS action,
 * opening the data folder, comes in as a function (Electron's shell.openPath), so this can be
 * tested without Electron.
 */
import { join } from 'node:path'
import type { ListenerInfo } from '../../shared/broker-types'
import {
  mergeDesktopSettings,
  type DesktopCommands,
  type DesktopInfo,
  type DesktopSettings,
  type DesktopSettingsResult,
  type OpenFolderResult,
  type PortConflict
} from '../../shared/desktop-api'
import type { BrokerSettings } from '../../shared/settings'
import type { RotatingLogFile } from '../logging/rotating-log-file'
import type { SettingsFile } from '../storage/settings-file'
import { findFreePort, portInUse } from '../system/free-port'
import { findPortHolder } from '../system/port-holder'

/** The listeners' port settings, to keep a suggestion off the other listeners' ports. */
const PORT_KEYS = ['tcpPort', 'wsPort', 'tlsPort', 'wssPort'] as const satisfies ReadonlyArray<keyof BrokerSettings>

export interface DesktopCommandDeps {
  dataDir: string
  settingsFile: SettingsFile
  logFile: RotatingLogFile
  broker: { listeners(): ListenerInfo[]; getSettings(): BrokerSettings }
  /** Electron's shell.openPath: resolves with '' on success, else the error. */
  openPath(path: string): Promise<string>
  version: string
  build: string
  packaged: boolean
  /** Told after desktop settings changed (the log file's bounds, the close-to-tray behaviour). */
  onDesktopSettingsChanged(settings: DesktopSettings): void
}

export class DesktopCommandHandler implements DesktopCommands {
  constructor(private readonly deps: DesktopCommandDeps) {}

  info(): DesktopInfo {
    const { dataDir, settingsFile, logFile } = this.deps
    return {
      dataDir,
      settingsFile: settingsFile.path,
      savedMessagesFile: join(dataDir, 'saved-messages.json'),
      storeDir: join(dataDir, 'store'),
      logFile: logFile.path,
      logRotations: logFile.rotations,
      logWriteFailures: logFile.writeFailures,
      version: this.deps.version,
      build: this.deps.build,
      platform: process.platform,
      packaged: this.deps.packaged
    }
  }

  async portConflicts(): Promise<PortConflict[]> {
    const settings = this.deps.broker.getSettings()
    const taken = new Set<number>(PORT_KEYS.map((key) => settings[key]).filter((port) => port > 0))
    const failed = this.deps.broker.listeners().filter((listener) => !listener.listening && listener.port > 0)
    const conflicts: PortConflict[] = []
    for (const listener of failed) {
      const holder = await findPortHolder(listener.port)
      // A listener can fail for other reasons (a bad certificate, no permission): only a port
      // that is really taken is a conflict.
      if (holder === null && !(await portInUse(listener.host, listener.port))) continue
      const suggestedPort = await findFreePort(listener.host, listener.port, taken)
      if (suggestedPort !== null) taken.add(suggestedPort)
      conflicts.push({ listener: listener.name, host: listener.host, port: listener.port, holder, suggestedPort })
    }
    return conflicts
  }

  async openDataFolder(): Promise<OpenFolderResult> {
    const path = this.deps.dataDir
    const error = await this.deps.openPath(path)
    return error ? { ok: false, path, error } : { ok: true, path }
  }

  getDesktopSettings(): DesktopSettings {
    return this.deps.settingsFile.desktop
  }

  updateDesktopSettings(patch: Partial<DesktopSettings>): DesktopSettingsResult {
    const merged = mergeDesktopSettings(this.deps.settingsFile.desktop, patch)
    if (!merged.ok) return merged
    this.deps.settingsFile.saveDesktopChanges(patch)
    this.deps.onDesktopSettingsChanged(merged.settings)
    return merged
  }
}
