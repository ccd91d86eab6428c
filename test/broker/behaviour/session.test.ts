/**
 * Session behaviour: clean session / clean start, persistent sessions across reconnects, v5 session
 * expiry (and the sessionExpiryOverride setting), the offline queue bound, and the resend of
 * unacknowledged messages on reconnect. MQTT.js tests run over both listeners; the resend tests need
 * a client that does not acknowledge, so they speak mqtt-packet over a raw TCP socket.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import type { IConnackPacket, IConnectPacket, IPublishPacket } from 'mqtt-packet'
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

type Received = ReturnType<typeof collectMessages>

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

describe.each(TRANSPORTS)('sessions over %s', (kind: TransportKind) => {
  /**
   * Connect with the message collector attached before CONNECT goes out: a resumed session's
   * queued messages can arrive in the same read as the CONNACK.
   */
  async function open(
    options: IClientOptions
  ): Promise<{ client: MqttClient; connack: IConnackPacket; received: Received; wire: IPublishPacket[] }> {
    const client = mqtt.connect(tb!.url(kind), { reconnectPeriod: 0, connectTimeout: 2000, protocolVersion: 4, ...options })
    clients.push(client)
    const received = collectMessages(client)
    // PUBLISH packets in wire order (MQTT.js emits QoS 2 messages only at PUBREL, so 'message' order differs).
    const wire: IPublishPacket[] = []
    client.on('packetreceive', (packet) => {
      if (packet.cmd === 'publish') wire.push(packet)
    })
    const connack = await new Promise<IConnackPacket>((resolve, reject) => {
      client.once('connect', resolve)
      client.once('error', reject)
      client.once('close', () => reject(new Error('closed before CONNACK')))
    })
    return { client, connack, received, wire }
  }

  async function publisher(): Promise<MqttClient> {
    const client = await connectClient(tb!, kind, { clientId: `pub-${kind}-${Math.random().toString(16).slice(2)}` })
    clients.push(client)
    return client
  }

  describe('clean session / clean start', () => {
    it('3.1.1 clean session 1: subscriptions do not outlive the connection', async () => {
      await broker()
      const id = `clean4-${kind}`
      const first = await open({ clientId: id, clean: true })
      await first.client.subscribeAsync('clean/t', { qos: 1 })
      expect(tb!.broker.listSubscriptions()).toHaveLength(1)
      await first.client.endAsync()
      await waitFor(() => clientInfo(id) === undefined, 'the clean session to be discarded', 1000)
      expect(tb!.broker.listSubscriptions()).toHaveLength(0)

      const second = await open({ clientId: id, clean: true })
      expect(second.connack.sessionPresent).toBe(false)
      const pub = await publisher()
      await pub.publishAsync('clean/t', 'nobody listens', { qos: 1 })
      await delay(150)
      expect(second.received).toHaveLength(0)
    })

    it('v5 clean start 1 discards a stored session and its queued messages', async () => {
      await broker()
      const id = `clean5-${kind}`
      const first = await open({ clientId: id, protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 60 } })
      await first.client.subscribeAsync('clean5/t', { qos: 1 })
      await first.client.endAsync()

      const pub = await publisher()
      await pub.publishAsync('clean5/t', 'queued', { qos: 1 })
      await waitFor(() => clientInfo(id)?.queued === 1, 'the message to be queued for the offline session', 1000)

      const second = await open({ clientId: id, protocolVersion: 5, clean: true, properties: { sessionExpiryInterval: 60 } })
      expect(second.connack.sessionPresent).toBe(false)
      await delay(150)
      expect(second.received).toHaveLength(0)
      expect(tb!.broker.listSubscriptions()).toHaveLength(0)
      expect(tb!.broker.stats().droppedByReason['session-ended']).toBe(1)
    })
  })

  describe('persistent sessions', () => {
    it('3.1.1 clean session 0: keeps subscriptions and queues QoS 1/2 (not QoS 0) while offline', async () => {
      await broker()
      const id = `keep4-${kind}`
      const first = await open({ clientId: id, clean: false })
      await first.client.subscribeAsync({ 'keep/one': { qos: 1 }, 'keep/two': { qos: 2 }, 'keep/zero': { qos: 2 } })
      await first.client.endAsync()
      await waitFor(() => clientInfo(id)?.connected === false, 'the subscriber to be offline', 1000)

      const pub = await publisher()
      await pub.publishAsync('keep/zero', 'q0', { qos: 0 })
      await pub.publishAsync('keep/one', 'q1', { qos: 1 })
      await pub.publishAsync('keep/two', 'q2', { qos: 2 })
      await waitFor(() => clientInfo(id)?.queued === 2, 'two queued messages', 1000)
      expect(tb!.broker.stats().droppedByReason['qos0-offline']).toBe(1)

      // No SUBSCRIBE this time: the subscriptions come with the session.
      const second = await open({ clientId: id, clean: false })
      expect(second.connack.sessionPresent).toBe(true)
      await waitFor(() => second.received.length === 2, 'the queued messages', 1000)
      expect(second.received.map((m) => [m.topic, m.payload.toString(), m.packet.qos])).toEqual([
        ['keep/one', 'q1', 1],
        ['keep/two', 'q2', 2]
      ])
      await waitFor(() => clientInfo(id)?.inflight === 0 && clientInfo(id)?.queued === 0, 'all acknowledged', 1000)

      // ...and the subscriptions still route live messages.
      await pub.publishAsync('keep/one', 'live', { qos: 1 })
      await waitFor(() => second.received.length === 3, 'a live message', 1000)
      expect(second.received[2].payload.toString()).toBe('live')
    })

    it('v5 clean start 0 with a session expiry keeps subscriptions and queued messages', async () => {
      await broker()
      const id = `keep5-${kind}`
      const options: IClientOptions = { clientId: id, protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 60 } }
      const first = await open(options)
      await first.client.subscribeAsync('keep5/#', { qos: 2 })
      await first.client.endAsync()
      await waitFor(() => clientInfo(id)?.connected === false, 'the subscriber to be offline', 1000)

      const pub = await publisher()
      for (let i = 0; i < 4; i++) await pub.publishAsync(`keep5/${i}`, `m${i}`, { qos: ((i % 2) + 1) as 1 | 2 })

      const second = await open(options)
      expect(second.connack.sessionPresent).toBe(true)
      await waitFor(() => second.received.length === 4, 'the queued messages', 1000)
      // Sent in the order they were published [MQTT-4.6.0-6], each at its own QoS.
      expect(second.wire.map((p) => p.payload.toString())).toEqual(['m0', 'm1', 'm2', 'm3'])
      expect(second.wire.map((p) => p.qos)).toEqual([1, 2, 1, 2])
    })
  })

  describe('v5 session expiry', () => {
    it('an expired session is gone: session present 0 and no queued messages', async () => {
      await broker()
      const id = `expire-${kind}`
      const options: IClientOptions = { clientId: id, protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 1 } }
      const first = await open(options)
      await first.client.subscribeAsync('expire/t', { qos: 1 })
      await first.client.endAsync()

      const pub = await publisher()
      await pub.publishAsync('expire/t', 'too late', { qos: 1 })
      await waitFor(() => clientInfo(id)?.queued === 1, 'the message to be queued', 1000)
      await waitFor(() => tb!.broker.stats().clientsExpired === 1, 'the session to expire', 1600)
      expect(clientInfo(id)).toBeUndefined()
      expect(tb!.broker.listSubscriptions()).toHaveLength(0)
      expect(tb!.broker.stats().droppedByReason['session-ended']).toBe(1)

      const second = await open(options)
      expect(second.connack.sessionPresent).toBe(false)
      await delay(100)
      expect(second.received).toHaveLength(0)
    })

    it('session expiry 0 (the default) ends the session with the connection', async () => {
      await broker()
      const id = `expire0-${kind}`
      const first = await open({ clientId: id, protocolVersion: 5, clean: false })
      await first.client.subscribeAsync('expire0/t', { qos: 1 })
      await first.client.endAsync()
      await waitFor(() => clientInfo(id) === undefined, 'the session to end', 1000)
      const second = await open({ clientId: id, protocolVersion: 5, clean: false })
      expect(second.connack.sessionPresent).toBe(false)
    })

    it('DISCONNECT can shorten the session expiry to 0', async () => {
      await broker()
      const id = `shorten-${kind}`
      const first = await open({ clientId: id, protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 60 } })
      await first.client.subscribeAsync('shorten/t', { qos: 1 })
      await first.client.endAsync(false, { reasonCode: 0, properties: { sessionExpiryInterval: 0 } })
      await waitFor(() => clientInfo(id) === undefined, 'the session to end at once', 1000)
      const second = await open({ clientId: id, protocolVersion: 5, clean: false })
      expect(second.connack.sessionPresent).toBe(false)
    })

    it('DISCONNECT cannot give a lifetime to a session that had expiry 0 [MQTT-3.14.2-2]', async () => {
      await broker()
      const id = `lengthen-${kind}`
      const first = await open({ clientId: id, protocolVersion: 5, clean: false })
      await first.client.endAsync(false, { reasonCode: 0, properties: { sessionExpiryInterval: 60 } })
      await waitFor(() => clientInfo(id) === undefined, 'the session to end', 1000)
      const second = await open({ clientId: id, protocolVersion: 5, clean: false })
      expect(second.connack.sessionPresent).toBe(false)
    })
  })

  describe('sessionExpiryOverride', () => {
    it('0: a v5 client asking for 3600 s is told 0 and its session ends with the connection', async () => {
      await broker({ sessionExpiryOverride: 0 })
      const id = `override0-${kind}`
      const options: IClientOptions = { clientId: id, protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 3600 } }
      const first = await open(options)
      expect(first.connack.properties?.sessionExpiryInterval).toBe(0)
      await first.client.subscribeAsync('override/t', { qos: 1 })
      await first.client.endAsync()
      await waitFor(() => clientInfo(id) === undefined, 'the session to end', 1000)
      const second = await open(options)
      expect(second.connack.sessionPresent).toBe(false)
    })

    it('0: also applies to a 3.1.1 persistent (clean session 0) session', async () => {
      await broker({ sessionExpiryOverride: 0 })
      const id = `override0v4-${kind}`
      const first = await open({ clientId: id, clean: false })
      expect(first.connack.properties).toBeUndefined()
      await first.client.endAsync()
      await waitFor(() => clientInfo(id) === undefined, 'the session to end', 1000)
      const second = await open({ clientId: id, clean: false })
      expect(second.connack.sessionPresent).toBe(false)
    })

    it('1: a v5 client asking for 0 is told 1; the session survives a quick reconnect and expires after 1 s', async () => {
      await broker({ sessionExpiryOverride: 1 })
      const id = `override1-${kind}`
      const options: IClientOptions = { clientId: id, protocolVersion: 5, clean: false }
      const first = await open(options)
      expect(first.connack.properties?.sessionExpiryInterval).toBe(1)
      expect(clientInfo(id)?.sessionExpiryInterval).toBe(1)
      await first.client.subscribeAsync('override1/t', { qos: 1 })
      // The DISCONNECT's own expiry request is overridden as well.
      await first.client.endAsync(false, { reasonCode: 0, properties: { sessionExpiryInterval: 0 } })

      const second = await open(options)
      expect(second.connack.sessionPresent).toBe(true)
      expect(tb!.broker.listSubscriptions().map((s) => s.filter)).toEqual(['override1/t'])
      await second.client.endAsync()

      await waitFor(() => tb!.broker.stats().clientsExpired === 1, 'the session to expire', 1600)
      const third = await open(options)
      expect(third.connack.sessionPresent).toBe(false)
    })
  })

  describe('queue bound', () => {
    it('maxQueuedMessages 3: 5 QoS 1 messages while offline → the first 3 arrive, 2 dropped as queue-full', async () => {
      await broker({ maxQueuedMessages: 3 })
      const id = `bound-${kind}`
      const first = await open({ clientId: id, clean: false })
      await first.client.subscribeAsync('bound/t', { qos: 1 })
      await first.client.endAsync()
      await waitFor(() => clientInfo(id)?.connected === false, 'the subscriber to be offline', 1000)

      const pub = await publisher()
      for (let i = 0; i < 5; i++) await pub.publishAsync('bound/t', `m${i}`, { qos: 1 })
      expect(clientInfo(id)?.queued).toBe(3)
      expect(tb!.broker.stats().droppedByReason['queue-full']).toBe(2)

      const second = await open({ clientId: id, clean: false })
      expect(second.connack.sessionPresent).toBe(true)
      await waitFor(() => second.received.length >= 3, 'the queued messages', 1000)
      await delay(100)
      expect(second.received.map((m) => m.payload.toString())).toEqual(['m0', 'm1', 'm2'])
      expect(tb!.broker.stats().droppedByReason['queue-full']).toBe(2)
    })
  })
})

