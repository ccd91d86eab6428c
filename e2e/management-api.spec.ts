/**
 * The management API as a person meets it: turned on with --api-port, its key shown in the
 * Settings view, and that key working for a script (curl's request, sent from here).
 */
import { expect, freePorts, openView, saveScreenshot, test } from './fixtures'

let apiPort = 0
test.use({
  brokerArgs: async ({}, use) => {
    ;[apiPort] = await freePorts(1)
    await use(['--api-port', String(apiPort)])
  }
})

test('the API key made at first start is shown in Settings and opens the API', async ({ inspector: page, broker }) => {
  // The API starts beside the broker, which does not wait for it.
  await expect.poll(() => broker.output(), { timeout: 10_000 }).toContain(`management API on http://127.0.0.1:${apiPort}/api/v5`)
  await openView(page, 'settings', 'Settings')
  await expect(page.getByTestId('api-address')).toContainText(`http://127.0.0.1:${apiPort}/api/v5`)
  const keyField = page.getByLabel('API key', { exact: true })
  await expect(keyField).toHaveValue(/^[A-Za-z0-9_-]{32}$/)
  const key = await keyField.inputValue()
  await keyField.scrollIntoViewIfNeeded()
  await saveScreenshot(page, 'settings-api')

  const base = `http://127.0.0.1:${apiPort}`
  const authorized = await fetch(`${base}/api/v5/stats?aggregate=true`, { headers: { authorization: `Bearer ${key}` } })
  expect(authorized.status).toBe(200)
  expect(await authorized.json()).toMatchObject({ 'connections.count': 0 })
  const refused = await fetch(`${base}/api/v5/stats`, { headers: { authorization: 'Bearer wrong-key-wrong-key' } })
  expect(refused.status).toBe(401)
})
