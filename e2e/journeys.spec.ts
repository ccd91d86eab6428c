/**
 * Journeys that matter most for both shells, run on both transports (the `headless` and
 * `electron` projects): settings, retained messages and persistent sessions that outlive a
 * restart on the same data folder, and the traffic view under load. (Dashboard, publish and
 * kicking a client are in inspector.spec.ts, which also runs on both.)
 */
import mqtt, { type IPublishPacket } from 'mqtt'
import { cellOf, expect, nextMessage, openView, readSettingsFile, readTraffic, test, trafficRows } from './fixtures'

test('a setting changed in Settings is written to settings.json and still in force after a restart', async ({
  inspector: page,
  broker,
  mqttClient
}) => {
  await openView(page, 'settings', 'Settings')
  const maxQueued = page.getByLabel('Max queued messages', { exact: true })
  await expect(maxQueued).toHaveValue('1000')
  await maxQueued.fill('250')
  const maximumQos = page.getByLabel('Maximum QoS', { exact: true })
  await maximumQos.selectOption('1')
  await expect(page.getByText('2 changes to apply')).toBeVisible()
  await page.getByRole('button', { name: 'Apply', exact: true }).click()
  // Then it says which of the changes reach only new connections (issue 15).
  await expect(page.getByTestId('action-message')).toHaveText(/^Settings applied\./)

  // Written by the app (core.ts), only the changed keys on top of what was there.
  await expect.poll(() => readSettingsFile(broker.dataDir).broker?.maxQueuedMessages).toBe(250)
  expect(readSettingsFile(broker.dataDir).broker?.maximumQos).toBe(1)

  await broker.restart()
  await page.reload()
  await expect(page.getByTestId('connection-status')).toHaveText('Connected', { timeout: 15_000 })
  await openView(page, 'settings', 'Settings')
  await expect(page.getByLabel('Max queued messages', { exact: true })).toHaveValue('250')
  await expect(page.getByLabel('Maximum QoS', { exact: true })).toHaveValue('1')
  expect(broker.output()).toContain('maximumQos')

  // The restarted broker uses it, not only the form: a QoS 2 subscription is granted QoS 1.
  const client = await mqttClient('restart-check')
  const granted = await client.subscribeAsync('lab/after-restart', { qos: 2 })
  expect(granted[0].qos).toBe(1)
})

test('restarted on the same data folder, the app still has its retained messages and a persistent session with its queued messages', async ({
  inspector: page,
  broker,
  mqttClient
}) => {
  const publisher = await mqttClient('durable-publisher')
  await publisher.publishAsync('durable/config', 'kept across restarts', { qos: 1, retain: true })
  // A persistent session (v5: session expiry), subscribed, then away.
  const away = await mqttClient('durable-sub', { clean: false, properties: { sessionExpiryInterval: 3600 } })
  await away.subscribeAsync('durable/queue/#', { qos: 1 })
  await away.endAsync()
  for (let i = 0; i < 3; i++) await publisher.publishAsync(`durable/queue/${i}`, `queued ${i}`, { qos: 1 })

  await broker.restart()
  await page.reload()
  await expect(page.getByTestId('connection-status')).toHaveText('Connected', { timeout: 15_000 })
  await openView(page, 'retained', 'Retained')
  await expect(page.getByRole('table', { name: 'Retained messages' }).getByRole('row', { name: /durable\/config/ })).toBeVisible()
  await openView(page, 'clients', 'Clients')
  const clients = page.getByRole('table', { name: 'Clients' })
  await expect(await cellOf(clients, clients.getByRole('row', { name: /durable-sub/ }), 'Status')).toHaveText('offline')

  // The session comes back with its subscription and the three queued messages, in order.
  const received: string[] = []
  const back = mqtt.connect(broker.mqttUrl, {
    clientId: 'durable-sub',
    protocolVersion: 5,
    clean: false,
    reconnectPeriod: 0,
    properties: { sessionExpiryInterval: 3600 }
  })
  // Listening before the CONNACK: the queued messages may arrive in the same read.
  back.on('message', (topic: string, payload: Buffer, _packet: IPublishPacket) => received.push(`${topic} ${payload}`))
  try {
    const connack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
      back.once('connect', resolve)
      back.once('error', reject)
    })
    expect(connack.sessionPresent).toBe(true)
    await expect
      .poll(() => received, { timeout: 10_000 })
      .toEqual(['durable/queue/0 queued 0', 'durable/queue/1 queued 1', 'durable/queue/2 queued 2'])
  } finally {
    await back.endAsync()
  }
  // And a new subscriber still gets the retained message.
  const late = await mqttClient('durable-late')
  const retained = nextMessage(late, 'durable/config')
  await late.subscribeAsync('durable/config', { qos: 1 })
  expect((await retained).payload.toString()).toBe('kept across restarts')
})

