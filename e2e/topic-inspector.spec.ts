/**
 * Journeys through the topic inspector (issue 11): history, diff, a chart with two series, every
 * decoder with a payload made by its own library, payload search, top talkers, recursive retained
 * delete, pins, hex and file payloads in Publish, and (issue 15) what was published before any
 * page was open. Real MQTT.js clients against the headless app, in Chromium.
 */
import { gzipSync, deflateSync } from 'node:zlib'
import { encode as encodeMsgpack } from '@msgpack/msgpack'
import { encode as encodeCbor } from 'cbor-x'
import type { Page } from '@playwright/test'
import protobuf from 'protobufjs'
import { get as sparkplugNamespace } from 'sparkplug-payload'
import { expect, messagesDuring, nextMessage, openView, saveScreenshot, test } from './fixtures'

/** Open Topics, narrow the tree to `topic` and select it. */
async function openTopic(page: Page, topic: string): Promise<void> {
  await openView(page, 'topics', 'Topics')
  await page.getByLabel('Filter topics').fill(topic)
  const row = page.locator(`[role="treeitem"][data-path="${topic}"]`)
  await expect(row).toBeVisible()
  await row.click()
  await expect(page.getByTestId('topic-detail').getByRole('heading', { level: 2 })).toHaveText(topic)
}

const detail = (page: Page) => page.getByTestId('topic-detail')

test('history: every message of a topic with its publisher, stepped with the keyboard; diff against the previous one', async ({
  inspector: page,
  mqttClient
}) => {
  const sensor = await mqttClient('hist-sensor')
  for (const [i, temp] of [20.5, 21, 22.25].entries()) {
    await sensor.publishAsync('lab/env', JSON.stringify({ temp, unit: 'C', seq: i, ...(i === 2 ? { door: 'open' } : {}) }), { qos: 1 })
  }
  await openTopic(page, 'lab/env')
  await detail(page)
    .getByRole('tab', { name: /^History/ })
    .click()
  const list = page.getByTestId('history-list-topic')
  await expect(list.getByRole('option')).toHaveCount(3)
  await expect(list.getByRole('option').first()).toContainText('hist-sensor')
  await expect(list.getByRole('option').first()).toContainText('"temp":22.25')
  await saveScreenshot(page, 'topics-history')
  // Step older with the keyboard, then back to the newest.
  await list.focus()
  await page.keyboard.press('ArrowDown')
  await expect(list.getByRole('option', { selected: true })).toContainText('"temp":21')
  await page.keyboard.press('ArrowUp')
  await expect(list.getByRole('option', { selected: true })).toContainText('"temp":22.25')

  await detail(page).getByRole('tab', { name: 'Diff' }).click()
  const changes = page.getByTestId('diff-change')
  await expect(changes).toHaveCount(3)
  await expect(changes.filter({ hasText: 'changed temp' })).toContainText('21 → 22.25')
  await expect(changes.filter({ hasText: 'changed seq' })).toContainText('1 → 2')
  await expect(changes.filter({ hasText: 'added door' })).toContainText('"open"')
  // Any two: the newest against the first.
  await page.getByLabel('Compare with').selectOption({ index: 2 })
  await expect(changes.filter({ hasText: 'changed temp' })).toContainText('20.5 → 22.25')
  await saveScreenshot(page, 'topics-diff')
})

test('chart: two series (a JSON field picked by path and by click, and a plain number) plotted live', async ({
  inspector: page,
  mqttClient
}) => {
  const device = await mqttClient('chart-device')
  let n = 0
  const publishSome = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++, n++) {
      await device.publishAsync('lab/multi', JSON.stringify({ sensors: [{ temp: 20 + Math.sin(n / 3) }, { temp: 5 }] }))
      await device.publishAsync('lab/power', String(100 + (n % 7)))
    }
  }
  await publishSome(10)
  await openTopic(page, 'lab/multi')
  // Pick the field by clicking its value in the decoded JSON.
  await detail(page).locator('button.json-number[data-path="sensors[0].temp"]').click()
  await expect(detail(page).getByRole('tab', { name: 'Chart' })).toHaveAttribute('aria-selected', 'true')
  // The second series by typing: another topic whose payload is the number.
  await detail(page).getByLabel('Series topic').fill('lab/power')
  await detail(page).getByRole('button', { name: 'Add series' }).click()
  const series = page.getByTestId('chart-series')
  await expect(series).toHaveCount(2)
  // Back-filled from the history at once, then live.
  await expect(series.first()).toContainText('10 points')
  await publishSome(15)
  await expect(series.first()).toContainText('25 points')
  await expect(series.nth(1)).toContainText('25 points')
  await expect(series.nth(1)).toContainText(/last 10\d/)
  await expect(page.getByTestId('live-chart').locator('canvas')).toBeVisible()
  const csv = page.waitForEvent('download')
  await detail(page).getByRole('button', { name: 'Export CSV' }).click()
  const text = await (await csv).createReadStream().then(async (stream) => {
    let out = ''
    for await (const chunk of stream) out += chunk
    return out
  })
  const lines = text.split(/\r?\n/)
  expect(lines[0]).toBe('topic,path,time,value')
  expect(lines.filter((line) => line.startsWith('lab/power,')).length).toBe(25)
  const png = page.waitForEvent('download')
  await detail(page).getByRole('button', { name: 'Export PNG' }).click()
  expect((await png).suggestedFilename()).toBe('brokerscope-chart.png')
  await saveScreenshot(page, 'topics-chart')
})

