/**
 * The composition root: the one place that builds the broker, its inspector and what they keep on
 * disk, for both shells (the Electron entry, src/main/index.ts, and the headless command line,
 * src/main/headless/cli.ts), so the two cannot drift apart. Plain Node: never imports electron.
 *
 *   data folder/settings.json        settings changed from the UI (saved keys only)
 *   data folder/bridges.json         bridges made in the UI (Bridges view, "Connect to a broker…")
 *   data folder/saved-messages.json  the publish form's saved messages
 *   data folder/store/               retained messages and persistent sessions (persistence on)
 *   data folder/broker.lock          which broker uses the folder (a second one is refused)
 *   data folder/generators.json      saved generators; data folder/recordings/: recordings (src/main/tools)
 *
 * Settings precedence, lowest first: defaults, settings.json, the config file, the command line.
 */
import { mkdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { BridgeConfig } from '../shared/bridges'
import type { ListenerInfo } from '../shared/broker-types'
import { DEFAULT_SETTINGS, mergeSettings, type BrokerSettings, type SettingError } from '../shared/settings'
import { ManagementApi } from './api/api-service'
import { BridgeManager } from './bridges/bridge-manager'
import { Broker } from './broker/broker'
import { ConfigDistribution } from './config-distribution/config-distribution'
import type { BrokerControl } from './broker/control'
import { lockDataFolder, openStore } from './broker/persistence/open-store'
import { Inspector } from './inspector/inspector'
import type { Logger } from './logger'
import { BridgeFileStore } from './storage/bridge-file-store'
import { SavedMessageFileStore } from './storage/saved-message-file-store'
import { SettingsFile } from './storage/settings-file'
import { toolCommandTable } from './tools/tool-commands'
import { ToolHost } from './tools/tool-host'

/** The headless broker's data folder when none is given: $BROKERSCOPE_DATA_DIR, else ~/.config/brokerscope. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.BROKERSCOPE_DATA_DIR ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'brokerscope')
}

export interface ResolvedSettings {
  settings: BrokerSettings
  settingsFile: SettingsFile
  /** Why settings.json was not used as it is (it was salvaged or set aside); null when fine or absent. */
  settingsFileProblem: string | null
  /** Saved keys that the config file or the command line override (said at start, so nothing is a surprise). */
  overridden: Array<keyof BrokerSettings>
}

/**
 * The settings to start with: settings.json in `dataDir` under `explicit` (config file and flags).
 * Fails only when `explicit` itself is invalid; a broken settings.json is reported, not fatal.
 */
export function resolveSettings(
  dataDir: string,
  explicit: Partial<BrokerSettings>
): { ok: true; value: ResolvedSettings } | { ok: false; errors: SettingError[] } {
  const settingsFile = new SettingsFile(join(dataDir, 'settings.json'))
  const loaded = settingsFile.load()
  const merged = mergeSettings({ ...DEFAULT_SETTINGS, ...loaded.value.saved }, explicit)
  if (!merged.ok) return merged
  const overridden = (Object.keys(loaded.value.saved) as Array<keyof BrokerSettings>).filter(
    (key) => Object.hasOwn(explicit, key) && explicit[key] !== loaded.value.saved[key]
  )
  return { ok: true, value: { settings: merged.settings, settingsFile, settingsFileProblem: loaded.problem, overridden } }
}

export interface CoreOptions {
  dataDir: string
  resolved: ResolvedSettings
  logger: Logger
  version: string
  /** Bridges from the config file and the command line (validated); the UI's come from bridges.json. */
  bridges?: readonly BridgeConfig[]
}

export interface Core {
  readonly broker: BrokerControl
  readonly inspector: Inspector
  /** Simulated devices, recording and replay (their commands go through the inspector's). */
  readonly tools: ToolHost
  readonly bridges: BridgeManager
  readonly dataDir: string
  /** The listeners as start() left them (some may have failed: see ListenerInfo.error). */
  readonly listeners: ListenerInfo[]
  /** Why the broker could not start at all, or null. */
  readonly startError: unknown
  /** Stop the inspector and the broker (bounded by the caller). */
  stop(): Promise<void>
}

