/**
 * A stand-in for Electron's main-process API, loaded in place of `electron` (resolve-hook.mjs)
 * when the built main entry (out/main/index.js) runs in a plain Node child process. It has only
 * what the app uses; any other property of these objects throws and is reported to the test side
 * (`unknown-api`), and a missing named export fails the import at link time, so the fake cannot
 * drift quietly from the app. Windows, IPC, menus, the tray and the shell are reported over the
 * child's Node IPC channel (protocol.ts) to e2e/desktop-app.ts, which shows the window's page in
 * Chromium and carries the renderer's IPC back here.
 *
 * The signatures are checked against Electron's own types (`satisfies`), so a call the app makes
 * with the wrong shape fails the type check rather than passing on the fake.
 */
import { EventEmitter } from 'node:events'
import { existsSync, readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import type * as Electron from 'electron'
import type { FakeDriverMessage, FakeMainMessage, MenuItemRecord } from './protocol'

const userData = process.env.BROKERSCOPE_FAKE_USER_DATA
if (!userData) throw new Error('electron fake: BROKERSCOPE_FAKE_USER_DATA is not set')
if (typeof process.send !== 'function') throw new Error('electron fake: must run in a child process with an IPC channel')
const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string }

function report(message: FakeMainMessage): void {
  process.send?.(message)
}

/** Properties that Node, promises and inspectors probe on any object; never an app call. */
const PROBES = new Set(['then', 'toJSON', 'constructor', 'inspect', 'asymmetricMatch', '$$typeof', 'nodeType'])

/** `target`, except that reading a property it does not have fails loudly. */
function strict<T extends object>(target: T, name: string): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      if (typeof property === 'symbol' || property in object || PROBES.has(property)) return Reflect.get(object, property, receiver)
      report({ type: 'unknown-api', name: `${name}.${property}` })
      throw new Error(`electron fake: ${name}.${property} is not implemented (the app uses an Electron API the fake does not model)`)
    }
  })
}

/** `type`, whose instances are strict() and handed to `created` (statics are strict too). */
function strictClass<C extends new (...args: never[]) => object>(type: C, name: string, created?: (instance: InstanceType<C>) => void): C {
  const statics = strict(type, name)
  return new Proxy(statics, {
    construct(target, args, newTarget) {
      const instance = strict(Reflect.construct(target, args, newTarget) as InstanceType<C>, name)
      created?.(instance)
      return instance
    }
  })
}

/** The event object Electron passes to preventable events. */
function preventable(extra: Record<string, unknown> = {}): { defaultPrevented: boolean; preventDefault(): void } {
  const event = {
    defaultPrevented: false,
    preventDefault() {
      event.defaultPrevented = true
    },
    ...extra
  }
  return strict(event, 'Event')
}

// ---------------------------------------------------------------- webContents and windows

let nextWebContentsId = 1
let nextWindowId = 1
const windows: FakeBrowserWindow[] = []

class FakeWebContents extends EventEmitter {
  /** A page the test side says is another webContents (a foreign sender) keeps the id it claims. */
  constructor(readonly id: number = nextWebContentsId++) {
    super()
  }

  destroyed = false
  windowOpenHandler: ((details: unknown) => unknown) | null = null

  setWindowOpenHandler(handler: (details: unknown) => unknown): void {
    this.windowOpenHandler = handler
  }

  send(channel: string, ...args: unknown[]): void {
    if (this.destroyed) throw new Error('electron fake: webContents.send on a destroyed webContents')
    report({ type: 'webcontents-send', webContentsId: this.id, channel, args })
  }

  isDestroyed(): boolean {
    return this.destroyed
  }
}

class FakeBrowserWindow extends EventEmitter {
  readonly id = nextWindowId++
  readonly webContents: FakeWebContents
  private visible = false
  private destroyed = false
  private readonly preload: string | null
  private pendingLoad: (() => void) | null = null

  static getAllWindows(): FakeBrowserWindow[] {
    return [...windows]
  }

