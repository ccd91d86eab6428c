/**
 * The app window and the session rules around it: sandboxed, isolated renderer with no Node; no
 * new windows, no navigation away from the app, no webviews, no permissions.
 */
import { BrowserWindow, type Session } from 'electron'
import { pathToFileURL } from 'node:url'
import { isAppBlob } from './ipc-guard'

export interface MainWindowOptions {
  /** Absolute path of out/preload/index.cjs. */
  preloadPath: string
  /** Absolute path of out/renderer/index.html. */
  rendererFile: string
  /** The electron-vite dev server (development only); null loads the built file. */
  devServerUrl: string | null
  /** Whether DevTools may be opened (not in a packaged app). */
  devTools: boolean
}

export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 800,
    minHeight: 500,
    title: 'BrokerScope',
    show: false,
    autoHideMenuBar: true,
    webPreferences: {
      preload: options.preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: options.devTools
    }
  })

  window.once('ready-to-show', () => window.show())

  const contents = window.webContents
  const appUrl = options.devServerUrl ?? pathToFileURL(options.rendererFile).href
  // The renderer never opens windows or leaves the app; a reload of the app itself is fine.
  contents.setWindowOpenHandler(() => ({ action: 'deny' }))
  contents.on('will-navigate', (event) => {
    if (!isSamePage(event.url, appUrl)) event.preventDefault()
  })
  contents.on('will-redirect', (event) => {
    if (!isSamePage(event.url, appUrl)) event.preventDefault()
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())

  if (options.devServerUrl) void window.loadURL(options.devServerUrl)
  else void window.loadFile(options.rendererFile)
  return window
}

/**
 * Session-wide rules; call once, before the first window loads. `appUrl` is the page the window
 * shows (the renderer's file: URL, or the dev server in development).
 */
export function hardenSession(session: Session, appUrl: string): void {
  // Camera, notifications, clipboard, geolocation…: the inspector needs none of them.
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  session.setPermissionCheckHandler(() => false)
  session.setDevicePermissionHandler(() => false)
  // Only the files the app itself makes (traffic exports: blob: URLs of its own page) may be
  // saved; Electron then asks the person where. Nothing is ever fetched from elsewhere.
  session.on('will-download', (event, item) => {
    if (!isAppBlob(item.getURL(), appUrl)) event.preventDefault()
  })
}

function isSamePage(target: string, appUrl: string): boolean {
  try {
    const a = new URL(target)
    const b = new URL(appUrl)
    if (a.protocol === 'file:') return b.protocol === 'file:' && a.pathname === b.pathname
    return a.origin === b.origin && (b.protocol === 'http:' || b.protocol === 'https:')
  } catch {
    return false
  }
}
