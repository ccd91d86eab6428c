/**
 * The Electron entry (built to out/main/index.js): settings and lifecycle. The window lives in
 * app/windows.ts, the IPC wiring in app/ipc.ts. The headless broker (src/main/headless/cli.ts)
 * must never import this file.
 *
 *   ready → load userData/settings.json → start the broker → inspector (+ saved messages file)
 *         → IPC → window.   Settings changed from the UI are written back to settings.json.
 *   quit  → broker.stop() (bounded) → exit.
 */
import { app, BrowserWindow, session } from 'electron'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { SettingsUpdateResult } from '../shared/api'
import { Broker } from './broker/broker'
import { Inspector } from './inspector/inspector'
import { createLogger, type Logger } from './logger'
import { appUrlMatcher } from './app/ipc-guard'
import { InspectorIpc, type InspectorEndpoint } from './app/ipc'
import { createMainWindow, hardenSession } from './app/windows'
import { SavedMessageFileStore } from './storage/saved-message-file-store'
import { SettingsFile } from './storage/settings-file'
import { VERSION } from './version'

const here = dirname(fileURLToPath(import.meta.url))
const PRELOAD_PATH = join(here, '../preload/index.cjs')
const RENDERER_FILE = join(here, '../renderer/index.html')
const DEV_SERVER_URL = !app.isPackaged && process.env.ELECTRON_RENDERER_URL ? process.env.ELECTRON_RENDERER_URL : null
/** How long quitting waits for the broker to say goodbye to its clients. */
const STOP_TIMEOUT_MS = 5000

interface Running {
  broker: Broker
  inspector: Inspector
  ipc: InspectorIpc
  logger: Logger
}

let running: Running | null = null
let mainWindow: BrowserWindow | null = null
let quitState: 'running' | 'stopping' | 'done' = 'running'

// Every renderer sandboxed, whatever a window asks for.
app.enableSandbox()

if (!app.requestSingleInstanceLock()) {
  // A second copy would fight the first over the ports and the settings file.
  app.quit()
} else {
  app.on('second-instance', () => {
    if (mainWindow && !mainWindow.isDestroyed()) {
      if (mainWindow.isMinimized()) mainWindow.restore()
      mainWindow.focus()
    }
  })
  app.whenReady().then(start, fatal)
}

async function start(): Promise<void> {
  hardenSession(session.defaultSession)

  const userData = app.getPath('userData')
  const settingsFile = new SettingsFile(join(userData, 'settings.json'))
  const loaded = settingsFile.load()
  const logger = createLogger(loaded.value.broker.logLevel)
  // A broken settings file never stops the app: the problem is logged, the file kept aside.
  if (loaded.problem) logger.warn(`settings: ${loaded.problem}`)

  const broker = new Broker(loaded.value.broker, { logger, version: VERSION })
  try {
    const listeners = await broker.start()
    for (const listener of listeners) {
      if (!listener.listening) logger.warn(`${listener.name} listener: ${listener.error ?? 'could not start'}`)
    }
  } catch (err) {
    // The window still opens: the inspector shows the listeners' state and the settings to fix them.
    logger.error('the broker failed to start:', err)
  }

  const savedMessages = new SavedMessageFileStore(join(userData, 'saved-messages.json'))
  if (savedMessages.problem) logger.warn(`saved messages: ${savedMessages.problem}`)

  const inspector = new Inspector(broker, {
    savedMessages,
    trafficCapacity: loaded.value.inspector.trafficCapacity
  })
  const ipc = new InspectorIpc(persistSettingsChanges(inspector, settingsFile, logger), {
    isAppUrl: appUrlMatcher({ rendererFileUrl: pathToFileURL(RENDERER_FILE).href, devServerUrl: DEV_SERVER_URL }),
    logger
  })
  ipc.register()
  running = { broker, inspector, ipc, logger }

  openWindow()
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) openWindow()
  })
}

function openWindow(): void {
  if (!running) return
  const window = createMainWindow({
    preloadPath: PRELOAD_PATH,
    rendererFile: RENDERER_FILE,
    devServerUrl: DEV_SERVER_URL,
    devTools: !app.isPackaged
  })
  running.ipc.attach(window)
  mainWindow = window
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = null
  })
}

/**
 * The inspector as IPC sees it, plus one side effect: a successful `updateSettings` is written to
 * settings.json. A failed write is logged; the running broker keeps the new settings regardless.
 */
function persistSettingsChanges(inspector: Inspector, file: SettingsFile, logger: Logger): InspectorEndpoint {
  return {
    onBatch: (listener) => inspector.onBatch(listener),
    handleCommand: async (name, args) => {
      const result = await inspector.handleCommand(name, args)
      if (name === 'updateSettings' && isSuccessfulUpdate(result)) {
        try {
          file.saveBroker(result.settings)
        } catch (err) {
          logger.error(`could not save settings to ${file.path}:`, err)
        }
      }
      return result
    }
  }
}

function isSuccessfulUpdate(result: unknown): result is Extract<SettingsUpdateResult, { ok: true }> {
  return typeof result === 'object' && result !== null && (result as { ok?: unknown }).ok === true
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})

// Quit waits for the broker to close its listeners and tell v5 clients it is shutting down.
app.on('will-quit', (event) => {
  if (quitState === 'done' || running === null) return
  event.preventDefault()
  if (quitState === 'stopping') return
  quitState = 'stopping'
  const { broker, inspector, ipc, logger } = running
  ipc.dispose()
  inspector.dispose()
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS).unref())
  void Promise.race([broker.stop(), timeout])
    .catch((err: unknown) => logger.error('error while stopping the broker:', err))
    .finally(() => {
      quitState = 'done'
      app.exit(0)
    })
})

function fatal(err: unknown): void {
  console.error('BrokerScope could not start:', err)
  app.exit(1)
}
