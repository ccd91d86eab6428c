/**
 * "The broker survives its own mistakes" (issue 16, finding 4): a message the PUBLISH encoder cannot
 * write for a client — here one with a content type over 65,535 UTF-8 bytes, put into the broker
 * behind every validator's back, as a bug would — drops that one delivery (counted as
 * 'encoding-failed', logged), and never stops the fan-out, the connection's other messages, a
 * retained subscription, a queued session's reconnection, or a socket drain callback (where
 * before the fix the throw was uncaught and the process exited).
 */
import mqtt, { type MqttClient } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { Broker } from '../../src/main/broker/broker'
import { createMessage } from '../../src/main/broker/message'
import { createLogger } from '../../src/main/logger'
import { collectMessages, freePort, waitFor } from '../helpers/broker-harness'
import { FakeTransport } from '../helpers/fake-transport'

const UNENCODABLE = { contentType: 'é'.repeat(40_000) }

let broker: Broker
let port: number
const logged: string[] = []
const clients: MqttClient[] = []

async function start(): Promise<void> {
  port = await freePort()
  broker = new Broker({ sysInterval: 0, tcpPort: port, wsPort: 0 }, { logger: createLogger('error', (line) => logged.push(line)) })
  await broker.start()
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => {})))
  await broker?.stop()
  logged.length = 0
})

function connect(clientId: string, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId, reconnectPeriod: 0, protocolVersion: 5, ...options })
  client.on('error', () => {})
  clients.push(client)
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client))
    client.once('error', reject)
  })
}

/** Publish as a buggy broker path would: straight into routing, no validation. */
function publishUnchecked(topic: string, payload: string, options: { retain?: boolean; qos?: 0 | 1 | 2; bad?: boolean } = {}): number {
  return broker.publish(
    createMessage({
      topic,
      payload: Buffer.from(payload),
      qos: options.qos ?? 1,
      retain: options.retain ?? false,
      properties: options.bad ? UNENCODABLE : undefined,
      origin: null,
      now: Date.now()
    })
  )
}

describe('a PUBLISH the encoder cannot write', () => {
  it('is dropped for each v5 subscriber, counted and logged; the fan-out goes on and everyone stays connected', async () => {
    await start()
    const a = await connect('v5-a')
    const b = await connect('v5-b')
    const old = await connect('v311', { protocolVersion: 4 })
    const got = { a: collectMessages(a), b: collectMessages(b), old: collectMessages(old) }
    for (const c of [a, b, old]) await c.subscribeAsync('enc/#', { qos: 1 })

    expect(() => publishUnchecked('enc/bad', 'bad', { bad: true })).not.toThrow()
    publishUnchecked('enc/good', 'good')
    await waitFor(() => got.a.length > 0 && got.b.length > 0 && got.old.length > 1, 'the deliveries')

    // v5 subscribers lost only the bad message; a 3.1.1 subscriber (no properties on its wire) got both.
    expect(got.a.map((m) => m.topic)).toEqual(['enc/good'])
    expect(got.b.map((m) => m.topic)).toEqual(['enc/good'])
    expect(got.old.map((m) => m.topic)).toEqual(['enc/bad', 'enc/good'])
    expect(a.connected && b.connected && old.connected).toBe(true)
    expect(broker.stats().droppedByReason['encoding-failed']).toBe(2)
    expect(logged.some((line) => /enc\/bad.*could not be encoded, dropped/.test(line))).toBe(true)
    // One line per burst, not one per recipient.
    expect(logged.filter((line) => line.includes('could not be encoded')).length).toBe(1)
  })

  it('kept retained, it does not cut off a v5 client that subscribes to it', async () => {
    await start()
    publishUnchecked('enc/retained', 'bad', { bad: true, retain: true })
    const late = await connect('late')
    const got = collectMessages(late)
    const granted = await late.subscribeAsync('enc/#', { qos: 1 })
    expect(granted.map((g) => g.qos)).toEqual([1])
    publishUnchecked('enc/after', 'after')
    await waitFor(() => got.length > 0, 'the next message')
    expect(got.map((m) => m.topic)).toEqual(['enc/after'])
    expect(late.connected).toBe(true)
    expect(broker.stats().droppedByReason['encoding-failed']).toBe(1)
  })

  it('queued for an offline session, it does not make the reconnection fail', async () => {
    await start()
    const persistent = { clean: false, properties: { sessionExpiryInterval: 300 } }
    const first = await connect('away', persistent)
    await first.subscribeAsync('enc/#', { qos: 1 })
    await first.endAsync()
    publishUnchecked('enc/queued-bad', 'bad', { bad: true })
    publishUnchecked('enc/queued-good', 'good')

    const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId: 'away', reconnectPeriod: 0, protocolVersion: 5, ...persistent })
    client.on('error', () => {})
    clients.push(client)
    const got = collectMessages(client)
    await waitFor(() => got.length > 0, 'the queued good message')
    expect(got.map((m) => m.topic)).toEqual(['enc/queued-good'])
    expect(client.connected).toBe(true)
    expect(broker.stats().droppedByReason['encoding-failed']).toBe(1)
  })

  it('queued behind a congested socket, the drain callback drops it and sends the rest', async () => {
    await start()
    const transport = new FakeTransport()
    broker.accept(transport)
    transport.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'congested', clean: true, keepalive: 0 })
    transport.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'enc/#', qos: 1 }] })
    await new Promise((resolve) => setImmediate(resolve))
    expect(transport.packets.map((p) => p.cmd)).toEqual(['connack', 'suback'])

    transport.buffered = 8 * 1024 * 1024 // the peer stopped reading: QoS 1 now waits in the queue
    publishUnchecked('enc/drain-bad', 'bad', { bad: true })
    publishUnchecked('enc/drain-good', 'good')
    expect(transport.publishes()).toEqual([])
    // The socket's drain event: before the fix this threw ERR_OUT_OF_RANGE out of the callback.
    expect(() => transport.drain()).not.toThrow()
    await new Promise((resolve) => setImmediate(resolve))
    expect(transport.publishes().map((p) => p.topic)).toEqual(['enc/drain-good'])
    expect(transport.closed).toBe(false)
    expect(broker.stats().droppedByReason['encoding-failed']).toBe(1)
  })
})
