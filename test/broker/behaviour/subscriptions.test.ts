import mqttPacket, { type IDisconnectPacket, type ISubackPacket, type IUnsubackPacket, type Packet } from 'mqtt-packet'
import type { IClientOptions, MqttClient } from 'mqtt'
import { describe, expect, it } from 'vitest'
import { brokerPerTest, collectMessages, delay, nextPacket, TRANSPORTS, waitFor } from '../../helpers/broker-harness'

/**
 * Send a packet as-is on the client's socket, bypassing MQTT.js's own checks (it refuses invalid
 * filters and out-of-range aliases before they reach the wire). The id is outside what MQTT.js uses.
 */
function sendRaw(client: MqttClient, packet: Packet, protocolVersion: 4 | 5): void {
  client.stream.write(mqttPacket.generate(packet, { protocolVersion }))
}

const RAW_ID = 60000

describe.each(TRANSPORTS)('subscriptions over %s', (kind) => {
  const { start, open } = brokerPerTest(kind)

  const v5 = (options: IClientOptions = {}): Promise<MqttClient> => open({ protocolVersion: 5, ...options })

  it("'+' matches exactly one level, an empty one included", async () => {
    await start()
    const sub = await open()
    const received = collectMessages(sub)
    await sub.subscribeAsync('a/+/c')
    const pub = await open()
    for (const topic of ['a/b/c', 'a/c', 'a/b/d/c', 'a//c', 'x/b/c', 'a/b/c/d', 'a/end/c']) pub.publish(topic, topic)
    await waitFor(() => received.some((m) => m.topic === 'a/end/c'), 'the last message')
    expect(received.map((m) => m.topic)).toEqual(['a/b/c', 'a//c', 'a/end/c'])
  })

  it("'#' matches the parent level and everything below it", async () => {
    await start()
    const sub = await open()
    const received = collectMessages(sub)
    await sub.subscribeAsync('a/#')
    const pub = await open()
    for (const topic of ['a', 'a/b', 'a/b/c/d', 'b/a', 'ab', 'a/end']) pub.publish(topic, topic)
    await waitFor(() => received.some((m) => m.topic === 'a/end'), 'the last message')
    expect(received.map((m) => m.topic)).toEqual(['a', 'a/b', 'a/b/c/d', 'a/end'])
  })

  it("'$' topics are not matched by a leading wildcard, but are by '$foo/#'", async () => {
    const t = await start()
    const all = await open()
    const allReceived = collectMessages(all)
    await all.subscribeAsync(['#', '+/bar', '+/+'])
    const dollar = await open()
    const dollarReceived = collectMessages(dollar)
    await dollar.subscribeAsync(['$foo/#', '$SYS/#'])
    const pub = await open()
    await pub.publishAsync('$foo/bar', 'foo', { qos: 1 })
    t.broker.publish({ topic: '$SYS/test', payload: 'sys' })
    await pub.publishAsync('plain/bar', 'plain', { qos: 1 })
    await waitFor(() => dollarReceived.length >= 2, '$ messages')
    await waitFor(() => allReceived.length >= 1, 'plain message')
    await delay(100)
    // One copy of plain/bar for the three overlapping filters, and none of the '$' topics.
    expect(allReceived.map((m) => m.topic)).toEqual(['plain/bar'])
    expect(dollarReceived.map((m) => m.topic).sort()).toEqual(['$SYS/test', '$foo/bar'])
  })

  it('invalid filters are refused per filter (3.1.1: 0x80)', async () => {
    await start()
    const client = await open()
    const suback = nextPacket<ISubackPacket>(client, 'suback')
    sendRaw(
      client,
      {
        cmd: 'subscribe',
        messageId: RAW_ID,
        subscriptions: [
          { topic: 'a/#/b', qos: 0 },
          { topic: 'ok/+', qos: 1 },
          { topic: 'a+', qos: 0 },
          { topic: 'x#', qos: 0 },
          { topic: '$share/g', qos: 0 },
          { topic: 'fine/#', qos: 2 }
        ]
      },
      4
    )
    const packet = await suback
    expect(packet.messageId).toBe(RAW_ID)
    expect(packet.granted).toEqual([0x80, 1, 0x80, 0x80, 0x80, 2])
    expect(client.connected).toBe(true)
  })

  it('invalid filters are refused per filter (v5: 0x8F)', async () => {
    await start()
    const client = await v5()
    const suback = nextPacket<ISubackPacket>(client, 'suback')
    sendRaw(
      client,
      {
        cmd: 'subscribe',
        messageId: RAW_ID,
        subscriptions: [
          { topic: 'a/#/b', qos: 0, nl: false, rap: false, rh: 0 },
          { topic: 'ok/+', qos: 1, nl: false, rap: false, rh: 0 },
          { topic: '+a', qos: 0, nl: false, rap: false, rh: 0 },
          { topic: '$share//t', qos: 0, nl: false, rap: false, rh: 0 },
          { topic: '$share/g+/t', qos: 0, nl: false, rap: false, rh: 0 }
        ]
      },
      5
    )
    const packet = await suback
    expect(packet.granted).toEqual([0x8f, 1, 0x8f, 0x8f, 0x8f])
    expect(client.connected).toBe(true)
  })

  it('overlapping subscriptions (3.1.1): one copy at the highest QoS', async () => {
    await start()
    const sub = await open({ clientId: 'overlap-311' })
    const received = collectMessages(sub)
    await sub.subscribeAsync({ 'a/+': { qos: 0 }, 'a/#': { qos: 2 } })
    const pub = await open()
    await pub.publishAsync('a/b', 'x', { qos: 2 })
    await waitFor(() => received.length >= 1, 'the message')
    await delay(150)
    expect(received).toHaveLength(1)
    expect(received[0].topic).toBe('a/b')
    expect(received[0].packet.qos).toBe(2)
  })

  it('overlapping subscriptions (v5): one copy carrying every matching subscription identifier', async () => {
    await start()
    const sub = await v5()
    const received = collectMessages(sub)
    await sub.subscribeAsync('a/+', { qos: 1, properties: { subscriptionIdentifier: 1 } })
    await sub.subscribeAsync('a/#', { qos: 0, properties: { subscriptionIdentifier: 2 } })
    const pub = await v5()
    await pub.publishAsync('a/b', 'both', { qos: 1 })
    await pub.publishAsync('a/b/c', 'hash only', { qos: 1 })
    await waitFor(() => received.length >= 2, 'two messages')
    await delay(100)
    expect(received).toHaveLength(2)
    const both = received.find((m) => m.topic === 'a/b')!
    const ids = [both.packet.properties?.subscriptionIdentifier].flat().sort()
    expect(ids).toEqual([1, 2])
    expect(both.packet.qos).toBe(1)
    const hashOnly = received.find((m) => m.topic === 'a/b/c')!
    expect([hashOnly.packet.properties?.subscriptionIdentifier].flat()).toEqual([2])
    expect(hashOnly.packet.qos).toBe(0)
  })

  it('no local (v5): own messages are not echoed on that subscription', async () => {
    await start()
    const client = await v5({ clientId: 'nl-self' })
    const received = collectMessages(client)
    await client.subscribeAsync('nl/quiet', { qos: 0, nl: true })
    await client.subscribeAsync('nl/loud', { qos: 0, nl: false })
    await client.publishAsync('nl/quiet', 'mine', { qos: 1 })
    await client.publishAsync('nl/loud', 'mine', { qos: 1 })
    const other = await v5()
    await other.publishAsync('nl/quiet', 'theirs', { qos: 1 })
    await waitFor(() => received.length >= 2, 'two messages')
    await delay(100)
    expect(received.map((m) => `${m.topic}:${m.payload.toString()}`)).toEqual(['nl/loud:mine', 'nl/quiet:theirs'])
  })

  it('retain as published (v5) is per subscription', async () => {
    await start()
    const sub = await v5()
    const received = collectMessages(sub)
    await sub.subscribeAsync('rap/on', { qos: 0, rap: true })
    await sub.subscribeAsync('rap/off', { qos: 0, rap: false })
    const pub = await v5()
    await pub.publishAsync('rap/on', 'x', { qos: 1, retain: true })
    await pub.publishAsync('rap/off', 'y', { qos: 1, retain: true })
    await waitFor(() => received.length >= 2, 'two messages')
    expect(received.map((m) => [m.topic, m.packet.retain])).toEqual([
      ['rap/on', true],
      ['rap/off', false]
    ])
  })

  for (const version of [5, 4] as const) {
    it(`shared subscriptions (${version === 5 ? 'v5' : '3.1.1'}): round-robin in the group, a plain subscriber gets all`, async () => {
      await start()
      const m1 = await open({ protocolVersion: version, clientId: `member-1-${version}` })
      const m2 = await open({ protocolVersion: version, clientId: `member-2-${version}` })
      const plain = await open({ protocolVersion: version })
      const r1 = collectMessages(m1)
      const r2 = collectMessages(m2)
      const rPlain = collectMessages(plain)
      await m1.subscribeAsync('$share/g/t/#', { qos: 1 })
      await m2.subscribeAsync('$share/g/t/#', { qos: 1 })
      await plain.subscribeAsync('t/#', { qos: 1 })
      const pub = await open({ protocolVersion: version })
      for (let i = 0; i < 10; i++) await pub.publishAsync(`t/${i}`, String(i), { qos: 1 })
      await waitFor(() => rPlain.length === 10 && r1.length + r2.length === 10, 'all deliveries')
      await delay(100)
      expect(r1).toHaveLength(5)
      expect(r2).toHaveLength(5)
      const n1 = r1.map((m) => Number(m.payload.toString()))
      const n2 = r2.map((m) => Number(m.payload.toString()))
      // One member per message, alternating.
      expect([...n1, ...n2].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      const parity = n1[0] % 2
      expect(n1.every((n) => n % 2 === parity)).toBe(true)
      expect(n2.every((n) => n % 2 !== parity)).toBe(true)
      expect(rPlain.map((m) => m.topic)).toEqual(Array.from({ length: 10 }, (_, i) => `t/${i}`))
    })
  }

  it('shared subscriptions: no retained messages on subscribe; unsubscribing leaves the other member with all', async () => {
    const t = await start()
    t.broker.publish({ topic: 't/kept', payload: 'retained', retain: true, qos: 1 })
    const m1 = await v5({ clientId: 'm1' })
    const m2 = await v5({ clientId: 'm2' })
    const r1 = collectMessages(m1)
    const r2 = collectMessages(m2)
    await m1.subscribeAsync('$share/g/t/#', { qos: 1 })
    await m2.subscribeAsync('$share/g/t/#', { qos: 1 })
    expect(t.broker.stats().sharedSubscriptionCount).toBe(2)
    const unsuback = nextPacket<IUnsubackPacket>(m1, 'unsuback')
    await m1.unsubscribeAsync('$share/g/t/#')
    expect((await unsuback).granted).toEqual([0])
    expect(t.broker.stats().sharedSubscriptionCount).toBe(1)
    const pub = await v5()
    for (let i = 0; i < 4; i++) await pub.publishAsync(`t/${i}`, String(i), { qos: 1 })
    // A '$' topic is not matched by the group's leading-level filter either.
    const wide = await v5({ clientId: 'wide' })
    const rWide = collectMessages(wide)
    await wide.subscribeAsync('$share/w/#', { qos: 1 })
    await pub.publishAsync('$foo/x', 'dollar', { qos: 1 })
    await pub.publishAsync('t/last', 'last', { qos: 1 })
    await waitFor(() => r2.length === 5 && rWide.length === 1, 'deliveries')
    await delay(100)
    expect(r1).toEqual([])
    expect(r2.map((m) => m.topic)).toEqual(['t/0', 't/1', 't/2', 't/3', 't/last'])
    expect(rWide.map((m) => m.topic)).toEqual(['t/last'])
  })

  it('shared subscriptions: messages go to the members that are online', async () => {
    const t = await start()
    const persistent: IClientOptions = { clientId: 'away', clean: false, properties: { sessionExpiryInterval: 60 } }
    const away = await v5(persistent)
    await away.subscribeAsync('$share/g/o/#', { qos: 1 })
    const here = await v5({ clientId: 'here' })
    const rHere = collectMessages(here)
    await here.subscribeAsync('$share/g/o/#', { qos: 1 })
    await away.endAsync()
    const pub = await v5()
    for (let i = 0; i < 6; i++) await pub.publishAsync(`o/${i}`, String(i), { qos: 1 })
    await waitFor(() => rHere.length === 6, 'all six on the online member')
    expect(rHere.map((m) => m.topic)).toEqual(['o/0', 'o/1', 'o/2', 'o/3', 'o/4', 'o/5'])
    expect(t.broker.listClients().find((c) => c.clientId === 'away')?.queued).toBe(0)
  })

  it('subscribing again to the same filter replaces its options and subscription identifier (v5)', async () => {
    const t = await start()
    const sub = await v5()
    const received = collectMessages(sub)
    await sub.subscribeAsync('sid/t', { qos: 0, properties: { subscriptionIdentifier: 3 } })
    await sub.subscribeAsync('sid/t', { qos: 1, properties: { subscriptionIdentifier: 4 } })
    expect(t.broker.listSubscriptions().filter((s) => s.filter === 'sid/t')).toHaveLength(1)
    const pub = await v5()
    await pub.publishAsync('sid/t', 'x', { qos: 1 })
    await waitFor(() => received.length >= 1, 'the message')
    await delay(100)
    expect(received).toHaveLength(1)
    expect([received[0].packet.properties?.subscriptionIdentifier].flat()).toEqual([4])
    expect(received[0].packet.qos).toBe(1)
  })

  it('a shared subscription with no local is a protocol error (v5 DISCONNECT 0x82)', async () => {
    await start()
    const client = await v5()
    const disconnect = nextPacket<IDisconnectPacket>(client, 'disconnect')
    client.subscribe('$share/g/nl/#', { qos: 0, nl: true })
    expect((await disconnect).reasonCode).toBe(0x82)
    await waitFor(() => !client.connected, 'the connection to close')
  })

  it('unsubscribe stops delivery; v5 UNSUBACK says 0x11 for a filter that did not exist', async () => {
    await start()
    const sub = await v5()
    const received = collectMessages(sub)
    await sub.subscribeAsync(['u/a', 'u/keep'])
    const unsuback = nextPacket<IUnsubackPacket>(sub, 'unsuback')
    await sub.unsubscribeAsync(['u/a', 'u/never'])
    expect((await unsuback).granted).toEqual([0x00, 0x11])
    const pub = await v5()
    await pub.publishAsync('u/a', 'gone', { qos: 1 })
    await pub.publishAsync('u/keep', 'kept', { qos: 1 })
    await waitFor(() => received.length >= 1, 'the kept message')
    await delay(100)
    expect(received.map((m) => m.topic)).toEqual(['u/keep'])
  })

  it('unsubscribe (3.1.1) stops delivery', async () => {
    await start()
    const sub = await open()
    const received = collectMessages(sub)
    await sub.subscribeAsync(['u/a', 'u/keep'])
    await sub.unsubscribeAsync('u/a')
    const pub = await open()
    await pub.publishAsync('u/a', 'gone', { qos: 1 })
    await pub.publishAsync('u/keep', 'kept', { qos: 1 })
    await waitFor(() => received.length >= 1, 'the kept message')
    await delay(100)
    expect(received.map((m) => m.topic)).toEqual(['u/keep'])
  })

  it('wildcardSubscriptionAvailable:false while running refuses new wildcard filters (v5 0xA2, 3.1.1 0x80)', async () => {
    const t = await start()
    const early = await v5()
    const earlyReceived = collectMessages(early)
    await early.subscribeAsync('w/+')
    const result = await t.broker.updateSettings({ wildcardSubscriptionAvailable: false })
    expect(result.ok).toBe(true)

    const client = await v5()
    const suback = nextPacket<ISubackPacket>(client, 'suback')
    client.subscribe(['w/+', 'w/#', 'w/plain'], () => {})
    expect((await suback).granted).toEqual([0xa2, 0xa2, 0])

    const old = await open()
    const oldSuback = nextPacket<ISubackPacket>(old, 'suback')
    old.subscribe(['w/#', 'w/plain'], () => {})
    expect((await oldSuback).granted).toEqual([0x80, 0])

    // The refused filters were not stored: a message on w/x reaches only the earlier subscriber.
    const received = collectMessages(client)
    const pub = await v5()
    await pub.publishAsync('w/x', 'x', { qos: 1 })
    await pub.publishAsync('w/plain', 'p', { qos: 1 })
    await waitFor(() => received.length >= 1 && earlyReceived.length >= 2, 'deliveries')
    await delay(100)
    expect(received.map((m) => m.topic)).toEqual(['w/plain'])
    // Filters stored before the change keep working.
    expect(earlyReceived.map((m) => m.topic)).toEqual(['w/x', 'w/plain'])
  })

  it('sharedSubscriptionAvailable:false while running refuses $share filters (v5 0x9E)', async () => {
    const t = await start()
    await t.broker.updateSettings({ sharedSubscriptionAvailable: false })
    const client = await v5()
    const suback = nextPacket<ISubackPacket>(client, 'suback')
    client.subscribe(['$share/g/s/#', 's/#'], () => {})
    expect((await suback).granted).toEqual([0x9e, 0])
    expect(t.broker.stats().sharedSubscriptionCount).toBe(0)
  })

  it('subscriptionIdentifiersAvailable:false while running: SUBSCRIBE with an id gets DISCONNECT 0xA1', async () => {
    const t = await start()
    await t.broker.updateSettings({ subscriptionIdentifiersAvailable: false })
    const plain = await v5()
    await plain.subscribeAsync('sid/plain')
    const client = await v5()
    const disconnect = nextPacket<IDisconnectPacket>(client, 'disconnect')
    client.subscribe('sid/x', { qos: 0, properties: { subscriptionIdentifier: 7 } })
    expect((await disconnect).reasonCode).toBe(0xa1)
    await waitFor(() => !client.connected, 'the connection to close')
    expect(plain.connected).toBe(true)
  })
})
