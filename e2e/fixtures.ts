/**
 * Fixtures for the browser end-to-end tests: every test gets its own BrokerScope on free ports with
 * its own data folder and `sysInterval` 0, a page with the inspector open and connected, and a
 * factory for real MQTT.js clients that are all closed when the test ends.
 *
 * Two transports, one Playwright project each (playwright.config.ts), same fixtures:
 * - `headless`: `node out/main/cli.js` with a fixed UI token; the page talks over the WebSocket.
 * - `electron`: the desktop entry out/main/index.js on the Electron fake (desktop-app.ts); the
 *   page is the window's renderer with the real preload, talking over (faked) IPC. `brokerArgs`
 *   are the same command-line flags, written into the app's settings.json (the desktop app has no
 *   command line). The headless-only members (`uiUrl`, `uiPort`, `uiOrigin`, `token`) throw there:
 *   a spec that needs them belongs in HEADLESS_ONLY_SPECS (playwright.config.ts).
 *
 * The inspector records traffic only while a page is attached, so `inspector` opens the page
 * before the test connects any client.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { test as base, expect, type Locator, type Page } from '@playwright/test'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { parseCliArgs } from '../src/main/config/cli-args'
import { DESKTOP_ENTRY, DesktopApp } from './desktop-app'

export { expect }

export const projectRoot = resolve(import.meta.dirname, '..')
// Every run writes its screenshots under test-results/; UPDATE_SCREENSHOTS=1 refreshes the ones
// committed in docs/screenshots (the README shows them) so a plain test run leaves git clean.
export const screenshotDir = process.env.UPDATE_SCREENSHOTS
  ? join(projectRoot, 'docs', 'screenshots')
  : join(projectRoot, 'test-results', 'screenshots')
const cliPath = join(projectRoot, 'out', 'main', 'cli.js')
const rendererIndex = join(projectRoot, 'out', 'renderer', 'index.html')
const preloadPath = join(projectRoot, 'out', 'preload', 'index.cjs')

/** The fixed UI token every test broker is started with. */
export const UI_TOKEN = 'e2e-token-0123456789abcdef'

/** Which shell and transport the page uses: set per Playwright project. */
export type Transport = 'headless' | 'electron'

export interface RunningBroker {
  transport: Transport
  /** The data folder (settings.json, saved messages); kept across restart(), removed by stop(). */
  dataDir: string
  tcpPort: number
  wsPort: number
  uiPort: number
  token: string
  /** http://127.0.0.1:UI/?token=… as printed by the CLI. */
  uiUrl: string
  /** http://127.0.0.1:UI, the page's origin. */
  uiOrigin: string
  /** mqtt://127.0.0.1:TCP */
  mqttUrl: string
  /** Everything the process printed so far. */
  output(): string
  /** Show the inspector in `page` (headless: open uiUrl; electron: the page becomes the app window's). */
  openInspector(page: Page): Promise<void>
  /**
   * Stop the app and start it again on the same data folder and ports; a page opened with
   * openInspector is shown the new run (electron: the new window; headless: its WebSocket reconnects).
   */
  restart(): Promise<void>
  /** The desktop app on the fake (electron transport only). */
  desktop: DesktopApp | null
  stop(): Promise<void>
}

export type ClientFactory = (clientId: string, options?: IClientOptions) => Promise<MqttClient>

const running = new Set<ChildProcess>()
// A crashed or killed worker must not leave brokers behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

/** `count` distinct free TCP ports on 127.0.0.1: all bound to port 0 at once, then released. */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = []
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer()
      servers.push(server)
      await new Promise<void>((ok, fail) => {
        server.once('error', fail)
        server.listen(0, '127.0.0.1', () => ok())
      })
    }
    return servers.map((s) => {
      const address = s.address()
      if (typeof address !== 'object' || address === null) throw new Error('no port')
      return address.port
    })
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((ok) => s.close(() => ok()))))
  }
}

