/**
 * Issue 15, "a new user's first hour": the journeys a newcomer takes, in Chromium against the
 * headless app with real MQTT.js clients. Screenshots go to test-results/screenshots/ (or
 * docs/screenshots/ with UPDATE_SCREENSHOTS=1).
 */
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { networkInterfaces } from 'node:os'
import { promisify } from 'node:util'
import type { Page } from '@playwright/test'
import { cellOf, expect, openView, saveScreenshot, test, trafficRows } from './fixtures'

test.describe('with $SYS on', () => {
  test.use({ brokerArgs: ['--sys-interval', '1'] })

  test('Retained: an MQTT filter shows what it matches, "delete the N shown" deletes those, $SYS is hidden and never deleted (bug 7)', async ({
    inspector: page,
    mqttClient
  }) => {
    const device = await mqttClient('retained-device')
    for (const topic of ['test/a', 'test/b/c', 'ui/test/props', 'home/lamp']) {
      await device.publishAsync(topic, `value of ${topic}`, { qos: 1, retain: true })
    }
    await openView(page, 'retained', 'Retained')
    const table = page.getByRole('table', { name: 'Retained messages' })
    await expect(table.getByRole('row', { name: /home\/lamp/ })).toBeVisible()
    // $SYS is retained too (every second here), but hidden and not counted by default.
    await expect(page.getByTestId('retained-count')).toContainText(/^4 retained messages \(\d+ \$SYS hidden\)/)
    await expect(page.getByTestId('nav-retained')).toContainText('4')
    await expect(table.getByRole('row', { name: /\$SYS/ })).toHaveCount(0)

    await page.getByLabel('Filter retained').fill('test/#')
    await expect(table.getByRole('row', { name: /test\/a/ })).toBeVisible()
    await expect(table.getByRole('row', { name: /test\/b\/c/ })).toBeVisible()
    await expect(table.getByRole('row', { name: /ui\/test\/props/ })).toHaveCount(0)
    await expect(page.getByTestId('delete-shown-retained')).toHaveText('Delete the 2 shown')
    await page.getByTestId('delete-shown-retained').click()
    const dialog = page.getByRole('dialog', { name: 'Delete 2 retained messages?' })
    await expect(dialog.getByTestId('confirm-topics')).toHaveText(/test\/a\s*test\/b\/c/)
    await saveScreenshot(page, 'retained-delete-shown')
    await dialog.getByRole('button', { name: 'Delete' }).click()
    await expect(page.getByTestId('action-message')).toHaveText('Deleted 2 retained messages')

    await page.getByLabel('Filter retained').fill('')
    await expect(table.getByRole('row', { name: /ui\/test\/props/ })).toBeVisible()
    await expect(table.getByRole('row', { name: /home\/lamp/ })).toBeVisible()
    await expect(table.getByRole('row', { name: /test\/a/ })).toHaveCount(0)

    // Everything shown, $SYS included: the delete still leaves $SYS alone.
    await page.getByLabel('Show $SYS').check()
    await expect(table.getByRole('row', { name: /\$SYS\/broker\/bytes\/received/ })).toBeVisible()
    await expect(page.getByTestId('delete-shown-retained')).toHaveText('Delete the 2 shown')
    await page.getByTestId('delete-shown-retained').click()
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click()
    await expect(page.getByTestId('action-message')).toHaveText('Deleted 2 retained messages')
    await expect(table.getByRole('row', { name: /\$SYS\/broker\/bytes\/received/ })).toBeVisible()

    // A fresh subscriber gets $SYS and nothing else retained.
    const probe = await mqttClient('retained-probe')
    const got: string[] = []
    probe.on('message', (topic, _payload, packet) => packet.retain && got.push(topic))
    await probe.subscribeAsync(['#', '$SYS/#'])
    await page.waitForTimeout(500)
    expect(got.filter((t) => !t.startsWith('$SYS'))).toEqual([])
    expect(got.some((t) => t.startsWith('$SYS/'))).toBe(true)
    await page.getByLabel('Show $SYS').uncheck()
  })
})

