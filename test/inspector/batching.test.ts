import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Broker } from '../../src/main/broker/broker'
import { silentLogger } from '../../src/main/logger'
import { Inspector, type InspectorOptions } from '../../src/main/inspector/inspector'
import { MemorySavedMessageStore } from '../../src/main/inspector/saved-messages'
import type { PacketRecord } from '../../src/shared/broker-types'
import type { InspectorBatch } from '../../src/shared/api'

/** A broker that never listens: the inspector only needs its event bus and control API. */
function setup(options: Partial<InspectorOptions> = {}): {
  broker: Broker
  inspector: Inspector
  batches: InspectorBatch[]
  off: () => void
} {
  const broker = new Broker({ sysInterval: 0 }, { logger: silentLogger })
  const inspector = new Inspector(broker, { savedMessages: new MemorySavedMessageStore(), ...options })
  const batches: InspectorBatch[] = []
  const off = inspector.onBatch((batch) => batches.push(batch))
  return { broker, inspector, batches, off }
}

function publishPacket(broker: Broker, payload: Uint8Array = Buffer.from('hello'), topic = 't'): void {
  const packet: PacketRecord = {
    direction: 'in',
    clientId: 'c',
    type: 'publish',
    size: payload.length + 10,
    topic,
    qos: 0,
    retain: false,
    dup: false,
    payload
  }
  // As the broker does for a real packet: counted first, then reported (only while someone wants it).
  broker.counters.messagesReceived++
  if (broker.events.wantsPackets) broker.events.emit({ type: 'packet', packet })
}

const rowIds = (batches: InspectorBatch[]): number[] => batches.flatMap((batch) => batch.traffic.map((row) => row.id))
const notShown = (batches: InspectorBatch[]): number => batches.reduce((sum, batch) => sum + batch.trafficNotShown, 0)

