/**
 * The desktop app's own path without the Electron binary: the built Electron entry
 * (out/main/index.js) runs in a Node child process on the Electron fake (test/electron-fake), and
 * its window's page is the real renderer (out/renderer/index.html) in Playwright's Chromium, with
 * the real built preload (the file the window names in webPreferences.preload) evaluated at
 * document start against a fake `contextBridge` / `ipcRenderer` (a Playwright init script).
 *
 *   renderer → preload → ipcRenderer.invoke/send → page binding → here → child → ipcMain handler
 *   ipcMain handler's webContents.send → child → here → page.evaluate → ipcRenderer listeners
 *
 * The sender the main side sees is the page's real frame: its URL (`frame.url()`) and whether it
 * is the main frame, and the webContents id of the window the page stands for; so the checks of
 * src/main/app/ipc-guard.ts run on what the page really is.
 *
 * What this cannot show (only real Electron can): the isolated world of contextIsolation (here the
 * preload shares the page's world), the OS sandbox, native menus, tray and dialogs, and Chromium
 * reading file: module scripts without --allow-file-access-from-files.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Frame, Page } from '@playwright/test'
import type { FakeDriverMessage, FakeMainMessage, MenuItemRecord } from '../test/electron-fake/protocol'

const projectRoot = resolve(import.meta.dirname, '..')
export const DESKTOP_ENTRY = join(projectRoot, 'out', 'main', 'index.js')
const FAKE_REGISTER = join(projectRoot, 'test', 'electron-fake', 'register.mjs')

const BINDING = '__brokerscopeFakeIpc'
const DELIVER = '__brokerscopeFakeDeliver'

export interface WindowRecord {
  windowId: number
  webContentsId: number
  options: Record<string, unknown>
  url: string | null
  preload: string | null
  shown: boolean
  destroyed: boolean
}

export interface TrayRecord {
  trayId: number
  image: string
  tooltip: string
  menu: MenuItemRecord[] | null
  destroyed: boolean
}

/** What Playwright passes a binding as its first argument. */
interface BindingSource {
  page: Page
  frame: Frame
}

/** The page's window, as far as the renderer fake touches it (the e2e tsconfig has no DOM types). */
type PageGlobal = Record<string, unknown> & { top: unknown }

/** What a page sends through the binding. */
type PageMessage =
  | { kind: 'invoke'; channel: string; args: unknown[] }
  | { kind: 'send'; channel: string; args: unknown[] }
  | { kind: 'document-start' }
  | { kind: 'unknown-api'; name: string }

const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

export interface DesktopAppOptions {
  userData: string
  /** Pretend to be a packaged app (app.isPackaged). */
  packaged?: boolean
  /** Resolve at once instead of waiting for the window (an app expected not to open one). */
  noWindow?: boolean
  env?: NodeJS.ProcessEnv
}

/** One run of the desktop entry on the fake. */
export class DesktopApp {
  readonly windows = new Map<number, WindowRecord>()
  readonly trays = new Map<number, TrayRecord>()
  readonly shellCalls: Array<{ call: string; target: string }> = []
  /** Electron API the app touched that the fake does not model: the test must fail. */
  readonly unknownApi: string[] = []
  /** Downloads the app's session refused (will-download prevented): in Electron they never happen. */
  readonly refusedDownloads: string[] = []
  applicationMenu: MenuItemRecord[] | null | undefined = undefined
  aboutPanel: Record<string, unknown> | null = null
  /** dialog.showErrorBox calls: what the person would have been told. */
  readonly errorBoxes: Array<{ title: string; content: string }> = []
  exitCode: number | null = null

  private output = ''
  private nextInvokeId = 1
  private readonly invokes = new Map<number, (reply: { ok: boolean; value?: unknown; error?: string }) => void>()
  private readonly downloads = new Map<number, string>()
  private readonly waiters = new Set<() => void>()
  private readonly pages = new Map<Page, { webContentsId: number; queue: Promise<unknown> }>()
  private readonly exited: Promise<number>

  private constructor(private readonly child: ChildProcess) {
    running.add(child)
    child.stdout!.setEncoding('utf8')
    child.stderr!.setEncoding('utf8')
    child.stdout!.on('data', (chunk: string) => this.append(chunk))
    child.stderr!.on('data', (chunk: string) => this.append(chunk))
    child.on('message', (message: FakeMainMessage) => this.receive(message))
    this.exited = new Promise((done) =>
      child.once('exit', (code, signal) => {
        running.delete(child)
        this.exitCode = code ?? -1
        this.append(`\n[desktop entry exited: code ${code} signal ${signal}]\n`)
        for (const reply of this.invokes.values()) reply({ ok: false, error: 'the desktop entry exited' })
        this.invokes.clear()
        done(code ?? -1)
      })
    )
  }

