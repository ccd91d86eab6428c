import { connect as netConnect, type Socket } from 'node:net'
import mqttPacket, { type Packet } from 'mqtt-packet'
import type { MqttClient } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { Broker } from '../../src/main/broker/broker'
import { CONGESTION_BYTES, type Connection } from '../../src/main/broker/connection/connection'
import type { Session } from '../../src/main/broker/session/session'
import { silentLogger } from '../../src/main/logger'
import type { QoS } from '../../src/shared/broker-types'
import { connectClient, delay, startTestBroker, waitFor, type TestBroker } from '../helpers/broker-harness'
import { FakeTransport } from '../helpers/fake-transport'

/**
 * Slow consumers: a subscriber that stops reading must not stall the broker or other clients, and
 * must not make it grow without bound. A raw TCP subscriber pauses its socket and never reads
 * again while a publisher floods at 2,000 msg/s of 1 KB; a healthy MQTT.js subscriber on the same
 * topic must keep getting everything, the slow client's queue and socket buffer must stay within
 * their limits, the drops must be counted by reason, and the slow client must be disconnected
 * after the drain timeout (2 s here).
 */

const RATE = 2000 // messages per second
const PAYLOAD_BYTES = 1024
const DRAIN_TIMEOUT_S = 2

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

// Broker internals, read through TypeScript's element-access escape hatch (tests only).
function sessionOf(tb: TestBroker, clientId: string): Session | undefined {
  return tb.broker['sessions'].get(clientId)
}
function unsentBytes(connection: Connection): number {
  return (connection['pendingBytes'] as number) + connection.transport.bufferedBytes()
}

/** A raw 3.1.1 subscriber that subscribes, waits for its SUBACK, then pauses its socket for good. */
async function openSlowSubscriber(port: number, clientId: string, qos: QoS): Promise<Socket> {
  const socket = netConnect({ host: '127.0.0.1', port })
  cleanups.push(() => void socket.destroy())
  socket.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  const parser = mqttPacket.parser({ protocolVersion: 4 })
  const subacked = new Promise<void>((resolve) => parser.on('packet', (packet: Packet) => packet.cmd === 'suback' && resolve()))
  const onData = (chunk: Buffer): void => void parser.parse(chunk)
  socket.on('data', onData)
  socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId, clean: true, keepalive: 0 }))
  socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'flood/#', qos }] }))
  await subacked
  socket.off('data', onData)
  socket.pause()
  return socket
}

interface Sample {
  at: number
  memory: number
  queued: number
  queuedBytes: number
  inflight: number
  unsent: number
  stalledSince: number | null
}

interface FloodResult {
  published: number
  publishedAt: number[]
  received: Set<number>
  samples: Sample[]
  slowDisconnectedAt: number | null
  slowDisconnectReason: string | null
  baselineMemory: number
}

/** Flood 'flood/data' at RATE while a slow and a healthy subscriber are subscribed. */
async function flood(tb: TestBroker, qos: QoS, maxMs: number): Promise<FloodResult> {
  let slowDisconnectedAt: number | null = null
  let slowDisconnectReason: string | null = null
  tb.broker.events.on('client.disconnected', (event) => {
    if (event.clientId === 'slow') {
      slowDisconnectedAt = Date.now()
      slowDisconnectReason = event.reason
    }
  })

  const healthy: MqttClient = await connectClient(tb, 'tcp', { clientId: 'healthy' })
  cleanups.push(() => healthy.endAsync(true))
  const received = new Set<number>()
  healthy.on('message', (_topic, payload) => received.add(payload.readUInt32BE(0)))
  await healthy.subscribeAsync('flood/#', { qos })

  await openSlowSubscriber(tb.tcpPort, 'slow', qos)
  const slowSession = sessionOf(tb, 'slow')!
  const slowConnection = slowSession.connection!
  expect(slowConnection).toBeTruthy()

  const publisher: MqttClient = await connectClient(tb, 'tcp', { clientId: 'publisher' })
  cleanups.push(() => publisher.endAsync(true))

  global.gc?.()
  const memoryNow = (): number => {
    const usage = process.memoryUsage()
    return usage.heapUsed + usage.external
  }
  const baselineMemory = memoryNow()
  const samples: Sample[] = []
  const publishedAt: number[] = []
  const startedAt = Date.now()
  let published = 0
  // Publish at RATE, catching up on timer lateness so the rate holds over every second.
  const publishing = setInterval(() => {
    const target = Math.floor(((Date.now() - startedAt) * RATE) / 1000)
    while (published < target) {
      const payload = Buffer.alloc(PAYLOAD_BYTES, 0x61)
      payload.writeUInt32BE(published, 0)
      publishedAt[published] = Date.now()
      publisher.publish('flood/data', payload, { qos })
      published++
    }
  }, 5)
  const sampling = setInterval(() => {
    samples.push({
      at: Date.now(),
      memory: memoryNow(),
      queued: slowSession.queuedCount,
      queuedBytes: slowSession.queuedBytes(),
      inflight: slowSession.inflightCount,
      unsent: slowConnection.isOpen() ? unsentBytes(slowConnection) : 0,
      stalledSince: tb.broker['connections'].stalledSince(slowConnection)
    })
  }, 50)
  try {
    // Keep flooding for a second after the slow client is gone: the broker must be fine without it too.
    await waitFor(() => slowDisconnectedAt !== null && Date.now() - slowDisconnectedAt > 1000, 'the slow client to be disconnected', maxMs)
  } finally {
    clearInterval(publishing)
    clearInterval(sampling)
  }
  // Everything published should reach the healthy subscriber shortly after the flood stops.
  await waitFor(() => received.size >= published, 'the healthy subscriber to catch up', 5000).catch(() => {})
  return { published, publishedAt, received, samples, slowDisconnectedAt, slowDisconnectReason, baselineMemory }
}