describe('Inspector batching (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('sends at most one batch per interval, rows in order, none lost under the per-batch limit', () => {
    const { broker, batches, off } = setup({ batchIntervalMs: 50 })
    const duration = 1000
    // 5 packets every ms: 250 per 50 ms window, below the 500-row limit.
    for (let ms = 0; ms < duration; ms++) {
      for (let i = 0; i < 5; i++) publishPacket(broker)
      vi.advanceTimersByTime(1)
    }
    vi.advanceTimersByTime(50)
    expect(batches.length).toBeLessThanOrEqual(Math.ceil((duration + 50) / 50) + 1)
    const ids = rowIds(batches)
    expect(ids.length).toBe(5000)
    expect(ids).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1))
    expect(notShown(batches)).toBe(0)
    expect(batches.map((batch) => batch.seq)).toEqual(batches.map((_, i) => i + 1))
    for (let i = 1; i < batches.length; i++) expect(batches[i].time - batches[i - 1].time).toBeGreaterThanOrEqual(50)
    off()
  })

  it('caps rows per batch: records the first rows of each window, stops the broker building the rest, counts them as not shown', () => {
    const { broker, inspector, batches, off } = setup({ batchIntervalMs: 50, maxTrafficRowsPerBatch: 100 })
    let gateClosedWithinWindow = false
    for (let ms = 0; ms < 500; ms++) {
      for (let i = 0; i < 10; i++) publishPacket(broker) // 500 per window
      if (ms % 50 === 20 && !broker.events.wantsPackets) gateClosedWithinWindow = true
      vi.advanceTimersByTime(1)
    }
    // 200 packets into a window the 100-row budget is spent: the broker no longer builds packet events.
    expect(gateClosedWithinWindow).toBe(true)
    vi.advanceTimersByTime(50)
    const ids = rowIds(batches)
    for (const batch of batches) expect(batch.traffic.length).toBeLessThanOrEqual(100)
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1])
    expect(ids.length + notShown(batches)).toBe(5000)
    expect(notShown(batches)).toBeGreaterThan(0)
    // Only recorded rows get ids and enter the ring: 100 per window, numbered without gaps.
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1))
    expect(inspector.snapshot().traffic.length).toBe(ids.length)
    expect(ids.length).toBeLessThanOrEqual(100 * 11)
    off()
  })

  it('counts what the flood gate skipped while no page was attached, and tells the page that attaches next', () => {
    const broker = new Broker({ sysInterval: 0 }, { logger: silentLogger })
    const inspector = new Inspector(broker, {
      savedMessages: new MemorySavedMessageStore(),
      batchIntervalMs: 50,
      maxTrafficRowsPerBatch: 100
    })
    for (let ms = 0; ms < 500; ms++) {
      for (let i = 0; i < 10; i++) publishPacket(broker) // 500 per window, 100 logged
      vi.advanceTimersByTime(1)
    }
    vi.advanceTimersByTime(50)
    const logged = inspector.snapshot().traffic.length
    expect(logged).toBeGreaterThan(0)
    expect(logged).toBeLessThan(5000)
    // The bound was hit with nobody watching: counted all the same.
    expect(inspector.usage().trafficNotRecorded).toBe(5000 - logged)
    const batches: InspectorBatch[] = []
    const off = inspector.onBatch((batch) => batches.push(batch))
    vi.advanceTimersByTime(100)
    // The page that opens later learns how many packets the log does not hold (once, not per page).
    expect(notShown(batches)).toBe(5000 - logged)
    const second: InspectorBatch[] = []
    const offSecond = inspector.onBatch((batch) => second.push(batch))
    vi.advanceTimersByTime(100)
    expect(notShown(second)).toBe(0)
    offSecond()
    off()
    inspector.dispose()
  })

  it('keeps the newest trafficCapacity rows (25 000 pushed → 10 000 kept)', () => {
    const { broker, inspector, off } = setup({ maxTrafficRowsPerBatch: 100_000 })
    for (let i = 0; i < 25_000; i++) publishPacket(broker, Buffer.from(`m${i}`))
    const traffic = inspector.snapshot().traffic
    expect(inspector.usage().trafficRows).toBe(10_000)
    expect(traffic.length).toBe(10_000)
    expect(traffic[0].id).toBe(15_001)
    expect(traffic[traffic.length - 1].id).toBe(25_000)
    expect(inspector.getTrafficPayload(1)).toBeNull()
    expect(inspector.getTrafficPayload(15_001)).toEqual({ payload: Buffer.from('m15000').toString('base64'), size: 6 })
    expect(inspector.getTrafficPayload(25_000)).toEqual({ payload: Buffer.from('m24999').toString('base64'), size: 6 })
    expect(inspector.getTrafficPayload(25_001)).toBeNull()
    off()
  })

  it('bounds the payload bytes held, dropping the oldest payloads first but keeping their preview', () => {
    const { broker, inspector, off } = setup({ maxPayloadBytes: 10_000, previewBytes: 8 })
    for (let i = 0; i < 100; i++) publishPacket(broker, Buffer.alloc(1000, i))
    const usage = inspector.usage()
    expect(usage.payloadBytes).toBeLessThanOrEqual(10_000)
    expect(usage.payloadBytes).toBe(10_000)
    expect(inspector.getTrafficPayload(90)).toBeNull()
    expect(inspector.getTrafficPayload(91)?.size).toBe(1000)
    expect(inspector.getTrafficPayload(100)?.payload).toBe(Buffer.alloc(1000, 99).toString('base64'))
    const first = inspector.snapshot().traffic[0]
    expect(first.payloadSize).toBe(1000)
    expect(first.payloadPreview).toBe(Buffer.alloc(8, 0).toString('base64'))
    // A payload larger than the whole budget is never held, only previewed.
    publishPacket(broker, Buffer.alloc(20_000, 7))
    expect(inspector.usage().payloadBytes).toBeLessThanOrEqual(10_000)
    expect(inspector.getTrafficPayload(101)).toBeNull()
    expect(inspector.snapshot().traffic.at(-1)?.payloadPreview).toBe(Buffer.alloc(8, 7).toString('base64'))
    off()
  })

  it('copies payloads that are small views into large buffers (socket chunks)', () => {
    const { broker, inspector, off } = setup()
    const chunk = Buffer.alloc(64 * 1024, 1)
    const view = chunk.subarray(100, 110)
    publishPacket(broker, view)
    chunk.fill(2) // if the inspector kept the view, its payload would change too
    expect(inspector.getTrafficPayload(1)?.payload).toBe(Buffer.alloc(10, 1).toString('base64'))
    expect(inspector.usage().payloadBytes).toBe(10)
    off()
  })

  it('truncates previews to previewBytes and reports full sizes', () => {
    const { broker, batches, off } = setup({ previewBytes: 4 })
    publishPacket(broker, Buffer.from('abcdefgh'))
    vi.advanceTimersByTime(50)
    const row = batches.flatMap((batch) => batch.traffic)[0]
    expect(row).toMatchObject({ id: 1, direction: 'in', clientId: 'c', type: 'publish', topic: 't', payloadSize: 8 })
    expect(Buffer.from(row.payloadPreview ?? '', 'base64').toString()).toBe('abcd')
    off()
  })

  it('while paused, counts packets as not shown and keeps none', () => {
    const { broker, inspector, batches, off } = setup()
    publishPacket(broker)
    inspector.setTrafficPaused(true)
    for (let i = 0; i < 10; i++) publishPacket(broker)
    vi.advanceTimersByTime(50)
    expect(inspector.usage().trafficRows).toBe(1)
    expect(rowIds(batches)).toEqual([1])
    expect(notShown(batches)).toBe(10)
    expect(batches.some((batch) => batch.trafficPaused === true)).toBe(true)
    inspector.setTrafficPaused(false)
    publishPacket(broker)
    vi.advanceTimersByTime(50)
    expect(rowIds(batches)).toEqual([1, 2])
    expect(inspector.snapshot().trafficPaused).toBe(false)
    off()
  })

  it('sends lists and settings on the first batch, then only when they change, and a heartbeat when idle', () => {
    const { broker, batches, off } = setup({ batchIntervalMs: 50, listIntervalMs: 50 })
    vi.advanceTimersByTime(50)
    expect(batches.length).toBe(1)
    expect(batches[0]).toMatchObject({ clients: [], subscriptions: [], retained: [], listeners: [] })
    expect(batches[0].settings?.sysInterval).toBe(0)
    vi.advanceTimersByTime(500)
    expect(batches.length).toBe(1) // nothing changed
    vi.advanceTimersByTime(600)
    expect(batches.length).toBe(2) // heartbeat
    expect(batches[1].clients).toBeUndefined()
    expect(batches[1].settings).toBeUndefined()
    expect(batches[1].rates).toEqual({ messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 })
    broker.publish({ topic: 'r/1', payload: 'v', retain: true })
    vi.advanceTimersByTime(50)
    const last = batches[batches.length - 1]
    expect(last.retained?.map((row) => row.topic)).toEqual(['r/1'])
    expect(last.topics).toEqual([expect.objectContaining({ topic: 'r/1', messages: 1, retained: true })])
    expect(last.clients).toBeUndefined()
    off()
  })

  it('a throwing listener does not stop the others', () => {
    const { broker, inspector, batches, off } = setup()
    const offBad = inspector.onBatch(() => {
      throw new Error('boom')
    })
    publishPacket(broker)
    vi.advanceTimersByTime(50)
    expect(rowIds(batches)).toEqual([1])
    offBad()
    off()
  })
})

