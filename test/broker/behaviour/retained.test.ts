import type { IConnackPacket, IDisconnectPacket } from 'mqtt-packet'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { describe, expect, it } from 'vitest'
import { brokerPerTest, collectMessages, delay, nextPacket, TRANSPORTS, waitFor } from '../../helpers/broker-harness'

describe.each(TRANSPORTS)('retained messages over %s', (kind) => {
  const { start, open, track } = brokerPerTest(kind)

  const v5 = (options: IClientOptions = {}): Promise<MqttClient> => open({ protocolVersion: 5, ...options })

  /** Subscribe a fresh client and return what it has received once `sentinel` (a plain, non-retained message) arrives. */
  async function retainedSeenBy(
    filter: string,
    options: IClientOptions = {},
    subscribeOptions: mqtt.IClientSubscribeOptions = { qos: 1 }
  ): Promise<ReturnType<typeof collectMessages>> {
    const sub = await open(options)
    const received = collectMessages(sub)
    await sub.subscribeAsync([filter, 'sentinel'], subscribeOptions)
    // Retained messages follow the SUBACK on the same socket, so anything still to come precedes this.
    const pub = await open()
    await pub.publishAsync('sentinel', 'end', { qos: 1 })
    await waitFor(() => received.some((m) => m.topic === 'sentinel'), 'the sentinel')
    return received.filter((m) => m.topic !== 'sentinel')
  }

  it('is set, replaced, and cleared by an empty payload', async () => {
    const t = await start()
    const pub = await open()
    await pub.publishAsync('r/t', 'one', { qos: 1, retain: true })
    await pub.publishAsync('r/t', 'two', { qos: 1, retain: true })
    let seen = await retainedSeenBy('r/#')
    expect(seen.map((m) => [m.topic, m.payload.toString()])).toEqual([['r/t', 'two']])
    expect(t.broker.getRetained('r/t')?.payload.toString()).toBe('two')

    await pub.publishAsync('r/t', '', { qos: 1, retain: true })
    expect(t.broker.getRetained('r/t')).toBeNull()
    expect(t.broker.stats().retainedCount).toBe(0)
    seen = await retainedSeenBy('r/#')
    expect(seen).toEqual([])
  })

  for (const version of [4, 5] as const) {
    it(`is delivered on subscribe with RETAIN 1 at min(message, subscription) QoS (${version === 5 ? 'v5' : '3.1.1'})`, async () => {
      await start()
      const pub = await open({ protocolVersion: version })
      await pub.publishAsync('r/q2', 'q2', { qos: 2, retain: true })
      await pub.publishAsync('r/q0', 'q0', { qos: 0, retain: true })
      await pub.publishAsync('other/x', 'no', { qos: 1, retain: true })
      const seen = await retainedSeenBy('r/+', { protocolVersion: version }, { qos: 1 })
      const byTopic = Object.fromEntries(seen.map((m) => [m.topic, m]))
      expect(Object.keys(byTopic).sort()).toEqual(['r/q0', 'r/q2'])
      expect(byTopic['r/q2'].packet.retain).toBe(true)
      expect(byTopic['r/q2'].packet.qos).toBe(1)
      expect(byTopic['r/q2'].payload.toString()).toBe('q2')
      expect(byTopic['r/q0'].packet.retain).toBe(true)
      expect(byTopic['r/q0'].packet.qos).toBe(0)
    })
  }

  it('a normal delivery to an existing subscriber has RETAIN 0 (3.1.1 and v5 without rap), 1 with rap', async () => {
    await start()
    const old = await open()
    const plain5 = await v5()
    const rap5 = await v5()
    const rOld = collectMessages(old)
    const rPlain5 = collectMessages(plain5)
    const rRap5 = collectMessages(rap5)
    await old.subscribeAsync('live/t', { qos: 1 })
    await plain5.subscribeAsync('live/t', { qos: 1, rap: false })
    await rap5.subscribeAsync('live/t', { qos: 1, rap: true })
    const pub = await v5()
    await pub.publishAsync('live/t', 'x', { qos: 1, retain: true })
    await waitFor(() => rOld.length + rPlain5.length + rRap5.length === 3, 'three deliveries')
    expect(rOld[0].packet.retain).toBe(false)
    expect(rPlain5[0].packet.retain).toBe(false)
    expect(rRap5[0].packet.retain).toBe(true)
  })

  it("retained '$' topics are not sent for a leading wildcard; a subscription identifier comes with them (v5)", async () => {
    await start()
    const pub = await v5()
    await pub.publishAsync('$foo/kept', 'dollar', { qos: 1, retain: true })
    await pub.publishAsync('foo/kept', 'plain', { qos: 1, retain: true })
    const sub = await v5()
    const received = collectMessages(sub)
    await sub.subscribeAsync(['#', '+/kept'], { qos: 1, properties: { subscriptionIdentifier: 9 } })
    await sub.subscribeAsync('$foo/#', { qos: 1, properties: { subscriptionIdentifier: 10 } })
    await waitFor(() => received.length >= 2, 'retained messages')
    await delay(100)
    const byTopic = received.map((m) => [m.topic, [m.packet.properties?.subscriptionIdentifier].flat()])
    // '#' and '+/kept' each send foo/kept on subscribe (one subscription each); $foo/kept only via '$foo/#'.
    expect(byTopic).toEqual([
      ['foo/kept', [9]],
      ['foo/kept', [9]],
      ['$foo/kept', [10]]
    ])
    expect(received.every((m) => m.packet.retain)).toBe(true)
  })

  it('retain handling (v5): 0 on every subscribe, 1 only on a new subscription, 2 never', async () => {
    await start()
    const pub = await v5()
    await pub.publishAsync('rh/t', 'kept', { qos: 0, retain: true })
    const counts: Record<number, number> = {}
    for (const rh of [0, 1, 2] as const) {
      const sub = await v5()
      const received = collectMessages(sub)
      await sub.subscribeAsync('rh/t', { qos: 0, rh })
      await sub.subscribeAsync('rh/t', { qos: 0, rh })
      await pub.publishAsync('rh/t', 'live', { qos: 1 })
      await waitFor(() => received.some((m) => m.payload.toString() === 'live'), 'the live message')
      counts[rh] = received.filter((m) => m.payload.toString() === 'kept').length
      // The live message arrives once, after what the two subscribes brought.
      expect(received.filter((m) => m.payload.toString() === 'live')).toHaveLength(1)
    }
    expect(counts).toEqual({ 0: 2, 1: 1, 2: 0 })
  })

  it('retain handling 1 (v5) sends again after an unsubscribe makes the subscription new', async () => {
    await start()
    const pub = await v5()
    await pub.publishAsync('rh1/t', 'kept', { qos: 1, retain: true })
    const sub = await v5()
    const received = collectMessages(sub)
    await sub.subscribeAsync('rh1/t', { qos: 0, rh: 1 })
    await waitFor(() => received.length === 1, 'the first copy')
    await sub.unsubscribeAsync('rh1/t')
    await sub.subscribeAsync('rh1/t', { qos: 0, rh: 1 })
    await waitFor(() => received.length === 2, 'the second copy')
    expect(received.every((m) => m.packet.retain)).toBe(true)
  })

  it('message expiry (v5): an expired retained message is not sent; the remaining interval is', async () => {
    const t = await start()
    const pub = await v5()
    await pub.publishAsync('exp/short', 'short', { qos: 1, retain: true, properties: { messageExpiryInterval: 1 } })
    await pub.publishAsync('exp/long', 'long', { qos: 1, retain: true, properties: { messageExpiryInterval: 10 } })
    await pub.publishAsync('exp/none', 'none', { qos: 1, retain: true })

    // Straight away both are there, with no more than their original interval.
    const early = await retainedSeenBy('exp/+', { protocolVersion: 5 })
    const earlyByTopic = Object.fromEntries(early.map((m) => [m.topic, m.packet.properties?.messageExpiryInterval]))
    expect(Object.keys(earlyByTopic).sort()).toEqual(['exp/long', 'exp/none', 'exp/short'])
    expect(earlyByTopic['exp/short']).toBe(1)
    expect(earlyByTopic['exp/long']).toBeLessThanOrEqual(10)
    expect(earlyByTopic['exp/long']).toBeGreaterThanOrEqual(9)
    expect(earlyByTopic['exp/none']).toBeUndefined()

    await delay(1200)
    const late = await retainedSeenBy('exp/+', { protocolVersion: 5 })
    expect(late.map((m) => m.topic).sort()).toEqual(['exp/long', 'exp/none'])
    const long = late.find((m) => m.topic === 'exp/long')!
    // [MQTT-3.3.2-6] the interval sent is what is left, not the original 10.
    expect(long.packet.properties?.messageExpiryInterval).toBeLessThanOrEqual(9)
    expect(long.packet.properties?.messageExpiryInterval).toBeGreaterThanOrEqual(8)
    // A 3.1.1 subscriber does not get the expired one either.
    const old = await retainedSeenBy('exp/+')
    expect(old.map((m) => m.topic).sort()).toEqual(['exp/long', 'exp/none'])
    expect(t.broker.getRetained('exp/short')).toBeNull()
  })

  it('retainAvailable false: CONNACK says so and a v5 PUBLISH with retain gets DISCONNECT 0x9A', async () => {
    const t = await start({ retainAvailable: false })
    const client = mqtt.connect(t.url(kind), { protocolVersion: 5, reconnectPeriod: 0 })
    track(client)
    const connack = await nextPacket<IConnackPacket>(client, 'connack')
    expect(connack.properties?.retainAvailable).toBe(false)
    await waitFor(() => client.connected, 'the connection')
    const sub = await v5()
    const received = collectMessages(sub)
    await sub.subscribeAsync('na/#')
    const disconnect = nextPacket<IDisconnectPacket>(client, 'disconnect')
    client.publish('na/t', 'x', { qos: 0, retain: true })
    expect((await disconnect).reasonCode).toBe(0x9a)
    await waitFor(() => !client.connected, 'the connection to close')
    await delay(50)
    expect(received).toEqual([])
    expect(t.broker.stats().retainedCount).toBe(0)
  })

  it('control API: listRetained, getRetained, deleteRetained, clearRetained', async () => {
    const t = await start()
    const pub = await v5()
    await pub.publishAsync('api/a', 'alpha', { qos: 1, retain: true, properties: { contentType: 'text/plain' } })
    await pub.publishAsync('api/b', 'bravo!', { qos: 2, retain: true })
    await pub.publishAsync('api/c', 'charlie', { qos: 0, retain: true })
    await pub.publishAsync('api/live', 'not kept', { qos: 1 })

    const list = t.broker.listRetained().sort((x, y) => x.topic.localeCompare(y.topic))
    expect(list.map((r) => [r.topic, r.qos, r.size])).toEqual([
      ['api/a', 1, 5],
      ['api/b', 2, 6],
      ['api/c', 0, 7]
    ])
    expect(Buffer.from(list[0].preview).toString()).toBe('alpha')
    expect(list[0].properties).toEqual({ contentType: 'text/plain' })

    const b = t.broker.getRetained('api/b')
    expect(b?.payload.toString()).toBe('bravo!')
    expect(b?.qos).toBe(2)
    expect(t.broker.getRetained('api/live')).toBeNull()

    expect(t.broker.deleteRetained('api/a')).toBe(true)
    expect(t.broker.deleteRetained('api/a')).toBe(false)
    let seen = await retainedSeenBy('api/#')
    expect(seen.map((m) => m.topic).sort()).toEqual(['api/b', 'api/c'])

    expect(t.broker.clearRetained()).toBe(2)
    expect(t.broker.listRetained()).toEqual([])
    seen = await retainedSeenBy('api/#')
    expect(seen).toEqual([])

    // The broker's own publish can retain too.
    t.broker.publish({ topic: 'api/by-broker', payload: 'hi', retain: true, qos: 1 })
    seen = await retainedSeenBy('api/#')
    expect(seen.map((m) => [m.topic, m.payload.toString(), m.packet.retain])).toEqual([['api/by-broker', 'hi', true]])
  })
})