// ───────────────────── resend on reconnect (raw TCP, a client that does not acknowledge) ─────────────────────

describe.each([4, 5] as const)('resend of unacknowledged messages on reconnect (raw TCP, MQTT v%s)', (version) => {
  const persistent = (clientId: string): Partial<IConnectPacket> => ({
    clientId,
    clean: false,
    properties: version === 5 ? { sessionExpiryInterval: 60 } : undefined
  })

  async function subscriber(clientId: string, filter: string, qos: 1 | 2): Promise<RawClient> {
    const { raw, connack } = await RawClient.connect(tb!.tcpPort, version, persistent(clientId))
    expect(connack.sessionPresent).toBe(false)
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: filter, qos }] })
    const suback = await raw.take('suback')
    expect(suback.granted).toEqual([qos])
    return raw
  }

  /** Drop the socket (no DISCONNECT, no acknowledgement) and wait until the broker has noticed. */
  async function vanish(raw: RawClient, clientId: string): Promise<void> {
    raw.destroy()
    await waitFor(() => clientInfo(clientId)?.connected === false, 'the broker to see the connection go', 1000)
  }

  it('QoS 1: the unacknowledged PUBLISH comes again with DUP and the same packet id', async () => {
    await broker()
    const id = `dup1-v${version}`
    const first = await subscriber(id, 'dup/q1', 1)
    tb!.broker.publish({ topic: 'dup/q1', payload: 'once', qos: 1 })
    const original = await first.take('publish')
    expect(original).toMatchObject({ qos: 1, dup: false, topic: 'dup/q1' })
    expect(original.payload.toString()).toBe('once')
    await vanish(first, id)
    expect(clientInfo(id)?.inflight).toBe(1)

    const { raw: second, connack } = await RawClient.connect(tb!.tcpPort, version, persistent(id))
    expect(connack.sessionPresent).toBe(true)
    const resent = await second.take('publish')
    expect(resent).toMatchObject({ qos: 1, dup: true, topic: 'dup/q1', messageId: original.messageId })
    expect(resent.payload.toString()).toBe('once')

    second.send({ cmd: 'puback', messageId: resent.messageId })
    await waitFor(() => clientInfo(id)?.inflight === 0, 'the PUBACK to complete the flow', 1000)
    await vanish(second, id)

    // Acknowledged now: nothing is sent again.
    const { raw: third } = await RawClient.connect(tb!.tcpPort, version, persistent(id))
    await delay(150)
    expect(third.count('publish')).toBe(0)
  })

  it('QoS 2 after PUBREC: PUBREL is resent (not the PUBLISH) with the same packet id', async () => {
    await broker()
    const id = `dup2rel-v${version}`
    const first = await subscriber(id, 'dup/q2', 2)
    tb!.broker.publish({ topic: 'dup/q2', payload: 'exactly once', qos: 2 })
    const original = await first.take('publish')
    expect(original).toMatchObject({ qos: 2, dup: false })
    first.send({ cmd: 'pubrec', messageId: original.messageId })
    const pubrel = await first.take('pubrel')
    expect(pubrel.messageId).toBe(original.messageId)
    await vanish(first, id) // no PUBCOMP

    const { raw: second, connack } = await RawClient.connect(tb!.tcpPort, version, persistent(id))
    expect(connack.sessionPresent).toBe(true)
    const resentRel = await second.take('pubrel')
    expect(resentRel.messageId).toBe(original.messageId)
    await delay(100)
    expect(second.count('publish')).toBe(0)

    second.send({ cmd: 'pubcomp', messageId: original.messageId })
    await waitFor(() => clientInfo(id)?.inflight === 0, 'the PUBCOMP to complete the flow', 1000)
  })

  it('QoS 2 before PUBREC: the PUBLISH is resent with DUP and the same packet id', async () => {
    await broker()
    const id = `dup2pub-v${version}`
    const first = await subscriber(id, 'dup/q2p', 2)
    tb!.broker.publish({ topic: 'dup/q2p', payload: 'two', qos: 2 })
    const original = await first.take('publish')
    await vanish(first, id)

    const { raw: second } = await RawClient.connect(tb!.tcpPort, version, persistent(id))
    const resent = await second.take('publish')
    expect(resent).toMatchObject({ qos: 2, dup: true, messageId: original.messageId })
    expect(resent.payload.toString()).toBe('two')
    second.send({ cmd: 'pubrec', messageId: resent.messageId })
    expect((await second.take('pubrel')).messageId).toBe(original.messageId)
    second.send({ cmd: 'pubcomp', messageId: resent.messageId })
    await waitFor(() => clientInfo(id)?.inflight === 0, 'the flow to complete', 1000)
  })

  it('several unacknowledged messages are resent in their original order, then the queue follows without DUP', async () => {
    await broker({ maxInflightMessages: 2 })
    const id = `order-v${version}`
    const first = await subscriber(id, 'order/t', 1)
    for (let i = 0; i < 4; i++) tb!.broker.publish({ topic: 'order/t', payload: `m${i}`, qos: 1 })
    const a = await first.take('publish')
    const b = await first.take('publish')
    await delay(50)
    expect(first.count('publish')).toBe(2) // the window is 2
    await vanish(first, id)

    const { raw: second } = await RawClient.connect(tb!.tcpPort, version, persistent(id))
    const ra = await second.take('publish')
    const rb = await second.take('publish')
    expect([ra.messageId, ra.dup, ra.payload.toString()]).toEqual([a.messageId, true, 'm0'])
    expect([rb.messageId, rb.dup, rb.payload.toString()]).toEqual([b.messageId, true, 'm1'])
    second.send({ cmd: 'puback', messageId: ra.messageId })
    second.send({ cmd: 'puback', messageId: rb.messageId })
    const c = await second.take('publish')
    const d = await second.take('publish')
    expect([c.dup, c.payload.toString()]).toEqual([false, 'm2'])
    expect([d.dup, d.payload.toString()]).toEqual([false, 'm3'])
  })

  it('incoming QoS 2: a PUBLISH resent after reconnecting (before PUBREL) is not delivered twice', async () => {
    await broker()
    const sub = await RawClient.connect(tb!.tcpPort, 4, { clientId: `in2-sub-v${version}`, clean: true })
    sub.raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'in2/t', qos: 2 }] })
    await sub.raw.take('suback')

    const id = `in2-pub-v${version}`
    const { raw: first } = await RawClient.connect(tb!.tcpPort, version, persistent(id))
    const publish: IPublishPacket = {
      cmd: 'publish',
      topic: 'in2/t',
      payload: Buffer.from('one'),
      qos: 2,
      dup: false,
      retain: false,
      messageId: 42
    }
    first.send(publish)
    expect((await first.take('pubrec')).messageId).toBe(42)
    await vanish(first, id)

    const { raw: second, connack } = await RawClient.connect(tb!.tcpPort, version, persistent(id))
    expect(connack.sessionPresent).toBe(true)
    second.send({ ...publish, dup: true })
    expect((await second.take('pubrec')).messageId).toBe(42)
    second.send({ cmd: 'pubrel', messageId: 42 })
    const pubcomp = await second.take('pubcomp')
    expect(pubcomp.messageId).toBe(42)
    expect((pubcomp as { reasonCode?: number }).reasonCode ?? 0).toBe(0)

    await delay(100)
    expect(sub.raw.count('publish')).toBe(1)
  })
})