const PROTO = `syntax = "proto3";
package lab;
message Reading {
  string device = 1;
  double temp = 2;
  repeated int32 samples = 3;
}
`

test('decoders: each one reads a payload made by its library; a payload it cannot read says why and shows hex', async ({
  inspector: page,
  mqttClient
}) => {
  const device = await mqttClient('decoders')
  const reading = { device: 'dev-1', temp: 21.5, samples: [1, 2, 3] }
  const root = protobuf.parse(PROTO).root
  const Reading = root.lookupType('lab.Reading')
  const sparkplug = sparkplugNamespace('spBv1.0')
  if (!sparkplug) throw new Error('no Sparkplug B')
  const payloads: Record<string, Uint8Array | string> = {
    'dec/cbor': encodeCbor(reading),
    'dec/msgpack': encodeMsgpack(reading),
    'dec/proto': Reading.encode(Reading.create(reading)).finish(),
    'spBv1.0/plant/NDATA/edge1': sparkplug.encodePayload({
      timestamp: 1700000000000,
      seq: 4,
      metrics: [{ name: 'Motor/RPM', type: 'Int32', value: 1480 }]
    }),
    'dec/gzip': gzipSync(JSON.stringify({ zipped: 'yes', n: 7 })),
    'dec/deflate': deflateSync('deflated text payload'),
    'dec/base64': Buffer.from(JSON.stringify({ wrapped: 'in base64' })).toString('base64'),
    'dec/binary': Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x41]),
    'dec/badutf8': Buffer.concat([Buffer.from('temp='), Buffer.from([0xff, 0xfe]), Buffer.from('21')]),
    'dec/json': JSON.stringify({ outer: { inner: { deep: [1, 2, { deepest: true }] } } })
  }
  for (const [topic, payload] of Object.entries(payloads)) await device.publishAsync(topic, Buffer.from(payload))
  const decoded = detail(page).getByTestId('decoded-payload')
  const choose = async (topic: string, decoder: string): Promise<void> => {
    await openTopic(page, topic)
    await decoded.getByTestId('decoder-select').selectOption(decoder)
  }

  await choose('dec/cbor', 'cbor')
  await expect(decoded.getByRole('group', { name: 'Decoded value' })).toContainText('device: "dev-1"')
  await expect(decoded).toContainText('temp: 21.5')
  await choose('dec/msgpack', 'msgpack')
  await expect(decoded).toContainText('device: "dev-1"')
  await expect(decoded).toContainText('[2]: 3')

  await choose('dec/proto', 'protobuf')
  await expect(page.getByTestId('decoder-problem')).toContainText('no .proto file chosen')
  await decoded.getByTestId('proto-file').setInputFiles({ name: 'reading.proto', mimeType: 'text/plain', buffer: Buffer.from(PROTO) })
  await expect(decoded).toContainText('device: "dev-1"')
  await expect(decoded).toContainText('temp: 21.5')
  await expect(decoded.getByTestId('proto-type')).toContainText('lab.Reading')
  await saveScreenshot(page, 'topics-decoders')

  // Sparkplug B is picked by default on spBv1.0/ topics.
  await openTopic(page, 'spBv1.0/plant/NDATA/edge1')
  await expect(decoded.getByTestId('decoder-select')).toHaveValue('sparkplug')
  await expect(decoded).toContainText('name: "Motor/RPM"')
  await expect(decoded).toContainText('value: 1480')

  await choose('dec/gzip', 'gzip')
  await expect(decoded).toContainText('Unpacked from gzip')
  await expect(decoded).toContainText('zipped: "yes"')
  await choose('dec/deflate', 'deflate')
  await expect(decoded).toContainText('deflated text payload')
  await choose('dec/base64', 'base64')
  await expect(decoded).toContainText('wrapped: "in base64"')
  await choose('dec/binary', 'hex')
  await expect(decoded.getByRole('region', { name: 'Payload content' })).toContainText('de ad be ef 00 41')
  await expect(decoded.getByRole('region', { name: 'Payload content' })).toContainText('|.....A|')
  await choose('dec/badutf8', 'text')
  await expect(decoded).toContainText('2 bytes are not UTF-8')
  await expect(decoded.getByRole('region', { name: 'Payload content' })).toHaveText('temp=\\xff\\xfe21')
  await choose('dec/json', 'json')
  await expect(decoded).toContainText('deep:')
  await expect(decoded).not.toContainText('deepest')
  // Three levels open at first: "deep" and its items open on demand.
  await decoded.getByRole('button', { name: 'Expand' }).first().click()
  await expect(decoded).toContainText('{ 1 keys }')
  await decoded.getByRole('button', { name: 'Expand' }).first().click()
  await expect(decoded).toContainText('deepest: true')
  // Auto picks the format by itself.
  await choose('dec/cbor', 'auto')
  await expect(decoded.getByTestId('decoder-used')).toHaveText('Shown as CBOR')

  // The error path: a decoder that cannot read the payload says why and falls back to hex.
  await choose('dec/json', 'msgpack')
  await expect(page.getByTestId('decoder-problem')).toContainText('not MessagePack')
  await expect(decoded.getByRole('region', { name: 'Payload content' })).toContainText('7b 22 6f 75')
  await choose('dec/binary', 'gzip')
  await expect(page.getByTestId('decoder-problem')).toContainText('not gzip')
  await choose('dec/binary', 'protobuf')
  await expect(page.getByTestId('decoder-problem')).toContainText(/not a lab\.Reading message|no \.proto/)
})

