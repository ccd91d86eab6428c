import { connect as netConnect } from 'node:net'
import mqttPacket, { type IConnackPacket, type IConnectPacket, type IDisconnectPacket, type Packet } from 'mqtt-packet'
import type { IClientOptions } from 'mqtt'
import { WebSocket } from 'ws'
import { describe, expect, it } from 'vitest'
import {
  brokerPerTest,
  collectMessages,
  delay,
  nextPacket,
  TRANSPORTS,
  waitFor,
  type TestBroker,
  type TransportKind
} from '../../helpers/broker-harness'

/** A bare MQTT connection over either listener: it sends only what the test tells it to (no keep alive pings). */
interface RawClient {
  packets: Packet[]
  closed: boolean
  send(packet: Packet): void
  destroy(): void
}

async function rawConnect(tb: TestBroker, kind: TransportKind, protocolVersion: 4 | 5): Promise<RawClient> {
  const parser = mqttPacket.parser({ protocolVersion })
  const raw: RawClient = { packets: [], closed: false, send: () => {}, destroy: () => {} }
  parser.on('packet', (packet: Packet) => raw.packets.push(packet))
  const encode = (packet: Packet): Buffer => mqttPacket.generate(packet, { protocolVersion })
  if (kind === 'tcp') {
    const socket = netConnect(tb.tcpPort, '127.0.0.1')
    socket.on('data', (data) => parser.parse(data))
    socket.on('error', () => {})
    socket.on('close', () => (raw.closed = true))
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    raw.send = (packet) => socket.write(encode(packet))
    raw.destroy = () => socket.destroy()
  } else {
    const ws = new WebSocket(tb.url('ws'), ['mqtt'])
    ws.on('message', (data: Buffer) => parser.parse(data))
    ws.on('error', () => {})
    ws.on('close', () => (raw.closed = true))
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    raw.send = (packet) => ws.send(encode(packet), { binary: true })
    raw.destroy = () => ws.terminate()
  }
  return raw
}