test('Traffic export carries whole payloads, and says when one was cut (bug 5)', async ({ inspector: page, mqttClient }) => {
  const big = `{"blob":"${'x'.repeat(205_000)}","end":"END-OF-PAYLOAD"}`
  const device = await mqttClient('export-device')
  await openView(page, 'traffic', 'Traffic')
  await device.publishAsync('export/big', big, { qos: 1 })
  await device.publishAsync('export/small', 'tiny', { qos: 1 })
  await page.getByLabel('Topic filter').fill('export/#')
  await expect(trafficRows(page).filter({ hasText: 'export/small' })).toHaveCount(1)
  const downloading = page.waitForEvent('download')
  await page.getByRole('button', { name: 'Export JSON' }).click()
  const file = await (await downloading).path()
  const records = JSON.parse(await readFile(file, 'utf8')) as Array<{ topic: string; payload: string; payloadTruncated: boolean }>
  const bigRecord = records.find((r) => r.topic === 'export/big')
  expect(bigRecord?.payload.length).toBe(big.length)
  expect(bigRecord?.payload).toBe(big)
  expect(bigRecord?.payloadTruncated).toBe(false)
  await expect(page.getByTestId('action-message')).toHaveText(/^Exported \d+ packets as JSON with their whole payloads$/)
})

test.describe('with a small history', () => {
  // 1 MiB of history: one entry may hold 64 KiB, so a 205 KB payload is kept only as its preview there.
  test.use({ brokerArgs: ['--inspector-history-bytes', '1048576'] })

  test('Topics: a large value the history did not keep loads whole on demand (bug 6)', async ({ inspector: page, mqttClient }) => {
    const big = `${'y'.repeat(205_000)}END-OF-VALUE`
    const device = await mqttClient('topics-big')
    await device.publishAsync('big/value', big, { qos: 1 })
    await openView(page, 'topics', 'Topics')
    await page.getByLabel('Filter topics').fill('big/value')
    await page.locator('[role="treeitem"][data-path="big/value"]').click()
    const value = page.getByTestId('topic-detail').getByTestId('decoded-payload')
    await expect(value).toContainText('END-OF-VALUE', { timeout: 10_000 })
    await expect(value).not.toContainText('shown)')
  })
})

test('a 200 KB hex dump: one line per 16 bytes, never wrapped, only what is in view rendered (bug 9)', async ({
  inspector: page,
  mqttClient
}) => {
  await page.setViewportSize({ width: 1400, height: 900 })
  const payload = Buffer.alloc(200 * 1024)
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff
  const device = await mqttClient('hex-device')
  await openView(page, 'traffic', 'Traffic')
  await device.publishAsync('hex/blob', payload, { qos: 0 })
  await trafficRows(page).filter({ hasText: 'hex/blob' }).first().click()
  const detail = page.getByTestId('traffic-detail')
  const hex = detail.getByRole('region', { name: 'Payload content' })
  await expect(detail.getByRole('button', { name: 'Hex' })).toHaveAttribute('aria-pressed', 'true')
  await expect(hex).toContainText('00000000  00 07 0e 15 1c 23 2a 31  38 3f 46 4d 54 5b 62 69 |.....#*18?FMT[bi|')
  const shape = await hex.evaluate((el) => {
    const lines = [...el.querySelectorAll('.hex-line')]
    const style = (line: (typeof lines)[number]) => el.ownerDocument.defaultView!.getComputedStyle(line)
    return {
      rendered: lines.length,
      chars: (el.textContent ?? '').length,
      // A wrapped line would be taller than one line of text.
      tallest: Math.max(...lines.map((line) => line.getBoundingClientRect().height)),
      lineHeight: Number.parseFloat(style(lines[0]).lineHeight),
      wraps: lines.some((line) => style(line).whiteSpace !== 'pre')
    }
  })
  expect(shape.rendered).toBeLessThan(60)
  expect(shape.chars).toBeLessThan(60 * 80)
  expect(shape.wraps).toBe(false)
  expect(shape.tallest).toBeLessThanOrEqual(shape.lineHeight + 0.5)
  // The last line is reachable.
  await hex.evaluate((el) => el.scrollTo(0, el.scrollHeight))
  await expect(hex).toContainText(`000${(payload.length - 16).toString(16)}  `)
  await saveScreenshot(page, 'traffic-hex')
})