  static getFocusedWindow(): FakeBrowserWindow | null {
    return windows.find((w) => w.visible) ?? null
  }

  constructor(options: Electron.BrowserWindowConstructorOptions = {}) {
    super()
    this.webContents = strict(new FakeWebContents(), 'webContents')
    this.preload = options.webPreferences?.preload ?? null
    report({
      type: 'window-created',
      windowId: this.id,
      webContentsId: this.webContents.id,
      options: structuredClone(options) as Record<string, unknown>
    })
  }

  loadFile(file: string): Promise<void> {
    return this.load(pathToFileURL(file).href)
  }

  loadURL(url: string): Promise<void> {
    return this.load(url)
  }

  private load(url: string): Promise<void> {
    report({ type: 'window-load', windowId: this.id, url, preload: this.preload })
    return new Promise((resolve) => {
      this.pendingLoad = resolve
    })
  }

  /** The page finished loading (the test side says so). */
  finishedLoading(): void {
    this.webContents.emit('did-finish-load')
    const first = this.pendingLoad !== null
    this.pendingLoad?.()
    this.pendingLoad = null
    if (first) this.emit('ready-to-show')
  }

  show(): void {
    this.visible = true
    report({ type: 'window-shown', windowId: this.id })
  }

  hide(): void {
    this.visible = false
    report({ type: 'window-hidden', windowId: this.id })
  }

  focus(): void {
    this.visible = true
  }

  isVisible(): boolean {
    return this.visible
  }

  isMinimized(): boolean {
    return false
  }

  restore(): void {}

  isDestroyed(): boolean {
    return this.destroyed
  }

  /** Like the close button: 'close' may be prevented; otherwise the window goes. */
  close(): boolean {
    if (this.destroyed) return true
    const event = preventable()
    this.emit('close', event)
    if (event.defaultPrevented) return false
    this.destroy()
    return true
  }

  destroy(): void {
    if (this.destroyed) return
    this.destroyed = true
    this.visible = false
    windows.splice(windows.indexOf(windows.find((w) => w.id === this.id)!), 1)
    this.webContents.destroyed = true
    this.webContents.emit('destroyed')
    this.emit('closed')
    report({ type: 'window-destroyed', windowId: this.id })
    if (windows.length === 0 && !quitting) allWindowsClosed()
  }
}

function windowByWebContents(id: number): FakeBrowserWindow | undefined {
  return windows.find((w) => w.webContents.id === id)
}

// ---------------------------------------------------------------- app

let quitting = false
let ready = false

class FakeApp extends EventEmitter {
  readonly name = packageJson.name
  readonly isPackaged = process.env.BROKERSCOPE_FAKE_PACKAGED === '1'

  enableSandbox(): void {}

  requestSingleInstanceLock(): boolean {
    return true
  }

  whenReady(): Promise<void> {
    return ready ? Promise.resolve() : new Promise((resolve) => this.once('ready', () => resolve()))
  }

  isReady(): boolean {
    return ready
  }

  getPath(name: string): string {
    if (name === 'userData') return userData!
    throw new Error(`electron fake: app.getPath(${JSON.stringify(name)}) is not modelled`)
  }

  getVersion(): string {
    return packageJson.version
  }

  setAboutPanelOptions(options: Electron.AboutPanelOptionsOptions): void {
    report({ type: 'about-panel', options: { ...options } })
  }

  /** Electron's order: before-quit, close every window (any may refuse), will-quit, quit, exit 0. */
  quit(): void {
    if (quitting) return
    const before = preventable()
    this.emit('before-quit', before)
    if (before.defaultPrevented) return
    quitting = true
    for (const window of [...windows]) {
      if (!window.close()) {
        quitting = false
        return
      }
    }
    const willQuit = preventable()
    this.emit('will-quit', willQuit)
    if (willQuit.defaultPrevented) return
    this.exit(0)
  }

  exit(code = 0): void {
    this.emit('quit', preventable(), code)
    report({ type: 'exit', code })
    // Let the report leave before the process does.
    setImmediate(() => process.exit(code))
  }
}

