import { afterEach, describe, expect, it } from 'vitest'
import { collectMessages, connectClient, startTestBroker, waitFor, type TestBroker } from '../helpers/broker-harness'

/**
 * Issue 15, bug 1: a setting changed while clients are connected applies to new connections; a
 * connected client keeps the limits its CONNACK announced (MQTT 5 §3.2.2.3: 0x9B only above the
 * maximum the server specified to that client).
 */
describe('live settings keep what connected clients were promised', () => {
  let tb: TestBroker | null = null
  afterEach(async () => {
    await tb?.close()
    tb = null
  })

  it('Maximum QoS lowered to 1: a client connected before keeps publishing QoS 2; a new one is told 1', async () => {
    tb = await startTestBroker()
    const sensor = await connectClient(tb, 'tcp', { clientId: 'sensor', protocolVersion: 5 })
    const listener = await connectClient(tb, 'tcp', { clientId: 'listener', protocolVersion: 5 })
    await listener.subscribeAsync('sensor/#', { qos: 2 })
    const received = collectMessages(listener)
    let kicked = false
    sensor.on('disconnect', () => {
      kicked = true
    })

    expect(await tb.broker.updateSettings({ maximumQos: 1 })).toMatchObject({ ok: true })
    for (let i = 0; i < 5; i++) await sensor.publishAsync('sensor/t', String(i), { qos: 2 })
    await waitFor(() => received.length === 5, 'five messages')
    expect(kicked).toBe(false)
    expect(sensor.connected).toBe(true)

    const late = await connectClient(tb, 'tcp', { clientId: 'late', protocolVersion: 5 })
    // MQTT.js keeps the CONNACK on the client.
    const connackMaxQos = (late as unknown as { connackPacket?: { properties?: { maximumQoS?: number } } }).connackPacket?.properties
      ?.maximumQoS
    expect(connackMaxQos).toBe(1)
    const refused = new Promise<number>((resolve) => {
      late.on('disconnect', (packet) => resolve(packet.reasonCode ?? -1))
    })
    late.publish('sensor/t', 'too high', { qos: 2 })
    expect(await refused).toBe(0x9b)
    await Promise.all([sensor.endAsync(), listener.endAsync(), late.endAsync(true)])
  })

  it('Retain Available turned off: a connected client may still retain, a new one may not', async () => {
    tb = await startTestBroker()
    const before = await connectClient(tb, 'tcp', { clientId: 'before', protocolVersion: 5 })
    expect(await tb.broker.updateSettings({ retainAvailable: false })).toMatchObject({ ok: true })
    await before.publishAsync('config/a', 'kept', { qos: 1, retain: true })
    await waitFor(() => tb!.broker.getRetained('config/a') !== null, 'the retained message')
    await before.endAsync()
  })
})
