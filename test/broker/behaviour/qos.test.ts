/**
 * QoS behaviour: QoS 0/1/2 in both directions and the downgrade to the subscription's QoS,
 * exactly-once for QoS 2, packet identifier allocation with many messages in flight, v5 Receive
 * Maximum both ways, the maximumQos setting and maxInflightMessages. MQTT.js tests run over both
 * listeners; where a client must misbehave or not acknowledge, a raw mqtt-packet client over TCP is
 * used (alongside an MQTT.js client on the listener under test where that adds something).
 */
import type { IClientOptions, MqttClient } from 'mqtt'
import type { IConnectPacket, IDisconnectPacket, IPublishPacket } from 'mqtt-packet'
import { afterEach, describe, expect, it } from 'vitest'
import {
  TRANSPORTS,
  collectMessages,
  connectClient,
  delay,
  startTestBroker,
  waitFor,
  type TestBroker,
  type TransportKind
} from '../../helpers/broker-harness'
import { RawClient } from '../../helpers/raw-mqtt-client'
import type { BrokerSettings } from '../../../src/shared/settings'

let tb: TestBroker | null = null
const clients: MqttClient[] = []

afterEach(async () => {
  RawClient.destroyAll()
  await Promise.all(clients.splice(0).map((client) => client.endAsync(true).catch(() => undefined)))
  await tb?.close()
  tb = null
})

async function broker(settings: Partial<BrokerSettings> = {}): Promise<TestBroker> {
  tb = await startTestBroker(settings)
  return tb
}

function clientInfo(clientId: string) {
  return tb!.broker.listClients().find((info) => info.clientId === clientId)
}

function publishPacket(topic: string, payload: string, qos: 0 | 1 | 2, messageId?: number, dup = false): IPublishPacket {
  return { cmd: 'publish', topic, payload: Buffer.from(payload), qos, dup, retain: false, messageId }
}