describe('Inspector attachment', () => {
  it('records from the start, UI or not; batches go only to listeners; dispose() unsubscribes everything', () => {
    const broker = new Broker({ sysInterval: 0 }, { logger: silentLogger })
    const inspector = new Inspector(broker, { savedMessages: new MemorySavedMessageStore() })
    // Issue 15: the topic tree, history and (by default) the traffic log record without a UI.
    expect(broker.events.wantsPackets).toBe(true)
    expect(broker.events.wantsPublished).toBe(true)
    expect(inspector.attached).toBe(false)
    publishPacket(broker)
    broker.publish({ topic: 'early/bird', payload: 'x' })
    expect(inspector.usage().trafficRows).toBe(1)
    expect(inspector.snapshot().topics).toEqual([expect.objectContaining({ topic: 'early/bird', messages: 1 })])
    const offA = inspector.onBatch(() => undefined)
    const offB = inspector.onBatch(() => undefined)
    expect(inspector.attached).toBe(true)
    offA()
    offA() // idempotent
    expect(inspector.usage().listeners).toBe(1)
    offB()
    expect(inspector.attached).toBe(false)
    expect(broker.events.wantsPackets).toBe(true)
    inspector.dispose()
    expect(broker.events.wantsPackets).toBe(false)
    expect(broker.events.wantsPublished).toBe(false)
    for (const type of ['retained.changed', 'client.connected', 'subscribed', 'listener.changed', 'settings.changed'] as const) {
      expect(broker.events.wants(type)).toBe(false)
    }
  })

  it('with inspectorRecordWithoutUi off, the traffic log records only while a UI is attached (the tree always)', async () => {
    const broker = new Broker({ sysInterval: 0, inspectorRecordWithoutUi: false }, { logger: silentLogger })
    const inspector = new Inspector(broker, { savedMessages: new MemorySavedMessageStore() })
    expect(broker.events.wantsPackets).toBe(false)
    publishPacket(broker)
    broker.publish({ topic: 'unwatched', payload: 'x' })
    expect(inspector.usage().trafficRows).toBe(0)
    expect(inspector.snapshot().topics.map((t) => t.topic)).toEqual(['unwatched'])
    const off = inspector.onBatch(() => undefined)
    expect(broker.events.wantsPackets).toBe(true)
    publishPacket(broker)
    expect(inspector.usage().trafficRows).toBe(1)
    off()
    expect(broker.events.wantsPackets).toBe(false)
    // Turned on live: recording starts without a UI.
    expect((await broker.updateSettings({ inspectorRecordWithoutUi: true })).ok).toBe(true)
    expect(broker.events.wantsPackets).toBe(true)
    publishPacket(broker)
    expect(inspector.usage().trafficRows).toBe(2)
    inspector.dispose()
  })
})

