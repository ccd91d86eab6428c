import { connect as netConnect, type Socket } from 'node:net'
import mqttPacket, { type IConnectPacket, type Packet } from 'mqtt-packet'
import type { MqttClient } from 'mqtt'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Broker } from '../../src/main/broker/broker'
import { silentLogger } from '../../src/main/logger'
import { collectMessages, connectClient, delay, freePort, startTestBroker, waitFor, type TestBroker } from '../helpers/broker-harness'

/**
 * Hostile and broken input on raw TCP sockets. Every case proves two things: the bad connection is
 * closed (with the v5 reason code where the spec gives one), and a healthy MQTT.js client that was
 * connected and subscribed beforehand still publishes and receives afterwards.
 */

const MAX_PACKET = 1024
const HEALTHY_FILTER = 'healthy/#'

let tb: TestBroker
let healthy: MqttClient
let healthyMessages: ReturnType<typeof collectMessages>
let healthyCloses = 0
let checkCounter = 0
const sockets = new Set<Socket>()
const extraBrokers: Broker[] = []

// ───────────────────────────── raw socket helpers ─────────────────────────────

interface Raw {
  socket: Socket
  /** Every byte the broker sent so far. */
  received(): Buffer
  closed: Promise<void>
  isClosed(): boolean
  write(bytes: Buffer | string): void
}

function openRaw(port: number): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port })
    sockets.add(socket)
    const chunks: Buffer[] = []
    let isClosed = false
    const closed = new Promise<void>((done) =>
      socket.once('close', () => {
        isClosed = true
        done()
      })
    )
    // The broker may reset a socket we are still writing to; that is the point of these tests.
    socket.on('error', () => {})
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.once('connect', () =>
      resolve({
        socket,
        received: () => Buffer.concat(chunks),
        closed,
        isClosed: () => isClosed,
        write: (bytes) => {
          if (!socket.destroyed && socket.writable) socket.write(bytes)
        }
      })
    )
    socket.once('error', reject)
  })
}

/** Resolves with the elapsed ms when the broker closes the socket; fails after `ms`. */
async function closedWithin(raw: Raw, ms: number, what = 'the broker to close the connection'): Promise<number> {
  const started = Date.now()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  try {
    await Promise.race([raw.closed, timeout])
  } finally {
    clearTimeout(timer)
  }
  return Date.now() - started
}

/** Decode what the broker sent (as a client of `version` would). */
function decode(bytes: Buffer, version: 4 | 5): Packet[] {
  const parser = mqttPacket.parser({ protocolVersion: version })
  const packets: Packet[] = []
  parser.on('packet', (packet: Packet) => packets.push(packet))
  parser.on('error', (error: Error) => {
    throw new Error(`broker sent bytes that do not parse: ${error.message} (${bytes.toString('hex')})`)
  })
  parser.parse(bytes)
  return packets
}

function connectBytes(version: 4 | 5, clientId: string, extra: Partial<IConnectPacket> = {}): Buffer {
  return mqttPacket.generate(
    { cmd: 'connect', protocolId: 'MQTT', protocolVersion: version, clean: true, clientId, keepalive: 0, ...extra },
    { protocolVersion: version }
  )
}

function publishBytes(version: 4 | 5, topic: string, payload: string, qos: 0 | 1 | 2 = 0): Buffer {
  return mqttPacket.generate(
    { cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain: false, dup: false, messageId: qos > 0 ? 1 : undefined },
    { protocolVersion: version }
  )
}

let clientSeq = 0
const nextId = (prefix: string): string => `${prefix}-${process.pid}-${++clientSeq}`

