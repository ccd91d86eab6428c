/**
 * Journeys through the tools: a generator of simulated devices from the Simulate view, and
 * recording from the Traffic view then replaying the recording, observed by real MQTT.js clients.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { expect, messagesDuring, openView, saveScreenshot, test } from './fixtures'

test('a generator of simulated devices: preview, a bad template refused, start, live counts, finished', async ({
  inspector: page,
  mqttClient
}) => {
  const watcher = await mqttClient('e2e-sim-watcher')
  await watcher.subscribeAsync('e2e/#', { qos: 1 })
  const received: Array<{ topic: string; payload: string }> = []
  watcher.on('message', (topic, payload) => received.push({ topic, payload: payload.toString() }))

  await openView(page, 'simulate', 'Simulate')
  await page.getByLabel('Name', { exact: true }).fill('e2e-sensors')
  await page.getByLabel('Devices', { exact: true }).fill('3')
  await page.getByLabel('Topic template').fill('e2e/{{device}}/temp')
  // A bad template: the error names the position, and Start stays off.
  await page.getByLabel('Payload template').fill('{"t": {{random 20}}}')
  await expect(page.getByTestId('generator-problems')).toContainText('payload 1:9: random: takes 2 arguments, got 1')
  await expect(page.getByTestId('generator-start')).toBeDisabled()

  await page.getByLabel('Payload template').fill('{"t": {{random 20.0 25.0}}, "n": {{counter}}, "s": "{{pick "on" "off"}}"}')
  await page.getByLabel('QoS', { exact: true }).selectOption('1')
  await page.getByLabel('Interval (ms)').fill('300')
  await page.getByLabel('Stop', { exact: true }).selectOption('count')
  await page.getByLabel('Messages', { exact: true }).fill('6')
  const preview = page.getByTestId('generator-preview')
  await expect(preview.locator('li')).toHaveCount(3)
  await expect(preview.locator('li').nth(0)).toContainText('e2e/1/temp {"t": ')
  await expect(preview.locator('li').nth(2)).toContainText('e2e/3/temp')
  await expect(preview.locator('li').nth(1)).toContainText('"n": 1')

  await page.getByTestId('generator-start').click()
  const row = page.getByTestId('generator-e2e-sensors')
  await expect(row.getByTestId('generator-state')).toHaveText('running', { timeout: 10_000 })
  // Live counts move while it runs.
  await expect
    .poll(async () => Number(await row.getByTestId('generator-sent').textContent()), { timeout: 10_000 })
    .toBeGreaterThanOrEqual(6)
  await saveScreenshot(page, 'simulate')
  await expect(row.getByTestId('generator-state')).toHaveText('finished', { timeout: 15_000 })
  await expect(row.getByTestId('generator-sent')).toHaveText('18')
  await expect(row.getByTestId('generator-acknowledged')).toHaveText('18')
  await expect(row.getByTestId('generator-failed')).toHaveText('0')

  await expect.poll(() => received.length).toBe(18)
  for (let device = 1; device <= 3; device++) {
    const mine = received
      .filter((m) => m.topic === `e2e/${device}/temp`)
      .map((m) => JSON.parse(m.payload) as { t: number; n: number; s: string })
    expect(mine.map((m) => m.n)).toEqual([1, 2, 3, 4, 5, 6])
    for (const m of mine) {
      expect(m.t).toBeGreaterThanOrEqual(20)
      expect(m.t).toBeLessThanOrEqual(25)
      expect(['on', 'off']).toContain(m.s)
    }
  }

  // Saved with the settings: still listed after a reload.
  await page.reload()
  await openView(page, 'simulate', 'Simulate')
  await expect(page.getByTestId('generator-e2e-sensors')).toContainText('3 devices, every 300 ms')
})

test('record from the Traffic view, open the pcapng with tshark, replay it with a topic prefix', async ({
  inspector: page,
  mqttClient
}) => {
  await openView(page, 'traffic', 'Traffic')
  await page.getByTestId('record-toggle').click()
  await expect(page.getByTestId('record-status')).toContainText('Recording to')

  const publisher = await mqttClient('e2e-recorded')
  const sent = Array.from({ length: 6 }, (_, i) => ({ topic: `plant/line${i % 2}/speed`, payload: JSON.stringify({ i, rpm: 1000 + i }) }))
  for (const m of sent) {
    await publisher.publishAsync(m.topic, m.payload, { qos: 1 })
    await new Promise((r) => setTimeout(r, 60))
  }
  await expect
    .poll(async () => Number((await page.getByTestId('record-written').textContent())?.replace(/\D/g, '') ?? 0))
    .toBeGreaterThanOrEqual(14)
  await saveScreenshot(page, 'record')
  await page.getByTestId('record-toggle').click()
  await expect(page.getByTestId('record-status')).toContainText('Recorded (stopped)')
  const file = (await page.getByTestId('record-file').textContent()) ?? ''

  // The JSON Lines file has every message, with its client; the pcapng opens in Wireshark's dissector.
  const lines = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
  const published = lines.filter((l) => l.type === 'publish' && l.direction === 'in')
  expect(published.map((l) => [l.clientId, l.topic, l.payload])).toEqual(sent.map((m) => ['e2e-recorded', m.topic, m.payload]))
  const tshark = spawnSync(
    'tshark',
    ['-r', file.replace(/\.jsonl$/, '.pcapng'), '-Y', 'mqtt.msgtype == 3', '-T', 'fields', '-e', 'mqtt.topic'],
    { encoding: 'utf8' }
  )
  expect(tshark.status, tshark.stderr).toBe(0)
  expect(tshark.stdout.trim().split('\n')).toEqual(sent.map((m) => m.topic))

  // Replay it into this broker under replayed/, as fast as possible.
  const watcher = await mqttClient('e2e-replay-watcher')
  await watcher.subscribeAsync('replayed/#', { qos: 1 })
  const got = messagesDuring(watcher, 4000)
  await openView(page, 'simulate', 'Simulate')
  await page.getByRole('button', { name: 'Refresh list' }).click()
  const name = file.split('/').pop() ?? ''
  await page.getByLabel('Recording', { exact: true }).selectOption(name)
  await page.getByLabel('Speed').selectOption('0')
  await page.getByLabel('Add topic prefix').fill('replayed/')
  await page.getByLabel('Only clients').fill('e2e-recorded')
  await page.getByTestId('replay-start').click()
  await expect(page.getByTestId('replay-state')).toHaveText('finished', { timeout: 10_000 })
  await expect(page.getByTestId('replay-sent')).toHaveText('6')
  await saveScreenshot(page, 'replay')
  const replayed = await got
  expect(replayed.map((m) => [m.topic, m.payload])).toEqual(sent.map((m) => [`replayed/${m.topic}`, m.payload]))
})