describe("resend on reconnect respects the new connection's Receive Maximum (raw TCP, MQTT v5)", () => {
  const connectFields = (receiveMaximum: number): Partial<IConnectPacket> => ({
    clientId: 'resend-rm',
    clean: false,
    properties: { sessionExpiryInterval: 60, receiveMaximum }
  })

  it('resends at most Receive Maximum PUBLISH packets, the rest as acknowledgements make room [MQTT-3.3.4-9]', async () => {
    await broker()
    const { raw: first } = await RawClient.connect(tb!.tcpPort, 5, connectFields(10))
    first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'rm/t', qos: 1 }] })
    await first.take('suback')
    for (let i = 0; i < 5; i++) tb!.broker.publish({ topic: 'rm/t', payload: `m${i}`, qos: 1 })
    const originals: IPublishPacket[] = []
    for (let i = 0; i < 5; i++) originals.push(await first.take('publish'))
    first.destroy()
    await waitFor(() => clientInfo('resend-rm')?.connected === false, 'the broker to see the connection go', 1000)

    // The send quota starts again at the new connection's Receive Maximum (MQTT 5 §4.9).
    const { raw: second, connack } = await RawClient.connect(tb!.tcpPort, 5, connectFields(2))
    expect(connack.sessionPresent).toBe(true)
    const r0 = await second.take('publish')
    const r1 = await second.take('publish')
    await delay(150)
    expect(second.count('publish')).toBe(2)
    expect([r0, r1].map((p) => [p.messageId, p.dup, p.payload.toString()])).toEqual([
      [originals[0].messageId, true, 'm0'],
      [originals[1].messageId, true, 'm1']
    ])

    // The client had m3 already (its PUBACK was lost with the old connection): it is not resent.
    second.send({ cmd: 'puback', messageId: originals[3].messageId })
    second.send({ cmd: 'puback', messageId: r0.messageId })
    const r2 = await second.take('publish')
    second.send({ cmd: 'puback', messageId: r1.messageId })
    const r4 = await second.take('publish')
    expect([r2, r4].map((p) => [p.messageId, p.dup, p.payload.toString()])).toEqual([
      [originals[2].messageId, true, 'm2'],
      [originals[4].messageId, true, 'm4']
    ])
    second.send({ cmd: 'puback', messageId: r2.messageId })
    second.send({ cmd: 'puback', messageId: r4.messageId })
    await waitFor(() => clientInfo('resend-rm')?.inflight === 0, 'every message acknowledged', 1000)
    expect(second.count('publish')).toBe(4)

    // New messages flow normally afterwards.
    tb!.broker.publish({ topic: 'rm/t', payload: 'fresh', qos: 1 })
    const fresh = await second.take('publish')
    expect([fresh.dup, fresh.payload.toString()]).toEqual([false, 'fresh'])
  })
})