/** Open a raw socket and complete a CONNECT; returns once the CONNACK (accepted) is in. */
async function connectedRaw(version: 4 | 5, extra: Partial<IConnectPacket> = {}): Promise<Raw & { clientId: string }> {
  const raw = await openRaw(tb.tcpPort)
  const clientId = nextId(`raw-v${version}`)
  raw.write(connectBytes(version, clientId, extra))
  await waitFor(() => raw.received().length >= 4 || raw.isClosed(), 'CONNACK')
  const [connack] = decode(raw.received(), version)
  expect(connack?.cmd).toBe('connack')
  expect((connack as { reasonCode?: number; returnCode?: number })[version === 5 ? 'reasonCode' : 'returnCode']).toBe(0)
  return Object.assign(raw, { clientId })
}

/** The packets the broker sent after the CONNACK. */
function afterConnack(raw: Raw, version: 4 | 5): Packet[] {
  return decode(raw.received(), version).filter((packet) => packet.cmd !== 'connack')
}

/** v5: the broker's DISCONNECT reason code (fails if it sent none). */
function disconnectReason(raw: Raw): number {
  const disconnect = afterConnack(raw, 5).find((packet) => packet.cmd === 'disconnect')
  expect(disconnect, `expected a DISCONNECT, got ${raw.received().toString('hex')}`).toBeDefined()
  return (disconnect as { reasonCode?: number }).reasonCode ?? 0
}

// ───────────────────────────── the healthy client ─────────────────────────────

/** The healthy client publishes to its own subscription and receives it: the broker still serves. */
async function expectHealthy(): Promise<void> {
  expect(healthy.connected, 'healthy client is still connected').toBe(true)
  expect(healthyCloses, 'healthy client connection was never closed').toBe(0)
  const payload = `check-${++checkCounter}`
  await healthy.publishAsync('healthy/check', payload, { qos: 1 })
  await waitFor(() => healthyMessages.some((m) => m.payload.toString() === payload), `healthy client to receive ${payload}`)
}

/** Nothing but the healthy client's own checks reached its subscription (no bad PUBLISH was routed). */
function expectNothingLeaked(): void {
  const leaked = healthyMessages.filter((m) => !m.payload.toString().startsWith('check-'))
  expect(leaked.map((m) => `${m.topic}: ${m.payload.toString()}`)).toEqual([])
}

beforeEach(async () => {
  tb = await startTestBroker({ maximumPacketSize: MAX_PACKET })
  healthy = await connectClient(tb, 'tcp', { clientId: nextId('healthy'), protocolVersion: 5 })
  healthyCloses = 0
  healthy.on('close', () => healthyCloses++)
  healthyMessages = collectMessages(healthy)
  await healthy.subscribeAsync(HEALTHY_FILTER, { qos: 1 })
  await expectHealthy()
})

afterEach(async () => {
  for (const socket of sockets) socket.destroy()
  sockets.clear()
  await healthy?.endAsync(true).catch(() => {})
  for (const broker of extraBrokers.splice(0)) await broker.stop()
  await tb?.close()
})

// ───────────────────────────── before CONNECT ─────────────────────────────

