/**
 * Issue 16, finding 3, in a real browser: a web page from another site cannot use the broker's
 * MQTT WebSocket listener (HTTP 403 before the upgrade), while a page on a local dev server
 * (http://localhost:PORT) still can. The refusal shows on the dashboard.
 *
 * "Another site" is http://evil.test:PORT, which Chromium resolves to 127.0.0.1 (host resolver
 * rule), so Chromium's own Local Network Access checks do not step in: only the broker's Origin
 * check stands between the page and the broker, as with a page on the LAN or a rebound DNS name.
 */
import { expect, openView, test } from './fixtures'
import { startWebSite } from './web-site'

test.use({
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--host-resolver-rules=MAP evil.test 127.0.0.1'
    ]
  }
})

/** From the page: connect MQTT.js to the broker's WebSocket; 'connected' or 'refused' within 5 s. */
function tryMqtt(page: import('@playwright/test').Page, url: string): Promise<string> {
  return page.evaluate(
    (url) =>
      new Promise<string>((resolve) => {
        const mqtt = (globalThis as unknown as { mqtt: typeof import('mqtt') }).mqtt
        const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 5 })
        client.on('connect', () => {
          client.end(true)
          resolve('connected')
        })
        client.on('close', () => resolve('refused'))
        client.on('error', () => resolve('refused'))
      }),
    url
  )
}

test('a page on another site cannot open the MQTT WebSocket; a local dev server page can', async ({ browser, broker }) => {
  const site = await startWebSite()
  const mqttUrl = `ws://127.0.0.1:${broker.wsPort}/mqtt`
  try {
    const context = await browser.newContext()
    const evil = await context.newPage()
    await evil.goto(`http://evil.test:${site.port}/`)
    expect(await tryMqtt(evil, mqttUrl)).toBe('refused')
    const local = await context.newPage()
    await local.goto(`http://localhost:${site.port}/`)
    expect(await tryMqtt(local, mqttUrl)).toBe('connected')
    await context.close()
  } finally {
    await site.close()
  }
  expect(broker.output()).toMatch(/ws listener: refused a WebSocket from 127\.0\.0\.1:\d+ with Origin "http:\/\/evil\.test:\d+"/)
})

test('the dashboard counts the refused WebSocket', async ({ inspector, broker }) => {
  const site = await startWebSite()
  try {
    const evil = await inspector.context().newPage()
    await evil.goto(`http://evil.test:${site.port}/`)
    expect(await tryMqtt(evil, `ws://127.0.0.1:${broker.wsPort}/mqtt`)).toBe('refused')
    await evil.close()
  } finally {
    await site.close()
  }
  await openView(inspector, 'dashboard', 'Dashboard')
  const row = inspector.getByTestId('refused-table').getByRole('row', { name: /ws-origin/ })
  await expect(row.getByRole('cell').nth(1)).toHaveText('1')
})