test('find: payload substring and regex over latest values and history, with match counts', async ({ inspector: page, mqttClient }) => {
  const device = await mqttClient('finder')
  await device.publishAsync('plant/a/status', '{"state":"ALARM","code":17}')
  await device.publishAsync('plant/a/status', '{"state":"ok","code":0}')
  await device.publishAsync('plant/b/status', '{"state":"alarm","code":23}')
  await device.publishAsync('plant/c/status', '{"state":"ok","code":0}')
  await openView(page, 'topics', 'Topics')
  await page.getByTestId('find-payload').fill('alarm')
  await page.getByRole('button', { name: 'Find', exact: true }).click()
  // plant/a matches in its history only, plant/b by its latest value.
  await expect(page.getByTestId('find-result')).toContainText('2 topics match · 1 by latest value, 2 history messages')
  await expect(page.locator('[role="treeitem"][data-path="plant/c/status"]')).toHaveCount(0)
  await expect(page.locator('[role="treeitem"][data-path="plant/b/status"]')).toBeVisible()
  await page.getByLabel('Match case').check()
  await page.getByRole('button', { name: 'Find', exact: true }).click()
  await expect(page.getByTestId('find-result')).toContainText('1 topic match · 1 by latest value')
  await page.getByLabel('Match case').uncheck()
  await page.getByLabel('Regex').check()
  await page.getByTestId('find-payload').fill('"code":(17|23)')
  await page.getByRole('button', { name: 'Find', exact: true }).click()
  await expect(page.getByTestId('find-result')).toContainText('2 topics match')
  await saveScreenshot(page, 'topics-find')
  // A pattern the broker will not backtrack on is refused with a reason.
  await page.getByTestId('find-payload').fill('(a)\\1')
  await page.getByRole('button', { name: 'Find', exact: true }).click()
  await expect(page.getByTestId('find-result')).toContainText('needs backtracking')
})

test('top talkers: the flooding subtree and client on top, one click to the topic; recently changed topics flash', async ({
  inspector: page,
  mqttClient
}) => {
  const noisy = await mqttClient('noisy-device')
  const quiet = await mqttClient('quiet-device')
  await quiet.publishAsync('home/door', 'closed')
  const flood = setInterval(() => {
    for (let i = 0; i < 20; i++) void noisy.publishAsync(`factory/line${i % 4}/speed`, String(i)).catch(() => undefined)
  }, 20)
  try {
    await openView(page, 'topics', 'Topics')
    await page.getByRole('button', { name: 'Top talkers' }).click()
    const table = page.getByRole('table', { name: 'Top talkers' })
    await expect(table.getByRole('row').nth(1)).toContainText('factory/#', { timeout: 10_000 })
    await expect(page.locator('.tree-row.flash').first()).toBeVisible()
    await page.getByLabel('Group top talkers by').selectOption('client')
    await expect(table.getByRole('row').nth(1)).toContainText('noisy-device', { timeout: 5_000 })
    await page.getByLabel('Group top talkers by').selectOption('topic')
    await expect(table.getByRole('row').nth(1)).toContainText(/factory\/line\d\/speed/)
    await saveScreenshot(page, 'topics-top-talkers')
    await table.getByRole('row').nth(1).getByRole('button').click()
    await expect(detail(page).getByRole('heading', { level: 2 })).toHaveText(/factory\/line\d\/speed/)
  } finally {
    clearInterval(flood)
  }
})