  /** Start out/main/index.js on the fake; resolves once its window has asked to load the renderer. */
  static async start(options: DesktopAppOptions): Promise<DesktopApp> {
    const child = fork(DESKTOP_ENTRY, [], {
      cwd: projectRoot,
      execArgv: ['--import', 'tsx', '--import', FAKE_REGISTER],
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: {
        ...process.env,
        ...options.env,
        BROKERSCOPE_FAKE_USER_DATA: options.userData,
        BROKERSCOPE_FAKE_PACKAGED: options.packaged ? '1' : '0',
        // The fake's child must not inherit a dev server URL from the developer's shell.
        ELECTRON_RENDERER_URL: ''
      }
    })
    const app = new DesktopApp(child)
    if (options.noWindow) return app
    try {
      await app.waitFor(() => [...app.windows.values()].some((w) => w.url !== null), 20_000, 'the window to load the renderer')
    } catch (error) {
      await app.kill()
      throw error
    }
    return app
  }

  logs(): string {
    return this.output
  }

  /** The app's (first live) window. */
  mainWindow(): WindowRecord {
    const window = [...this.windows.values()].find((w) => !w.destroyed)
    if (!window) throw new Error(`the desktop app has no window open\n${this.output}`)
    return window
  }

  /**
   * Show `page` as the app window's page: the real preload runs in it at every document start and
   * its IPC reaches this app (a page attached once follows the app it was last attached to).
   * `webContentsId` pretends the page is another webContents (a sender the app must refuse).
   */
  async attach(page: Page, options: { webContentsId?: number; navigate?: boolean } = {}): Promise<void> {
    const window = this.mainWindow()
    const webContentsId = options.webContentsId ?? window.webContentsId
    const known = pageRoutes.get(page)
    if (!known) await installBridge(page, window.preload)
    pageRoutes.set(page, this)
    this.pages.set(page, { webContentsId, queue: Promise.resolve() })
    if (options.navigate === false || window.url === null) return
    await page.goto(window.url)
    if (webContentsId === window.webContentsId) this.post({ type: 'webcontents-event', webContentsId, event: 'did-finish-load' })
  }

  /** Ask the app to quit the way the OS does (Cmd+Q, logout); resolves with the exit code. */
  async quit(timeoutMs = 15_000): Promise<number> {
    if (this.exitCode !== null) return this.exitCode
    this.post({ type: 'app-quit' })
    return this.waitForExit(timeoutMs)
  }