test('under a burst of 6,000 messages the traffic view keeps up, counts what it did not keep, and stays usable', async ({
  inspector: page,
  mqttClient
}) => {
  const PUBLISHERS = 4
  const PER_PUBLISHER = 1_500
  const subscriber = await mqttClient('load-sub')
  await subscriber.subscribeAsync('load/#', { qos: 0 })
  let received = 0
  subscriber.on('message', (topic) => {
    if (topic !== 'load/done') received++
  })
  await openView(page, 'traffic', 'Traffic')

  const publishers = await Promise.all(Array.from({ length: PUBLISHERS }, (_, i) => mqttClient(`load-p${i}`)))
  await Promise.all(
    publishers.map(async (publisher, i) => {
      for (let n = 0; n < PER_PUBLISHER; n++) void publisher.publishAsync(`load/p${i}/${n % 10}`, `${i}:${n}`, { qos: 0 })
      await publisher.publishAsync(`load/p${i}/last`, 'last', { qos: 1 })
    })
  )
  const done = nextMessage(subscriber, 'load/done', 15_000)
  await publishers[0].publishAsync('load/done', 'done', { qos: 1 })
  await done
  const total = PUBLISHERS * (PER_PUBLISHER + 1)
  expect(received).toBe(total)

  // The log reaches the end of the burst: the marker is its newest PUBLISH.
  await expect
    .poll(async () => (await readTraffic(page)).filter((r) => r.type === 'PUBLISH').at(-1)?.topic, { timeout: 15_000 })
    .toBe('load/done')

  // Every packet is accounted for: kept in the view, or counted as not shown or as evicted.
  const counted = async (): Promise<number> => {
    const count = ((await page.getByTestId('traffic-count').textContent()) ?? '').match(/of ([\d,]+) packets/)
    const notShown = page.getByTestId('traffic-not-shown')
    const evicted = page.getByTestId('traffic-evicted')
    const number = async (locator: typeof notShown): Promise<number> =>
      (await locator.count()) === 0 ? 0 : Number(((await locator.textContent()) ?? '').replace(/,/g, '').match(/\d+/)?.[0] ?? 'NaN')
    return Number(count?.[1].replace(/,/g, '') ?? 'NaN') + (await number(notShown)) + (await number(evicted))
  }
  // At least each message in and out, plus the publishers' last QoS 1 messages' PUBACKs.
  await expect.poll(counted, { timeout: 10_000 }).toBeGreaterThanOrEqual(2 * (total + 1) + PUBLISHERS)

  // Still usable: a filter narrows the (full) log at once, to the marker in and out.
  await page.getByLabel('Topic filter').fill('load/done')
  await expect(trafficRows(page)).toHaveCount(2, { timeout: 5_000 })
  const shown = await readTraffic(page)
  expect(shown.map((r) => `${r.dir} ${r.client}`).sort()).toEqual(['in load-p0', 'out load-sub'])

  await openView(page, 'dashboard', 'Dashboard')
  await expect(page.getByTestId('stat-messages-in')).toContainText(`${(total + 1).toLocaleString('en-US')} PUBLISH received`)
})