test('subtree actions: delete the retained messages of a whole subtree (the count in the confirm), pin a topic', async ({
  inspector: page,
  mqttClient
}) => {
  const device = await mqttClient('retainer')
  await device.publishAsync('lab/ret/a', 'A', { retain: true, qos: 1 })
  await device.publishAsync('lab/ret/b/c', 'C', { retain: true, qos: 1 })
  await device.publishAsync('lab/ret/live', 'not retained', { qos: 1 })
  await device.publishAsync('lab/other', 'O', { retain: true, qos: 1 })
  await openTopic(page, 'lab/ret')
  const button = page.getByTestId('delete-retained-subtree')
  await expect(button).toHaveText('Delete retained (2)')
  await button.click()
  const dialog = page.getByRole('dialog')
  await expect(dialog.getByRole('heading')).toHaveText('Delete 2 retained messages?')
  await saveScreenshot(page, 'topics-delete-retained')
  await dialog.getByRole('button', { name: 'Delete' }).click()
  await expect(page.getByText('Deleted 2 retained messages')).toBeVisible()
  const checker = await mqttClient('checker')
  const got = messagesDuring(checker, 800)
  await checker.subscribeAsync('lab/#')
  const retained = (await got).filter((m) => m.retain).map((m) => m.topic)
  expect(retained).toEqual(['lab/other'])

  // Pin: the watch list stays on top, and across a reload.
  await openTopic(page, 'lab/other')
  await detail(page).getByRole('button', { name: 'Pin' }).click()
  const watch = page.getByTestId('watch-list')
  await expect(watch).toContainText('lab/other')
  await page.reload()
  await openView(page, 'topics', 'Topics')
  await expect(page.getByTestId('watch-list')).toContainText('lab/other')
  await device.publishAsync('lab/other', 'updated', { qos: 1 })
  await expect(page.getByTestId('watch-list')).toContainText('updated')
  await saveScreenshot(page, 'topics-pinned')
})

test('publish: a payload typed as hex, and one loaded from a file, arrive byte for byte', async ({ inspector: page, mqttClient }) => {
  const listener = await mqttClient('bytes-listener')
  await listener.subscribeAsync('lab/bytes/#')
  await openView(page, 'publish', 'Publish')
  await page.getByLabel('Topic', { exact: true }).fill('lab/bytes/hex')
  await page.getByLabel('Encoding').selectOption('hex')
  await page.getByLabel('Payload', { exact: true }).fill('de ad:be ef 00 0x41')
  let received = nextMessage(listener, 'lab/bytes/hex')
  await page.getByTestId('publish-submit').click()
  expect([...(await received).payload]).toEqual([0xde, 0xad, 0xbe, 0xef, 0x00, 0x41])

  const file = Buffer.from([0, 1, 2, 253, 254, 255])
  await page.getByLabel('Topic', { exact: true }).fill('lab/bytes/file')
  await page.getByTestId('publish-file').setInputFiles({ name: 'blob.bin', mimeType: 'application/octet-stream', buffer: file })
  await expect(page.getByTestId('json-note')).toContainText('Loaded blob.bin (6 bytes)')
  received = nextMessage(listener, 'lab/bytes/file')
  await page.getByTestId('publish-submit').click()
  expect(Buffer.compare((await received).payload, file)).toBe(0)
})

test('issue 15: what devices published before any page was open is in Topics, its history and Traffic', async ({
  broker,
  page,
  mqttClient
}) => {
  const early = await mqttClient('early-device')
  for (let i = 0; i < 12; i++) await early.publishAsync('late/unseen', `reading ${i}`, { qos: 1 })
  // Opened only now (not the inspector fixture), on either transport.
  await broker.openInspector(page)
  await expect(page.getByTestId('connection-status')).toHaveText('Connected', { timeout: 15_000 })
  await openTopic(page, 'late/unseen')
  await expect(detail(page)).toContainText('Messages here12')
  await detail(page)
    .getByRole('tab', { name: /^History/ })
    .click()
  await expect(page.getByTestId('history-list-topic').getByRole('option')).toHaveCount(12)
  await openView(page, 'traffic', 'Traffic')
  await expect(page.getByTestId('traffic-table')).toContainText('late/unseen')
})