  async waitForExit(timeoutMs = 15_000): Promise<number> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs)
    const code = await this.exited
    clearTimeout(timer)
    return code
  }

  async kill(): Promise<void> {
    if (this.exitCode === null) this.child.kill('SIGKILL')
    await this.exited
  }

  /** Click the window's close button. */
  closeWindow(): void {
    this.post({ type: 'window-close', windowId: this.mainWindow().windowId })
  }

  activate(): void {
    this.post({ type: 'app-activate' })
  }

  clickMenu(path: string[]): void {
    this.post({ type: 'menu-click', menu: 'application', path })
  }

  clickTrayMenu(path: string[]): void {
    this.post({ type: 'menu-click', menu: { trayId: this.tray().trayId }, path })
  }

  clickTray(): void {
    this.post({ type: 'tray-click', trayId: this.tray().trayId })
  }

  tray(): TrayRecord {
    const tray = [...this.trays.values()].find((t) => !t.destroyed)
    if (!tray) throw new Error('the desktop app has no tray icon')
    return tray
  }

  /** Resolve once `condition` holds (checked on every message from the app), else fail naming `what`. */
  waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (condition()) return Promise.resolve()
    return new Promise((ok, fail) => {
      const check = (): void => {
        if (condition()) {
          clearTimeout(timer)
          this.waiters.delete(check)
          ok()
        } else if (this.exitCode !== null) {
          clearTimeout(timer)
          this.waiters.delete(check)
          fail(new Error(`the desktop entry exited (code ${this.exitCode}) while waiting for ${what}:\n${this.output}`))
        }
      }
      const timer = setTimeout(() => {
        this.waiters.delete(check)
        fail(new Error(`timed out after ${timeoutMs} ms waiting for ${what}:\n${this.output}`))
      }, timeoutMs)
      this.waiters.add(check)
    })
  }

  /** A download the page started: the app's session decides, as Electron's would. */
  askDownload(page: Page, url: string, filename: string): void {
    const route = this.pages.get(page)
    if (!route) return
    const id = this.nextInvokeId++
    this.downloads.set(id, `${filename} (${url.slice(0, 80)})`)
    this.post({ type: 'will-download', id, webContentsId: route.webContentsId, url, filename })
  }

  /** From the page binding: a message of the page's preload (or of a page script calling the binding). */
  handlePage(source: BindingSource, message: PageMessage): Promise<unknown> | undefined {
    const route = this.pages.get(source.page)
    if (!route) return Promise.resolve({ ok: false, error: 'page not attached' })
    const isMainFrame = source.frame.parentFrame() === null
    const frame = { url: source.frame.url(), isMainFrame }
    switch (message.kind) {
      case 'document-start':
        if (isMainFrame) this.post({ type: 'webcontents-event', webContentsId: route.webContentsId, event: 'did-start-loading' })
        return undefined
      case 'unknown-api':
        this.unknownApi.push(`renderer: ${message.name}`)
        return undefined
      case 'send':
        this.post({ type: 'ipc-send', webContentsId: route.webContentsId, frame, channel: message.channel, args: message.args })
        return undefined
      case 'invoke': {
        const id = this.nextInvokeId++
        // Posted before anything is awaited, so the app sees the page's messages in the page's order.
        const reply = new Promise<unknown>((done) => this.invokes.set(id, done))
        this.post({ type: 'ipc-invoke', id, webContentsId: route.webContentsId, frame, channel: message.channel, args: message.args })
        return reply
      }
    }
  }

  private post(message: FakeDriverMessage): void {
    if (this.exitCode !== null || !this.child.connected) return
    this.child.send(message)
  }

  private append(text: string): void {
    this.output += text
    if (this.output.length > 2_000_000) this.output = this.output.slice(-1_000_000)
  }

  private receive(message: FakeMainMessage): void {
    switch (message.type) {
      case 'window-created':
        this.windows.set(message.windowId, {
          windowId: message.windowId,
          webContentsId: message.webContentsId,
          options: message.options,
          url: null,
          preload: null,
          shown: false,
          destroyed: false
        })
        break
      case 'window-load': {
        const window = this.windows.get(message.windowId)
        if (window) Object.assign(window, { url: message.url, preload: message.preload })
        break
      }
      case 'window-shown':
      case 'window-hidden': {
        const window = this.windows.get(message.windowId)
        if (window) window.shown = message.type === 'window-shown'
        break
      }
      case 'window-destroyed': {
        const window = this.windows.get(message.windowId)
        if (window) Object.assign(window, { destroyed: true, shown: false })
        break
      }
      case 'webcontents-send':
        for (const [page, route] of this.pages) {
          if (route.webContentsId !== message.webContentsId || pageRoutes.get(page) !== this) continue
          // One delivery at a time per page, in the order the app sent them.
          route.queue = route.queue
            .then(() =>
              page.evaluate(
                ([deliver, channel, args]) =>
                  (globalThis as unknown as Record<string, ((c: string, a: unknown[]) => void) | undefined>)[deliver]?.(channel, args),
                [DELIVER, message.channel, message.args] as const
              )
            )
            .catch(() => undefined)
        }
        break
      case 'ipc-reply': {
        const reply = this.invokes.get(message.id)
        this.invokes.delete(message.id)
        reply?.(message.ok ? { ok: true, value: message.value } : { ok: false, error: message.error })
        break
      }
      case 'application-menu':
        this.applicationMenu = message.template
        break
      case 'tray':
        this.trays.set(message.trayId, { ...message })
        break
      case 'shell':
        this.shellCalls.push({ call: message.call, target: message.target })
        break
      case 'about-panel':
        this.aboutPanel = message.options
        break
      case 'error-box':
        this.errorBoxes.push({ title: message.title, content: message.content })
        break
      case 'unknown-api':
        this.unknownApi.push(`main: ${message.name}`)
        break
      case 'download-decision': {
        const what = this.downloads.get(message.id)
        this.downloads.delete(message.id)
        if (!message.allowed && what) this.refusedDownloads.push(what)
        break
      }
      case 'exit':
        break
    }
    for (const check of [...this.waiters]) check()
  }
}