test('Clients: a click opens the client panel (connection, will, subscriptions, queued), Show its traffic, confirm before kick and delete (client details)', async ({
  inspector: page,
  mqttClient
}) => {
  const sensor = await mqttClient('panel-sensor', {
    username: 'alice',
    keepalive: 45,
    clean: false,
    properties: { sessionExpiryInterval: 600, receiveMaximum: 20, topicAliasMaximum: 3 },
    will: {
      topic: 'devices/panel-sensor/status',
      payload: Buffer.from('offline'),
      qos: 1,
      retain: true,
      properties: { willDelayInterval: 2 }
    }
  })
  await sensor.subscribeAsync('panel/cmd/#', { qos: 1 })
  await openView(page, 'clients', 'Clients')
  const table = page.getByRole('table', { name: 'Clients' })
  const row = table.getByRole('row', { name: /panel-sensor/ })
  await expect(await cellOf(table, row, 'Username')).toHaveText('alice')
  await row.click()
  const panel = page.getByTestId('client-detail')
  const connection = panel.getByTestId('client-connection')
  await expect(connection).toContainText('MQTT 5.0')
  await expect(connection).toContainText('alice')
  await expect(connection).toContainText('45 s')
  await expect(connection).toContainText(/Receive maximum\s*client 20 · broker 65,535/)
  await expect(connection).toContainText(/Topic alias maximum\s*client 3/)
  await expect(connection).toContainText(/127\.0\.0\.1:\d+ via tcp/)
  await expect(panel.getByTestId('will')).toContainText('devices/panel-sensor/status')
  await expect(panel.getByTestId('will')).toContainText('offline')
  await expect(panel.getByTestId('will')).toContainText('2 s after the connection is lost')
  await expect(panel.getByTestId('client-subscriptions')).toContainText('panel/cmd/#')
  await saveScreenshot(page, 'client-details')

  // Disconnect asks first; Cancel changes nothing.
  await panel.getByRole('button', { name: 'Disconnect…' }).click()
  const dialog = page.getByRole('dialog', { name: 'Disconnect panel-sensor?' })
  await expect(dialog).toContainText('publishes its will')
  await dialog.getByRole('button', { name: 'Cancel' }).click()
  await expect(await cellOf(table, row, 'Status')).toHaveText('online')
  await row.getByTestId('disconnect-client').click()
  await page.getByRole('dialog').getByRole('button', { name: 'Disconnect' }).click()
  await expect(await cellOf(table, row, 'Status')).toHaveText('offline')

  // Offline: messages for it queue, and the panel lists them.
  const publisher = await mqttClient('panel-publisher')
  for (let i = 0; i < 3; i++) await publisher.publishAsync(`panel/cmd/${i}`, `command ${i}`, { qos: 1 })
  await expect(panel.getByTestId('client-queued')).toContainText('panel/cmd/2', { timeout: 10_000 })
  await expect(panel.getByTestId('client-queued').getByRole('row')).toHaveCount(4)

  // The CONNECT in Traffic shows the will too; Show its traffic filters the log to this client.
  await panel.getByTestId('client-show-traffic').click()
  await expect(page.getByRole('main').getByRole('heading', { level: 1, name: 'Traffic' })).toBeVisible()
  await expect(page.getByLabel('Client filter')).toHaveValue('panel-sensor')
  await trafficRows(page).filter({ hasText: 'CONNECT' }).first().click()
  await expect(page.getByTestId('traffic-detail').getByTestId('will')).toContainText('devices/panel-sensor/status')

  // Delete session asks first too, and says what goes.
  await openView(page, 'clients', 'Clients')
  await row.getByTestId('delete-session').click()
  const confirm = page.getByRole('dialog', { name: 'Delete the session of panel-sensor?' })
  await expect(confirm).toContainText('3 queued messages')
  await confirm.getByRole('button', { name: 'Delete session' }).click()
  await expect(table.getByRole('row', { name: /panel-sensor/ })).toHaveCount(0)
})

