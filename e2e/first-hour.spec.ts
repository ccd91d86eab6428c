/**
 * Issue 15, "a new user's first hour": the journeys a newcomer takes, in Chromium against the
 * headless app with real MQTT.js clients. Screenshots go to test-results/screenshots/ (or
 * docs/screenshots/ with UPDATE_SCREENSHOTS=1).
 */
import { expect, saveScreenshot, test } from './fixtures'

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
  await page.evaluate(() => sessionStorage.setItem('brokerscope.token', 'token-of-an-earlier-run-123'))
  await page.goto(`${broker.uiOrigin}/`)
  await expect(page.getByTestId('connection-refused')).toBeVisible({ timeout: 10_000 })
  expect(await page.evaluate(() => sessionStorage.getItem('brokerscope.token'))).toBeNull()
})