describe.each(TRANSPORTS)('wills and keep alive over %s', (kind) => {
  const raws: RawClient[] = []
  const harness = brokerPerTest(kind, {
    beforeCleanup: () => {
      for (const raw of raws.splice(0)) raw.destroy()
    }
  })
  const { start, open } = harness

  /** A subscriber on `filter` and what it receives. */
  async function watch(filter: string, options: IClientOptions = {}): Promise<ReturnType<typeof collectMessages>> {
    const watcher = await open({ protocolVersion: 5, ...options })
    const received = collectMessages(watcher)
    await watcher.subscribeAsync(filter, { qos: 1 })
    return received
  }

  /** Resolves when the broker has processed the end of `clientId`'s connection; with whether the will went out then. */
  function disconnected(clientId: string): Promise<boolean> {
    return new Promise((resolve) => {
      const off = harness.tb.broker.events.on('client.disconnected', (event) => {
        if (event.clientId !== clientId) return
        off()
        resolve(event.willPublished)
      })
    })
  }

  const will = (topic: string, extra: Partial<NonNullable<IClientOptions['will']>> = {}): IClientOptions['will'] => ({
    topic,
    payload: Buffer.from(`gone:${topic}`),
    qos: 1,
    retain: false,
    ...extra
  })

  for (const version of [4, 5] as const) {
    it(`is published when the socket dies (${version === 5 ? 'v5' : '3.1.1'})`, async () => {
      await start()
      const received = await watch('will/#')
      const client = await open({ protocolVersion: version, clientId: `dies-${version}`, will: will('will/dies') })
      const done = disconnected(`dies-${version}`)
      client.stream.destroy()
      expect(await done).toBe(true)
      await waitFor(() => received.length === 1, 'the will')
      expect(received[0].topic).toBe('will/dies')
      expect(received[0].payload.toString()).toBe('gone:will/dies')
      expect(received[0].packet.qos).toBe(1)
      expect(received[0].packet.retain).toBe(false)
    })

    it(`is not published after a normal DISCONNECT (${version === 5 ? 'v5' : '3.1.1'})`, async () => {
      await start()
      const received = await watch('will/#')
      const client = await open({ protocolVersion: version, clientId: `polite-${version}`, will: will('will/polite') })
      const done = disconnected(`polite-${version}`)
      await client.endAsync()
      expect(await done).toBe(false)
      const pub = await open()
      await pub.publishAsync('will/sentinel', 'end', { qos: 1 })
      await waitFor(() => received.length >= 1, 'the sentinel')
      await delay(50)
      expect(received.map((m) => m.topic)).toEqual(['will/sentinel'])
    })
  }

  it('v5 DISCONNECT with reason 0x04 publishes the will', async () => {
    await start()
    const received = await watch('will/#')
    const client = await open({ protocolVersion: 5, clientId: 'with-will', will: will('will/asked') })
    const done = disconnected('with-will')
    // force = false: MQTT.js sends DISCONNECT carrying the options, then closes.
    await client.endAsync(false, { reasonCode: 0x04 })
    expect(await done).toBe(true)
    await waitFor(() => received.length === 1, 'the will')
    expect(received[0].topic).toBe('will/asked')
  })

  it('is published when the broker closes the connection for a protocol error (v5)', async () => {
    await start()
    const received = await watch('will/#')
    const client = await open({ protocolVersion: 5, clientId: 'rude', will: will('will/rude') })
    const told = nextPacket<IDisconnectPacket>(client, 'disconnect')
    // A shared subscription with No Local is a protocol error [MQTT-3.8.3-4].
    client.subscribe('$share/g/x', { qos: 0, nl: true })
    expect((await told).reasonCode).toBe(0x82)
    await waitFor(() => received.length === 1, 'the will')
    expect(received[0].topic).toBe('will/rude')
  })

  it('v5 will delay interval: the will waits for the delay', async () => {
    await start()
    const received = await watch('will/#')
    const client = await open({
      protocolVersion: 5,
      clientId: 'delayed',
      properties: { sessionExpiryInterval: 10 },
      will: will('will/delayed', { properties: { willDelayInterval: 1 } })
    })
    const done = disconnected('delayed')
    client.stream.destroy()
    const closedAt = Date.now()
    expect(await done).toBe(false)
    await delay(600)
    expect(received).toEqual([])
    await waitFor(() => received.length === 1, 'the delayed will', 2000)
    const elapsed = Date.now() - closedAt
    expect(elapsed).toBeGreaterThanOrEqual(900)
    expect(elapsed).toBeLessThan(1800)
    expect(received[0].topic).toBe('will/delayed')
  })

  it('v5 will delay interval: reconnecting before the delay cancels the will', async () => {
    await start()
    const received = await watch('will/#')
    const options: IClientOptions = {
      protocolVersion: 5,
      clientId: 'comes-back',
      clean: false,
      properties: { sessionExpiryInterval: 10 }
    }
    const client = await open({ ...options, will: will('will/back', { properties: { willDelayInterval: 1 } }) })
    const done = disconnected('comes-back')
    client.stream.destroy()
    await done
    await delay(200)
    const again = await open(options)
    expect(again.connected).toBe(true)
    await delay(1200)
    const pub = await open()
    await pub.publishAsync('will/sentinel', 'end', { qos: 1 })
    await waitFor(() => received.length >= 1, 'the sentinel')
    expect(received.map((m) => m.topic)).toEqual(['will/sentinel'])
  })

  it('v5 will delay interval: with session expiry 0 the will goes at once (the session ends first)', async () => {
    await start()
    const received = await watch('will/#')
    const client = await open({
      protocolVersion: 5,
      clientId: 'no-session',
      properties: { sessionExpiryInterval: 0 },
      will: will('will/now', { properties: { willDelayInterval: 5 } })
    })
    const done = disconnected('no-session')
    client.stream.destroy()
    const closedAt = Date.now()
    expect(await done).toBe(true)
    await waitFor(() => received.length === 1, 'the will', 1000)
    expect(Date.now() - closedAt).toBeLessThan(500)
  })

  it('v5 will delay interval: a session that expires before the delay sends the will when it ends', async () => {
    await start()
    const received = await watch('will/#')
    const client = await open({
      protocolVersion: 5,
      clientId: 'short-session',
      properties: { sessionExpiryInterval: 1 },
      will: will('will/expiry', { properties: { willDelayInterval: 30 } })
    })
    const done = disconnected('short-session')
    client.stream.destroy()
    const closedAt = Date.now()
    await done
    await waitFor(() => received.length === 1, 'the will', 2500)
    const elapsed = Date.now() - closedAt
    expect(elapsed).toBeGreaterThanOrEqual(900)
    expect(elapsed).toBeLessThan(2000)
  })

  it('v5 will properties are passed through to a v5 subscriber', async () => {
    await start()
    const received = await watch('will/#')
    const client = await open({
      protocolVersion: 5,
      clientId: 'props',
      will: will('will/props', {
        properties: {
          contentType: 'application/json',
          userProperties: { reason: 'lost', tag: ['a', 'b'] },
          responseTopic: 'will/reply',
          correlationData: Buffer.from([1, 2, 3]),
          payloadFormatIndicator: true
        }
      })
    })
    client.stream.destroy()
    await waitFor(() => received.length === 1, 'the will')
    const props = received[0].packet.properties ?? {}
    expect(props.contentType).toBe('application/json')
    expect(props.userProperties).toEqual({ reason: 'lost', tag: ['a', 'b'] })
    expect(props.responseTopic).toBe('will/reply')
    expect(Buffer.from(props.correlationData!)).toEqual(Buffer.from([1, 2, 3]))
    expect(props.payloadFormatIndicator).toBe(true)
  })

  it('v5 will message expiry counts from when the will is published, not from CONNECT', async () => {
    const t = await start()
    const received = await watch('will/#')
    const client = await open({
      protocolVersion: 5,
      clientId: 'expiring-will',
      will: will('will/expiring', { retain: true, properties: { messageExpiryInterval: 2 } })
    })
    // Connected for longer than the will's lifetime, which only starts when the will is published
    // (MQTT 5 §3.1.3.2.4: "sent as the Publication Expiry Interval when the Server publishes the Will Message").
    await delay(2100)
    client.stream.destroy()
    await waitFor(() => received.length === 1, 'the will')
    expect(received[0].packet.properties?.messageExpiryInterval).toBe(2)
    expect(t.broker.getRetained('will/expiring')).not.toBeNull()
  })

  it('a retained will is stored and sent to later subscribers with RETAIN 1', async () => {
    const t = await start()
    const client = await open({ clientId: 'retained-will', will: will('will/retained', { retain: true }) })
    const done = disconnected('retained-will')
    client.stream.destroy()
    expect(await done).toBe(true)
    expect(t.broker.getRetained('will/retained')?.payload.toString()).toBe('gone:will/retained')
    const received = await watch('will/#', { protocolVersion: 4 })
    await waitFor(() => received.length === 1, 'the retained will')
    expect(received[0].topic).toBe('will/retained')
    expect(received[0].packet.retain).toBe(true)
  })

  it('session takeover: the old connection gets 0x8E and, its session ending, its will goes out', async () => {
    const t = await start()
    const received = await watch('will/#')
    const first = await open({ protocolVersion: 5, clientId: 'taken', will: will('will/taken') })
    const kicked = nextPacket<IDisconnectPacket>(first, 'disconnect')
    const connected = new Promise<boolean>((resolve) => {
      const off = t.broker.events.on('client.connected', (event) => {
        if (event.clientId !== 'taken') return
        off()
        resolve(event.sessionPresent)
      })
    })
    const second = await open({ protocolVersion: 5, clientId: 'taken', clean: false })
    expect((await kicked).reasonCode).toBe(0x8e)
    // [MQTT-3.2.2-2/-3] the old session ended with the old connection, so there is none to resume.
    expect(await connected).toBe(false)
    expect(second.connected).toBe(true)
    await waitFor(() => received.length === 1, 'the will')
    expect(received[0].topic).toBe('will/taken')
    expect(second.connected).toBe(true)
    // The old session (expiry 0) ended with its connection, so the new one is a fresh, listed session.
    const info = t.broker.listClients().find((c) => c.clientId === 'taken')
    expect(info?.connected).toBe(true)
    expect(t.broker.disconnectClient('taken')).toBe(true)
  })

  it('keep alive: a silent client is disconnected after 1.5 × keep alive and its will published', async () => {
    const t = await start()
    const received = await watch('will/#')
    // A well-behaved client with the same keep alive stays connected: MQTT.js pings.
    const pinger = await open({ protocolVersion: 5, clientId: 'pinger', keepalive: 1 })
    const raw = await rawConnect(t, kind, 5)
    raws.push(raw)
    const connect: IConnectPacket = {
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      clean: true,
      clientId: 'silent',
      keepalive: 1,
      will: { topic: 'will/silent', payload: Buffer.from('silent'), qos: 0, retain: false }
    }
    raw.send(connect)
    await waitFor(() => raw.packets.some((p) => p.cmd === 'connack'), 'CONNACK')
    expect((raw.packets[0] as IConnackPacket).reasonCode).toBe(0)
    const connectedAt = Date.now()
    await waitFor(() => received.length === 1, 'the will', 4000)
    const elapsed = Date.now() - connectedAt
    // 1.5 s, checked once a second.
    expect(elapsed).toBeGreaterThanOrEqual(1400)
    expect(elapsed).toBeLessThan(3000)
    expect(received[0].topic).toBe('will/silent')
    const disconnect = raw.packets.find((p) => p.cmd === 'disconnect') as IDisconnectPacket | undefined
    expect(disconnect?.reasonCode).toBe(0x8d)
    await waitFor(() => raw.closed, 'the socket to close')
    expect(pinger.connected).toBe(true)
    expect(t.broker.listClients().find((c) => c.clientId === 'pinger')?.connected).toBe(true)
  })

  it('broker.disconnectClient publishes the will; a v5 client is told 0x98', async () => {
    const t = await start()
    const received = await watch('will/#')
    const client = await open({ protocolVersion: 5, clientId: 'admin-kicked', will: will('will/admin') })
    const told = nextPacket<IDisconnectPacket>(client, 'disconnect')
    expect(t.broker.disconnectClient('admin-kicked')).toBe(true)
    expect((await told).reasonCode).toBe(0x98)
    await waitFor(() => received.length === 1, 'the will')
    expect(received[0].topic).toBe('will/admin')
    await waitFor(() => !client.connected, 'the connection to close')
    expect(t.broker.disconnectClient('admin-kicked')).toBe(false)
    expect(t.broker.disconnectClient('nobody')).toBe(false)
  })

  it('broker.disconnectClient publishes a 3.1.1 client will too', async () => {
    const t = await start()
    const received = await watch('will/#')
    const client = await open({ clientId: 'admin-311', will: will('will/admin311') })
    expect(t.broker.disconnectClient('admin-311')).toBe(true)
    await waitFor(() => received.length === 1, 'the will')
    expect(received[0].topic).toBe('will/admin311')
    await waitFor(() => !client.connected, 'the connection to close')
  })
})
