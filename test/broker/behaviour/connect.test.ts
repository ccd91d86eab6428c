/**
 * CONNECT / CONNACK behaviour through real MQTT.js clients, over both listeners: protocol levels,
 * client identifiers, the session present flag, session takeover, refused features and limits,
 * and what a v5 CONNACK announces.
 */
import { connect as netConnect } from 'node:net'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import type { IConnackPacket, IDisconnectPacket } from 'mqtt-packet'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
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
import type { BrokerSettings } from '../../../src/shared/settings'

describe.each(TRANSPORTS)('CONNECT over %s', (kind: TransportKind) => {
  let tb: TestBroker | null = null
  const clients: MqttClient[] = []

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.endAsync(true).catch(() => undefined)))
    await tb?.close()
    tb = null
  })

  async function broker(settings: Partial<BrokerSettings> = {}): Promise<TestBroker> {
    tb = await startTestBroker(settings)
    return tb
  }

  function baseOptions(options: IClientOptions): IClientOptions {
    return { reconnectPeriod: 0, connectTimeout: 2000, protocolVersion: 4, ...options }
  }

  /** Connect and return the CONNACK (connectClient does not expose it). */
  async function connectWithAck(options: IClientOptions): Promise<{ client: MqttClient; connack: IConnackPacket }> {
    const client = mqtt.connect(tb!.url(kind), baseOptions(options))
    clients.push(client)
    const connack = await new Promise<IConnackPacket>((resolve, reject) => {
      client.once('connect', resolve)
      client.once('error', reject)
      client.once('close', () => reject(new Error('closed before CONNACK')))
    })
    return { client, connack }
  }

  /** Connect expecting a refusal; resolves with the code MQTT.js reports. */
  async function refusal(options: IClientOptions): Promise<number> {
    const client = mqtt.connect(tb!.url(kind), baseOptions(options))
    clients.push(client)
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no CONNACK refusal within 1.5 s')), 1500)
      client.once('connect', () => reject(new Error('connection was accepted')))
      client.once('error', (error: Error & { code?: number }) => {
        clearTimeout(timer)
        resolve(error.code ?? -1)
      })
    })
  }

  function clientInfo(clientId: string) {
    return tb!.broker.listClients().find((info) => info.clientId === clientId)
  }

  describe('protocol levels', () => {
    it('accepts MQTT 3.1 (MQIsdp), 3.1.1 and 5.0 on the same listener and routes between them', async () => {
      await broker()
      const v3 = await connectClient(tb!, kind, { clientId: `l3-${kind}`, protocolId: 'MQIsdp', protocolVersion: 3 })
      const v4 = await connectClient(tb!, kind, { clientId: `l4-${kind}`, protocolVersion: 4 })
      const v5 = await connectClient(tb!, kind, { clientId: `l5-${kind}`, protocolVersion: 5 })
      clients.push(v3, v4, v5)

      expect(clientInfo(`l3-${kind}`)?.protocolVersion).toBe(3)
      expect(clientInfo(`l4-${kind}`)?.protocolVersion).toBe(4)
      expect(clientInfo(`l5-${kind}`)?.protocolVersion).toBe(5)
      expect(clientInfo(`l5-${kind}`)?.listener).toBe(kind)

      const inboxes = [collectMessages(v3), collectMessages(v4), collectMessages(v5)]
      for (const client of [v3, v4, v5]) await client.subscribeAsync('levels/#', { qos: 1 })
      await v3.publishAsync('levels/from3', 'three', { qos: 1 })
      await v4.publishAsync('levels/from4', 'four', { qos: 1 })
      await v5.publishAsync('levels/from5', 'five', { qos: 1 })
      await waitFor(() => inboxes.every((inbox) => inbox.length === 3), 'every level to get every message', 1500)
      for (const inbox of inboxes) {
        expect(inbox.map((m) => m.payload.toString()).sort()).toEqual(['five', 'four', 'three'])
      }
    })

    it('refuses a protocol name that does not match the level (MQIsdp with level 4) with return code 1', async () => {
      await broker()
      expect(await refusal({ clientId: `bad-name-${kind}`, protocolId: 'MQIsdp', protocolVersion: 4 })).toBe(1)
      expect(clientInfo(`bad-name-${kind}`)).toBeUndefined()
    })
  })

  describe('client identifiers', () => {
    it('v5: a zero-length client id is assigned one, announced in CONNACK', async () => {
      await broker()
      const { connack } = await connectWithAck({ clientId: '', protocolVersion: 5 })
      expect(connack.reasonCode).toBe(0)
      const assigned = connack.properties?.assignedClientIdentifier
      expect(typeof assigned).toBe('string')
      expect(assigned!.length).toBeGreaterThan(0)
      expect(clientInfo(assigned!)?.connected).toBe(true)
    })

    it('v5: two zero-length client ids get different identifiers', async () => {
      await broker()
      const a = await connectWithAck({ clientId: '', protocolVersion: 5 })
      const b = await connectWithAck({ clientId: '', protocolVersion: 5 })
      const idA = a.connack.properties?.assignedClientIdentifier
      const idB = b.connack.properties?.assignedClientIdentifier
      expect(idA).toBeTruthy()
      expect(idB).toBeTruthy()
      expect(idA).not.toBe(idB)
      expect(tb!.broker.stats().clientsConnected).toBe(2)
    })

    it('v5: a persistent session created under an assigned id can be resumed with that id', async () => {
      await broker()
      // Clean start 1 (mqtt-packet will not encode an empty id with clean start 0), but a session expiry:
      // the new session outlives the connection.
      const first = await connectWithAck({ clientId: '', protocolVersion: 5, clean: true, properties: { sessionExpiryInterval: 60 } })
      const assigned = first.connack.properties?.assignedClientIdentifier
      expect(assigned).toBeTruthy()
      await first.client.subscribeAsync('assigned/t', { qos: 1 })
      await first.client.endAsync()

      const second = await connectWithAck({
        clientId: assigned,
        protocolVersion: 5,
        clean: false,
        properties: { sessionExpiryInterval: 60 }
      })
      expect(second.connack.sessionPresent).toBe(true)
      expect(second.connack.properties?.assignedClientIdentifier).toBeUndefined()
      expect(tb!.broker.listSubscriptions().map((s) => [s.clientId, s.filter])).toEqual([[assigned, 'assigned/t']])
    })

    it('3.1.1: a zero-length client id with clean session is accepted under a server-chosen id', async () => {
      await broker()
      const { client, connack } = await connectWithAck({ clientId: '', clean: true, protocolVersion: 4 })
      expect(connack.returnCode).toBe(0)
      expect(connack.sessionPresent).toBe(false)
      // 3.1.1 has no way to tell the client its id, but the broker must have given it a real one.
      const infos = tb!.broker.listClients()
      expect(infos).toHaveLength(1)
      expect(infos[0].clientId.length).toBeGreaterThan(0)
      expect(infos[0].connected).toBe(true)
      const inbox = collectMessages(client)
      await client.subscribeAsync('anon/t', { qos: 1 })
      await client.publishAsync('anon/t', 'hello', { qos: 1 })
      await waitFor(() => inbox.length === 1, 'the anonymous client to get its own message', 1500)
    })

    // mqtt-packet (and so MQTT.js) refuses to encode these CONNECTs, so they are sent as raw bytes.
    it('3.1.1: a zero-length client id with clean session 0 is refused with CONNACK 0x02 identifier rejected', async () => {
      await broker()
      // CONNECT, "MQTT", level 4, flags 0 (clean session 0), keep alive 60, client id "".
      const connect = Buffer.from([0x10, 12, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x00, 0, 60, 0, 0])
      const answer = await rawExchange(tb!, kind, connect)
      expect([...answer.bytes]).toEqual([0x20, 0x02, 0x00, 0x02])
      expect(answer.closed).toBe(true)
      expect(tb!.broker.listClients()).toHaveLength(0)
    })

    it('3.1: a zero-length client id is refused with CONNACK 0x02 identifier rejected', async () => {
      await broker()
      // CONNECT, "MQIsdp", level 3, flags 0x02 (clean session), keep alive 60, client id "".
      const connect = Buffer.from([0x10, 14, 0, 6, 0x4d, 0x51, 0x49, 0x73, 0x64, 0x70, 3, 0x02, 0, 60, 0, 0])
      const answer = await rawExchange(tb!, kind, connect)
      expect([...answer.bytes]).toEqual([0x20, 0x02, 0x00, 0x02])
      expect(answer.closed).toBe(true)
      expect(tb!.broker.listClients()).toHaveLength(0)
    })
  })

  describe('session present flag', () => {
    it('3.1.1: 0 for a new session, 1 when resuming, 0 after a clean session', async () => {
      await broker()
      const id = `sp4-${kind}`
      const first = await connectWithAck({ clientId: id, clean: false })
      expect(first.connack.sessionPresent).toBe(false)
      await first.client.endAsync()

      const second = await connectWithAck({ clientId: id, clean: false })
      expect(second.connack.sessionPresent).toBe(true)
      await second.client.endAsync()

      // [MQTT-3.2.2-1] clean session 1 always gets session present 0 (and discards the old session).
      const third = await connectWithAck({ clientId: id, clean: true })
      expect(third.connack.sessionPresent).toBe(false)
      await third.client.endAsync()

      const fourth = await connectWithAck({ clientId: id, clean: false })
      expect(fourth.connack.sessionPresent).toBe(false)
    })

    it('v5: 1 only when clean start is 0 and the session outlived the connection', async () => {
      await broker()
      const id = `sp5-${kind}`
      const persistent = { clientId: id, protocolVersion: 5 as const, clean: false, properties: { sessionExpiryInterval: 60 } }
      const first = await connectWithAck(persistent)
      expect(first.connack.sessionPresent).toBe(false)
      await first.client.endAsync()

      const second = await connectWithAck(persistent)
      expect(second.connack.sessionPresent).toBe(true)
      await second.client.endAsync()

      const third = await connectWithAck({ ...persistent, clean: true })
      expect(third.connack.sessionPresent).toBe(false)
      await third.client.endAsync()

      // Session expiry 0 (the default): the session ends with the connection.
      const fourth = await connectWithAck({ clientId: id, protocolVersion: 5, clean: false })
      expect(fourth.connack.sessionPresent).toBe(true)
      await fourth.client.endAsync()
      const fifth = await connectWithAck({ clientId: id, protocolVersion: 5, clean: false })
      expect(fifth.connack.sessionPresent).toBe(false)
    })
  })

  describe('session takeover', () => {
    it('3.1.1: the older connection is closed and the session moves to the new one', async () => {
      await broker()
      const id = `take4-${kind}`
      const old = await connectWithAck({ clientId: id, clean: false })
      await old.client.subscribeAsync('take/t', { qos: 1 })
      let oldClosed = false
      old.client.on('close', () => (oldClosed = true))

      const fresh = await connectWithAck({ clientId: id, clean: false })
      // [MQTT-3.1.4-2] the existing client is disconnected; the session (and its subscription) carries on.
      expect(fresh.connack.sessionPresent).toBe(true)
      await waitFor(() => oldClosed, 'the older connection to close', 1500)
      expect(tb!.broker.stats().clientsConnected).toBe(1)
      expect(clientInfo(id)?.connected).toBe(true)

      const inbox = collectMessages(fresh.client)
      tb!.broker.publish({ topic: 'take/t', payload: 'after takeover', qos: 1 })
      await waitFor(() => inbox.length === 1, 'the new connection to receive via the old subscription', 1500)
      expect(inbox[0].payload.toString()).toBe('after takeover')
    })

    it('v5: the older connection receives DISCONNECT 0x8E session taken over', async () => {
      await broker()
      const id = `take5-${kind}`
      const old = await connectWithAck({ clientId: id, protocolVersion: 5 })
      let disconnect: IDisconnectPacket | null = null
      let oldClosed = false
      old.client.on('disconnect', (packet) => (disconnect = packet))
      old.client.on('close', () => (oldClosed = true))

      const fresh = await connectWithAck({ clientId: id, protocolVersion: 5 })
      expect(fresh.connack.reasonCode).toBe(0)
      await waitFor(() => disconnect !== null && oldClosed, 'DISCONNECT and close on the older connection', 1500)
      expect(disconnect!.reasonCode).toBe(0x8e)
      expect(fresh.client.connected).toBe(true)
      expect(tb!.broker.stats().clientsConnected).toBe(1)
    })

    it('a clean-session connection taken over by a persistent one leaves a working, listed session', async () => {
      await broker()
      const id = `take-mixed-${kind}`
      const old = await connectWithAck({ clientId: id, clean: true })
      let oldClosed = false
      old.client.on('close', () => (oldClosed = true))

      const fresh = await connectWithAck({ clientId: id, clean: false })
      await waitFor(() => oldClosed, 'the older connection to close', 1500)
      // The old session was a clean one: it ended with its connection, so nothing is resumed.
      expect(fresh.connack.sessionPresent).toBe(false)
      expect(clientInfo(id)?.connected).toBe(true)

      const inbox = collectMessages(fresh.client)
      await fresh.client.subscribeAsync('mixed/t', { qos: 1 })
      await fresh.client.publishAsync('mixed/t', 'x', { qos: 1 })
      await waitFor(() => inbox.length === 1, 'the new session to receive its own message', 1500)

      // The new, persistent session survives its disconnection.
      await fresh.client.endAsync()
      const again = await connectWithAck({ clientId: id, clean: false })
      expect(again.connack.sessionPresent).toBe(true)
    })
  })

  describe('refusals', () => {
    it('v5: enhanced authentication (an Authentication Method) is refused with 0x8C', async () => {
      await broker()
      const code = await refusal({
        clientId: `auth-${kind}`,
        protocolVersion: 5,
        properties: { authenticationMethod: 'SCRAM-SHA-1', authenticationData: Buffer.from('client-first') }
      })
      expect(code).toBe(0x8c)
      expect(clientInfo(`auth-${kind}`)).toBeUndefined()
      expect(tb!.broker.stats().clientsConnected).toBe(0)
    })

    it('maxConnections 1: a second client is refused (v5 0x97, 3.1.1 return code 3), and room frees up on disconnect', async () => {
      await broker({ maxConnections: 1 })
      const first = await connectClient(tb!, kind, { clientId: `max-a-${kind}`, protocolVersion: 5 })
      clients.push(first)

      expect(await refusal({ clientId: `max-b-${kind}`, protocolVersion: 5 })).toBe(0x97)
      expect(await refusal({ clientId: `max-c-${kind}`, protocolVersion: 4 })).toBe(3)
      expect(tb!.broker.stats().clientsConnected).toBe(1)
      expect(first.connected).toBe(true)

      await first.endAsync()
      await waitFor(() => tb!.broker.stats().clientsConnected === 0, 'the first client to be gone', 1500)
      const { connack } = await connectWithAck({ clientId: `max-d-${kind}`, protocolVersion: 5 })
      expect(connack.reasonCode).toBe(0)
    })

    it('maxConnections 1: a client taking over its own session is not refused', async () => {
      await broker({ maxConnections: 1 })
      const first = await connectClient(tb!, kind, { clientId: `max-self-${kind}`, protocolVersion: 5 })
      clients.push(first)
      const { connack } = await connectWithAck({ clientId: `max-self-${kind}`, protocolVersion: 5 })
      expect(connack.reasonCode).toBe(0)
      await waitFor(() => !first.connected, 'the older connection to be taken over', 1500)
      expect(tb!.broker.stats().clientsConnected).toBe(1)
    })
  })

  describe('v5 CONNACK properties', () => {
    it('announces disabled features and limits', async () => {
      await broker({
        retainAvailable: false,
        maximumQos: 1,
        wildcardSubscriptionAvailable: false,
        sharedSubscriptionAvailable: false,
        subscriptionIdentifiersAvailable: false,
        receiveMaximum: 20,
        maximumPacketSize: 4096,
        topicAliasMaximum: 7,
        serverKeepAlive: 30
      })
      const { connack } = await connectWithAck({ clientId: `feat-${kind}`, protocolVersion: 5, keepalive: 60 })
      expect(connack.reasonCode).toBe(0)
      expect(connack.properties).toMatchObject({
        retainAvailable: false,
        maximumQoS: 1,
        wildcardSubscriptionAvailable: false,
        sharedSubscriptionAvailable: false,
        subscriptionIdentifiersAvailable: false,
        receiveMaximum: 20,
        maximumPacketSize: 4096,
        topicAliasMaximum: 7,
        serverKeepAlive: 30
      })
    })

    it('leaves out what is at its default (absent means available / protocol maximum)', async () => {
      await broker({ topicAliasMaximum: 0 })
      const { connack } = await connectWithAck({ clientId: `defaults-${kind}`, protocolVersion: 5 })
      const properties = connack.properties ?? {}
      for (const key of [
        'retainAvailable',
        'maximumQoS',
        'wildcardSubscriptionAvailable',
        'sharedSubscriptionAvailable',
        'subscriptionIdentifiersAvailable',
        'receiveMaximum',
        'maximumPacketSize',
        'topicAliasMaximum',
        'serverKeepAlive',
        'assignedClientIdentifier',
        'sessionExpiryInterval'
      ]) {
        expect(properties, key).not.toHaveProperty(key)
      }
    })

    it('3.1.1 CONNACK carries no properties even when features are disabled', async () => {
      await broker({ retainAvailable: false, maximumQos: 1, serverKeepAlive: 30 })
      const { connack } = await connectWithAck({ clientId: `v4props-${kind}`, protocolVersion: 4 })
      expect(connack.returnCode).toBe(0)
      expect(connack.properties).toBeUndefined()
    })
  })

  describe('server keep alive', () => {
    it('cap mode: lowers a longer client keep alive and replaces 0, keeps a shorter one', async () => {
      await broker({ serverKeepAlive: 10, serverKeepAliveMode: 'cap' })
      const long = await connectWithAck({ clientId: `ka-long-${kind}`, protocolVersion: 5, keepalive: 60 })
      expect(long.connack.properties?.serverKeepAlive).toBe(10)
      expect(clientInfo(`ka-long-${kind}`)?.keepAlive).toBe(10)

      const zero = await connectWithAck({ clientId: `ka-zero-${kind}`, protocolVersion: 5, keepalive: 0 })
      expect(zero.connack.properties?.serverKeepAlive).toBe(10)
      expect(clientInfo(`ka-zero-${kind}`)?.keepAlive).toBe(10)

      const short = await connectWithAck({ clientId: `ka-short-${kind}`, protocolVersion: 5, keepalive: 5 })
      expect(short.connack.properties?.serverKeepAlive).toBeUndefined()
      expect(clientInfo(`ka-short-${kind}`)?.keepAlive).toBe(5)
    })

    it('override mode: always replaces the client value', async () => {
      await broker({ serverKeepAlive: 10, serverKeepAliveMode: 'override' })
      const short = await connectWithAck({ clientId: `ko-short-${kind}`, protocolVersion: 5, keepalive: 5 })
      expect(short.connack.properties?.serverKeepAlive).toBe(10)
      expect(clientInfo(`ko-short-${kind}`)?.keepAlive).toBe(10)

      // Same value as asked: nothing to announce.
      const same = await connectWithAck({ clientId: `ko-same-${kind}`, protocolVersion: 5, keepalive: 10 })
      expect(same.connack.properties?.serverKeepAlive).toBeUndefined()
      expect(clientInfo(`ko-same-${kind}`)?.keepAlive).toBe(10)
    })

    it('3.1.1 clients keep their own keep alive (they cannot be told another)', async () => {
      await broker({ serverKeepAlive: 10, serverKeepAliveMode: 'override' })
      await connectWithAck({ clientId: `ka-v4-${kind}`, protocolVersion: 4, keepalive: 60 })
      expect(clientInfo(`ka-v4-${kind}`)?.keepAlive).toBe(60)
    })

    it('a v5 client told a Server Keep Alive stays connected and pings on that schedule', async () => {
      await broker({ serverKeepAlive: 1, serverKeepAliveMode: 'override' })
      const { client, connack } = await connectWithAck({ clientId: `ka-ping-${kind}`, protocolVersion: 5, keepalive: 60 })
      expect(connack.properties?.serverKeepAlive).toBe(1)
      let pings = 0
      client.on('packetreceive', (packet) => {
        if (packet.cmd === 'pingresp') pings++
      })
      await delay(1300)
      // MQTT.js uses the server's value, so it pinged within the 1 s period; the broker did not time it out.
      expect(pings).toBeGreaterThanOrEqual(1)
      expect(client.connected).toBe(true)
    })
  })
})

/**
 * Send raw bytes on a fresh connection of the given kind; resolve with what came back once the
 * broker closed the connection (or after 1.5 s).
 */
function rawExchange(target: TestBroker, kind: TransportKind, bytes: Buffer): Promise<{ bytes: Buffer; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let settled = false
    const finish = (closed: boolean): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve({ bytes: Buffer.concat(chunks), closed })
    }
    let destroy: () => void
    const timer = setTimeout(() => {
      destroy()
      finish(false)
    }, 1500)
    if (kind === 'tcp' || kind === 'unix') {
      const write = (): boolean => socket.write(bytes)
      const socket = kind === 'tcp' ? netConnect(target.tcpPort, '127.0.0.1', write) : netConnect(target.unixPath, write)
      socket.on('data', (chunk) => chunks.push(chunk))
      socket.on('error', reject)
      socket.on('close', () => finish(true))
      destroy = () => socket.destroy()
    } else {
      const ws = new WebSocket(target.url('ws'), 'mqtt')
      ws.on('open', () => ws.send(bytes))
      ws.on('message', (data: Buffer) => chunks.push(Buffer.from(data)))
      ws.on('error', reject)
      ws.on('close', () => finish(true))
      destroy = () => ws.terminate()
    }
  })
}