/** Per one-second window of publish time: what share of it the healthy subscriber received. */
function perSecondDelivery(result: FloodResult): number[] {
  const start = result.publishedAt[0]
  const windows: Array<{ sent: number; got: number }> = []
  for (let seq = 0; seq < result.published; seq++) {
    const index = Math.floor((result.publishedAt[seq] - start) / 1000)
    windows[index] ??= { sent: 0, got: 0 }
    windows[index].sent++
    if (result.received.has(seq)) windows[index].got++
  }
  return windows.filter((w) => w.sent >= RATE / 4).map((w) => w.got / w.sent)
}

function report(name: string, result: FloodResult, tb: TestBroker): void {
  const peak = (key: 'memory' | 'queued' | 'queuedBytes' | 'inflight' | 'unsent'): number => Math.max(...result.samples.map((s) => s[key]))
  const stats = tb.broker.stats()
  console.log(
    `[slow-consumer ${name}] published ${result.published} in ${((result.publishedAt.at(-1)! - result.publishedAt[0]) / 1000).toFixed(1)} s, ` +
      `healthy got ${result.received.size}; slow client: peak queued ${peak('queued')} (${peak('queuedBytes')} B), ` +
      `peak in flight ${peak('inflight')}, peak unsent socket bytes ${peak('unsent')}; ` +
      `heap+external baseline ${(result.baselineMemory / 1e6).toFixed(1)} MB, peak ${(peak('memory') / 1e6).toFixed(1)} MB; ` +
      `dropped ${JSON.stringify(stats.droppedByReason)}; limits hit ${JSON.stringify(stats.limitsHit)}; ` +
      `disconnected: ${result.slowDisconnectReason}; healthy per second: ${perSecondDelivery(result)
        .map((s) => s.toFixed(3))
        .join(' ')}`
  )
}

function stalledAt(result: FloodResult): number {
  const first = result.samples.find((s) => s.stalledSince !== null)
  expect(first, 'the slow client was seen stalled').toBeDefined()
  return first!.stalledSince!
}

