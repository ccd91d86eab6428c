/**
 * The desktop app's own behaviour, on the Electron fake (electron project only): a port taken at
 * launch, the app data folder and its log file, the application menu, the tray and closing to it,
 * and the IPC sender checks against senders that are not the app's window.
 *
 * What the fake shows is what the app asks Electron to do (the menu template and roles, the tray's
 * tooltip and menu, shell.openPath on the data folder); that the OS then draws the menu, shows the
 * icon or opens a file manager only the real Electron can show.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test as base, type Page } from '@playwright/test'
import mqtt from 'mqtt'
import type { MenuItemRecord } from '../test/electron-fake/protocol'
import { waitUntilListening } from '../test/helpers/port-holder'
import { DesktopApp } from './desktop-app'
import { expect, freePorts, openView, readSettingsFile, saveScreenshot, writeSettingsFile } from './fixtures'

interface DesktopFixtures {
  /** A fresh app data folder, removed after the test. */
  userData: string
  /** Start the desktop entry on the fake; every app started is quit (or killed) after the test. */
  launch: (options?: { packaged?: boolean; noWindow?: boolean }) => Promise<DesktopApp>
}

const test = base.extend<DesktopFixtures>({
  userData: async ({}, use) => {
    const dir = mkdtempSync(join(tmpdir(), 'brokerscope-desktop-'))
    await use(dir)
    rmSync(dir, { recursive: true, force: true })
  },
  launch: async ({ userData }, use, testInfo) => {
    const apps: DesktopApp[] = []
    await use(async (options = {}) => {
      const app = await DesktopApp.start({ userData, ...options })
      apps.push(app)
      return app
    })
    for (const app of apps) {
      if (testInfo.status !== testInfo.expectedStatus)
        await testInfo.attach('desktop-output.txt', { body: app.logs(), contentType: 'text/plain' })
      await app.kill()
      expect(app.unknownApi, 'Electron API the fake does not model').toEqual([])
    }
  }
})

async function connected(page: Page): Promise<void> {
  await expect(page.getByTestId('connection-status')).toHaveText('Connected', { timeout: 15_000 })
}

/** A process that listens on `port` until killed, with a recognisable command name. */
async function holdPort(command: 'mosquitto' | 'node', port: number, dir: string): Promise<ChildProcess> {
  let child: ChildProcess
  if (command === 'mosquitto') {
    const config = join(dir, `mosquitto-${port}.conf`)
    writeFileSync(config, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`)
    child = spawn('mosquitto', ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] })
  } else {
    child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${port}, '127.0.0.1')`], { stdio: 'ignore' })
  }
  await waitUntilListening(port, 10_000, command)
  return child
}

function item(menu: MenuItemRecord[] | null | undefined, ...path: string[]): MenuItemRecord | undefined {
  let items = menu ?? []
  let found: MenuItemRecord | undefined
  for (const name of path) {
    found = items.find((i) => (i.label ?? i.role) === name)
    items = found?.submenu ?? []
  }
  return found
}

function roles(menu: MenuItemRecord[] | null | undefined, label: string): string[] {
  return (item(menu, label)?.submenu ?? []).map((i) => i.role ?? i.type ?? i.label ?? '?')
}