describe('before CONNECT', () => {
  it.each([
    ['an HTTP request', Buffer.from('GET /mqtt HTTP/1.1\r\nHost: x\r\n\r\n')],
    ['zero bytes (reserved packet type 0)', Buffer.alloc(16)],
    ['0xff bytes', Buffer.alloc(16, 0xff)],
    ['TLS ClientHello start', Buffer.from('160301020001', 'hex')]
  ])('garbage (%s) closes the connection without a reply', async (_name, garbage) => {
    const raw = await openRaw(tb.tcpPort)
    raw.write(Buffer.concat([garbage, connectBytes(4, nextId('garbage'))]))
    await closedWithin(raw, 2000)
    // No CONNACK: the CONNECT after the garbage must not be processed.
    expect(raw.received().toString('hex')).toBe('')
    await expectHealthy()
  })

  it('a PUBLISH before CONNECT closes the connection and is not routed [MQTT-3.1.0-1]', async () => {
    const raw = await openRaw(tb.tcpPort)
    raw.write(publishBytes(4, 'healthy/sneaky', 'before-connect'))
    await closedWithin(raw, 2000)
    expect(raw.received().length).toBe(0)
    await expectHealthy()
    expectNothingLeaked()
  })

  it('CONNECT with the reserved flag bit set closes without CONNACK and creates no session [MQTT-3.1.2-3]', async () => {
    for (const version of [4, 5] as const) {
      const raw = await openRaw(tb.tcpPort)
      const clientId = nextId('reserved')
      const bytes = connectBytes(version, clientId)
      // Fixed header (2) + protocol name (6) + level (1) → connect flags at offset 9.
      expect(bytes[9] & 0x02).toBe(0x02)
      bytes[9] |= 0x01
      raw.write(bytes)
      await closedWithin(raw, 2000)
      expect(
        decode(raw.received(), version).filter((p) => p.cmd === 'connack' && ((p as { reasonCode?: number }).reasonCode ?? 0) === 0)
      ).toEqual([])
      expect(tb.broker.listClients().some((c) => c.clientId === clientId)).toBe(false)
    }
    await expectHealthy()
  })

  it('CONNECT with protocol level 6: CONNACK return code 1, then close [MQTT-3.1.2-2]', async () => {
    const raw = await openRaw(tb.tcpPort)
    const bytes = connectBytes(4, nextId('level6'))
    expect(bytes[8]).toBe(4)
    bytes[8] = 6
    raw.write(bytes)
    await closedWithin(raw, 2000)
    expect(raw.received().toString('hex')).toBe('20020001')
    await expectHealthy()
  })

  it("protocol name 'MQTT' with level 3 (3.1 requires 'MQIsdp'): CONNACK 1 and close [MQTT-3.1.2-1]", async () => {
    const raw = await openRaw(tb.tcpPort)
    const clientId = nextId('mqtt-level3')
    const bytes = connectBytes(4, clientId)
    bytes[8] = 3
    raw.write(bytes)
    await closedWithin(raw, 2000)
    // Same bytes mosquitto sends for this (CONNACK_REFUSED_PROTOCOL_VERSION).
    expect(raw.received().toString('hex')).toBe('20020001')
    expect(tb.broker.listClients().some((c) => c.clientId === clientId)).toBe(false)
    await expectHealthy()
  })

  it('a socket that never sends CONNECT is closed after the connect timeout', async () => {
    const port = await freePort()
    const quick = new Broker({ sysInterval: 0, tcpPort: port, wsPort: 0 }, { logger: silentLogger, connectTimeoutMs: 300 })
    extraBrokers.push(quick)
    await quick.start()
    const silent = await openRaw(port)
    // Same silence towards the default broker (10 s): still open when the quick one gave up.
    const control = await openRaw(tb.tcpPort)
    const elapsed = await closedWithin(silent, 2500, 'the connect timeout')
    expect(elapsed).toBeGreaterThanOrEqual(250)
    expect(control.isClosed()).toBe(false)
    expect(silent.received().length).toBe(0)
    await expectHealthy()
  })
})

// ───────────────────────────── after CONNECT ─────────────────────────────