describe('slow consumers', () => {
  it('QoS 0: a subscriber that stops reading is bounded by the congestion limit, dropped as slow-consumer, and disconnected after the drain timeout', async () => {
    const tb = await startTestBroker({ drainTimeout: DRAIN_TIMEOUT_S })
    cleanups.push(() => tb.close())
    const result = await flood(tb, 0, 20_000)
    report('QoS 0', result, tb)
    const stats = tb.broker.stats()

    // Dropped (not queued) while congested, and counted.
    expect(stats.droppedByReason['slow-consumer']).toBeGreaterThan(0)
    expect(Math.max(...result.samples.map((s) => s.queued))).toBe(0)
    // The socket buffer stops growing at the congestion limit (plus at most one packet).
    expect(Math.max(...result.samples.map((s) => s.unsent))).toBeLessThanOrEqual(CONGESTION_BYTES + PAYLOAD_BYTES + 64)

    // Disconnected after the drain timeout, counted once.
    expect(result.slowDisconnectReason).toMatch(/drain timeout/)
    const stalledFor = result.slowDisconnectedAt! - stalledAt(result)
    expect(stalledFor).toBeGreaterThanOrEqual(DRAIN_TIMEOUT_S * 1000 - 100)
    expect(stalledFor).toBeLessThanOrEqual(DRAIN_TIMEOUT_S * 1000 + 1000)
    expect(stats.limitsHit.drainTimeout).toBe(1)
    expect(sessionOf(tb, 'slow')).toBeUndefined()

    // The healthy subscriber kept up in every second of the flood.
    for (const share of perSecondDelivery(result)) expect(share).toBeGreaterThanOrEqual(0.95)
    expect(result.received.size / result.published).toBeGreaterThanOrEqual(0.99)

    // Memory: bounded structures above; the process itself grew by far less than what was published.
    const peakMemory = Math.max(...result.samples.map((s) => s.memory))
    expect(peakMemory - result.baselineMemory).toBeLessThan(96 * 1024 * 1024)
  }, 30_000)

  it('QoS 1: a subscriber that stops reading is bounded by its in-flight window and queue limits, drops are queue-full, and it is disconnected after the drain timeout', async () => {
    // The limits apply to the healthy subscriber too: they leave it half a second of headroom.
    const maxQueuedBytes = 1024 * 1024
    const tb = await startTestBroker({ drainTimeout: DRAIN_TIMEOUT_S, maxQueuedMessages: 2000, maxQueuedBytes, maxInflightMessages: 100 })
    cleanups.push(() => tb.close())
    const result = await flood(tb, 1, 20_000)
    report('QoS 1', result, tb)
    const stats = tb.broker.stats()

    // The window filled (nothing acknowledged), then the queue, then the rest was dropped and counted.
    expect(Math.max(...result.samples.map((s) => s.inflight))).toBe(100)
    expect(Math.max(...result.samples.map((s) => s.queued))).toBeLessThanOrEqual(2000)
    expect(Math.max(...result.samples.map((s) => s.queuedBytes))).toBeLessThanOrEqual(maxQueuedBytes)
    expect(Math.max(...result.samples.map((s) => s.queuedBytes))).toBeGreaterThan(maxQueuedBytes - 2 * PAYLOAD_BYTES)
    expect(stats.droppedByReason['queue-full']).toBeGreaterThan(0)
    expect(stats.limitsHit.maxQueuedBytes).toBe(stats.droppedByReason['queue-full'])
    expect(stats.limitsHit.maxInflightMessages).toBeGreaterThan(0)
    // What was still queued went with the (clean) session and was counted.
    expect(stats.droppedByReason['session-ended']).toBeGreaterThan(0)

    expect(result.slowDisconnectReason).toMatch(/drain timeout/)
    const stalledFor = result.slowDisconnectedAt! - stalledAt(result)
    expect(stalledFor).toBeGreaterThanOrEqual(DRAIN_TIMEOUT_S * 1000 - 100)
    expect(stalledFor).toBeLessThanOrEqual(DRAIN_TIMEOUT_S * 1000 + 1000)
    expect(stats.limitsHit.drainTimeout).toBe(1)
    expect(sessionOf(tb, 'slow')).toBeUndefined()
    expect(stats.storedMessages).toBe(0)

    // QoS 1 to the healthy subscriber: everything, in every second.
    for (const share of perSecondDelivery(result)) expect(share).toBeGreaterThanOrEqual(0.95)
    expect(result.received.size).toBe(result.published)

    const peakMemory = Math.max(...result.samples.map((s) => s.memory))
    expect(peakMemory - result.baselineMemory).toBeLessThan(96 * 1024 * 1024)
  }, 30_000)
})

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('a congested connection', () => {
  it('drops QoS 0 as slow-consumer and holds QoS 1/2 in the bounded queue until the socket drains', async () => {
    const broker = new Broker({ sysInterval: 0, tcpPort: 0, wsPort: 0, maxQueuedMessages: 5 }, { logger: silentLogger })
    cleanups.push(() => broker.stop())
    const transport = new FakeTransport()
    broker.accept(transport)
    transport.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'c', clean: true, keepalive: 0 })
    transport.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'x/#', qos: 2 }] })
    await tick()
    expect(transport.packets.map((p) => p.cmd)).toEqual(['connack', 'suback'])

    broker.publish({ topic: 'x/1', payload: 'before', qos: 1 })
    await tick()
    expect(transport.publishes()).toHaveLength(1)

    transport.buffered = CONGESTION_BYTES + 1
    broker.publish({ topic: 'x/1', payload: 'qos0', qos: 0 })
    for (let i = 0; i < 8; i++) broker.publish({ topic: 'x/1', payload: `q${i}`, qos: (1 + (i % 2)) as QoS })
    await tick()
    // Nothing more was written while congested.
    expect(transport.publishes()).toHaveLength(1)
    const session = broker['sessions'].get('c')!
    expect(session.queuedCount).toBe(5)
    const stats = broker.stats()
    expect(stats.droppedByReason['slow-consumer']).toBe(1)
    expect(stats.droppedByReason['queue-full']).toBe(3)
    expect(stats.limitsHit.maxQueuedMessages).toBe(3)

    // The peer reads: the queue goes out in order.
    transport.drain()
    await tick()
    const payloads = transport.publishes().map((p) => String((p as { payload: Buffer }).payload))
    expect(payloads).toEqual(['before', 'q0', 'q1', 'q2', 'q3', 'q4'])
    expect(session.queuedCount).toBe(0)
  })

  it('a client that stops acknowledging with messages waiting is disconnected after the drain timeout', async () => {
    const tb = await startTestBroker({ drainTimeout: 1, maxInflightMessages: 2 })
    cleanups.push(() => tb.close())
    const socket = await openSlowSubscriber(tb.tcpPort, 'stuck', 1)
    const disconnected = new Promise<string>((resolve) =>
      tb.broker.events.on('client.disconnected', (e) => e.clientId === 'stuck' && resolve(e.reason))
    )
    const started = Date.now()
    for (let i = 0; i < 5; i++) tb.broker.publish({ topic: 'flood/x', payload: 'm', qos: 1 })
    expect(await disconnected).toMatch(/drain timeout/)
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000)
    expect(Date.now() - started).toBeLessThan(2000)
    socket.destroy()
    await delay(10)
  })
})
