/**
 * Issue 15 journeys that need the headless shell: the page's token (the desktop window has none)
 * and two pages on one broker (the desktop app has one window). The rest are in first-hour.spec.ts.
 */
import { expect, openView, saveScreenshot, test, trafficRows } from './fixtures'

test('a page with a wrong, missing or stale token says what to do and stops retrying (bug 3)', async ({ page, broker }) => {
  let attempts = 0
  page.on('websocket', () => attempts++)
  for (const url of [`${broker.uiOrigin}/?token=wrong-token-0000000000`, `${broker.uiOrigin}/`]) {
    await page.goto(url)
    await expect(page.getByTestId('connection-refused')).toContainText('needs the address that brokerscope printed', { timeout: 10_000 })
    await expect(page.getByTestId('connection-status')).toHaveText(/Refused/)
    const seen = attempts
    await page.waitForTimeout(2_000)
    expect(attempts, 'no WebSocket attempts after the refusal').toBe(seen)
  }
  await saveScreenshot(page, 'token-refused')

  // A good address works, and keeps the token for reloads of the tab…
  await page.goto(broker.uiUrl)
  await expect(page.getByTestId('connection-status')).toHaveText('Connected', { timeout: 15_000 })
  // …until the broker runs with another one (a restart): the stale token is refused, and forgotten.
  await page.evaluate(() =>
    (globalThis as unknown as { sessionStorage: { setItem(k: string, v: string): void } }).sessionStorage.setItem(
      'brokerscope.token',
      'token-of-an-earlier-run-123'
    )
  )
  await page.goto(`${broker.uiOrigin}/`)
  await expect(page.getByTestId('connection-refused')).toBeVisible({ timeout: 10_000 })
  expect(
    await page.evaluate(() =>
      (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem('brokerscope.token')
    )
  ).toBeNull()
})

test('Traffic: Pause freezes this view only and keeps recording; Clear empties this view only (bug 8)', async ({
  inspector: page,
  broker,
  mqttClient,
  context
}) => {
  const other = await context.newPage()
  await other.goto(broker.uiUrl)
  await expect(other.getByTestId('connection-status')).toHaveText('Connected', { timeout: 15_000 })
  await openView(page, 'traffic', 'Traffic')
  await openView(other, 'traffic', 'Traffic')
  const device = await mqttClient('pause-device')
  const topicCells = (p: typeof page) => trafficRows(p).filter({ hasText: 'pause/' })

  await device.publishAsync('pause/before', 'b', { qos: 0 })
  await expect(topicCells(page)).toHaveCount(1)
  await page.getByTestId('traffic-pause').click()
  await expect(page.getByTestId('traffic-paused')).toBeVisible()
  for (let i = 0; i < 3; i++) await device.publishAsync(`pause/during-${i}`, `d${i}`, { qos: 0 })
  // The other window was not paused: it shows them at once.
  await expect(topicCells(other)).toHaveCount(4)
  // This one stays as it was, and says what is waiting.
  await expect(page.getByTestId('traffic-paused')).toContainText(/[1-9]\d* new packets? will show on resume/)
  await expect(topicCells(page)).toHaveCount(1)
  await saveScreenshot(page, 'traffic-paused')
  await page.getByTestId('traffic-pause').click()
  await expect(topicCells(page)).toHaveCount(4)
  await expect(page.getByTestId('traffic-paused')).toHaveCount(0)

  // Clear is this view's too: the other window keeps its rows, and new packets still come in here.
  await page.getByTestId('traffic-clear').click()
  await expect(topicCells(page)).toHaveCount(0)
  await expect(topicCells(other)).toHaveCount(4)
  await device.publishAsync('pause/after', 'a', { qos: 0 })
  await expect(topicCells(page)).toHaveCount(1)
  await expect(topicCells(other)).toHaveCount(5)
  await other.close()
})
