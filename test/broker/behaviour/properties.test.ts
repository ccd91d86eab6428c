import mqttPacket, { type IConnackPacket, type IDisconnectPacket, type ISubackPacket, type Packet } from 'mqtt-packet'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { describe, expect, it } from 'vitest'
import { brokerPerTest, collectMessages, connectClient, delay, nextPacket, TRANSPORTS, waitFor } from '../../helpers/broker-harness'

/** Send a packet as-is on the client's socket, bypassing MQTT.js's own checks (e.g. on topic aliases and sizes). */
function sendRaw(client: MqttClient, packet: Packet): void {
  client.stream.write(mqttPacket.generate(packet, { protocolVersion: 5 }))
}

/** The topic and alias of every PUBLISH as it came off the wire (before MQTT.js resolves the alias). */
function wirePublishes(client: MqttClient): Array<{ topic: string; alias: number | undefined }> {
  const seen: Array<{ topic: string; alias: number | undefined }> = []
  client.on('packetreceive', (packet: Packet) => {
    if (packet.cmd === 'publish') seen.push({ topic: String(packet.topic), alias: packet.properties?.topicAlias })
  })
  return seen
}

describe.each(TRANSPORTS)('MQTT 5 properties over %s', (kind) => {
  const harness = brokerPerTest(kind)
  const { start, track } = harness

  async function v5(options: IClientOptions = {}): Promise<MqttClient> {
    return track(await connectClient(harness.tb, kind, { protocolVersion: 5, ...options }))
  }

  /** Connect with MQTT.js and keep the CONNACK it received. */
  async function v5WithConnack(options: IClientOptions): Promise<{ client: MqttClient; connack: IConnackPacket }> {
    const client = track(mqtt.connect(harness.tb.url(kind), { protocolVersion: 5, reconnectPeriod: 0, ...options }))
    const connack = await nextPacket<IConnackPacket>(client, 'connack')
    await waitFor(() => client.connected, 'the connection')
    return { client, connack }
  }

  it('application properties reach a v5 subscriber unchanged', async () => {
    await start()
    const sub = await v5()
    const received = collectMessages(sub)
    await sub.subscribeAsync('p/#', { qos: 1 })
    const old = track(await connectClient(harness.tb, kind, { protocolVersion: 4 }))
    const oldReceived = collectMessages(old)
    await old.subscribeAsync('p/#', { qos: 1 })
    const pub = await v5()
    const properties = {
      payloadFormatIndicator: true,
      contentType: 'application/json; charset=utf-8',
      responseTopic: 'p/reply/ü',
      correlationData: Buffer.from([0, 1, 2, 254, 255]),
      userProperties: { single: 'one', repeated: ['a', 'b', 'a'], ключ: 'значение' }
    }
    await pub.publishAsync('p/t', '{"x":1}', { qos: 1, properties })
    await pub.publishAsync('p/plain', 'none', { qos: 1 })
    await waitFor(() => received.length === 2 && oldReceived.length === 2, 'both messages on both subscribers')
    const got = received[0].packet.properties!
    expect(got.payloadFormatIndicator).toBe(true)
    expect(got.contentType).toBe(properties.contentType)
    expect(got.responseTopic).toBe(properties.responseTopic)
    expect(Buffer.from(got.correlationData!)).toEqual(properties.correlationData)
    expect(got.userProperties).toEqual(properties.userProperties)
    expect(received[0].payload.toString()).toBe('{"x":1}')
    // Nothing is added to a message that had no properties.
    expect(received[1].packet.properties ?? {}).toEqual({})
    // A 3.1.1 subscriber gets the same message, without properties.
    expect(oldReceived.map((m) => m.payload.toString())).toEqual(['{"x":1}', 'none'])
  })

  it('message expiry on a queued message: expired ones are dropped and counted, others carry what is left', async () => {
    const t = await start()
    const session: IClientOptions = { clientId: 'offline-sub', clean: false, properties: { sessionExpiryInterval: 60 } }
    const sub = await v5(session)
    await sub.subscribeAsync('q/#', { qos: 1 })
    await sub.endAsync()
    const pub = await v5()
    await pub.publishAsync('q/short', 'short', { qos: 1, properties: { messageExpiryInterval: 1 } })
    await pub.publishAsync('q/long', 'long', { qos: 1, properties: { messageExpiryInterval: 10 } })
    await pub.publishAsync('q/forever', 'forever', { qos: 1 })
    expect(t.broker.stats().storedMessages).toBe(3)
    await delay(1500)

    const back = track(mqtt.connect(t.url(kind), { protocolVersion: 5, reconnectPeriod: 0, ...session }))
    const received = collectMessages(back)
    await waitFor(() => received.length === 2, 'the messages still alive')
    await delay(100)
    expect(received.map((m) => m.topic)).toEqual(['q/long', 'q/forever'])
    const remaining = received[0].packet.properties?.messageExpiryInterval
    expect(remaining).toBeLessThanOrEqual(9)
    expect(remaining).toBeGreaterThanOrEqual(8)
    expect(received[1].packet.properties?.messageExpiryInterval).toBeUndefined()
    expect(t.broker.stats().droppedByReason.expired).toBe(1)
  })

  it('topic alias inbound: a PUBLISH with an empty topic and a known alias reaches subscribers on the full topic', async () => {
    await start()
    const sub = await v5()
    const received = collectMessages(sub)
    await sub.subscribeAsync('alias/#', { qos: 1 })
    const pub = await v5()
    await pub.publishAsync('alias/one', 'first', { qos: 1, properties: { topicAlias: 1 } })
    await pub.publishAsync('', 'second', { qos: 1, properties: { topicAlias: 1 } })
    await pub.publishAsync('alias/two', 'third', { qos: 1, properties: { topicAlias: 1 } })
    await pub.publishAsync('', 'fourth', { qos: 1, properties: { topicAlias: 1 } })
    await waitFor(() => received.length === 4, 'four messages')
    expect(received.map((m) => `${m.topic}=${m.payload.toString()}`)).toEqual([
      'alias/one=first',
      'alias/one=second',
      'alias/two=third',
      'alias/two=fourth'
    ])
  })

  it('topic alias above our maximum is DISCONNECT 0x94; an unknown alias is 0x82', async () => {
    const t = await start({ topicAliasMaximum: 2 })
    const { client, connack } = await v5WithConnack({})
    expect(connack.properties?.topicAliasMaximum).toBe(2)
    const told = nextPacket<IDisconnectPacket>(client, 'disconnect')
    sendRaw(client, {
      cmd: 'publish',
      topic: 'alias/x',
      payload: Buffer.from('x'),
      qos: 0,
      retain: false,
      dup: false,
      properties: { topicAlias: 5 }
    })
    expect((await told).reasonCode).toBe(0x94)
    await waitFor(() => !client.connected, 'the connection to close')

    const other = await v5()
    const told2 = nextPacket<IDisconnectPacket>(other, 'disconnect')
    sendRaw(other, {
      cmd: 'publish',
      topic: '',
      payload: Buffer.from('x'),
      qos: 0,
      retain: false,
      dup: false,
      properties: { topicAlias: 2 }
    })
    expect((await told2).reasonCode).toBe(0x82)
    expect(t.broker.stats().publishReceived).toBe(0)
  })

  it('outbound topic aliases: a v5 subscriber allowing them gets every topic right', async () => {
    await start()
    const sub = await v5({ properties: { topicAliasMaximum: 3 } })
    const wire = wirePublishes(sub)
    const received = collectMessages(sub)
    await sub.subscribeAsync('out/#', { qos: 1 })
    const pub = await v5()
    const topics = ['out/a', 'out/b', 'out/a', 'out/c', 'out/d', 'out/e', 'out/b', 'out/d', 'out/a']
    for (const [i, topic] of topics.entries()) await pub.publishAsync(topic, String(i), { qos: i % 2 === 0 ? 1 : 0 })
    await waitFor(() => received.length === topics.length, 'every message')
    expect(received.map((m) => m.topic)).toEqual(topics)
    expect(received.map((m) => m.payload.toString())).toEqual(topics.map((_, i) => String(i)))
    // Aliases were used (an empty topic on the wire) and never beyond the maximum the client announced.
    expect(wire.some((p) => p.topic === '' && p.alias !== undefined)).toBe(true)
    expect(wire.every((p) => p.alias === undefined || (p.alias >= 1 && p.alias <= 3))).toBe(true)
    expect(wire.filter((p) => p.topic === '').length).toBeGreaterThanOrEqual(3)
  })

  it('outbound topic aliases off (autoTopicAlias false): full topics, no aliases', async () => {
    await start({ autoTopicAlias: false })
    const sub = await v5({ properties: { topicAliasMaximum: 10 } })
    const wire = wirePublishes(sub)
    const received = collectMessages(sub)
    await sub.subscribeAsync('out/#', { qos: 1 })
    const pub = await v5()
    const topics = ['out/a', 'out/a', 'out/b', 'out/a']
    for (const topic of topics) await pub.publishAsync(topic, 'x', { qos: 1 })
    await waitFor(() => received.length === topics.length, 'every message')
    expect(received.map((m) => m.topic)).toEqual(topics)
    expect(wire.map((p) => p.topic)).toEqual(topics)
    expect(wire.every((p) => p.alias === undefined)).toBe(true)
  })

  it('maximumPacketSize setting: a larger inbound packet gets DISCONNECT 0x95', async () => {
    const t = await start({ maximumPacketSize: 1024 })
    const sub = await v5()
    const received = collectMessages(sub)
    await sub.subscribeAsync('big/#')
    const { client, connack } = await v5WithConnack({})
    expect(connack.properties?.maximumPacketSize).toBe(1024)
    const told = nextPacket<IDisconnectPacket>(client, 'disconnect')
    sendRaw(client, { cmd: 'publish', topic: 'big/t', payload: Buffer.alloc(2000, 1), qos: 0, retain: false, dup: false })
    expect((await told).reasonCode).toBe(0x95)
    await waitFor(() => !client.connected, 'the connection to close')
    await delay(50)
    expect(received).toEqual([])
    expect(t.broker.stats().publishReceived).toBe(0)
    // A packet under the limit is fine.
    const small = await v5()
    await small.publishAsync('big/t', Buffer.alloc(900, 2), { qos: 1 })
    await waitFor(() => received.length === 1, 'the small message')
  })

  it('maximumPacketSize setting: a 3.1.1 client sending a larger packet is disconnected', async () => {
    await start({ maximumPacketSize: 1024 })
    const client = track(await connectClient(harness.tb, kind, { protocolVersion: 4 }))
    client.publish('big/t', Buffer.alloc(2000, 1), { qos: 0 })
    await waitFor(() => !client.connected, 'the connection to close')
  })

  for (const aliases of [false, true]) {
    it(`a subscriber's Maximum Packet Size: larger messages are dropped and counted, smaller ones delivered${aliases ? ' (with topic aliases)' : ''}`, async () => {
      const t = await start()
      const properties = aliases ? { maximumPacketSize: 200, topicAliasMaximum: 5 } : { maximumPacketSize: 200 }
      const sub = await v5({ properties })
      const received = collectMessages(sub)
      await sub.subscribeAsync('size/#', { qos: 1 })
      const pub = await v5()
      await pub.publishAsync('size/t', Buffer.alloc(500, 7), { qos: 1 })
      await pub.publishAsync('size/t', 'small', { qos: 1 })
      await pub.publishAsync('size/t', Buffer.alloc(500, 7), { qos: 0 })
      await pub.publishAsync('size/t', 'small again', { qos: 0 })
      await waitFor(() => received.length >= 2, 'the small messages')
      await delay(100)
      expect(sub.connected).toBe(true)
      expect(received.map((m) => [m.topic, m.payload.toString()])).toEqual([
        ['size/t', 'small'],
        ['size/t', 'small again']
      ])
      expect(t.broker.stats().droppedByReason['packet-too-large']).toBe(2)
      // The dropped QoS 1 message is not left in flight.
      expect(t.broker.stats().inflight).toBe(0)
    })
  }

  it('request response information: CONNACK carries Response Information only when asked', async () => {
    await start()
    const asked = await v5WithConnack({ clientId: 'rr-client', properties: { requestResponseInformation: true } })
    expect(typeof asked.connack.properties?.responseInformation).toBe('string')
    expect(asked.connack.properties!.responseInformation!.length).toBeGreaterThan(0)
    const notAsked = await v5WithConnack({ clientId: 'plain-client' })
    expect(notAsked.connack.properties?.responseInformation).toBeUndefined()
  })

  it('request problem information false: a refused SUBACK carries no reason string', async () => {
    await start()
    const client = await v5({ properties: { requestProblemInformation: false } })
    const suback = nextPacket<ISubackPacket>(client, 'suback')
    sendRaw(client, { cmd: 'subscribe', messageId: 60000, subscriptions: [{ topic: 'bad/#/x', qos: 0, nl: false, rap: false, rh: 0 }] })
    const packet = await suback
    expect(packet.granted).toEqual([0x8f])
    expect(packet.properties?.reasonString).toBeUndefined()
    expect(packet.properties?.userProperties).toBeUndefined()
  })
})