test('ports taken at launch: the window still opens, names each holder, and one click moves the listener to a free port, saved', async ({
  page,
  userData,
  launch
}) => {
  const [tcpPort, wsPort] = await freePorts(2)
  const holders = [await holdPort('mosquitto', tcpPort, userData), await holdPort('node', wsPort, userData)]
  try {
    writeSettingsFile(userData, { tcpPort, wsPort, sysInterval: 0 })
    const app = await launch()
    await app.attach(page)
    await connected(page)
    expect(app.mainWindow().shown).toBe(true)

    const tcpConflict = page.getByTestId('port-conflict-tcp')
    const wsConflict = page.getByTestId('port-conflict-ws')
    await expect(tcpConflict).toContainText(`TCP port ${tcpPort} is in use by mosquitto (pid ${holders[0].pid})`)
    await expect(wsConflict).toContainText(`WebSocket port ${wsPort} is in use by node (pid ${holders[1].pid})`)
    await saveScreenshot(page, 'port-in-use')

    // One click each; the suggestion is a port that is free now.
    const newTcp = Number((await tcpConflict.getByRole('button').textContent())?.match(/\d+/)?.[0])
    expect(newTcp).not.toBe(tcpPort)
    await tcpConflict.getByRole('button', { name: `Use port ${newTcp}` }).click()
    await expect(page.getByTestId('port-conflict-result')).toContainText(`TCP now uses port ${newTcp} (saved).`)
    await expect(tcpConflict).toHaveCount(0)
    const newWs = Number((await wsConflict.getByRole('button').textContent())?.match(/\d+/)?.[0])
    expect(newWs).not.toBe(newTcp)
    await wsConflict.getByRole('button', { name: `Use port ${newWs}` }).click()
    await expect(page.getByTestId('port-conflicts').getByRole('alert')).toHaveCount(0)

    // Both listeners run on the new ports, and a client gets in; the choice is in settings.json.
    await expect(page.getByRole('list', { name: 'Listeners' })).toContainText(`127.0.0.1:${newTcp}`)
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${newTcp}`, { clientId: 'moved', reconnectPeriod: 0 })
    await client.endAsync()
    const ws = await mqtt.connectAsync(`ws://127.0.0.1:${newWs}/mqtt`, { clientId: 'moved-ws', reconnectPeriod: 0 })
    await ws.endAsync()
    expect(readSettingsFile(userData).broker).toMatchObject({ tcpPort: newTcp, wsPort: newWs })
    expect(await app.quit()).toBe(0)

    // The next launch uses them from the start: no conflict.
    const again = await launch()
    await again.attach(page)
    await connected(page)
    await expect(page.getByRole('list', { name: 'Listeners' })).toContainText(`127.0.0.1:${newTcp}`)
    await expect(page.getByTestId('port-conflicts')).toHaveCount(0)
    expect(await again.quit()).toBe(0)
  } finally {
    for (const holder of holders) holder.kill('SIGKILL')
  }
})

test('Settings shows the app data folder with Open folder, and the rotated log file in it', async ({ page, userData, launch }) => {
  const [tcpPort] = await freePorts(1)
  // A tiny log limit so the first lines rotate it.
  writeSettingsFile(userData, { tcpPort, wsPort: 0, sysInterval: 0 }, { desktop: { logFileMaxBytes: 65_536, logFiles: 2 } })
  const app = await launch()
  await app.attach(page)
  await connected(page)
  await openView(page, 'settings', 'Settings')
  const section = page.getByTestId('desktop-section')
  await expect(section.getByTestId('data-dir')).toHaveText(userData)
  const logFile = join(userData, 'logs', 'brokerscope.log')
  await expect(section.getByTestId('log-file')).toHaveText(logFile)
  await expect(section.getByTestId('store-dir')).toHaveText(join(userData, 'store'))
  await expect(section.getByTestId('app-version')).toContainText(/^0\.1\.0 \(build [0-9a-f]{7,} \d{4}-\d{2}-\d{2}\)$/)

  await section.getByRole('button', { name: 'Open folder' }).click()
  await expect(page.getByTestId('desktop-message')).toHaveText(`Opened ${userData}`)
  await section.scrollIntoViewIfNeeded()
  await saveScreenshot(page, 'desktop-settings')
  expect(app.shellCalls).toEqual([{ call: 'openPath', target: userData }])

  // The log file has the start-up line; past the limit it is rotated to .1 (and at most 2 kept).
  expect(readFileSync(logFile, 'utf8')).toContain(`starting; data folder ${userData}`)
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${tcpPort}`, { reconnectPeriod: 0 })
  for (let i = 0; i < 700; i++) {
    // Each connect and disconnect is an info line: enough to pass 64 KiB twice.
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${tcpPort}`, { clientId: `log-filler-${i}-${'x'.repeat(40)}`, reconnectPeriod: 0 })
    await c.endAsync()
  }
  await client.endAsync()
  await expect.poll(() => existsSync(`${logFile}.2`)).toBe(true)
  expect(existsSync(`${logFile}.3`)).toBe(false)
  expect(readFileSync(`${logFile}.1`).length).toBeLessThanOrEqual(65_536)
  await page.reload()
  await connected(page)
  await openView(page, 'settings', 'Settings')
  await expect(section).toContainText(/[1-9]\d* rotations? this run/)
  expect(await app.quit()).toBe(0)
})