const run = promisify(execFile)

function readClipboard(page: Page): Promise<string> {
  return page.evaluate(() =>
    (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText()
  )
}

/** This machine's first non-loopback IPv4 address, as the connect help should name it. */
function lanAddress(): string | null {
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) if (!entry.internal && entry.family === 'IPv4') return entry.address
  }
  return null
}

test.describe('first run', () => {
  test.use({ brokerArgs: ['--sys-interval', '1'] })

  test('connect help: addresses to copy, snippets that work as pasted, the loopback note and one-click LAN access; $SYS hidden in Topics', async ({
    inspector: page,
    broker,
    context
  }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'])
    const help = page.getByTestId('connect-help')
    // Nobody has connected yet: the help is open by itself.
    await expect(help).toHaveAttribute('open', '')
    await expect(help).toContainText('No client has connected yet.')
    await expect(help.getByLabel('Listener addresses')).toContainText(`mqtt://127.0.0.1:${broker.tcpPort}`)
    await expect(help.getByLabel('Listener addresses')).toContainText(`ws://127.0.0.1:${broker.wsPort}/mqtt`)
    await expect(help.getByTestId('loopback-note')).toContainText('devices on your network (an ESP32, a phone, another computer) cannot')
    await saveScreenshot(page, 'first-run')

    await help.getByRole('button', { name: 'Copy the TCP address' }).click()
    expect(await readClipboard(page)).toBe(`mqtt://127.0.0.1:${broker.tcpPort}`)

    // The mosquitto_pub snippet, copied and run as it is: its message shows up.
    await help.getByRole('button', { name: 'Copy mosquitto_pub: send one' }).click()
    const command = await readClipboard(page)
    expect(command).toBe(`mosquitto_pub -h 127.0.0.1 -p ${broker.tcpPort} -t 'test/hello' -m 'hello from mosquitto_pub'`)
    await run('sh', ['-c', command])
    await openView(page, 'topics', 'Topics')
    await expect(page.locator('[role="treeitem"][data-path="test"]')).toBeVisible()
    // $SYS is retained every second here, but hidden from the tree and its count until asked for.
    await expect(page.locator('[role="treeitem"][data-path="$SYS"]')).toHaveCount(0)
    await expect(page.getByRole('main').getByText(/^1 topics · 1 messages \(\d+ \$SYS topics hidden\)$/)).toBeVisible()
    await expect(page.getByTestId('nav-topics')).toContainText('1')
    await page.getByLabel('Show $SYS').check()
    await expect(page.locator('[role="treeitem"][data-path="$SYS"]')).toBeVisible()
    await page.getByLabel('Show $SYS').uncheck()

    // One click opens the broker to the LAN: the help names this machine's address, and a device
    // using that address gets through (before, it was refused).
    await openView(page, 'dashboard', 'Dashboard')
    const lan = lanAddress()
    const fromDevice = `mosquitto_pub -h ${lan} -p ${broker.tcpPort} -t device/hello -m hi`
    if (lan !== null) {
      await expect(help.getByTestId('loopback-note')).toContainText(lan)
      await expect(run('sh', ['-c', fromDevice])).rejects.toThrow()
    }
    await help.getByTestId('allow-lan').click()
    await expect(page.getByTestId('action-message')).toContainText('Listening on every interface')
    await expect(help.getByTestId('lan-note')).toContainText('Devices on your network can connect')
    await expect(page.getByRole('list', { name: 'Listeners' })).toContainText(`mqtt://0.0.0.0:${broker.tcpPort}`)
    if (lan !== null) {
      await expect(help.getByTestId('lan-note')).toContainText(lan)
      await run('sh', ['-c', fromDevice])
      await openView(page, 'topics', 'Topics')
      await expect(page.locator('[role="treeitem"][data-path="device"]')).toBeVisible()
      await openView(page, 'dashboard', 'Dashboard')
    }
    await help.getByRole('button', { name: 'This machine only' }).click()
    await expect(help.getByTestId('loopback-note')).toBeVisible()
  })
})