describe.each(TRANSPORTS)('QoS over %s', (kind: TransportKind) => {
  async function client(clientId: string, options: IClientOptions = {}): Promise<MqttClient> {
    const c = await connectClient(tb!, kind, { clientId: `${clientId}-${kind}`, ...options })
    clients.push(c)
    return c
  }

  /** PUBLISH packets in wire order (MQTT.js emits a QoS 2 message only when PUBREL arrives). */
  function wire(c: MqttClient): IPublishPacket[] {
    const packets: IPublishPacket[] = []
    c.on('packetreceive', (packet) => {
      if (packet.cmd === 'publish') packets.push(packet)
    })
    return packets
  }

  describe.each([4, 5] as const)('MQTT v%s', (protocolVersion) => {
    it('delivers at min(published QoS, subscribed QoS) for every combination', async () => {
      await broker()
      const sub = await client('matrix-sub', { protocolVersion })
      const pub = await client('matrix-pub', { protocolVersion })
      const inbox = collectMessages(sub)
      const granted = await sub.subscribeAsync({ 'm/s0': { qos: 0 }, 'm/s1': { qos: 1 }, 'm/s2': { qos: 2 } })
      expect(granted.map((g) => g.qos)).toEqual([0, 1, 2])

      for (const s of [0, 1, 2] as const) {
        for (const p of [0, 1, 2] as const) await pub.publishAsync(`m/s${s}`, `p${p}`, { qos: p })
      }
      await waitFor(() => inbox.length === 9, 'nine messages', 1500)
      const seen = inbox.map((m) => `${m.topic}:${m.payload.toString()}:${m.packet.qos}`).sort()
      const expected: string[] = []
      for (const s of [0, 1, 2]) for (const p of [0, 1, 2]) expected.push(`m/s${s}:p${p}:${Math.min(s, p)}`)
      expect(seen).toEqual(expected.sort())
    })

    it('acknowledges the publisher: PUBACK for QoS 1, PUBREC/PUBCOMP for QoS 2', async () => {
      await broker()
      const sub = await client('ack-sub', { protocolVersion })
      await sub.subscribeAsync('ack/t', { qos: 2 })
      const pub = await client('ack-pub', { protocolVersion })
      const acks: Array<[string, number | undefined]> = []
      pub.on('packetreceive', (packet) => acks.push([packet.cmd, packet.messageId]))
      const qos1 = await pub.publishAsync('ack/t', 'one', { qos: 1 })
      const qos2 = await pub.publishAsync('ack/t', 'two', { qos: 2 })
      expect(acks).toEqual([
        ['puback', qos1?.messageId],
        ['pubrec', qos2?.messageId],
        ['pubcomp', qos2?.messageId]
      ])
      expect(tb!.broker.stats().publishReceived).toBe(2)
    })
  })

  it('QoS 2 exactly once: a PUBLISH resent (DUP) before PUBREL is delivered once', async () => {
    await broker()
    const sub = await client('once-sub', { protocolVersion: 5 })
    const inbox = collectMessages(sub)
    await sub.subscribeAsync('once/t', { qos: 2 })

    const { raw } = await RawClient.connect(tb!.tcpPort, 4, { clientId: 'once-raw' })
    raw.send(publishPacket('once/t', 'first', 2, 7))
    expect((await raw.take('pubrec')).messageId).toBe(7)
    raw.send(publishPacket('once/t', 'first', 2, 7, true))
    expect((await raw.take('pubrec')).messageId).toBe(7) // [MQTT-4.3.3-10] acknowledged again, not delivered again
    raw.send({ cmd: 'pubrel', messageId: 7 })
    expect((await raw.take('pubcomp')).messageId).toBe(7)
    await waitFor(() => inbox.length >= 1, 'the message', 1000)
    await delay(100)
    expect(inbox.map((m) => m.payload.toString())).toEqual(['first'])

    // After PUBCOMP the packet id is free: the same id now carries a new message.
    raw.send(publishPacket('once/t', 'second', 2, 7))
    expect((await raw.take('pubrec')).messageId).toBe(7)
    raw.send({ cmd: 'pubrel', messageId: 7 })
    await raw.take('pubcomp')
    await waitFor(() => inbox.length === 2, 'the second message', 1000)
    expect(inbox[1].payload.toString()).toBe('second')
  })

  it('200 QoS 1 messages in flight to one subscriber all arrive, in order', async () => {
    await broker()
    const sub = await client('many-sub')
    const inbox = collectMessages(sub)
    await sub.subscribeAsync('many/t', { qos: 1 })
    const pub = await client('many-pub')
    await Promise.all(Array.from({ length: 200 }, (_, i) => pub.publishAsync('many/t', String(i), { qos: 1 })))
    await waitFor(() => inbox.length === 200, '200 messages', 1500)
    expect(inbox.map((m) => Number(m.payload.toString()))).toEqual(Array.from({ length: 200 }, (_, i) => i))
    const ids = inbox.map((m) => m.packet.messageId!)
    expect(ids.every((id) => id >= 1 && id <= 65535)).toBe(true)
    await waitFor(() => clientInfo(`many-sub-${kind}`)?.inflight === 0, 'every PUBACK', 1000)
  })

  it('100 QoS 2 messages to one subscriber all arrive once, in order', async () => {
    await broker()
    const sub = await client('many2-sub')
    const packets = wire(sub)
    const inbox = collectMessages(sub)
    await sub.subscribeAsync('many2/t', { qos: 2 })
    for (let i = 0; i < 100; i++) tb!.broker.publish({ topic: 'many2/t', payload: String(i), qos: 2 })
    await waitFor(() => inbox.length === 100, '100 messages', 1500)
    expect(packets.map((p) => Number(p.payload.toString()))).toEqual(Array.from({ length: 100 }, (_, i) => i))
    expect(new Set(inbox.map((m) => m.payload.toString())).size).toBe(100)
    await waitFor(() => clientInfo(`many2-sub-${kind}`)?.inflight === 0, 'every PUBCOMP', 1000)
  })

  it('v5 Receive Maximum outwards: an MQTT.js subscriber with receiveMaximum 2 never has more than 2 unacknowledged', async () => {
    await broker()
    const sub = await client('rm-sub', { protocolVersion: 5, properties: { receiveMaximum: 2 } })
    const id = `rm-sub-${kind}`
    const inbox = collectMessages(sub)
    let maxInflight = 0
    sub.on('packetreceive', (packet) => {
      if (packet.cmd === 'publish') maxInflight = Math.max(maxInflight, clientInfo(id)?.inflight ?? 0)
    })
    await sub.subscribeAsync('rm/t', { qos: 1 })
    for (let i = 0; i < 20; i++) tb!.broker.publish({ topic: 'rm/t', payload: String(i), qos: 1 })
    expect(clientInfo(id)?.inflight).toBe(2)
    await waitFor(() => inbox.length === 20, '20 messages', 1500)
    expect(inbox.map((m) => Number(m.payload.toString()))).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(maxInflight).toBe(2)
  })

  describe('maximumQos 1', () => {
    it.each([4, 5] as const)('v%s: SUBACK grants QoS 1 when 2 is asked, and QoS 2 messages arrive at QoS 1', async (protocolVersion) => {
      await broker({ maximumQos: 1 })
      const sub = await client(`mq-sub-${protocolVersion}`, { protocolVersion })
      const inbox = collectMessages(sub)
      const granted = await sub.subscribeAsync({ 'mq/two': { qos: 2 }, 'mq/zero': { qos: 0 } })
      expect(granted.map((g) => [g.topic, g.qos])).toEqual([
        ['mq/two', 1],
        ['mq/zero', 0]
      ])
      tb!.broker.publish({ topic: 'mq/two', payload: 'x', qos: 2 })
      await waitFor(() => inbox.length === 1, 'the message', 1000)
      expect(inbox[0].packet.qos).toBe(1)
    })

    it('a v5 publisher sending QoS 2 gets DISCONNECT 0x9B', async () => {
      await broker({ maximumQos: 1 })
      const pub = await client('mq-pub', { protocolVersion: 5 })
      let disconnect: IDisconnectPacket | null = null
      let closed = false
      pub.on('disconnect', (packet) => (disconnect = packet))
      pub.on('close', () => (closed = true))
      pub.publish('mq/t', 'too high', { qos: 2 })
      await waitFor(() => disconnect !== null && closed, 'DISCONNECT and close', 1500)
      expect(disconnect!.reasonCode).toBe(0x9b)
      expect(tb!.broker.stats().publishReceived).toBe(0)
    })

    it('a v5 publisher sending QoS 1 is fine', async () => {
      await broker({ maximumQos: 1 })
      const pub = await client('mq-pub1', { protocolVersion: 5 })
      const acks: string[] = []
      pub.on('packetreceive', (packet) => acks.push(packet.cmd))
      await pub.publishAsync('mq/t', 'ok', { qos: 1 })
      expect(acks).toEqual(['puback'])
      expect(pub.connected).toBe(true)
      expect(tb!.broker.stats().publishReceived).toBe(1)
    })
  })

  it('maxInflightMessages 2: the broker never has more than 2 unacknowledged with an MQTT.js subscriber, and all 50 arrive in order', async () => {
    await broker({ maxInflightMessages: 2 })
    const sub = await client('mif-sub')
    const id = `mif-sub-${kind}`
    const inbox = collectMessages(sub)
    let maxInflight = 0
    sub.on('packetreceive', (packet) => {
      if (packet.cmd === 'publish') maxInflight = Math.max(maxInflight, clientInfo(id)?.inflight ?? 0)
    })
    await sub.subscribeAsync('mif/t', { qos: 2 })
    for (let i = 0; i < 50; i++) tb!.broker.publish({ topic: 'mif/t', payload: String(i), qos: ((i % 2) + 1) as 1 | 2 })
    expect(clientInfo(id)?.inflight).toBe(2)
    expect(clientInfo(id)?.queued).toBe(48)
    await waitFor(() => inbox.length === 50, '50 messages', 1500)
    expect(maxInflight).toBe(2)
    expect(inbox.map((m) => Number(m.payload.toString())).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i))
  })
})