test('the application menu: standard Edit roles, View zoom and full screen, Help with docs and About; reload and DevTools only in development', async ({
  page,
  userData,
  launch
}) => {
  const [tcpPort] = await freePorts(1)
  writeSettingsFile(userData, { tcpPort, wsPort: 0, sysInterval: 0 })
  const dev = await launch()
  await dev.waitFor(() => dev.applicationMenu !== undefined, 5_000, 'the application menu')
  const menu = dev.applicationMenu
  expect(roles(menu, 'Edit')).toEqual(['undo', 'redo', 'separator', 'cut', 'copy', 'paste', 'delete', 'separator', 'selectAll'])
  expect(roles(menu, 'View')).toEqual([
    'reload',
    'forceReload',
    'toggleDevTools',
    'separator',
    'resetZoom',
    'zoomIn',
    'zoomOut',
    'separator',
    'togglefullscreen'
  ])
  expect(roles(menu, 'Help')).toEqual(['Documentation', 'separator', 'about'])
  expect(dev.aboutPanel).toMatchObject({ applicationName: 'BrokerScope', applicationVersion: '0.1.0' })
  expect(String(dev.aboutPanel?.version)).toMatch(/^[0-9a-f]{7,} \d{4}-\d{2}-\d{2}$/)
  // The window allows DevTools in development only.
  expect((dev.mainWindow().options.webPreferences as { devTools: boolean }).devTools).toBe(true)

  // Menu items with actions: Help › Documentation opens the README, File › Open Data Folder the folder.
  dev.clickMenu(['Help', 'Documentation'])
  dev.clickMenu(['File', 'Open Data Folder'])
  await dev.waitFor(() => dev.shellCalls.length === 2, 5_000, 'the shell calls')
  expect(dev.shellCalls[0].call).toBe('openPath')
  expect(dev.shellCalls[0].target).toMatch(/README\.md$/)
  expect(existsSync(dev.shellCalls[0].target)).toBe(true)
  expect(dev.shellCalls[1]).toEqual({ call: 'openPath', target: userData })
  expect(await dev.quit()).toBe(0)

  // Packaged: no reload, no DevTools, in the menu or the window.
  const packaged = await launch({ packaged: true })
  await packaged.waitFor(() => packaged.applicationMenu !== undefined, 5_000, 'the application menu')
  expect(roles(packaged.applicationMenu, 'View')).toEqual(['resetZoom', 'zoomIn', 'zoomOut', 'separator', 'togglefullscreen'])
  expect((packaged.mainWindow().options.webPreferences as { devTools: boolean }).devTools).toBe(false)
  await packaged.attach(page)
  await connected(page)
  expect(await packaged.quit()).toBe(0)
})

test('the tray shows the broker state and its clients; closing the window quits, or with close-to-tray keeps the broker running', async ({
  page,
  userData,
  launch
}) => {
  const [tcpPort] = await freePorts(1)
  writeSettingsFile(userData, { tcpPort, wsPort: 0, sysInterval: 0 })
  const app = await launch()
  await app.waitFor(() => app.trays.size > 0, 5_000, 'the tray icon')
  const tray = app.tray()
  expect(existsSync(tray.image)).toBe(true)
  expect(tray.tooltip).toBe(`BrokerScope — Running on TCP ${tcpPort} · 0 clients connected`)
  expect(tray.menu?.map((i) => i.label ?? i.type)).toEqual([
    `Running on TCP ${tcpPort} · 0 clients connected`,
    'separator',
    'Open BrokerScope',
    'separator',
    'Quit BrokerScope'
  ])
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${tcpPort}`, { clientId: 'tray-watcher', reconnectPeriod: 0 })
  await app.waitFor(() => app.tray().tooltip.endsWith('1 client connected'), 10_000, 'the tray to count the client')

  // Default: closing the window quits the app (and the broker).
  await app.attach(page)
  await connected(page)
  app.closeWindow()
  expect(await app.waitForExit()).toBe(0)
  await expect.poll(() => client.connected).toBe(false)
  client.end(true)

  // Close-to-tray, switched on in Settings (and saved).
  const second = await launch()
  await second.attach(page)
  await connected(page)
  await openView(page, 'settings', 'Settings')
  await page.getByTestId('close-to-tray').check()
  await expect(page.getByTestId('desktop-message')).toHaveText('Desktop settings saved.')
  expect(readSettingsFile(userData).desktop).toEqual({ closeToTray: true })
  second.closeWindow()
  await second.waitFor(() => !second.mainWindow().shown, 5_000, 'the window to hide')
  expect(second.exitCode).toBeNull()
  // The broker still runs: a client connects while the window is hidden.
  const late = await mqtt.connectAsync(`mqtt://127.0.0.1:${tcpPort}`, { clientId: 'while-hidden', reconnectPeriod: 0 })
  second.clickTrayMenu(['Open BrokerScope'])
  await second.waitFor(() => second.mainWindow().shown, 5_000, 'the window to come back')
  second.clickTrayMenu(['Quit BrokerScope'])
  expect(await second.waitForExit()).toBe(0)
  await expect.poll(() => late.connected).toBe(false)
  late.end(true)
})