/** Newest modification time of any file under `dir` (ms). */
function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const t = statSync(join(entry.parentPath, entry.name)).mtimeMs
    if (t > newest) newest = t
  }
  return newest
}

/**
 * The tests run the built app. Builds it when out/ is missing (e.g. a bare `npx playwright test`
 * on a fresh clone); when it is older than src/ it only warns, because rebuilding out/ under
 * other processes that use it (vitest, a running broker) would pull it from under them.
 */
export function ensureBuilt(): void {
  const outputs = [cliPath, rendererIndex, DESKTOP_ENTRY, preloadPath]
  if (!outputs.every((file) => existsSync(file))) {
    console.log('e2e: out/ is missing; running `npx electron-vite build`')
    const result = spawnSync('npx', ['electron-vite', 'build', '--logLevel', 'error'], { cwd: projectRoot, stdio: 'inherit' })
    if (result.status !== 0 || !outputs.every((file) => existsSync(file))) {
      throw new Error('`npx electron-vite build` failed; the end-to-end tests need out/main, out/preload and out/renderer')
    }
    return
  }
  const built = Math.min(...outputs.map((file) => statSync(file).mtimeMs))
  if (newestMtime(join(projectRoot, 'src')) > built) {
    console.warn('e2e: src/ changed after the last build; these tests run out/ as it is (run `npx electron-vite build`)')
  }
}

/** Start the headless app; resolves once it printed its listeners and the UI URL. */
export async function startBroker(extraArgs: readonly string[] = [], attempts = 3): Promise<RunningBroker> {
  return withRetries(attempts, async () => {
    const [tcpPort, wsPort, uiPort] = await freePorts(3)
    const dataDir = mkdtempSync(join(tmpdir(), 'brokerscope-e2e-'))
    try {
      return await startHeadless(extraArgs, { tcpPort, wsPort, uiPort }, dataDir)
    } catch (error) {
      rmSync(dataDir, { recursive: true, force: true })
      throw error
    }
  })
}

/** Most likely another process took one of the ports between probing and binding: retry. */
async function withRetries<T>(attempts: number, start: () => Promise<T>): Promise<T> {
  let lastError: unknown
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await start()
    } catch (error) {
      lastError = error
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError))
}

interface Ports {
  tcpPort: number
  wsPort: number
  uiPort: number
}

interface HeadlessRun {
  uiUrl: string
  output(): string
  /** Stop the process (SIGTERM, then SIGKILL after 5 s); leaves the data folder. */
  halt(): Promise<void>
}

async function startHeadless(extraArgs: readonly string[], ports: Ports, dataDir: string): Promise<RunningBroker> {
  let run = await spawnHeadless(extraArgs, ports, dataDir)
  let earlier = ''
  return {
    transport: 'headless',
    dataDir,
    ...ports,
    token: UI_TOKEN,
    get uiUrl() {
      return run.uiUrl
    },
    uiOrigin: `http://127.0.0.1:${ports.uiPort}`,
    mqttUrl: `mqtt://127.0.0.1:${ports.tcpPort}`,
    output: () => earlier + run.output(),
    openInspector: async (page) => {
      await page.goto(run.uiUrl)
    },
    restart: async () => {
      await run.halt()
      earlier += run.output()
      run = await spawnHeadless(extraArgs, ports, dataDir)
    },
    desktop: null,
    stop: async () => {
      await run.halt()
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
}

async function spawnHeadless(extraArgs: readonly string[], ports: Ports, dataDir: string): Promise<HeadlessRun> {
  const { tcpPort, wsPort, uiPort } = ports
  mkdirSync(dataDir, { recursive: true })
  const args = [
    cliPath,
    '--tcp-port',
    String(tcpPort),
    '--ws-port',
    String(wsPort),
    '--ui-port',
    String(uiPort),
    '--ui-token',
    UI_TOKEN,
    '--sys-interval',
    '0',
    ...extraArgs
  ]
  const child = spawn(process.execPath, args, {
    cwd: projectRoot,
    env: { ...process.env, BROKERSCOPE_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  running.add(child)
  let output = ''
  let exited = false
  const exitPromise = new Promise<void>((done) =>
    child.once('exit', (code, signal) => {
      exited = true
      running.delete(child)
      output += `\n[exited: code ${code} signal ${signal}]\n`
      done()
    })
  )
  child.stdout!.setEncoding('utf8')
  child.stderr!.setEncoding('utf8')

  const halt = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM')
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exitPromise
      clearTimeout(killer)
    }
  }

  const uiUrl = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`the broker did not start within 15 s:\n${output}`)), 15_000)
    const check = (): void => {
      const ui = /inspector UI on (\S+)/.exec(output)
      const tcp = output.includes(`listening on mqtt://127.0.0.1:${tcpPort} `)
      const ws = output.includes(`listening on ws://127.0.0.1:${wsPort}/`)
      if (ui && tcp && ws) {
        clearTimeout(timer)
        ok(ui[1])
      } else if (/could not start|no listener|EADDRINUSE/.test(output)) {
        clearTimeout(timer)
        fail(new Error(`the broker could not start:\n${output}`))
      }
    }
    child.stdout!.on('data', (chunk: string) => {
      output += chunk
      check()
    })
    child.stderr!.on('data', (chunk: string) => {
      output += chunk
      check()
    })
    void exitPromise.then(() => {
      clearTimeout(timer)
      fail(new Error(`the broker exited during start-up:\n${output}`))
    })
  }).catch(async (error: unknown) => {
    await halt()
    throw error
  })

  return { uiUrl, output: () => output, halt }
}