test('at 800×600: nothing cut in the header, Traffic details below the log with every column, Clients actions in view, a foldable nav (bug 10)', async ({
  inspector: page,
  mqttClient
}) => {
  await page.setViewportSize({ width: 800, height: 600 })
  /** The element is on screen whole: inside the viewport and not clipped by any ancestor. */
  const wholeOnScreen = (locator: ReturnType<Page['locator']>) =>
    locator.evaluate((el) => {
      const r = el.getBoundingClientRect()
      if (r.width === 0 || r.left < 0 || r.top < 0 || r.right > 800 + 0.5 || r.bottom > 600 + 0.5) return false
      for (let p = el.parentElement; p; p = p.parentElement) {
        const style = el.ownerDocument.defaultView!.getComputedStyle(p)
        if (style.overflowX === 'visible' && style.overflowY === 'visible') continue
        const box = p.getBoundingClientRect()
        if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5) return false
      }
      return true
    })

  // The nav folds away; the toggle shows it over the view, and picking a view folds it again.
  await expect(page.getByTestId('nav')).toHaveCount(0)
  for (const address of await page.getByRole('list', { name: 'Listeners' }).locator('code').all()) {
    expect(await wholeOnScreen(address), `${await address.textContent()} shown whole`).toBe(true)
  }
  await page.getByTestId('nav-toggle').click()
  await page.getByTestId('nav-traffic').click()
  await expect(page.getByTestId('nav')).toHaveCount(0)
  await expect(page.getByRole('main').getByRole('heading', { level: 1, name: 'Traffic' })).toBeVisible()

  const device = await mqttClient('narrow-device-with-a-long-client-id')
  await device.publishAsync('narrow/sensors/kitchen/temperature', '{"celsius":21.5}', { qos: 1 })
  await trafficRows(page).filter({ hasText: 'narrow/sensors' }).first().click()
  await expect(page.getByTestId('traffic-detail')).toBeVisible()
  const log = page.getByTestId('traffic-table')
  for (const header of ['Client', 'Type', 'Topic', 'Payload']) {
    expect(await wholeOnScreen(log.getByRole('columnheader', { name: header })), `${header} column`).toBe(true)
  }
  const row = trafficRows(page).filter({ hasText: 'narrow/sensors' }).first()
  await expect(row).toContainText('{"celsius":21.5}')
  expect(await wholeOnScreen(page.getByTestId('traffic-detail').getByRole('heading', { level: 2 }))).toBe(true)
  await saveScreenshot(page, 'narrow-traffic')

  // Clients: the id, status and actions stay in view; less needed columns step aside, and say so.
  await page.getByTestId('nav-toggle').click()
  await page.getByTestId('nav-clients').click()
  const table = page.getByRole('table', { name: 'Clients' })
  const clientRow = table.getByRole('row', { name: /narrow-device/ })
  expect(await wholeOnScreen(clientRow.getByTestId('disconnect-client'))).toBe(true)
  expect(await wholeOnScreen(table.getByRole('columnheader', { name: 'Status' }))).toBe(true)
  await expect(page.getByTestId('columns-hidden')).toContainText('Hidden to fit:')
  expect(await page.getByTestId('clients-table').evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true)
  // With the client panel open (below the table), still so.
  await clientRow.click()
  await expect(page.getByTestId('client-detail')).toBeVisible()
  expect(await wholeOnScreen(clientRow.getByTestId('disconnect-client'))).toBe(true)
  await saveScreenshot(page, 'narrow-clients')
})
