import { expect, openView, saveScreenshot, test } from './fixtures'

// The durable store as the Dashboard shows it (issue 10): location, what it holds, and "Clear stored data".
test('the Dashboard shows the store and clears retained messages and offline sessions on confirm', async ({
  inspector: page,
  mqttClient
}) => {
  const publisher = await mqttClient('store-publisher')
  await publisher.publishAsync('store/config/a', 'kept across restarts', { qos: 1, retain: true })
  const offline = await mqttClient('store-offline', { clean: false, protocolVersion: 4 })
  await offline.subscribeAsync('store/#', { qos: 1 })
  await offline.endAsync()

  await openView(page, 'dashboard', 'Dashboard')
  const panel = page.getByTestId('store-panel')
  await expect(panel.getByTestId('store-path')).toContainText('store')
  await expect(panel.getByTestId('store-counts')).toHaveText('1 / 1')
  await panel.scrollIntoViewIfNeeded()
  await saveScreenshot(page, 'store')

  await panel.getByRole('button', { name: 'Clear stored data…' }).click()
  const dialog = page.getByRole('dialog', { name: 'Clear stored data' })
  await expect(dialog).toContainText('every offline session')
  await dialog.getByRole('button', { name: 'Clear stored data' }).click()
  await expect(panel.getByRole('status')).toHaveText('Cleared 1 retained messages and 1 offline sessions.')
  await expect(panel.getByTestId('store-counts')).toHaveText('0 / 0')

  // The broker agrees: a new subscriber gets no retained message.
  const check = await mqttClient('store-check')
  let got = 0
  check.on('message', () => got++)
  await check.subscribeAsync('store/#', { qos: 1 })
  await page.waitForTimeout(300)
  expect(got).toBe(0)
})