// ───────────────────────────── raw TCP: flow control seen packet by packet ─────────────────────────────

describe('QoS flow control (raw TCP)', () => {
  async function rawSubscriber(
    clientId: string,
    version: 4 | 5,
    filter: string,
    qos: 1 | 2,
    properties?: IConnectPacket['properties']
  ): Promise<RawClient> {
    const { raw } = await RawClient.connect(tb!.tcpPort, version, { clientId, properties })
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: filter, qos }] })
    expect((await raw.take('suback')).granted).toEqual([qos])
    return raw
  }

  it('packet ids: 250 QoS 1 messages in flight get 250 distinct non-zero ids; an id in use is never reused', async () => {
    await broker({ maxInflightMessages: 1000 })
    const raw = await rawSubscriber('ids', 4, 'ids/t', 1)
    for (let i = 0; i < 250; i++) tb!.broker.publish({ topic: 'ids/t', payload: String(i), qos: 1 })
    const first: IPublishPacket[] = []
    for (let i = 0; i < 250; i++) first.push(await raw.take('publish'))
    const firstIds = first.map((p) => p.messageId!)
    expect(new Set(firstIds).size).toBe(250)
    expect(firstIds.every((id) => id >= 1 && id <= 65535)).toBe(true)
    expect(first.map((p) => p.payload.toString())).toEqual(Array.from({ length: 250 }, (_, i) => String(i)))
    expect(clientInfo('ids')?.inflight).toBe(250)

    // Acknowledge all but the first; then 250 more: none may take the id still in flight.
    for (const packet of first.slice(1)) raw.send({ cmd: 'puback', messageId: packet.messageId })
    await waitFor(() => clientInfo('ids')?.inflight === 1, 'the acknowledgements', 1000)
    for (let i = 0; i < 250; i++) tb!.broker.publish({ topic: 'ids/t', payload: `b${i}`, qos: 1 })
    const second: number[] = []
    for (let i = 0; i < 250; i++) second.push((await raw.take('publish')).messageId!)
    expect(new Set([firstIds[0], ...second]).size).toBe(251)
  })

  it('v5 Receive Maximum outwards (QoS 1): receiveMaximum 2 → at most 2 PUBLISH before a PUBACK', async () => {
    await broker()
    const raw = await rawSubscriber('rm1', 5, 'rm1/t', 1, { receiveMaximum: 2 })
    for (let i = 0; i < 5; i++) tb!.broker.publish({ topic: 'rm1/t', payload: `m${i}`, qos: 1 })
    const a = await raw.take('publish')
    const b = await raw.take('publish')
    await delay(150)
    expect(raw.count('publish')).toBe(2)

    raw.send({ cmd: 'puback', messageId: a.messageId })
    const c = await raw.take('publish')
    await delay(100)
    expect(raw.count('publish')).toBe(3)

    raw.send({ cmd: 'puback', messageId: b.messageId })
    raw.send({ cmd: 'puback', messageId: c.messageId })
    const d = await raw.take('publish')
    const e = await raw.take('publish')
    expect([a, b, c, d, e].map((p) => p.payload.toString())).toEqual(['m0', 'm1', 'm2', 'm3', 'm4'])
  })

  it('v5 Receive Maximum outwards (QoS 2): the quota returns on PUBCOMP, not on PUBREC', async () => {
    await broker()
    const raw = await rawSubscriber('rm2', 5, 'rm2/t', 2, { receiveMaximum: 1 })
    tb!.broker.publish({ topic: 'rm2/t', payload: 'one', qos: 2 })
    tb!.broker.publish({ topic: 'rm2/t', payload: 'two', qos: 2 })
    const first = await raw.take('publish')
    raw.send({ cmd: 'pubrec', messageId: first.messageId })
    expect((await raw.take('pubrel')).messageId).toBe(first.messageId)
    await delay(150)
    expect(raw.count('publish')).toBe(1)
    raw.send({ cmd: 'pubcomp', messageId: first.messageId })
    const second = await raw.take('publish')
    expect(second.payload.toString()).toBe('two')
  })

  it('v5 Receive Maximum inwards: receiveMaximum 2 → a third unreleased QoS 2 PUBLISH gets DISCONNECT 0x93', async () => {
    await broker({ receiveMaximum: 2 })
    const sub = await rawSubscriber('rmin-sub', 4, 'rmin/t', 2)
    const { raw, connack } = await RawClient.connect(tb!.tcpPort, 5, { clientId: 'rmin-pub' })
    expect(connack.properties?.receiveMaximum).toBe(2)
    raw.send(publishPacket('rmin/t', 'a', 2, 1))
    raw.send(publishPacket('rmin/t', 'b', 2, 2))
    raw.send(publishPacket('rmin/t', 'c', 2, 3))
    const disconnect = await raw.take('disconnect')
    expect(disconnect.reasonCode).toBe(0x93)
    expect(raw.log.filter((p) => p.cmd === 'pubrec').map((p) => p.messageId)).toEqual([1, 2])
    await waitFor(() => raw.closed, 'the connection to close', 1000)
    await delay(50)
    expect(sub.log.filter((p) => p.cmd === 'publish').map((p) => (p as IPublishPacket).payload.toString())).toEqual(['a', 'b'])
  })

  it('v5 Receive Maximum inwards: releasing one (PUBREL) makes room for the next', async () => {
    await broker({ receiveMaximum: 2 })
    const { raw } = await RawClient.connect(tb!.tcpPort, 5, { clientId: 'rmin-ok' })
    raw.send(publishPacket('rmok/t', 'a', 2, 1))
    raw.send(publishPacket('rmok/t', 'b', 2, 2))
    await raw.take('pubrec')
    await raw.take('pubrec')
    raw.send({ cmd: 'pubrel', messageId: 1 })
    expect((await raw.take('pubcomp')).messageId).toBe(1)
    raw.send(publishPacket('rmok/t', 'c', 2, 3))
    expect((await raw.take('pubrec')).messageId).toBe(3)
    // QoS 1 is acknowledged at once and does not count against the quota afterwards.
    raw.send(publishPacket('rmok/t', 'd', 1, 4))
    expect((await raw.take('puback')).messageId).toBe(4)
    await delay(50)
    expect(raw.count('disconnect')).toBe(0)
    expect(raw.closed).toBe(false)
  })

  it('v5 PUBREL for an unknown packet id is answered with PUBCOMP 0x92', async () => {
    await broker()
    const { raw } = await RawClient.connect(tb!.tcpPort, 5, { clientId: 'unknown-rel' })
    raw.send({ cmd: 'pubrel', messageId: 99 })
    const pubcomp = await raw.take('pubcomp')
    expect(pubcomp.messageId).toBe(99)
    expect(pubcomp.reasonCode).toBe(0x92)
  })

  it('maxInflightMessages 3: 10 QoS 1 messages → 3 at a time, each PUBACK releases exactly one more, in order', async () => {
    await broker({ maxInflightMessages: 3 })
    const raw = await rawSubscriber('mif', 4, 'mif/t', 1)
    for (let i = 0; i < 10; i++) tb!.broker.publish({ topic: 'mif/t', payload: `m${i}`, qos: 1 })
    const got: IPublishPacket[] = []
    for (let i = 0; i < 3; i++) got.push(await raw.take('publish'))
    await delay(100)
    expect(raw.count('publish')).toBe(3)
    expect(clientInfo('mif')?.queued).toBe(7)

    for (let i = 3; i < 10; i++) {
      raw.send({ cmd: 'puback', messageId: got[i - 3].messageId })
      got.push(await raw.take('publish'))
      expect(raw.count('publish')).toBe(i + 1)
    }
    expect(got.map((p) => p.payload.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`))
    expect(got.every((p) => p.dup === false)).toBe(true)
  })

  it('maximumQos 1: a v5 CONNECT with a QoS 2 will is refused with 0x9B', async () => {
    await broker({ maximumQos: 1 })
    const { raw, connack } = await RawClient.connect(tb!.tcpPort, 5, {
      clientId: 'will2',
      will: { topic: 'will/t', payload: Buffer.from('bye'), qos: 2, retain: false }
    })
    expect(connack.reasonCode).toBe(0x9b)
    await waitFor(() => raw.closed, 'the connection to close', 1000)
    expect(clientInfo('will2')).toBeUndefined()
  })
})