/**
 * Start the desktop entry on the Electron fake. `extraArgs` are headless command-line flags for
 * broker settings, written into settings.json (the desktop app's only source of settings).
 */
export async function startDesktopBroker(extraArgs: readonly string[] = [], attempts = 3): Promise<RunningBroker> {
  const parsed = parseCliArgs(extraArgs)
  const unsupported = [...parsed.errors]
  if (parsed.configPath !== null || parsed.dataDir !== null || extraArgs.some((a) => a.startsWith('--ui-'))) {
    unsupported.push('--config, --data-dir and --ui-* have no desktop equivalent')
  }
  if (unsupported.length > 0) throw new Error(`brokerArgs on the electron transport: ${unsupported.join('; ')}`)

  return withRetries(attempts, async () => {
    const [tcpPort, wsPort] = await freePorts(2)
    const dataDir = mkdtempSync(join(tmpdir(), 'brokerscope-desktop-e2e-'))
    writeSettingsFile(dataDir, { tcpPort, wsPort, sysInterval: 0, ...parsed.settings })
    try {
      return await startDesktop(dataDir, tcpPort, wsPort)
    } catch (error) {
      rmSync(dataDir, { recursive: true, force: true })
      throw error
    }
  })
}

/** settings.json as the desktop app reads it (src/main/storage/settings-file.ts). */
export function writeSettingsFile(dataDir: string, broker: Record<string, unknown>, extra: Record<string, unknown> = {}): void {
  mkdirSync(dataDir, { recursive: true })
  writeFileSync(join(dataDir, 'settings.json'), JSON.stringify({ version: 1, broker, ...extra }, null, 2))
}

/** settings.json as the app left it. */
export function readSettingsFile(dataDir: string): { version: number; broker?: Record<string, unknown>; [section: string]: unknown } {
  return JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8'))
}

async function launchDesktop(dataDir: string): Promise<DesktopApp> {
  const app = await DesktopApp.start({ userData: dataDir })
  // The desktop app opens its window even when a port is taken; a test broker must have them all.
  if (/is already in use/.test(app.logs())) {
    await app.kill()
    throw new Error(`a port was taken before the desktop app could bind it:\n${app.logs()}`)
  }
  return app
}