/** Which app each page's binding talks to (a restart moves the page to the new run). */
const pageRoutes = new WeakMap<Page, DesktopApp>()

/** The binding and the document-start script, once per page. */
async function installBridge(page: Page, preloadPath: string | null): Promise<void> {
  // Playwright lets every download through; the app's session would have had a say first.
  page.on('download', (download) => pageRoutes.get(page)?.askDownload(page, download.url(), download.suggestedFilename()))
  await page.exposeBinding(BINDING, (source, message: PageMessage) => {
    const app = pageRoutes.get(source.page)
    if (!app) return { ok: false, error: 'page not attached' }
    return app.handlePage(source, message)
  })
  // The preload's text is inlined as a CommonJS module body (no eval: the page's CSP forbids it).
  const preload = preloadPath ? readFileSync(preloadPath, 'utf8') : ''
  const content = [
    '(() => {',
    `  const fake = (${rendererFake.toString()})(${JSON.stringify(BINDING)}, ${JSON.stringify(DELIVER)});`,
    '  if (!fake) return;',
    '  (function (require, module, exports) {',
    preload,
    '  })(fake.require, fake.module, fake.module.exports);',
    '})();'
  ].join('\n')
  await page.addInitScript({ content })
}

/**
 * Runs in the page at every document start (serialized: no closure over this module). The main
 * frame gets Electron's renderer side: `contextBridge` and `ipcRenderer` for the preload, which is
 * then evaluated as the CommonJS module it is. Sub-frames get no preload, as in Electron.
 */
function rendererFake(
  bindingName: string,
  deliverName: string
): { require: (name: string) => unknown; module: { exports: unknown } } | null {
  type Bridge = (message: unknown) => Promise<unknown>
  const win = globalThis as unknown as PageGlobal
  const bridge = win[bindingName] as Bridge
  if (win.top !== win) return null
  void bridge({ kind: 'document-start' })

  const strict = <T extends object>(target: T, name: string): T =>
    new Proxy(target, {
      get(object, property, receiver) {
        if (typeof property === 'symbol' || property in object || property === 'then' || property === 'toJSON') {
          return Reflect.get(object, property, receiver)
        }
        void bridge({ kind: 'unknown-api', name: `${name}.${property}` })
        throw new Error(`electron fake: ${name}.${property} is not implemented in the renderer fake`)
      }
    })

  type Listener = (event: unknown, ...args: unknown[]) => void
  const listeners = new Map<string, Set<Listener>>()
  const ipcRenderer = strict(
    {
      on(channel: string, listener: Listener) {
        if (!listeners.has(channel)) listeners.set(channel, new Set())
        listeners.get(channel)!.add(listener)
        return ipcRenderer
      },
      removeListener(channel: string, listener: Listener) {
        listeners.get(channel)?.delete(listener)
        return ipcRenderer
      },
      send(channel: string, ...args: unknown[]) {
        void bridge({ kind: 'send', channel, args })
      },
      async invoke(channel: string, ...args: unknown[]) {
        const reply = (await bridge({ kind: 'invoke', channel, args })) as { ok: boolean; value?: unknown; error?: string }
        // Electron's wording for a handler that threw.
        if (!reply.ok) throw new Error(`Error invoking remote method '${channel}': Error: ${reply.error}`)
        return reply.value
      }
    },
    'ipcRenderer'
  )
  Object.defineProperty(win, deliverName, {
    value: (channel: string, args: unknown[]) => {
      const event = { sender: ipcRenderer, ports: [] }
      for (const listener of [...(listeners.get(channel) ?? [])]) listener(event, ...args)
    }
  })
  const contextBridge = strict(
    {
      exposeInMainWorld(key: string, api: unknown) {
        if (key in win) throw new Error(`Cannot bind an API on top of an existing property on the window object: ${key}`)
        // Like Electron, the page gets a frozen copy it cannot change.
        const copy = typeof api === 'object' && api !== null ? Object.freeze({ ...(api as object) }) : api
        Object.defineProperty(win, key, { value: copy, enumerable: true })
      }
    },
    'contextBridge'
  )
  const electron = strict({ contextBridge, ipcRenderer }, 'electron(renderer)')
  const require = (name: string): unknown => {
    if (name === 'electron') return electron
    throw new Error(`a sandboxed preload cannot require "${name}"`)
  }
  return { require, module: { exports: {} } }
}