const app = strict(new FakeApp(), 'app')

function allWindowsClosed(): void {
  // Electron quits on its own only when nobody listens for 'window-all-closed'.
  if (app.listenerCount('window-all-closed') > 0) app.emit('window-all-closed')
  else app.quit()
}

// ---------------------------------------------------------------- ipcMain

// biome-ignore lint/suspicious/noExplicitAny: Electron's own listener type (IpcMain.handle).
type InvokeHandler = (event: Electron.IpcMainInvokeEvent, ...args: any[]) => unknown

class FakeIpcMain extends EventEmitter {
  readonly handlers = new Map<string, InvokeHandler>()

  handle(channel: string, handler: InvokeHandler): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`)
    this.handlers.set(channel, handler)
  }

  removeHandler(channel: string): void {
    this.handlers.delete(channel)
  }
}

const ipcMain = strict(new FakeIpcMain(), 'ipcMain')

function ipcEvent(webContentsId: number, frame: { url: string; isMainFrame: boolean } | null): Record<string, unknown> {
  const sender = windowByWebContents(webContentsId)?.webContents ?? strict(new FakeWebContents(webContentsId), 'webContents')
  const senderFrame = frame === null ? null : strict({ url: frame.url, parent: frame.isMainFrame ? null : {} }, 'WebFrameMain')
  return strict({ sender, senderFrame, processId: 1, frameId: frame?.isMainFrame ? 1 : 2 }, 'IpcMainEvent')
}

// ---------------------------------------------------------------- session

class FakeSession extends EventEmitter {
  permissionRequestHandler: unknown = undefined
  permissionCheckHandler: unknown = undefined
  devicePermissionHandler: unknown = undefined

  setPermissionRequestHandler(handler: unknown): void {
    this.permissionRequestHandler = handler
  }

  setPermissionCheckHandler(handler: unknown): void {
    this.permissionCheckHandler = handler
  }

  setDevicePermissionHandler(handler: unknown): void {
    this.devicePermissionHandler = handler
  }
}

const session = strict({ defaultSession: strict(new FakeSession(), 'session') }, 'session')

// ---------------------------------------------------------------- menus, tray, images, shell

type MenuTemplateItem = Electron.MenuItemConstructorOptions

class FakeMenu {
  constructor(readonly items: MenuTemplateItem[]) {}

  static buildFromTemplate(template: Array<MenuTemplateItem | Electron.MenuItem>): FakeMenu {
    return strict(new FakeMenu(template as MenuTemplateItem[]), 'Menu')
  }

  static setApplicationMenu(menu: FakeMenu | null): void {
    applicationMenu = menu
    report({ type: 'application-menu', template: menu ? describeMenu(menu.items) : null })
  }

  static getApplicationMenu(): FakeMenu | null {
    return applicationMenu
  }
}

let applicationMenu: FakeMenu | null = null

function describeMenu(items: MenuTemplateItem[]): MenuItemRecord[] {
  return items.map((item) => {
    const record: MenuItemRecord = { clickable: typeof item.click === 'function' }
    if (item.label !== undefined) record.label = item.label
    if (item.role !== undefined) record.role = item.role
    if (item.type !== undefined) record.type = item.type
    if (item.accelerator !== undefined) record.accelerator = String(item.accelerator)
    if (item.enabled !== undefined) record.enabled = item.enabled
    if (item.visible !== undefined) record.visible = item.visible
    if (item.checked !== undefined) record.checked = item.checked
    const submenu = item.submenu instanceof FakeMenu ? item.submenu.items : Array.isArray(item.submenu) ? item.submenu : null
    if (submenu) record.submenu = describeMenu(submenu as MenuTemplateItem[])
    return record
  })
}

function findMenuItem(items: MenuTemplateItem[], path: string[]): MenuTemplateItem {
  const [head, ...rest] = path
  const item = items.find((i) => (i.label ?? i.role) === head)
  if (!item) throw new Error(`electron fake: no menu item "${head}" among ${JSON.stringify(items.map((i) => i.label ?? i.role))}`)
  if (rest.length === 0) return item
  const submenu = item.submenu instanceof FakeMenu ? item.submenu.items : (item.submenu as MenuTemplateItem[] | undefined)
  if (!submenu) throw new Error(`electron fake: menu item "${head}" has no submenu`)
  return findMenuItem(submenu, rest)
}

class FakeNativeImage {
  private template = false
  constructor(readonly path: string) {}

  static createFromPath(path: string): FakeNativeImage {
    return strict(new FakeNativeImage(path), 'NativeImage')
  }

  isEmpty(): boolean {
    return !existsSync(this.path)
  }

  setTemplateImage(template: boolean): void {
    this.template = template
  }

  isTemplateImage(): boolean {
    return this.template
  }
}

let nextTrayId = 1
const trays = new Map<number, FakeTray>()

class FakeTray extends EventEmitter {
  readonly id = nextTrayId++
  private image: string
  private tooltip = ''
  private menu: FakeMenu | null = null
  private destroyed = false

  constructor(image: FakeNativeImage | string) {
    super()
    this.image = typeof image === 'string' ? image : image.path
    this.publish()
  }

  setImage(image: FakeNativeImage | string): void {
    this.image = typeof image === 'string' ? image : image.path
    this.publish()
  }

  setToolTip(tooltip: string): void {
    this.tooltip = tooltip
    this.publish()
  }

  setContextMenu(menu: FakeMenu | null): void {
    this.menu = menu
    this.publish()
  }

  contextMenu(): FakeMenu | null {
    return this.menu
  }

  destroy(): void {
    this.destroyed = true
    trays.delete(this.id)
    this.publish()
  }

  isDestroyed(): boolean {
    return this.destroyed
  }

  private publish(): void {
    report({
      type: 'tray',
      trayId: this.id,
      image: this.image,
      tooltip: this.tooltip,
      menu: this.menu ? describeMenu(this.menu.items) : null,
      destroyed: this.destroyed
    })
  }
}

const shell = strict(
  {
    async openPath(path: string): Promise<string> {
      report({ type: 'shell', call: 'openPath', target: path })
      // Electron resolves with an error message, or '' when the OS opened it.
      return existsSync(path) ? '' : `Failed to open path: ${path}`
    },
    async openExternal(url: string): Promise<void> {
      report({ type: 'shell', call: 'openExternal', target: url })
    },
    showItemInFolder(path: string): void {
      report({ type: 'shell', call: 'showItemInFolder', target: path })
    }
  } satisfies Pick<Electron.Shell, 'openPath' | 'openExternal' | 'showItemInFolder'>,
  'shell'
)

const dialog = strict(
  {
    showErrorBox(title: string, content: string): void {
      report({ type: 'error-box', title, content })
    }
  } satisfies Pick<Electron.Dialog, 'showErrorBox'>,
  'dialog'
)

const nativeImage = strict({ createFromPath: FakeNativeImage.createFromPath }, 'nativeImage')
const Menu = strict(FakeMenu, 'Menu')
const BrowserWindow = strictClass(FakeBrowserWindow, 'BrowserWindow', (window) => windows.push(window))

// ---------------------------------------------------------------- the test side's messages

process.on('message', (raw: FakeDriverMessage) => {
  try {
    handleDriverMessage(raw)
  } catch (error) {
    console.error('electron fake: driver message failed:', error)
  }
})

function handleDriverMessage(message: FakeDriverMessage): void {
  switch (message.type) {
    case 'ipc-invoke': {
      const handler = ipcMain.handlers.get(message.channel)
      if (!handler) {
        report({ type: 'ipc-reply', id: message.id, ok: false, error: `No handler registered for '${message.channel}'` })
        return
      }
      Promise.resolve()
        // The fake event has what the app reads (sender, senderFrame); strict() fails on the rest.
        .then(() => handler(ipcEvent(message.webContentsId, message.frame) as unknown as Electron.IpcMainInvokeEvent, ...message.args))
        .then(
          (value) => report({ type: 'ipc-reply', id: message.id, ok: true, value }),
          (error: unknown) =>
            report({ type: 'ipc-reply', id: message.id, ok: false, error: error instanceof Error ? error.message : String(error) })
        )
      return
    }
    case 'ipc-send':
      ipcMain.emit(message.channel, ipcEvent(message.webContentsId, message.frame), ...message.args)
      return
    case 'webcontents-event': {
      const window = windowByWebContents(message.webContentsId)
      if (!window) return
      if (message.event === 'did-finish-load') window.finishedLoading()
      else window.webContents.emit(message.event)
      return
    }
    case 'window-close':
      windows.find((w) => w.id === message.windowId)?.close()
      return
    case 'menu-click': {
      const menu = message.menu === 'application' ? applicationMenu : (trays.get(message.menu.trayId)?.contextMenu() ?? null)
      if (!menu) throw new Error('electron fake: no such menu')
      const item = findMenuItem(menu.items, message.path)
      if (typeof item.click !== 'function')
        throw new Error(`electron fake: "${message.path.join(' › ')}" has no click handler (role ${item.role})`)
      ;(item.click as (...args: unknown[]) => void)(item, FakeBrowserWindow.getFocusedWindow(), {})
      return
    }
    case 'tray-click':
      trays.get(message.trayId)?.emit('click', preventable())
      return
    case 'app-quit':
      app.quit()
      return
    case 'will-download': {
      let cancelled = false
      let savePath = ''
      const item = strict(
        {
          getURL: () => message.url,
          getFilename: () => message.filename,
          setSavePath: (path: string) => {
            savePath = path
          },
          getSavePath: () => savePath,
          cancel: () => {
            cancelled = true
          }
        },
        'DownloadItem'
      )
      const event = preventable()
      session.defaultSession.emit('will-download', event, item, windowByWebContents(message.webContentsId)?.webContents)
      report({ type: 'download-decision', id: message.id, allowed: !event.defaultPrevented && !cancelled })
      return
    }
    case 'app-activate':
      app.emit('activate', preventable(), windows.length > 0)
      return
  }
}

// Ready once the entry's top level has run (it registers whenReady first, like in Electron).
setImmediate(() => {
  ready = true
  app.emit('ready', preventable(), {})
})

export { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, session, shell }
export const Tray = strictClass(FakeTray, 'Tray', (tray) => trays.set(tray.id, tray))
export default { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, session, shell, Tray }

// Compile-time: the fake's members have signatures the app can call as it calls Electron's.
type Check<Real, Fake extends Real> = Fake
export type FakeSignatures = [
  Check<
    Pick<
      Electron.App,
      'enableSandbox' | 'requestSingleInstanceLock' | 'whenReady' | 'getVersion' | 'quit' | 'exit' | 'isReady' | 'setAboutPanelOptions'
    >,
    FakeApp
  >,
  Check<Pick<Electron.IpcMain, 'handle' | 'removeHandler'>, FakeIpcMain>,
  Check<
    Pick<
      Electron.BrowserWindow,
      'loadFile' | 'loadURL' | 'show' | 'hide' | 'focus' | 'isVisible' | 'isMinimized' | 'restore' | 'isDestroyed' | 'close' | 'destroy'
    >,
    Pick<
      FakeBrowserWindow,
      'loadFile' | 'loadURL' | 'show' | 'hide' | 'focus' | 'isVisible' | 'isMinimized' | 'restore' | 'isDestroyed' | 'close' | 'destroy'
    >
  >,
  Check<Pick<Electron.WebContents, 'send' | 'isDestroyed' | 'id'>, FakeWebContents>,
  Check<Pick<Electron.Tray, 'setToolTip' | 'destroy' | 'isDestroyed'>, FakeTray>,
  Check<Pick<Electron.NativeImage, 'isEmpty' | 'setTemplateImage' | 'isTemplateImage'>, FakeNativeImage>
]
