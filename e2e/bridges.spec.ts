/**
 * Journeys through bridges (issue 12): inspecting a real mosquitto from "Connect to a broker…" (its
 * retained and live messages and its $SYS fill Topics and the Dashboard, marked remote; Clients says
 * it shows the local broker only), and a bridge made, stopped, started and deleted in the Bridges
 * view carrying messages to that mosquitto. Each test starts its own mosquitto on a free port.
 */
import mqtt, { type MqttClient } from 'mqtt'
import { closeAllMosquittos, type Mosquitto, startMosquitto } from '../test/helpers/mosquitto-broker'
import { expect, nextMessage, openView, saveScreenshot, test } from './fixtures'

let remote: Mosquitto | null = null
const remoteClients: MqttClient[] = []

test.afterEach(async () => {
  await Promise.all(remoteClients.splice(0).map((c) => c.endAsync(true).catch(() => {})))
  await closeAllMosquittos()
  remote = null
})

async function remoteClient(id: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(remote!.url, { clientId: id, protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000 })
  remoteClients.push(c)
  return c
}

test('Connect to a broker…: a remote mosquitto fills the Topics view under its own prefix, marked remote', async ({
  inspector: page,
  mqttClient
}) => {
  remote = await startMosquitto({ lines: ['sys_interval 1'] })
  const device = await remoteClient('remote-device')
  await device.publishAsync('plant/line1/temp', '21.5', { qos: 1, retain: true })
  await device.publishAsync('plant/line1/state', 'running', { qos: 1, retain: true })

  await openView(page, 'topics', 'Topics')
  await page.getByTestId('open-connect-dialog').click()
  const dialog = page.getByTestId('connect-dialog')
  await dialog.getByLabel('Broker URL').fill(remote.url)
  await dialog.getByLabel('Name', { exact: true }).fill('plant-broker')
  await dialog.getByTestId('connect-submit').click()
  await expect(dialog).toBeHidden()

  // Retained messages came on subscribe, under remote/plant-broker/, marked as the remote's.
  const tree = page.getByTestId('topic-tree')
  await expect(tree.locator('[data-path="remote"]')).toBeVisible({ timeout: 10_000 })
  await page.getByRole('button', { name: 'Expand all' }).click()
  await expect(page.getByTestId('remote-badge-plant-broker')).toContainText(`remote · ${remote.url}`)
  await page.getByLabel('Filter topics').fill('remote/plant-broker/plant/#')
  const temp = tree.locator('[data-path="remote/plant-broker/plant/line1/temp"]')
  await expect(temp).toContainText('21.5')
  await expect(tree.locator('[data-path="remote/plant-broker/plant/line1/state"]')).toContainText('running')

  // Live messages follow, and the remote's $SYS too.
  await device.publishAsync('plant/line1/temp', '22.0', { qos: 0 })
  await expect(temp).toContainText('22.0')
  await saveScreenshot(page, 'topics-remote')
  await page.getByLabel('Filter topics').fill('remote/plant-broker/$SYS/broker/version')
  await expect(tree.locator('[data-path="remote/plant-broker/$SYS/broker/version"]')).toContainText('mosquitto version', {
    timeout: 10_000
  })

  // Clients shows the local broker only, and says so.
  await openView(page, 'clients', 'Clients')
  await expect(page.getByTestId('local-only-notice')).toContainText('shows the local broker only')
  // The Dashboard has the remote's $SYS figures.
  await openView(page, 'dashboard', 'Dashboard')
  await expect(page.getByTestId('remote-sys-plant-broker')).toContainText('mosquitto version')
  await expect(page.getByTestId('dashboard-bridges')).toContainText('connected')
  await page.getByTestId('dashboard-bridges').scrollIntoViewIfNeeded()
  await saveScreenshot(page, 'dashboard-remote')

  // Read-only: what is published here, under the prefix or not, never reaches the remote.
  const watcher = await remoteClient('remote-watcher')
  const seen: string[] = []
  watcher.on('message', (topic) => seen.push(topic))
  // Retain Handling 2: the remote's own retained messages are not what we are looking for.
  await watcher.subscribeAsync('#', { qos: 1, rh: 2 })
  const local = await mqttClient('local-publisher')
  await local.publishAsync('remote/plant-broker/plant/line1/temp', 'from here', { qos: 1 })
  await local.publishAsync('plant/line1/temp', 'from here too', { qos: 1 })
  await device.publishAsync('plant/marker', 'end', { qos: 1 })
  await expect.poll(() => seen.includes('plant/marker')).toBe(true)
  expect(seen).toEqual(['plant/marker'])
})

test('Bridges view: add a bridge to mosquitto, messages cross it; stop, start and delete it', async ({ inspector: page, mqttClient }) => {
  remote = await startMosquitto()
  await openView(page, 'bridges', 'Bridges')
  await page.getByTestId('add-bridge').click()
  const editor = page.getByTestId('bridge-editor')
  await editor.getByLabel('Name', { exact: true }).fill('to-mosquitto')
  await editor.getByLabel('Remote broker URL').fill(remote.url)
  await editor.getByLabel('Topic rules, one per line').fill('sensors/# out 1 "" site-a/\ncmd/# in 1 remote-cmd/ ""')
  await expect(editor.getByRole('list', { name: 'What the rules do' })).toContainText('here sensors/# → there site-a/sensors/# · QoS 1')
  await editor.getByTestId('save-bridge').click()
  await expect(page.getByTestId('bridge-state-to-mosquitto')).toHaveText('connected', { timeout: 10_000 })
  await saveScreenshot(page, 'bridges')

  // Out: a local sensor reaches mosquitto under site-a/.
  const there = await remoteClient('there')
  await there.subscribeAsync('site-a/#', { qos: 1 })
  const arrived = nextMessage(there, 'site-a/sensors/t1')
  const sensor = await mqttClient('local-sensor')
  await sensor.publishAsync('sensors/t1', '19.0', { qos: 1 })
  expect((await arrived).payload.toString()).toBe('19.0')
  // In: a command on mosquitto comes here under remote-cmd/.
  const listener = await mqttClient('local-listener')
  await listener.subscribeAsync('remote-cmd/#', { qos: 1 })
  const command = nextMessage(listener, 'remote-cmd/cmd/lamp')
  await there.publishAsync('cmd/lamp', 'on', { qos: 1 })
  expect((await command).payload.toString()).toBe('on')

  // The Dashboard shows it with its counters.
  await openView(page, 'dashboard', 'Dashboard')
  await expect(page.getByTestId('dashboard-bridges')).toContainText('to-mosquitto')

  await openView(page, 'bridges', 'Bridges')
  const row = page.getByTestId('bridge-row-to-mosquitto')
  await row.getByRole('button', { name: 'Stop' }).click()
  await expect(page.getByTestId('bridge-state-to-mosquitto')).toHaveText('stopped')
  await row.getByRole('button', { name: 'Start' }).click()
  await expect(page.getByTestId('bridge-state-to-mosquitto')).toHaveText('connected', { timeout: 10_000 })

  // A stopped remote: the words say why, and it keeps trying.
  await remote.stop()
  await expect(page.getByTestId('bridge-error-to-mosquitto')).toContainText(/connection refused|closed the connection/, { timeout: 10_000 })

  await row.getByRole('button', { name: 'Delete' }).click()
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click()
  await expect(page.getByTestId('bridge-row-to-mosquitto')).toHaveCount(0)
})