async function startDesktop(dataDir: string, tcpPort: number, wsPort: number): Promise<RunningBroker> {
  let app = await launchDesktop(dataDir)
  let earlier = ''
  let shownIn: Page | null = null
  const headlessOnly = (what: string): never => {
    throw new Error(`broker.${what} exists only on the headless transport; list this spec in HEADLESS_ONLY_SPECS (playwright.config.ts)`)
  }
  const checkFake = (): void => {
    if (app.unknownApi.length > 0) throw new Error(`the app used Electron API the fake does not model: ${app.unknownApi.join(', ')}`)
    if (app.refusedDownloads.length > 0) {
      throw new Error(`the desktop app's session refused downloads (they would not happen in Electron): ${app.refusedDownloads.join(', ')}`)
    }
  }
  const broker: RunningBroker = {
    transport: 'electron',
    dataDir,
    tcpPort,
    wsPort,
    get uiPort(): number {
      return headlessOnly('uiPort')
    },
    get token(): string {
      return headlessOnly('token')
    },
    get uiUrl(): string {
      return headlessOnly('uiUrl')
    },
    get uiOrigin(): string {
      return headlessOnly('uiOrigin')
    },
    mqttUrl: `mqtt://127.0.0.1:${tcpPort}`,
    output: () => earlier + app.logs(),
    get desktop() {
      return app
    },
    openInspector: async (page) => {
      shownIn = page
      await app.attach(page)
    },
    restart: async () => {
      checkFake()
      const code = await app.quit()
      earlier += app.logs()
      if (code !== 0) throw new Error(`the desktop app quit with exit code ${code}:\n${earlier}`)
      app = await launchDesktop(dataDir)
      if (shownIn) await app.attach(shownIn)
    },
    stop: async () => {
      try {
        checkFake()
        const code = await app.quit()
        if (code !== 0) throw new Error(`the desktop app quit with exit code ${code}:\n${earlier + app.logs()}`)
      } finally {
        await app.kill()
        rmSync(dataDir, { recursive: true, force: true })
      }
    }
  }
  return broker
}

/** Wait for the next message on `topic` (exact match), or fail after `timeoutMs`. */
export function nextMessage(
  client: MqttClient,
  topic: string,
  timeoutMs = 5_000
): Promise<{ payload: Buffer; packet: mqtt.IPublishPacket }> {
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => {
      client.off('message', onMessage)
      fail(new Error(`no message on ${topic} within ${timeoutMs} ms`))
    }, timeoutMs)
    const onMessage = (t: string, payload: Buffer, packet: mqtt.IPublishPacket): void => {
      if (t !== topic) return
      clearTimeout(timer)
      client.off('message', onMessage)
      ok({ payload, packet })
    }
    client.on('message', onMessage)
  })
}

/** Collect every message the client gets for `ms` milliseconds. */
export async function messagesDuring(client: MqttClient, ms: number): Promise<{ topic: string; payload: string; retain: boolean }[]> {
  const got: { topic: string; payload: string; retain: boolean }[] = []
  const onMessage = (topic: string, payload: Buffer, packet: mqtt.IPublishPacket): void => {
    got.push({ topic, payload: payload.toString(), retain: packet.retain })
  }
  client.on('message', onMessage)
  await new Promise((r) => setTimeout(r, ms))
  client.off('message', onMessage)
  return got
}

/** Open a view from the nav and wait for its heading. */
export async function openView(page: Page, view: string, heading: string): Promise<void> {
  await page.getByTestId(`nav-${view}`).click()
  await expect(page.getByRole('main').getByRole('heading', { level: 1, name: heading, exact: true })).toBeVisible()
}

/** Screenshot of the whole window into <screenshotDir>/<name>.png. */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  // A shared journey runs on both projects: the committed picture is the headless one, the
  // electron run's goes to test-results/ (desktop-*.spec.ts exist only there, so theirs count).
  const info = base.info()
  const shared = info.project.name === 'electron' && !/(^|[\\/])desktop-[^\\/]*\.spec\.ts$/.test(info.file)
  const dir = shared ? join(projectRoot, 'test-results', 'screenshots', 'electron') : screenshotDir
  mkdirSync(dir, { recursive: true })
  // Status pills and hover effects must not make images differ between runs more than needed.
  await page.mouse.move(0, 0)
  await page.screenshot({ path: join(dir, `${name}.png`), animations: 'disabled' })
}

