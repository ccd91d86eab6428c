import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MqttClient } from 'mqtt'
import { Inspector, type InspectorUsage } from '../../src/main/inspector/inspector'
import { MemorySavedMessageStore } from '../../src/main/inspector/saved-messages'
import type { InspectorBatch } from '../../src/shared/api'
import { connectClient, delay, startTestBroker, waitFor, type TestBroker } from '../helpers/broker-harness'

const MESSAGES = 50_000
const TOPICS = 5_000
const PAYLOAD_BYTES = 1024
const MAX_TOPICS = 2_000
const MAX_PAYLOAD_BYTES = 8 * 1024 * 1024
const SLOW_LISTENER_MS = 20

let target: TestBroker
const clients: MqttClient[] = []

beforeAll(async () => {
  target = await startTestBroker()
})

afterAll(async () => {
  for (const c of clients) await c.endAsync(true).catch(() => undefined)
  await target.close()
})

function busyWait(ms: number): void {
  const until = Date.now() + ms
  while (Date.now() < until) {
    /* a listener that is slow on purpose */
  }
}

describe('Inspector under a flood', () => {
  it(`stays within its bounds for ${MESSAGES} messages with a slow listener`, async () => {
    const broker = target.broker
    const inspector = new Inspector(broker, {
      savedMessages: new MemorySavedMessageStore(),
      maxTopics: MAX_TOPICS,
      maxPayloadBytes: MAX_PAYLOAD_BYTES
    })
    let packets = 0
    const offCount = broker.events.on('packet', () => {
      packets++
    })
    const peak: InspectorUsage = { ...inspector.usage() }
    let batches = 0
    let delivered = 0
    let notShown = 0
    let maxRowsInBatch = 0
    let lastId = 0
    let outOfOrder = 0
    const track = (usage: InspectorUsage): void => {
      peak.trafficRows = Math.max(peak.trafficRows, usage.trafficRows)
      peak.payloadBytes = Math.max(peak.payloadBytes, usage.payloadBytes)
      peak.topics = Math.max(peak.topics, usage.topics)
      peak.pendingRows = Math.max(peak.pendingRows, usage.pendingRows)
      peak.topicChars = Math.max(peak.topicChars, usage.topicChars)
    }
    const off = inspector.onBatch((batch: InspectorBatch) => {
      batches++
      delivered += batch.traffic.length
      notShown += batch.trafficNotShown
      maxRowsInBatch = Math.max(maxRowsInBatch, batch.traffic.length)
      for (const row of batch.traffic) {
        if (row.id <= lastId) outOfOrder++
        lastId = row.id
      }
      track(inspector.usage())
      busyWait(SLOW_LISTENER_MS)
    })

    const sub = await connectClient(target, 'tcp', { clientId: 'flood-sub' })
    const pub = await connectClient(target, 'tcp', { clientId: 'flood-pub' })
    clients.push(sub, pub)
    await sub.subscribeAsync('flood/#', { qos: 0 })
    const payload = Buffer.alloc(PAYLOAD_BYTES, 0x61)

    const started = Date.now()
    const batchesBefore = batches
    for (let i = 0; i < MESSAGES; i++) {
      pub.publish(`flood/${i % TOPICS}`, payload, { qos: 0 })
      if (i % 1000 === 999) {
        track(inspector.usage())
        await delay(0)
      }
    }
    await waitFor(() => broker.stats().publishReceived >= MESSAGES, 'every message received', 60_000)
    // Settled: no packet for a while, then one more batch window.
    let seen = -1
    while (seen !== packets) {
      seen = packets
      await delay(200)
    }
    const elapsed = (Date.now() - started) / 1000
    const floodBatches = batches - batchesBefore
    await delay(200)
    track(inspector.usage())
    const usage = inspector.usage()

    expect(peak.trafficRows).toBeLessThanOrEqual(10_000)
    expect(usage.trafficRows).toBe(10_000)
    expect(peak.payloadBytes).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES)
    expect(peak.topics).toBeLessThanOrEqual(MAX_TOPICS)
    expect(usage.topics).toBe(MAX_TOPICS)
    // Topics flood/0 … flood/1999 fit; every message on the other 3000 is counted as not tracked.
    expect(usage.topicsNotTracked).toBe((MESSAGES / TOPICS) * (TOPICS - MAX_TOPICS))
    expect(peak.pendingRows).toBeLessThanOrEqual(500)
    expect(maxRowsInBatch).toBeLessThanOrEqual(500)
    expect(outOfOrder).toBe(0)
    // Every packet was either delivered live or counted as not shown.
    expect(delivered + notShown).toBe(packets)
    expect(notShown).toBeGreaterThan(0)
    expect(floodBatches / elapsed).toBeLessThanOrEqual(21)

    console.log(
      `[flood] ${MESSAGES} msgs, ${packets} packet events in ${elapsed.toFixed(2)} s; ` +
        `${floodBatches} batches (${(floodBatches / elapsed).toFixed(1)}/s); delivered live ${delivered}, not shown ${notShown}; ` +
        `peak ring ${peak.trafficRows}, peak payload bytes ${peak.payloadBytes} (cap ${MAX_PAYLOAD_BYTES}), ` +
        `topics ${usage.topics} (cap ${MAX_TOPICS}, ${usage.topicChars} chars), not tracked ${usage.topicsNotTracked}; ` +
        `dropped by broker ${broker.stats().publishDropped}`
    )

    off()
    offCount()
    expect(inspector.attached).toBe(false)
    inspector.dispose()
    expect(broker.events.wantsPackets).toBe(false)
  }, 120_000)
})