/**
 * Build and start everything. A listener that cannot bind is reported in `listeners`; the rest
 * keeps running. Throws DataFolderLockedError when another broker uses the data folder.
 */
export async function startCore(options: CoreOptions): Promise<Core> {
  const { dataDir, resolved, logger, version } = options
  mkdirSync(dataDir, { recursive: true })
  const lock = lockDataFolder(dataDir)
  if (resolved.settingsFileProblem) logger.warn(`settings: ${resolved.settingsFileProblem}`)
  if (resolved.overridden.length > 0) {
    logger.info(`settings saved from the UI but overridden by the config file or command line: ${resolved.overridden.join(', ')}`)
  }

  let store: ReturnType<typeof openStore> | null = null
  if (resolved.settings.persistence) {
    try {
      store = openStore(dataDir, logger)
    } catch (err) {
      lock.release()
      throw err
    }
  } else logger.info('persistence is off: retained messages and sessions are kept in memory only')
  const broker = new Broker(resolved.settings, { logger, version, store: store ?? undefined })
  let bridges: BridgeManager
  try {
    bridges = new BridgeManager({
      broker,
      logger,
      store: new BridgeFileStore(join(dataDir, 'bridges.json')),
      explicit: options.bridges ?? []
    })
  } catch (err) {
    await broker.stop().catch(() => {})
    lock.release()
    throw err
  }
  const savedMessages = new SavedMessageFileStore(join(dataDir, 'saved-messages.json'))
  if (savedMessages.problem) logger.warn(`saved messages: ${savedMessages.problem}`)
  const tools = new ToolHost({ broker, dataDir, logger })
  const inspector = new Inspector(broker, {
    savedMessages,
    // For the benchmark's capture-cost comparison only (bench: fan-in-no-capture).
    capture: process.env.BROKERSCOPE_INSPECTOR !== 'off',
    trafficCapacity: resolved.settingsFile.value.inspector.trafficCapacity,
    toolCommands: toolCommandTable(tools),
    bridges
  })

  // Settings changed by a person (the UI, later the management API) outlive a restart; the ones
  // the program sets, and reloads, do not.
  const settingsFile = resolved.settingsFile
  broker.events.on('settings.changed', (event) => {
    if (event.source !== 'ui' && event.source !== 'api') return
    try {
      settingsFile.saveBrokerChanges(event.settings, event.changed)
    } catch (err) {
      logger.error(`could not save settings to ${settingsFile.path}:`, err)
    }
  })

  let listeners: ListenerInfo[]
  let startError: unknown = null
  try {
    listeners = await broker.start()
  } catch (err) {
    // The desktop window still opens on a broker that could not start: it shows the listeners'
    // state and the settings to fix them. The command line gives up (see cli.ts).
    startError = err
    listeners = broker.listeners()
  }
  if (startError === null) {
    store?.markHealthy()
    // After the broker: a bridge's local side is a session in it.
    bridges.start()
  }
  // The management API and /metrics (apiPort > 0; it follows setting changes itself). Its routes
  // take about a second to compile: the broker does not wait for them (start() never throws).
  const api = new ManagementApi(broker, logger)
  void api.start()
  // PMQ's $CONFIG_MODULE configuration distribution (clientConfigurationFile).
  const configDistribution = new ConfigDistribution(broker, logger)
  configDistribution.start()

  return {
    broker,
    inspector,
    tools,
    bridges,
    dataDir,
    listeners,
    startError,
    stop: async () => {
      // Bridges first: a normal DISCONNECT to each remote, their queues stay in their sessions.
      await bridges.stop().catch((err: unknown) => logger.error('error while stopping the bridges:', err))
      await api.stop()
      configDistribution.stop()
      // Recordings end with complete files, simulated devices disconnect, before the broker goes.
      await tools.dispose().catch((err: unknown) => logger.error('stopping the tools:', err))
      inspector.dispose()
      try {
        await broker.stop()
      } finally {
        lock.release()
      }
    }
  }
}