test('IPC from anything but the app window showing the app is refused; the app window itself is answered', async ({
  page,
  context,
  userData,
  launch
}) => {
  const [tcpPort] = await freePorts(1)
  writeSettingsFile(userData, { tcpPort, wsPort: 0, sysInterval: 0 })
  const app = await launch()
  await app.attach(page)
  await connected(page)
  const invoke = (target: Page | ReturnType<Page['mainFrame']>, channel: string, args: unknown[]) =>
    target.evaluate(
      ([c, a]) =>
        (globalThis as unknown as Record<string, (m: unknown) => Promise<unknown>>).__brokerscopeFakeIpc({
          kind: 'invoke',
          channel: c,
          args: a
        }),
      [channel, args] as const
    )

  // The app window's main frame: answered, on both channels.
  expect(await invoke(page, 'brokerscope:call', ['listSavedMessages', []])).toEqual({ ok: true, value: { ok: true, result: [] } })
  expect(await invoke(page, 'brokerscope:desktop', ['info', []])).toMatchObject({
    ok: true,
    value: { ok: true, result: { dataDir: userData } }
  })
  // Bad envelopes are refused by name.
  expect(await invoke(page, 'brokerscope:desktop', ['openPath', ['/etc']])).toEqual({
    ok: true,
    value: { ok: false, error: 'unknown desktop command "openPath"' }
  })
  expect(await invoke(page, 'brokerscope:desktop', ['openDataFolder', ['/etc']])).toEqual({
    ok: true,
    value: { ok: false, error: 'openDataFolder: takes 0 arguments, got 1' }
  })

  // A sub-frame of the app window: forbidden.
  await page.evaluate(() => {
    const frame = (
      globalThis as unknown as { document: { createElement(t: string): Record<string, unknown>; body: { append(e: unknown): void } } }
    ).document.createElement('iframe')
    frame.srcdoc = '<p>inner</p>'
    ;(globalThis as unknown as { document: { body: { append(e: unknown): void } } }).document.body.append(frame)
  })
  await expect.poll(() => page.frames().length).toBe(2)
  const child = page.frames().find((f) => f !== page.mainFrame())!
  expect(await invoke(child, 'brokerscope:call', ['snapshot', []])).toEqual({ ok: true, value: { ok: false, error: 'forbidden' } })
  expect(await invoke(child, 'brokerscope:desktop', ['openDataFolder', []])).toEqual({ ok: true, value: { ok: false, error: 'forbidden' } })

  // Another webContents (a second page) showing the same file: forbidden.
  const other = await context.newPage()
  await app.attach(other, { webContentsId: 99 })
  expect(await invoke(other, 'brokerscope:call', ['snapshot', []])).toEqual({ ok: true, value: { ok: false, error: 'forbidden' } })

  // The app window navigated to another page (a file: page that is not the app): forbidden.
  const elsewhere = join(userData, 'elsewhere.html')
  writeFileSync(elsewhere, '<!doctype html><title>elsewhere</title>')
  await page.goto(`file://${elsewhere}`)
  expect(await invoke(page, 'brokerscope:call', ['snapshot', []])).toEqual({ ok: true, value: { ok: false, error: 'forbidden' } })
  expect(app.shellCalls).toEqual([])
  expect(app.logs()).toContain('IPC brokerscope:call dropped: the sender is a sub-frame')
  expect(app.logs()).toContain('IPC brokerscope:call dropped: sender 99 is not the app window')
  expect(app.logs()).toContain(`the sender is showing file://${elsewhere}, not the app`)
  expect(await app.quit()).toBe(0)
})

test('a data folder another broker is using: the app says so in an error box and exits, leaving that broker alone', async ({
  userData,
  launch
}) => {
  const [tcpPort] = await freePorts(1)
  const cli = spawn(
    process.execPath,
    [join(import.meta.dirname, '..', 'out', 'main', 'cli.js'), '--tcp-port', String(tcpPort), '--ws-port', '0', '--ui-port', '0'],
    {
      env: { ...process.env, BROKERSCOPE_DATA_DIR: userData },
      stdio: ['ignore', 'pipe', 'pipe']
    }
  )
  try {
    let output = ''
    cli.stdout!.on('data', (chunk) => (output += chunk))
    await expect.poll(() => output, { timeout: 15_000 }).toContain(`listening on mqtt://127.0.0.1:${tcpPort}`)

    const app = await launch({ noWindow: true })
    expect(await app.waitForExit()).toBe(1)
    expect(app.windows.size).toBe(0)
    expect(app.errorBoxes).toHaveLength(1)
    expect(app.errorBoxes[0].title).toBe('BrokerScope could not start')
    expect(app.errorBoxes[0].content).toContain(`another BrokerScope (pid ${cli.pid}`)
    // The other broker still has its folder and its clients.
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${tcpPort}`, { reconnectPeriod: 0 })
    await client.endAsync()
  } finally {
    cli.kill('SIGKILL')
  }
})
