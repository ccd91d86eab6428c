/**
 * Fixtures for the browser end-to-end tests: every test gets its own headless BrokerScope
 * (`node out/main/cli.js` on free ports, a fixed UI token, its own data dir, `--sys-interval 0`),
 * a page with the inspector open and connected, and a factory for real MQTT.js clients that are
 * all closed when the test ends.
 *
 * The inspector records traffic only while a page is attached, so `inspector` opens the page
 * before the test connects any client.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { test as base, expect, type Locator, type Page } from '@playwright/test'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'

export { expect }

export const projectRoot = resolve(import.meta.dirname, '..')
// Every run writes its screenshots under test-results/; UPDATE_SCREENSHOTS=1 refreshes the ones
// committed in docs/screenshots (the README shows them) so a plain test run leaves git clean.
export const screenshotDir = process.env.UPDATE_SCREENSHOTS
  ? join(projectRoot, 'docs', 'screenshots')
  : join(projectRoot, 'test-results', 'screenshots')
const cliPath = join(projectRoot, 'out', 'main', 'cli.js')
const rendererIndex = join(projectRoot, 'out', 'renderer', 'index.html')

/** The fixed UI token every test broker is started with. */
export const UI_TOKEN = 'e2e-token-0123456789abcdef'

export interface RunningBroker {
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
  if (!existsSync(cliPath) || !existsSync(rendererIndex)) {
    console.log('e2e: out/ is missing; running `npx electron-vite build`')
    const result = spawnSync('npx', ['electron-vite', 'build', '--logLevel', 'error'], { cwd: projectRoot, stdio: 'inherit' })
    if (result.status !== 0 || !existsSync(cliPath) || !existsSync(rendererIndex)) {
      throw new Error('`npx electron-vite build` failed; the end-to-end tests need out/main/cli.js and out/renderer')
    }
    return
  }
  const built = Math.min(statSync(cliPath).mtimeMs, statSync(rendererIndex).mtimeMs)
  if (newestMtime(join(projectRoot, 'src')) > built) {
    console.warn('e2e: src/ changed after the last build; these tests run out/ as it is (run `npx electron-vite build`)')
  }
}

/** Start the headless app; resolves once it printed its listeners and the UI URL. */
export async function startBroker(extraArgs: readonly string[] = [], attempts = 3): Promise<RunningBroker> {
  let lastError: unknown
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await startOnce(extraArgs)
    } catch (error) {
      // Most likely another process took one of the ports between probing and binding: retry.
      lastError = error
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError))
}

async function startOnce(extraArgs: readonly string[]): Promise<RunningBroker> {
  const [tcpPort, wsPort, uiPort] = await freePorts(3)
  const dataDir = mkdtempSync(join(tmpdir(), 'brokerscope-e2e-'))
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

  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM')
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exitPromise
      clearTimeout(killer)
    }
    rmSync(dataDir, { recursive: true, force: true })
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
    await stop()
    throw error
  })

  return {
    tcpPort,
    wsPort,
    uiPort,
    token: UI_TOKEN,
    uiUrl,
    uiOrigin: `http://127.0.0.1:${uiPort}`,
    mqttUrl: `mqtt://127.0.0.1:${tcpPort}`,
    output: () => output,
    stop
  }
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
  mkdirSync(screenshotDir, { recursive: true })
  // Status pills and hover effects must not make images differ between runs more than needed.
  await page.mouse.move(0, 0)
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), animations: 'disabled' })
}

/** The data rows (not the header) of the virtualized traffic log. */
export function trafficRows(page: Page): Locator {
  return page.getByTestId('traffic-table').locator('.traffic-body [role="row"]')
}

interface Fixtures {
  /** Extra command-line flags for this test's broker. */
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

  brokerArgs: [[], { option: true }],

  broker: async ({ brokerArgs }, use, testInfo) => {
    const broker = await startBroker(brokerArgs)
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
    await page.goto(broker.uiUrl)
    await expect(page.getByTestId('connection-status')).toHaveText('Connected', { timeout: 15_000 })
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