describe('after CONNECT', () => {
  it('a second CONNECT is a protocol error: v5 DISCONNECT 0x82, 3.1.1 close [MQTT-3.1.0-2]', async () => {
    const v5 = await connectedRaw(5)
    v5.write(connectBytes(5, v5.clientId))
    await closedWithin(v5, 2000)
    expect(disconnectReason(v5)).toBe(0x82)

    const v4 = await connectedRaw(4)
    v4.write(connectBytes(4, v4.clientId))
    await closedWithin(v4, 2000)
    expect(afterConnack(v4, 4)).toEqual([])
    await expectHealthy()
  })

  it.each([
    ['SUBSCRIBE with flags 0', '8008 0001 0003 612f62 00'],
    ['UNSUBSCRIBE with flags 0', 'a007 0001 0003 612f62'],
    ['PUBREL with flags 0', '6002 0001'],
    ['PUBACK with flags 2', '4202 0001'],
    ['PINGREQ with flags 1', 'c100'],
    ['DISCONNECT with flags 8', 'e800']
  ])('invalid fixed-header flags (%s) close the connection: v5 DISCONNECT 0x81 [MQTT-2.2.2-2]', async (_name, hexBytes) => {
    const bad = Buffer.from(hexBytes.replace(/\s+/g, ''), 'hex')
    const v5 = await connectedRaw(5)
    // SUBSCRIBE/UNSUBSCRIBE carry a v5 property length: insert a 0 after the packet id for v5.
    const v5bytes =
      bad[0] >> 4 === 8 || bad[0] >> 4 === 10
        ? Buffer.concat([Buffer.from([bad[0], bad[1] + 1]), bad.subarray(2, 4), Buffer.from([0]), bad.subarray(4)])
        : bad
    v5.write(v5bytes)
    await closedWithin(v5, 2000)
    expect(disconnectReason(v5)).toBe(0x81)

    const v4 = await connectedRaw(4)
    v4.write(bad)
    await closedWithin(v4, 2000)
    expect(afterConnack(v4, 4)).toEqual([])
    await expectHealthy()
  })

  it('a remaining length encoded in 5 bytes is malformed: v5 DISCONNECT 0x81 [MQTT-1.5.5]', async () => {
    const v5 = await connectedRaw(5)
    v5.write(Buffer.from('30ffffffff01', 'hex'))
    await closedWithin(v5, 2000)
    expect(disconnectReason(v5)).toBe(0x81)

    const v4 = await connectedRaw(4)
    v4.write(Buffer.from('30ffffffff01', 'hex'))
    await closedWithin(v4, 2000)
    await expectHealthy()
  })

  it('a QoS 3 PUBLISH is malformed: v5 DISCONNECT 0x81, not routed [MQTT-3.3.1-4]', async () => {
    for (const version of [5, 4] as const) {
      const raw = await connectedRaw(version)
      const bytes = publishBytes(version, 'healthy/qos3', 'qos3', 1)
      bytes[0] |= 0x06
      raw.write(bytes)
      await closedWithin(raw, 2000)
      if (version === 5) expect(disconnectReason(raw)).toBe(0x81)
      else expect(afterConnack(raw, 4)).toEqual([])
    }
    await expectHealthy()
    expectNothingLeaked()
  })

  it('a header claiming 100 MB is refused at once (v5 DISCONNECT 0x95) without buffering the body', async () => {
    const before = tb.broker.stats().bytesReceived
    const heapBefore = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers

    const v5 = await connectedRaw(5)
    // PUBLISH, remaining length 100,000,000 = 80 c2 d7 2f.
    v5.write(Buffer.from('3080c2d72f', 'hex'))
    const elapsed = await closedWithin(v5, 1500)
    expect(elapsed).toBeLessThan(1000)
    expect(disconnectReason(v5)).toBe(0x95)

    // 3.1.1: same, but keep streaming body bytes at the broker while it closes.
    const v4 = await connectedRaw(4)
    v4.write(Buffer.from('3080c2d72f', 'hex'))
    const chunk = Buffer.alloc(64 * 1024, 0x41)
    let sent = 0
    while (!v4.isClosed() && sent < 20 * 1024 * 1024) {
      v4.write(chunk)
      sent += chunk.length
      await delay(1)
    }
    await closedWithin(v4, 3000)
    expect(afterConnack(v4, 4)).toEqual([])

    // The broker stopped reading as soon as it saw the header: it took in far less than was sent.
    const taken = tb.broker.stats().bytesReceived - before
    expect(taken).toBeLessThan(2 * 1024 * 1024)
    const heapAfter = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers
    expect(heapAfter - heapBefore).toBeLessThan(40 * 1024 * 1024)
    await expectHealthy()
  })

  it('a complete PUBLISH larger than maximumPacketSize is refused (v5 DISCONNECT 0x95) and not routed', async () => {
    const v5 = await connectedRaw(5)
    v5.write(publishBytes(5, 'healthy/big', 'x'.repeat(MAX_PACKET)))
    await closedWithin(v5, 2000)
    expect(disconnectReason(v5)).toBe(0x95)
    await expectHealthy()
    expectNothingLeaked()
  })

  it('a v5 PUBLISH with an ill-formed UTF-8 topic is malformed: DISCONNECT 0x81, not routed [MQTT-1.5.4-1]', async () => {
    const v5 = await connectedRaw(5)
    // topic 'healthy/a<ff>b': 0xff never occurs in UTF-8.
    const topic = Buffer.concat([Buffer.from('healthy/a'), Buffer.from([0xff]), Buffer.from('b')])
    const body = Buffer.concat([Buffer.from([0, topic.length]), topic, Buffer.from([0]), Buffer.from('bad-utf8')])
    v5.write(Buffer.concat([Buffer.from([0x30, body.length]), body]))
    await closedWithin(v5, 2000)
    expect(disconnectReason(v5)).toBe(0x81)

    // An overlong encoding of '/' (c0 af) and a lone surrogate (ed a0 80) are ill-formed too.
    for (const badBytes of [
      [0xc0, 0xaf],
      [0xed, 0xa0, 0x80]
    ]) {
      const raw = await connectedRaw(5)
      const t = Buffer.concat([Buffer.from('healthy/'), Buffer.from(badBytes)])
      const b = Buffer.concat([Buffer.from([0, t.length]), t, Buffer.from([0]), Buffer.from('bad-utf8')])
      raw.write(Buffer.concat([Buffer.from([0x30, b.length]), b]))
      await closedWithin(raw, 2000)
      expect(disconnectReason(raw)).toBe(0x81)
    }
    await expectHealthy()
    expectNothingLeaked()
  })

  it('ill-formed UTF-8 elsewhere (CONNECT client id, SUBSCRIBE filter, user property) is malformed too [MQTT-1.5.4-1]', async () => {
    // CONNECT 3.1.1 with client id 'c<ff>': closed, no CONNACK, no session.
    const badId = Buffer.from('c\u0000', 'latin1')
    badId[1] = 0xff
    const connect = connectBytes(4, 'cX')
    const idOffset = connect.length - 2
    expect(connect.subarray(idOffset).toString()).toBe('cX')
    badId.copy(connect, idOffset)
    const raw = await openRaw(tb.tcpPort)
    raw.write(connect)
    await closedWithin(raw, 2000)
    expect(raw.received().toString('hex')).toBe('')

    // v5 SUBSCRIBE to 'healthy/<fe>': DISCONNECT 0x81, no SUBACK.
    const sub = await connectedRaw(5)
    const filter = Buffer.concat([Buffer.from('healthy/'), Buffer.from([0xfe])])
    const body = Buffer.concat([Buffer.from([0, 3, 0]), Buffer.from([0, filter.length]), filter, Buffer.from([0])])
    sub.write(Buffer.concat([Buffer.from([0x82, body.length]), body]))
    await closedWithin(sub, 2000)
    expect(afterConnack(sub, 5).map((p) => p.cmd)).toEqual(['disconnect'])
    expect(disconnectReason(sub)).toBe(0x81)

    // v5 PUBLISH with a user property value '<c3>' (truncated 2-byte sequence): DISCONNECT 0x81, not routed.
    const pub = await connectedRaw(5)
    const topic = Buffer.from('healthy/userprop')
    const prop = Buffer.from([0x26, 0, 1, 0x6b, 0, 1, 0xc3])
    const pubBody = Buffer.concat([Buffer.from([0, topic.length]), topic, Buffer.from([prop.length]), prop, Buffer.from('bad-prop')])
    pub.write(Buffer.concat([Buffer.from([0x30, pubBody.length]), pubBody]))
    await closedWithin(pub, 2000)
    expect(disconnectReason(pub)).toBe(0x81)
    await expectHealthy()
    expectNothingLeaked()
  })

  it('a genuine U+FFFD in a topic is well-formed UTF-8 and is delivered', async () => {
    const v5 = await connectedRaw(5)
    v5.write(publishBytes(5, 'healthy/\uFFFD', 'replacement-char'))
    await waitFor(() => healthyMessages.some((m) => m.topic === 'healthy/\uFFFD'), 'the U+FFFD topic to be delivered')
    expect(v5.isClosed()).toBe(false)
    await expectHealthy()
  })

  it.each(['healthy/+', 'healthy/#', 'healthy/a+b', '#'])(
    'a PUBLISH to a topic with a wildcard (%s) closes: v5 DISCONNECT 0x90 [MQTT-3.3.2-2]',
    async (topic) => {
      const v5 = await connectedRaw(5)
      v5.write(publishBytes(5, topic, 'wildcard', 1))
      await closedWithin(v5, 2000)
      expect(disconnectReason(v5)).toBe(0x90)

      const v4 = await connectedRaw(4)
      v4.write(publishBytes(4, topic, 'wildcard'))
      await closedWithin(v4, 2000)
      expect(afterConnack(v4, 4)).toEqual([])
      await expectHealthy()
      expectNothingLeaked()
    }
  )

  it('a half-open connection (keep alive 1, then silence) is closed within ~2.5 s [MQTT-3.1.2-24]', async () => {
    const v5 = await connectedRaw(5, { keepalive: 1 })
    const v4 = await connectedRaw(4, { keepalive: 1 })
    const [e5, e4] = await Promise.all([closedWithin(v5, 2600, 'the keep-alive timeout'), closedWithin(v4, 2600, 'the keep-alive timeout')])
    // Not before 1.5 × keep alive.
    expect(Math.min(e5, e4)).toBeGreaterThanOrEqual(1400)
    expect(disconnectReason(v5)).toBe(0x8d)
    await expectHealthy()
  })

  it('a client that keeps pinging within its keep alive stays connected', async () => {
    const v4 = await connectedRaw(4, { keepalive: 1 })
    for (let i = 0; i < 5; i++) {
      await delay(500)
      v4.write(Buffer.from('c000', 'hex'))
    }
    expect(v4.isClosed()).toBe(false)
    expect(afterConnack(v4, 4).filter((p) => p.cmd === 'pingresp').length).toBeGreaterThanOrEqual(4)
    await expectHealthy()
  })

  it.each([
    ['CONNACK', '20020000', '2003000000'],
    ['SUBACK', '9003000100', '900400010000'],
    ['UNSUBACK', 'b0020001', 'b00400010000'],
    ['PINGRESP', 'd000', 'd000']
  ])('a client sending a server-only packet (%s) is closed: v5 DISCONNECT 0x82', async (_name, v4hex, v5hex) => {
    const v5 = await connectedRaw(5)
    v5.write(Buffer.from(v5hex, 'hex'))
    await closedWithin(v5, 2000)
    expect(disconnectReason(v5)).toBe(0x82)

    const v4 = await connectedRaw(4)
    v4.write(Buffer.from(v4hex, 'hex'))
    await closedWithin(v4, 2000)
    expect(afterConnack(v4, 4)).toEqual([])
    await expectHealthy()
  })
})