/** The data rows (not the header) of the virtualized traffic log. */
export function trafficRows(page: Page): Locator {
  return page.getByTestId('traffic-table').locator('.traffic-body [role="row"]')
}

interface Fixtures {
  /** The project's transport (playwright.config.ts sets it). */
  transport: Transport
  /** Extra command-line flags for this test's broker (electron: written into settings.json). */
  brokerArgs: string[]
  broker: RunningBroker
  /** The page, with the inspector opened from the broker's URL and connected. */
  inspector: Page
  mqttClient: ClientFactory
}

interface WorkerFixtures {
  built: undefined
}

export const test = base.extend<Fixtures, WorkerFixtures>({
  built: [
    async ({}, use) => {
      ensureBuilt()
      await use(undefined)
    },
    { scope: 'worker', auto: true }
  ],

  transport: ['headless', { option: true }],

  brokerArgs: [[], { option: true }],

  broker: async ({ brokerArgs, transport }, use, testInfo) => {
    const broker = transport === 'electron' ? await startDesktopBroker(brokerArgs) : await startBroker(brokerArgs)
    try {
      await use(broker)
    } finally {
      await broker.stop()
      if (testInfo.status !== testInfo.expectedStatus) {
        await testInfo.attach('broker-output.txt', { body: broker.output(), contentType: 'text/plain' })
      }
    }
  },

  inspector: async ({ page, broker }, use) => {
    await broker.openInspector(page)
    await expect(page.getByTestId('connection-status')).toHaveText('Connected', { timeout: 15_000 })
    // The page really uses the project's transport (the preload's API, or the WebSocket).
    const pageTransport = await page.evaluate(
      () => (globalThis as { brokerscope?: { transport: string } }).brokerscope?.transport ?? 'headless (no preload API)'
    )
    expect(pageTransport).toBe(broker.transport === 'electron' ? 'electron' : 'headless (no preload API)')
    await expect(page.getByRole('main').getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible()
    await use(page)
  },

  mqttClient: async ({ broker }, use) => {
    const clients: MqttClient[] = []
    const factory: ClientFactory = async (clientId, options = {}) => {
      const client = await mqtt.connectAsync(broker.mqttUrl, {
        clientId,
        protocolVersion: 5,
        reconnectPeriod: 0,
        connectTimeout: 5_000,
        ...options
      })
      clients.push(client)
      return client
    }
    await use(factory)
    await Promise.all(
      clients.map((client) => Promise.race([client.endAsync(true).catch(() => undefined), new Promise((r) => setTimeout(r, 2_000))]))
    )
  }
})

/** The cell of `row` under the column headed `header` in `table` (a DataTable). */
export async function cellOf(table: Locator, row: Locator, header: string): Promise<Locator> {
  const headers = (await table.getByRole('columnheader').allInnerTexts()).map((h) => h.replace(/[▲▼]/g, '').trim())
  const index = headers.indexOf(header)
  expect(index, `column "${header}" in ${JSON.stringify(headers)}`).toBeGreaterThanOrEqual(0)
  return row.getByRole('cell').nth(index)
}

export interface TrafficLine {
  dir: 'in' | 'out'
  client: string
  type: string
  topic: string
  qos: string
  retain: string
  payload: string
}

/** What the traffic log shows now, top to bottom. */
export async function readTraffic(page: Page): Promise<TrafficLine[]> {
  return trafficRows(page).evaluateAll((rows) =>
    rows.map((row) => {
      const cells = [...row.querySelectorAll('[role="cell"]')].map((c) => (c.textContent ?? '').trim())
      return {
        dir: cells[1].endsWith('in') ? 'in' : 'out',
        client: cells[2],
        type: cells[3],
        topic: cells[4],
        qos: cells[5],
        retain: cells[6],
        payload: cells[8]
      } as const
    })
  )
}

export { parseCsv } from '../test/helpers/csv'
