/**
 * End-to-end journeys through the inspector UI of the headless app, with real MQTT.js clients.
 * Each test has its own broker (see fixtures.ts) and saves a screenshot (test-results/screenshots/, or docs/screenshots/ with UPDATE_SCREENSHOTS=1).
 */
import { readFile } from 'node:fs/promises'
import type { IDisconnectPacket } from 'mqtt'
import { cellOf, expect, messagesDuring, nextMessage, openView, parseCsv, readTraffic, saveScreenshot, test, trafficRows } from './fixtures'

/** `promise`, or a failure naming `what` after `ms`. */
function eventually<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, fail) => setTimeout(() => fail(new Error(`${what}: nothing within ${ms} ms`)), ms))])
}

test('a client that connects appears in Clients, and its subscriptions in Subscriptions', async ({ inspector: page, mqttClient }) => {
  const sensor = await mqttClient('j1-sensor')
  const legacy = await mqttClient('j1-legacy', { protocolVersion: 4 })
  const granted = await sensor.subscribeAsync('sensors/+/temp', { qos: 1 })
  expect(granted[0].qos).toBe(1)
  await legacy.subscribeAsync('alerts/#', { qos: 2 })

  await openView(page, 'clients', 'Clients')
  const clients = page.getByRole('table', { name: 'Clients' })
  const sensorRow = clients.getByRole('row', { name: /j1-sensor/ })
  const legacyRow = clients.getByRole('row', { name: /j1-legacy/ })
  await expect(sensorRow).toBeVisible()
  await expect(legacyRow).toBeVisible()
  await expect(await cellOf(clients, sensorRow, 'Client ID')).toHaveText('j1-sensor')
  await expect(await cellOf(clients, sensorRow, 'MQTT')).toHaveText('5.0')
  await expect(await cellOf(clients, legacyRow, 'MQTT')).toHaveText('3.1.1')
  await expect(await cellOf(clients, sensorRow, 'Subs')).toHaveText('1')
  await expect(await cellOf(clients, sensorRow, 'Status')).toHaveText('online')
  await expect(page.getByTestId('nav-clients')).toContainText('2')
  await saveScreenshot(page, 'clients')

  await openView(page, 'subscriptions', 'Subscriptions')
  const subscriptions = page.getByRole('table', { name: 'Subscriptions' })
  const sensorSub = subscriptions.getByRole('row', { name: /sensors\/\+\/temp/ })
  await expect(sensorSub).toBeVisible()
  await expect(await cellOf(subscriptions, sensorSub, 'Filter')).toHaveText('sensors/+/temp')
  await expect(await cellOf(subscriptions, sensorSub, 'Client')).toHaveText('j1-sensor')
  await expect(await cellOf(subscriptions, sensorSub, 'QoS')).toHaveText('1')
  const legacySub = subscriptions.getByRole('row', { name: /alerts\/#/ })
  await expect(await cellOf(subscriptions, legacySub, 'Client')).toHaveText('j1-legacy')
  await expect(await cellOf(subscriptions, legacySub, 'QoS')).toHaveText('2')
  await saveScreenshot(page, 'subscriptions')
})

test('a message published from the UI reaches a subscribed MQTT.js client with the exact payload', async ({
  inspector: page,
  mqttClient
}) => {
  const listener = await mqttClient('j2-listener')
  await listener.subscribeAsync('lab/from-ui', { qos: 1 })
  const payload = '{"from":"the inspector","n":42,"text":"héllo, wörld ✓"}'

  await openView(page, 'publish', 'Publish')
  await page.getByLabel('Topic', { exact: true }).fill('lab/from-ui')
  await page.getByLabel('Payload', { exact: true }).fill(payload)
  await page.getByLabel('QoS', { exact: true }).selectOption('1')
  const received = nextMessage(listener, 'lab/from-ui')
  await page.getByTestId('publish-submit').click()

  const { payload: got, packet } = await received
  expect(got.toString('utf8')).toBe(payload)
  expect(packet.qos).toBe(1)
  expect(packet.retain).toBe(false)
  await expect(page.getByTestId('publish-result')).toBeVisible()
  await expect(page.getByTestId('history-list')).toContainText('lab/from-ui')
  await saveScreenshot(page, 'publish')
})

test('a retained message is listed, viewed in full and deleted', async ({ inspector: page, mqttClient }) => {
  const topic = 'lab/retained/config'
  const payload = JSON.stringify({ note: 'a long retained payload', filler: 'x'.repeat(300), marker: 'END-OF-PAYLOAD' })
  const publisher = await mqttClient('j3-publisher')
  await publisher.publishAsync(topic, payload, { qos: 1, retain: true })

  // Control: the broker does hand it to a new subscriber, so the check after the delete can fail.
  const before = await mqttClient('j3-before')
  const delivered = nextMessage(before, topic)
  await before.subscribeAsync('lab/retained/#', { qos: 1 })
  const first = await delivered
  expect(first.payload.toString()).toBe(payload)
  expect(first.packet.retain).toBe(true)

  await openView(page, 'retained', 'Retained')
  const table = page.getByRole('table', { name: 'Retained messages' })
  const row = table.getByRole('row', { name: new RegExp(topic) })
  await expect(row).toBeVisible()
  // The table shows only the start of the payload…
  await expect(await cellOf(table, row, 'Payload')).not.toContainText('END-OF-PAYLOAD')
  await expect(await cellOf(table, row, 'QoS')).toHaveText('1')

  // …clicking the row shows all of it.
  await (await cellOf(table, row, 'Topic')).click()
  const detail = page.getByTestId('retained-detail')
  await expect(detail).toBeVisible()
  await expect(detail.getByRole('heading', { name: topic })).toBeVisible()
  await detail.getByRole('button', { name: 'Text', exact: true }).click()
  await expect(detail.getByLabel('Payload content')).toHaveText(payload)
  await saveScreenshot(page, 'retained')

  await row.getByRole('button', { name: 'Delete' }).click()
  await expect(row).toHaveCount(0)
  await expect(page.getByTestId('action-message')).toHaveText(`Deleted the retained message on ${topic}`)
  await expect(table.getByRole('row', { name: new RegExp(topic) })).toHaveCount(0)

  // A new subscriber no longer gets it: only the live marker published after its SUBACK arrives.
  const after = await mqttClient('j3-after')
  const collecting = messagesDuring(after, 1_500)
  await after.subscribeAsync('lab/retained/#', { qos: 1 })
  await publisher.publishAsync('lab/retained/marker', 'live', { qos: 1 })
  const got = await collecting
  expect(got).toEqual([{ topic: 'lab/retained/marker', payload: 'live', retain: false }])
})

test('a client disconnected from the UI sees the broker close it (v5 DISCONNECT 0x98)', async ({ inspector: page, mqttClient }) => {
  const victim = await mqttClient('j4-victim')
  const bystander = await mqttClient('j4-bystander')
  const disconnect = new Promise<IDisconnectPacket>((resolve) => victim.once('disconnect', resolve))
  const closed = new Promise<void>((resolve) => victim.once('close', () => resolve()))

  await openView(page, 'clients', 'Clients')
  const clients = page.getByRole('table', { name: 'Clients' })
  const row = clients.getByRole('row', { name: /j4-victim/ })
  await expect(await cellOf(clients, row, 'Status')).toHaveText('online')
  await row.getByRole('button', { name: 'Disconnect' }).click()
  // It asks first (issue 15).
  await page.getByRole('dialog', { name: 'Disconnect j4-victim?' }).getByRole('button', { name: 'Disconnect' }).click()

  const packet = await eventually(disconnect, 5_000, 'DISCONNECT from the broker')
  expect(packet.reasonCode).toBe(0x98)
  await eventually(closed, 5_000, 'socket close')
  expect(victim.connected).toBe(false)

  await expect(page.getByTestId('action-message')).toHaveText('Disconnected j4-victim')
  // Clean start and no session expiry: the session is gone with the connection.
  await expect(clients.getByRole('row', { name: /j4-victim/ })).toHaveCount(0)
  const other = clients.getByRole('row', { name: /j4-bystander/ })
  await expect(await cellOf(clients, other, 'Status')).toHaveText('online')
  expect(bystander.connected).toBe(true)
  await saveScreenshot(page, 'disconnect')
})

test('Maximum QoS lowered to 1 in Settings: the next QoS 2 SUBSCRIBE is granted QoS 1', async ({ inspector: page, mqttClient }) => {
  const client = await mqttClient('j5-client')
  // Control: before the change QoS 2 is granted as asked.
  const before = await client.subscribeAsync('lab/qos/before', { qos: 2 })
  expect(before[0].qos).toBe(2)

  await openView(page, 'settings', 'Settings')
  const maximumQos = page.getByLabel('Maximum QoS', { exact: true })
  await expect(maximumQos).toHaveValue('2')
  await maximumQos.selectOption('1')
  await expect(page.getByText('1 change to apply')).toBeVisible()
  await page.getByRole('button', { name: 'Apply', exact: true }).click()
  // It says the change applies to new connections only (connected clients keep what their CONNACK said).
  await expect(page.getByTestId('action-message')).toHaveText(/^Settings applied\. Maximum QoS: new connections only/)
  await expect(page.getByText('No changes')).toBeVisible()
  await expect(maximumQos).toHaveValue('1')
  await maximumQos.scrollIntoViewIfNeeded()
  await saveScreenshot(page, 'settings')

  const after = await client.subscribeAsync('lab/qos/after', { qos: 2 })
  expect(after[0].qos).toBe(1)

  await openView(page, 'subscriptions', 'Subscriptions')
  const subscriptions = page.getByRole('table', { name: 'Subscriptions' })
  await expect(await cellOf(subscriptions, subscriptions.getByRole('row', { name: /lab\/qos\/after/ }), 'QoS')).toHaveText('1')
})

test('Traffic shows the packets, and the topic and client filters narrow them', async ({ inspector: page, mqttClient }) => {
  const kitchen = await mqttClient('j6-kitchen')
  const hall = await mqttClient('j6-hall')
  await kitchen.subscribeAsync('sensors/#', { qos: 0 })
  await kitchen.publishAsync('sensors/kitchen/temp', '21.5', { qos: 1 })
  await kitchen.publishAsync('sensors/kitchen/humidity', '40', { qos: 1 })
  await hall.publishAsync('sensors/hall/temp', '19.0', { qos: 1 })
  await hall.publishAsync('other/hall/temp', '0', { qos: 1 })
  // j6-kitchen gets the three sensors/… messages (QoS 0, as subscribed); other/… reaches nobody.

  await openView(page, 'traffic', 'Traffic')
  const clientFilter = page.getByLabel('Client filter')
  const topicFilter = page.getByLabel('Topic filter')

  // One client's packets: its CONNECT, SUBSCRIBE and PUBLISH rows, and nobody else's.
  await clientFilter.fill('j6-kitchen')
  await expect
    .poll(async () => new Set((await readTraffic(page)).map((r) => `${r.dir} ${r.type}`)), { timeout: 10_000 })
    .toEqual(new Set(['in CONNECT', 'out CONNACK', 'in SUBSCRIBE', 'out SUBACK', 'in PUBLISH', 'out PUBACK', 'out PUBLISH']))
  let shown = await readTraffic(page)
  expect(new Set(shown.map((r) => r.client))).toEqual(new Set(['j6-kitchen']))
  expect(shown.filter((r) => r.type === 'SUBSCRIBE').map((r) => r.topic)).toEqual(['sensors/#'])
  expect(shown.filter((r) => r.dir === 'in' && r.type === 'PUBLISH').map((r) => r.topic)).toEqual([
    'sensors/kitchen/temp',
    'sensors/kitchen/humidity'
  ])

  // A wildcard topic filter: only PUBLISH rows on sensors/<one level>/temp remain.
  await clientFilter.fill('')
  await topicFilter.fill('sensors/+/temp')
  await expect(trafficRows(page)).toHaveCount(4)
  shown = await readTraffic(page)
  for (const row of shown) {
    expect(row.type).toBe('PUBLISH')
    expect(row.topic).toMatch(/^sensors\/[^/]+\/temp$/)
  }
  expect(shown.map((r) => `${r.dir} ${r.client} ${r.topic} ${r.payload}`).sort()).toEqual(
    [
      'in j6-hall sensors/hall/temp 19.0',
      'in j6-kitchen sensors/kitchen/temp 21.5',
      'out j6-kitchen sensors/hall/temp 19.0',
      'out j6-kitchen sensors/kitchen/temp 21.5'
    ].sort()
  )
  await expect(page.getByTestId('traffic-count')).toContainText('Showing 4 of')

  // Both filters: one client's rows on that filter.
  await clientFilter.fill('j6-hall')
  await expect(trafficRows(page)).toHaveCount(1)
  shown = await readTraffic(page)
  expect(shown).toEqual([
    { dir: 'in', client: 'j6-hall', type: 'PUBLISH', topic: 'sensors/hall/temp', qos: '1', retain: '', payload: '19.0' }
  ])

  // An invalid filter says so rather than silently showing nothing.
  await topicFilter.fill('sensors/#/temp')
  await expect(page.locator('#topic-filter-error')).toBeVisible()
  await expect(trafficRows(page)).toHaveCount(0)

  // Back to the unfiltered log, with a PUBLISH opened in the details panel, for the picture.
  await clientFilter.fill('')
  await topicFilter.fill('')
  await expect(trafficRows(page).filter({ hasText: 'sensors/kitchen/temp' }).first()).toBeVisible()
  await trafficRows(page).filter({ hasText: 'sensors/kitchen/temp' }).first().click()
  await expect(page.getByTestId('traffic-detail')).toContainText('sensors/kitchen/temp')
  await saveScreenshot(page, 'traffic')
  await saveScreenshot(page, 'inspector')
})

test('Topics shows a tree with message counts, and the Dashboard counts connected clients', async ({ inspector: page, mqttClient }) => {
  const a = await mqttClient('j7-a')
  await mqttClient('j7-b')
  const c = await mqttClient('j7-c')
  await a.subscribeAsync('home/#', { qos: 1 })
  for (let i = 0; i < 3; i++) await a.publishAsync('home/kitchen/temp', `2${i}`, { qos: 1 })
  for (let i = 0; i < 2; i++) await c.publishAsync('home/hall/temp', `1${i}`, { qos: 1 })
  await c.publishAsync('garden/soil', 'dry', { qos: 1 })

  await expect(page.getByTestId('stat-clients-value')).toHaveText('3')
  await expect(page.getByTestId('stat-subscriptions-value')).toHaveText('1')

  await openView(page, 'topics', 'Topics')
  const tree = page.getByTestId('topic-tree')
  // Expand all opens the levels the tree has now: wait until it has every topic.
  await expect(page.getByRole('main').getByText('3 topics · 6 messages')).toBeVisible()
  await page.getByRole('button', { name: 'Expand all' }).click()
  const count = (path: string) => tree.locator(`[data-path="${path}"] > .num`)
  await expect(count('home')).toHaveText('5')
  await expect(tree.locator('[data-path="home"]')).toContainText('2 topics')
  await expect(count('home/kitchen')).toHaveText('3')
  await expect(count('home/kitchen/temp')).toHaveText('3')
  await expect(count('home/hall/temp')).toHaveText('2')
  await expect(count('garden/soil')).toHaveText('1')
  await expect(tree.locator('[data-path="home/kitchen/temp"]')).toContainText('22')
  await tree.locator('[data-path="home/kitchen/temp"]').click()
  await expect(page.getByTestId('topic-detail')).toContainText('Messages here')
  await saveScreenshot(page, 'topics')

  // The counters follow: one client leaves, one more message arrives.
  await c.endAsync()
  await a.publishAsync('home/kitchen/temp', '23', { qos: 1 })
  await expect(count('home/kitchen/temp')).toHaveText('4')
  await openView(page, 'dashboard', 'Dashboard')
  await expect(page.getByTestId('stat-clients-value')).toHaveText('2')
  await expect(page.getByTestId('stat-messages-in')).toContainText('7 PUBLISH received')
  await saveScreenshot(page, 'dashboard')
})

test('Export CSV downloads the filtered traffic with a header row', async ({ inspector: page, mqttClient }) => {
  const exporter = await mqttClient('j8-exporter')
  const other = await mqttClient('j8-other')
  for (const value of ['p1', 'p2, with a comma', 'p3 "quoted"']) await exporter.publishAsync('sensors/a/temp', value, { qos: 1 })
  await exporter.publishAsync('sensors/a/humidity', 'not this one', { qos: 1 })
  await other.publishAsync('sensors/b/temp', 'nor this one', { qos: 1 })

  await openView(page, 'traffic', 'Traffic')
  await page.getByLabel('Client filter').fill('j8-exporter')
  await page.getByLabel('Topic filter').fill('sensors/+/temp')
  await expect(trafficRows(page)).toHaveCount(3)
  await expect(page.getByTestId('traffic-count')).toContainText('Showing 3 of')
  await saveScreenshot(page, 'export')

  const downloading = page.waitForEvent('download')
  await page.getByRole('button', { name: 'Export CSV' }).click()
  const download = await downloading
  expect(download.suggestedFilename()).toMatch(/^brokerscope-traffic-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.csv$/)
  const path = await download.path()
  const text = await readFile(path, 'utf8')
  const [header, ...records] = parseCsv(text)
  expect(header).toEqual([
    'id',
    'time',
    'direction',
    'clientId',
    'type',
    'size',
    'packetId',
    'topic',
    'qos',
    'retain',
    'dup',
    'reasonCode',
    'payloadSize',
    'payloadEncoding',
    'payload',
    'payloadTruncated',
    'properties'
  ])
  const column = (name: string) => header.indexOf(name)
  expect(records).toHaveLength(3)
  for (const record of records) {
    expect(record).toHaveLength(header.length)
    expect(record[column('direction')]).toBe('in')
    expect(record[column('clientId')]).toBe('j8-exporter')
    expect(record[column('type')]).toBe('publish')
    expect(record[column('topic')]).toBe('sensors/a/temp')
    expect(record[column('qos')]).toBe('1')
    expect(record[column('payloadEncoding')]).toBe('utf8')
    expect(new Date(record[column('time')]).getTime()).not.toBeNaN()
  }
  expect(records.map((r) => r[column('payload')])).toEqual(['p1', 'p2, with a comma', 'p3 "quoted"'])
  // The export says what it did to formula-like cells (issue 16: CSV formula injection), and that payloads are whole.
  await expect(page.getByTestId('action-message')).toHaveText(
    /^Exported 3 packets as CSV with their whole payloads \(cells starting with = \+ - @ got a leading '/
  )
})