// ───────────────────────────── positive control ─────────────────────────────

describe('valid input split into 1-byte writes', () => {
  it.each([4, 5] as const)('CONNECT + SUBSCRIBE + PUBLISH QoS 0/1 one byte at a time works (v%s)', async (version) => {
    const raw = await openRaw(tb.tcpPort)
    raw.socket.setNoDelay(true)
    const clientId = nextId('trickle')
    const stream = Buffer.concat([
      connectBytes(version, clientId, { keepalive: 30 }),
      mqttPacket.generate(
        { cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'trickle/echo', qos: 1 }] },
        { protocolVersion: version }
      ),
      publishBytes(version, 'healthy/trickle', `trickle-${version}-qos0`),
      publishBytes(version, 'healthy/trickle', `trickle-${version}-qos1`, 1),
      publishBytes(version, 'trickle/echo', `echo-${version}`, 1)
    ])
    for (const byte of stream) {
      raw.write(Buffer.from([byte]))
      await new Promise((resolve) => setImmediate(resolve))
    }
    await waitFor(
      () => healthyMessages.filter((m) => m.payload.toString().startsWith(`trickle-${version}`)).length === 2,
      'both trickled messages at the healthy client'
    )
    await waitFor(() => decode(raw.received(), version).length >= 5, 'CONNACK, SUBACK, 2 PUBACKs and the echo')
    const packets = decode(raw.received(), version)
    expect(packets.slice(0, 2).map((p) => p.cmd)).toEqual(['connack', 'suback'])
    expect((packets[0] as { reasonCode?: number; returnCode?: number })[version === 5 ? 'reasonCode' : 'returnCode']).toBe(0)
    expect((packets[1] as { granted: number[] }).granted).toEqual([1])
    // The echo may go out before the PUBACK of the PUBLISH that caused it; the spec orders neither.
    expect(
      packets
        .slice(2)
        .map((p) => p.cmd)
        .sort()
    ).toEqual(['puback', 'puback', 'publish'])
    const echo = packets.find((p) => p.cmd === 'publish') as { topic: string; payload: Buffer }
    expect(echo.topic).toBe('trickle/echo')
    expect(echo.payload.toString()).toBe(`echo-${version}`)
    expect(raw.isClosed()).toBe(false)
    await expectHealthy()
  })
})

