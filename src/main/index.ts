/**
 * The Electron entry (built to out/main/index.js): settings and lifecycle. The window lives in
 * app/windows.ts, the IPC wiring in app/ipc.ts. The headless broker (src/main/headless/cli.ts)
 * must never import this file.
 *
 *   ready → core.ts builds the broker and inspector on userData (settings.json, saved messages)
 *         → IPC → window.   Settings changed from the UI are written back to settings.json (core.ts).
 *   quit  → core.stop() (bounded) → exit.
 */
import { app, BrowserWindow, session } from 'electron'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { appUrlMatcher } from './app/ipc-guard'
import { InspectorIpc } from './app/ipc'
import { createMainWindow, hardenSession } from './app/windows'
import { isHandledStoreRejection } from './broker/persistence/store-rejections'
import { type Core, resolveSettings, startCore } from './core'
import { createLogger, type Logger } from './logger'
import { VERSION } from './version'

const here = dirname(fileURLToPath(import.meta.url))
const PRELOAD_PATH = join(here, '../preload/index.cjs')
const RENDERER_FILE = join(here, '../renderer/index.html')
const DEV_SERVER_URL = !app.isPackaged && process.env.ELECTRON_RENDERER_URL ? process.env.ELECTRON_RENDERER_URL : null
/** How long quitting waits for the broker to say goodbye to its clients. */
const STOP_TIMEOUT_MS = 5000

interface Running {
  core: Core
  ipc: InspectorIpc
  logger: Logger
}

let running: Running | null = null
let mainWindow: BrowserWindow | null = null
let quitState: 'running' | 'stopping' | 'done' = 'running'

// Every renderer sandboxed, whatever a window asks for.
app.enableSandbox()

// Logged, never fatal: one failed promise must not take the broker down (copies of store failures the
// store already handled are not even logged, see store-rejections.ts).
process.on('unhandledRejection', (reason) => {
  if (!isHandledStoreRejection(reason)) console.error('BrokerScope: unhandled promise rejection:', reason)
})

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
  hardenSession(session.defaultSession, DEV_SERVER_URL ?? pathToFileURL(RENDERER_FILE).href)

  const dataDir = app.getPath('userData')
  // The desktop app has no command line or config file: settings.json is the only source.
  const resolved = resolveSettings(dataDir, {})
  if (!resolved.ok) throw new Error(resolved.errors.map((e) => `${e.key}: ${e.message}`).join('; '))
  const logger = createLogger(resolved.value.settings.logLevel)
  const core = await startCore({ dataDir, resolved: resolved.value, logger, version: VERSION })
  if (core.startError) logger.error('the broker failed to start:', core.startError)
  for (const listener of core.listeners) {
    if (!listener.listening) logger.warn(`${listener.name} listener: ${listener.error ?? 'could not start'}`)
  }

  const ipc = new InspectorIpc(core.inspector, {
    isAppUrl: appUrlMatcher({ rendererFileUrl: pathToFileURL(RENDERER_FILE).href, devServerUrl: DEV_SERVER_URL }),
    logger
  })
  ipc.register()
  running = { core, ipc, logger }

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

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})

// Quit waits for the broker to close its listeners and tell v5 clients it is shutting down.
app.on('will-quit', (event) => {
  if (quitState === 'done' || running === null) return
  event.preventDefault()
  if (quitState === 'stopping') return
  quitState = 'stopping'
  const { core, ipc, logger } = running
  ipc.dispose()
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS).unref())
  void Promise.race([core.stop(), timeout])
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