describe('Inspector row bounds', () => {
  it('cuts very long topics and replaces huge properties with a marker', () => {
    const broker = new Broker({ sysInterval: 0 }, { logger: silentLogger })
    const inspector = new Inspector(broker, { savedMessages: new MemorySavedMessageStore() })
    const off = inspector.onBatch(() => undefined)
    const longTopic = 'x'.repeat(5000)
    const small = { contentType: 'text/plain', correlationData: Buffer.from('abc'), userProperties: { a: ['1', '2'] } }
    const huge = { userProperties: { big: 'y'.repeat(100_000) } }
    for (const properties of [small, huge]) {
      const packet: PacketRecord = {
        direction: 'in',
        clientId: 'c',
        type: 'publish',
        size: 1,
        topic: longTopic,
        qos: 0,
        retain: false,
        dup: false,
        payload: Buffer.alloc(0),
        properties
      }
      broker.events.emit({ type: 'packet', packet })
    }
    const [first, second] = inspector.snapshot().traffic
    expect(first.topic?.length).toBe(1025)
    expect(first.topic?.endsWith('…')).toBe(true)
    expect(first.properties).toEqual({
      contentType: 'text/plain',
      correlationData: Buffer.from('abc').toString('base64'),
      userProperties: { a: ['1', '2'] }
    })
    expect(second.properties).toMatchObject({ truncated: true })
    expect(JSON.stringify(second).length).toBeLessThan(3000)
    off()
  })
})