// ───────────────────────────── many at once ─────────────────────────────

describe('load', () => {
  it('200 mixed bad connections in parallel leave the broker serving, and clientsConnected back to the healthy count', async () => {
    const healthyCount = tb.broker.stats().clientsConnected
    expect(healthyCount).toBe(1)
    const connect4 = (): Buffer => connectBytes(4, nextId('mix'))
    const connect5 = (): Buffer => connectBytes(5, nextId('mix'))
    const reserved = (): Buffer => {
      const bytes = connect4()
      bytes[9] |= 1
      return bytes
    }
    const level6 = (): Buffer => {
      const bytes = connect4()
      bytes[8] = 6
      return bytes
    }
    const kinds: Array<() => Buffer> = [
      () => Buffer.from('GET / HTTP/1.1\r\n\r\n'),
      () => publishBytes(4, 'healthy/mix', 'before-connect'),
      reserved,
      level6,
      () => Buffer.concat([connect5(), connect5()]),
      () => Buffer.concat([connect4(), Buffer.from('80080001000361626300', 'hex')]),
      () => Buffer.concat([connect5(), Buffer.from('30ffffffff01', 'hex')]),
      () => Buffer.concat([connect5(), Buffer.from('3080c2d72f', 'hex')]),
      () => {
        const q3 = publishBytes(4, 'healthy/mix', 'qos3', 1)
        q3[0] |= 0x06
        return Buffer.concat([connect4(), q3])
      },
      () => Buffer.concat([connect4(), publishBytes(4, 'healthy/#', 'wildcard')]),
      () => Buffer.concat([connect5(), Buffer.from('2003000000', 'hex')]),
      () => Buffer.concat([connect4(), Buffer.from('60020001', 'hex')])
    ]
    const raws = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const raw = await openRaw(tb.tcpPort)
        raw.write(kinds[i % kinds.length]())
        return raw
      })
    )
    await Promise.all(raws.map((raw) => closedWithin(raw, 5000)))
    await waitFor(() => tb.broker.stats().clientsConnected === healthyCount, 'clientsConnected back to the healthy count')
    expect(tb.broker.connectedCount()).toBe(healthyCount)
    expect(tb.broker.listClients().filter((c) => c.connected).length).toBe(healthyCount)
    await expectHealthy()
    expectNothingLeaked()
  })
})
