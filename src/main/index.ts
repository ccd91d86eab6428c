/**
 * The Electron entry (built to out/main/index.js): settings and lifecycle. The window lives in
 * app/windows.ts, the IPC wiring in app/ipc.ts and app/desktop-ipc.ts, the menu in app/menu.ts, the
 * tray in app/tray.ts. The headless broker (src/main/headless/cli.ts) must never import this file.
 *
 *   ready → log file in userData/logs → core.ts builds the broker and inspector on userData
 *         (settings.json, saved messages) → IPC → menu, tray → window. A listener whose port is
 *         taken does not stop the window: the renderer names the port's holder and offers a free one.
 *   close → quit (default), or hide to the tray (desktop setting closeToTray).
 *   quit  → core.stop() (bounded) → exit.
 */
import { app, type BrowserWindow, dialog, Menu, session, shell } from 'electron'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { DesktopSettings } from '../shared/desktop-api'
import { DesktopCommandHandler } from './app/desktop-commands'
import { DesktopIpc } from './app/desktop-ipc'
import { appUrlMatcher } from './app/ipc-guard'
import { InspectorIpc } from './app/ipc'
import { applicationMenuTemplate } from './app/menu'
import { TrayController } from './app/tray'
import { createMainWindow, hardenSession } from './app/windows'
import { isHandledStoreRejection } from './broker/persistence/store-rejections'
import { type Core, resolveSettings, startCore } from './core'
import { createLogger, type Logger } from './logger'
import { RotatingLogFile } from './logging/rotating-log-file'
import { BUILD, VERSION } from './version'

const here = dirname(fileURLToPath(import.meta.url))
const PRELOAD_PATH = join(here, '../preload/index.cjs')
const RENDERER_FILE = join(here, '../renderer/index.html')
/** resources/ is packed into the app next to out/ (electron-builder.yml `files`). */
const RESOURCES = join(here, '../../resources')
const DEV_SERVER_URL = !app.isPackaged && process.env.ELECTRON_RENDERER_URL ? process.env.ELECTRON_RENDERER_URL : null
/** How long quitting waits for the broker to say goodbye to its clients. */
const STOP_TIMEOUT_MS = 5000

interface Running {
  core: Core
  ipc: InspectorIpc
  desktopIpc: DesktopIpc
  tray: TrayController | null
  logger: Logger
  logFile: RotatingLogFile
  desktop: DesktopSettings
}

let running: Running | null = null
let mainWindow: BrowserWindow | null = null
let quitState: 'running' | 'stopping' | 'done' = 'running'
/** Set once a quit was asked for (menu, tray, OS): closing windows then must not hide them. */
let quitRequested = false

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
  app.on('second-instance', () => showWindow())
  // A start that fails must end the app (in Electron an unhandled rejection would leave it running without a window).
  app.whenReady().then(start).catch(fatal)
}

async function start(): Promise<void> {
  const appUrl = DEV_SERVER_URL ?? pathToFileURL(RENDERER_FILE).href
  hardenSession(session.defaultSession, appUrl)

  const dataDir = app.getPath('userData')
  // The desktop app has no command line or config file: settings.json is the only source.
  const resolved = resolveSettings(dataDir, {})
  if (!resolved.ok) throw new Error(resolved.errors.map((e) => `${e.key}: ${e.message}`).join('; '))
  const desktop = resolved.value.settingsFile.desktop
  const logFile = new RotatingLogFile(join(dataDir, 'logs', 'brokerscope.log'), {
    maxBytes: desktop.logFileMaxBytes,
    keep: desktop.logFiles
  })
  const logger = createLogger(resolved.value.settings.logLevel, (line) => {
    process.stdout.write(`${line}\n`)
    logFile.write(line)
  })
  logger.info(`BrokerScope ${VERSION} (${BUILD}) starting; data folder ${dataDir}`)
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
  const commands = new DesktopCommandHandler({
    dataDir,
    settingsFile: resolved.value.settingsFile,
    logFile,
    broker: core.broker,
    openPath: (path) => shell.openPath(path),
    version: VERSION,
    build: BUILD,
    packaged: app.isPackaged,
    onDesktopSettingsChanged: (settings) => {
      if (running) running.desktop = settings
      logFile.configure({ maxBytes: settings.logFileMaxBytes, keep: settings.logFiles })
    }
  })
  const desktopIpc = new DesktopIpc(commands, ipc, logger)
  desktopIpc.register()
  running = { core, ipc, desktopIpc, tray: null, logger, logFile, desktop }

  app.setAboutPanelOptions({ applicationName: 'BrokerScope', applicationVersion: VERSION, version: BUILD })
  const menu = applicationMenuTemplate({
    platform: process.platform,
    development: !app.isPackaged,
    appName: 'BrokerScope',
    actions: {
      openDataFolder: () => void commands.openDataFolder(),
      openDocumentation: () => void shell.openPath(readmePath())
    }
  })
  Menu.setApplicationMenu(Menu.buildFromTemplate(menu))
  running.tray = new TrayController({
    iconPath: join(RESOURCES, process.platform === 'darwin' ? 'trayTemplate.png' : 'tray.png'),
    state: () => ({ listeners: core.broker.listeners(), clientsConnected: core.broker.stats().clientsConnected }),
    actions: { open: () => showWindow(), quit: () => app.quit() }
  })

  openWindow()
  app.on('activate', () => showWindow())
}

/** The README: beside the app's resources when packaged (the OS cannot open a file inside the asar), else in the checkout. */
function readmePath(): string {
  return app.isPackaged ? join(process.resourcesPath, 'README.md') : join(here, '../../README.md')
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
  window.on('close', (event) => {
    // Keep the broker running in the tray: hide instead of closing, unless the app is quitting.
    if (running?.desktop.closeToTray && !quitRequested) {
      event.preventDefault()
      window.hide()
    }
  })
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = null
  })
}

/** Bring the window back (tray Open, a second launch, the dock icon), or open a new one. */
function showWindow(): void {
  if (mainWindow && !mainWindow.isDestroyed()) {
    if (mainWindow.isMinimized()) mainWindow.restore()
    mainWindow.show()
    mainWindow.focus()
  } else openWindow()
}

app.on('before-quit', () => {
  quitRequested = true
})

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})

// Quit waits for the broker to close its listeners and tell v5 clients it is shutting down.
app.on('will-quit', (event) => {
  if (quitState === 'done' || running === null) return
  event.preventDefault()
  if (quitState === 'stopping') return
  quitState = 'stopping'
  const { core, ipc, desktopIpc, tray, logger, logFile } = running
  ipc.dispose()
  desktopIpc.dispose()
  tray?.dispose()
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS).unref())
  void Promise.race([core.stop(), timeout])
    .catch((err: unknown) => logger.error('error while stopping the broker:', err))
    .finally(() => {
      logger.info('BrokerScope stopped')
      logFile.close()
      quitState = 'done'
      app.exit(0)
    })
})

/** Nothing to show a window for (the data folder is another broker's, the store cannot open): say so, then exit. */
function fatal(err: unknown): void {
  console.error('BrokerScope could not start:', err)
  const detail = err instanceof Error ? err.message : String(err)
  dialog.showErrorBox(
    'BrokerScope could not start',
    `${detail}\n\nThe headless broker (brokerscope, npm run broker) uses the same data folder by default.`
  )
  app.exit(1)
}
