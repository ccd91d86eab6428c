/**
 * Recording the packet log and replaying it, with real MQTT.js clients on real brokers, and the
 * pcapng read back by Debian's tshark.
 *
 * Timing bound (stated in the README): at speed 1, half of the replayed messages reach the target
 * broker within 25 ms of their recorded offset from the first message, and every one within 500 ms
 * (the machine is shared and loaded: a stalled event loop delays a few; alone, the worst is 15-60 ms).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { MqttClient } from 'mqtt'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BrokerRecorder } from '../../src/main/tools/record/broker-recorder'
import { SubscriberRecorder } from '../../src/main/tools/record/subscriber-recorder'
import { Replayer } from '../../src/main/tools/replay/replayer'
import { connectClient, delay, startTestBroker, waitFor, type TestBroker } from '../helpers/broker-harness'

const TIMING_BOUND_MS = 500
const TIMING_MEDIAN_BOUND_MS = 25
const LIMITS = { maxBytes: 0, maxSeconds: 0, bufferBytes: 4 * 1024 * 1024 }

interface Seen {
  topic: string
  payload: Buffer
  qos: number
  retain: boolean
  properties: Record<string, unknown> | undefined
  at: number
}

let dir: string
const brokers: TestBroker[] = []
const clients: MqttClient[] = []

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'brokerscope-record-'))
})

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => {})))
  await Promise.all(brokers.splice(0).map((b) => b.close()))
  rmSync(dir, { recursive: true, force: true })
})

async function broker(): Promise<TestBroker> {
  const b = await startTestBroker()
  brokers.push(b)
  return b
}

async function client(target: TestBroker, id: string, version: 4 | 5 = 5): Promise<MqttClient> {
  const c = await connectClient(target, 'tcp', { clientId: id, protocolVersion: version })
  c.on('error', () => {})
  clients.push(c)
  return c
}

function collect(c: MqttClient): Seen[] {
  const seen: Seen[] = []
  c.on('message', (topic, payload, packet) =>
    seen.push({
      topic,
      payload,
      qos: packet.qos,
      retain: packet.retain,
      properties: packet.properties as Record<string, unknown>,
      at: Date.now()
    })
  )
  return seen
}

/** A varied stream: QoS 0/1/2, retained, binary, v5 properties, uneven gaps; returns what was sent, in order. */
async function publishStream(
  target: TestBroker
): Promise<Array<{ topic: string; payload: Buffer; qos: 0 | 1 | 2; retain: boolean; at: number }>> {
  const v5 = await client(target, 'pub-v5')
  const v3 = await client(target, 'pub-v3', 4)
  const sent: Array<{ topic: string; payload: Buffer; qos: 0 | 1 | 2; retain: boolean; at: number }> = []
  for (let i = 0; i < 24; i++) {
    const qos = (i % 3) as 0 | 1 | 2
    const retain = i % 7 === 0
    const topic = `lab/${i % 2 === 0 ? 'v5' : 'v3'}/sensor-${i % 4}`
    const payload = i === 5 ? Buffer.from([0, 255, 1, 254, 7]) : Buffer.from(JSON.stringify({ i, t: 20 + i / 10, text: 'héllo' }))
    const at = Date.now()
    if (i % 2 === 0) {
      await v5.publishAsync(topic, payload, {
        qos,
        retain,
        properties: { contentType: 'application/json', userProperties: { seq: String(i) }, correlationData: Buffer.from(`c${i}`) }
      })
    } else await v3.publishAsync(topic, payload, { qos, retain })
    sent.push({ topic, payload, qos, retain, at })
    await delay(i % 5 === 0 ? 180 : 40)
  }
  return sent
}

/** What the target broker itself received, in order, with its receive time: the replay's own output. */
function arrivals(target: TestBroker): Seen[] {
  const seen: Seen[] = []
  target.broker.events.on('message.published', (event) =>
    seen.push({
      topic: event.topic,
      payload: Buffer.from(event.payload),
      qos: event.qos,
      retain: event.retain,
      properties: undefined,
      at: event.time
    })
  )
  return seen
}

/** MQTT.js hands a QoS 2 message to 'message' only at PUBREL, a round trip later: compare in order per QoS. */
function perQos<T extends { qos: number }>(list: T[], qos: number): T[] {
  return list.filter((m) => m.qos === qos)
}

function jsonLines(file: string): Array<Record<string, unknown>> {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

describe('recording the broker and replaying it', () => {
  it('replays topics, payloads, QoS, retain, properties and order, with the recorded timing', async () => {
    const source = await broker()
    const file = join(dir, 'broker.jsonl')
    const pcapFile = join(dir, 'broker.pcapng')
    const recorder = await BrokerRecorder.start(source.broker, { file, pcapFile }, LIMITS)
    const sent = await publishStream(source)
    const status = await recorder.stop()
    expect(status.active).toBe(false)
    expect(status.notWritten).toBe(0)

    const lines = jsonLines(file)
    expect(lines[0]).toMatchObject({ format: 'brokerscope-recording', version: 1, source: 'broker' })
    expect(lines.at(-1)).toMatchObject({ format: 'brokerscope-recording-end', reason: 'stopped', notWritten: 0, written: status.written })
    const published = lines.filter((l) => l.type === 'publish' && l.direction === 'in')
    expect(published.map((l) => l.topic)).toEqual(sent.map((s) => s.topic))
    // Every packet type of the exchange is there, with the client and the time.
    const types = new Set(lines.map((l) => `${l.direction} ${l.type}`))
    for (const t of ['in connect', 'out connack', 'in publish', 'out puback', 'out pubrec', 'in pubrel', 'out pubcomp'])
      expect(types).toContain(t)
    expect(published[5]).toMatchObject({ payloadEncoding: 'base64', payload: Buffer.from([0, 255, 1, 254, 7]).toString('base64') })
    expect(published[0]).toMatchObject({
      clientId: 'pub-v5',
      qos: 0,
      retain: true,
      properties: { contentType: 'application/json', correlationData: Buffer.from('c0').toString('base64') }
    })

    // Replay into another broker, at the recorded speed.
    const target = await broker()
    const watcher = await client(target, 'watcher')
    await watcher.subscribeAsync('#', { qos: 2, rap: true })
    const seen = collect(watcher)
    const arrived = arrivals(target)
    const replay = new Replayer(file, { recording: 'broker.jsonl', speed: 1 }, { url: target.url('tcp'), maxInflight: 100 })
    const final = await replay.done
    expect(final).toMatchObject({ state: 'finished', sent: sent.length, failed: 0, progress: 1 })
    await waitFor(() => seen.length >= sent.length, 'all replayed messages', 5000)

    // The target broker received the same messages in the same order...
    const key = (m: { topic: string; payload: Buffer; qos: number; retain: boolean }): string =>
      `${m.topic} ${m.payload.toString('hex')} q${m.qos} r${m.retain}`
    expect(arrived.map(key)).toEqual(sent.map(key))
    // ...and so did a subscriber, with the v5 properties.
    for (const qos of [0, 1, 2]) expect(perQos(seen, qos).map(key)).toEqual(perQos(sent, qos).map(key))
    const first = seen.find((m) => m.topic === sent[0].topic && m.payload.equals(sent[0].payload))
    expect(first?.properties).toMatchObject({ contentType: 'application/json', userProperties: { seq: '0' } })
    expect(Buffer.from(first?.properties?.correlationData as Buffer).toString()).toBe('c0')

    // Relative timing: each message's offset from the first, as the source broker received them
    // (the recording's own times) and as the target broker received the replay.
    const recorded = lines.filter((l) => l.type === 'publish' && l.direction === 'in').map((l) => l.time as number)
    const deviations = recorded.map((t, i) => Math.abs(arrived[i].at - arrived[0].at - (t - recorded[0]))).sort((a, b) => a - b)
    if (process.env.TOOLS_REPORT)
      console.log(`replay timing deviation: median ${deviations[deviations.length >> 1]} ms, worst ${deviations.at(-1)} ms`)
    expect(deviations.at(-1)).toBeLessThanOrEqual(TIMING_BOUND_MS)
    expect(deviations[deviations.length >> 1]).toBeLessThanOrEqual(TIMING_MEDIAN_BOUND_MS)

    // The pcapng opens in Wireshark's MQTT dissector with the same topics.
    const tshark = spawnSync(
      'tshark',
      ['-r', pcapFile, '-Y', 'mqtt.msgtype == 3', '-T', 'fields', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'mqtt.topic'],
      {
        encoding: 'utf8'
      }
    )
    expect(tshark.status, tshark.stderr).toBe(0)
    const rows = tshark.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('\t'))
    const toBroker = rows.filter(([, dst]) => dst === '1883').map(([, , topic]) => topic)
    expect(toBroker).toEqual(sent.map((s) => s.topic))
    // v5 properties are dissected (the CONNECT said v5): the content type of the first message.
    const props = spawnSync(
      'tshark',
      ['-r', pcapFile, '-Y', 'mqtt.msgtype == 3 && tcp.dstport == 1883', '-T', 'fields', '-e', 'mqtt.property.content_type'],
      { encoding: 'utf8' }
    )
    expect(props.stdout.split('\n')[0]).toBe('application/json')
  })

  it('a subscriber recording (brokerscope record) replays as the messages it received', async () => {
    const source = await broker()
    const file = join(dir, 'sub.jsonl')
    const pcapFile = join(dir, 'sub.pcapng')
    const recorder = await SubscriberRecorder.start({ url: source.url('tcp'), topics: ['lab/#'] }, { file, pcapFile }, LIMITS)
    const sent = await publishStream(source)
    await waitFor(() => recorder.status().written >= sent.length + 4, 'the subscriber to receive everything', 5000)
    await delay(100)
    const status = await recorder.stop()
    expect(status.notWritten).toBe(0)
    expect(jsonLines(file)[0]).toMatchObject({ source: 'subscriber', topics: ['lab/#'] })

    const target = await broker()
    const watcher = await client(target, 'watcher2')
    await watcher.subscribeAsync('#', { qos: 2, rap: true })
    const seen = collect(watcher)
    const arrived = arrivals(target)
    const final = await new Replayer(
      file,
      { recording: 'sub.jsonl', speed: 1, addPrefix: 'copy/' },
      { url: target.url('tcp'), maxInflight: 10 }
    ).done
    expect(final).toMatchObject({ state: 'finished', sent: sent.length, failed: 0 })
    await waitFor(() => seen.length >= sent.length, 'all replayed messages', 5000)
    // The target broker received them in the recorded order; a subscriber per QoS (see perQos).
    const key = (m: { topic: string; payload: Buffer; qos: number; retain: boolean }): string =>
      `${m.topic} ${m.payload.toString('hex')} q${m.qos} r${m.retain}`
    const expected = sent.map((s) => ({ ...s, topic: `copy/${s.topic}` }))
    expect(arrived.map(key)).toEqual(expected.map(key))
    for (const qos of [0, 1, 2]) expect(perQos(seen, qos).map(key)).toEqual(perQos(expected, qos).map(key))

    const tshark = spawnSync('tshark', ['-r', pcapFile, '-Y', 'mqtt', '-T', 'fields', '-e', 'mqtt.msgtype', '-e', 'mqtt.topic'], {
      encoding: 'utf8'
    })
    expect(tshark.status, tshark.stderr).toBe(0)
    const publishes = tshark.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'))
      .filter(([type]) => type === '3')
      .map(([, topic]) => topic)
    expect(publishes).toEqual(sent.map((s) => s.topic))
  })

  it('replays the Traffic view JSON export, with a client filter and a prefix stripped', async () => {
    const { writeFileSync } = await import('node:fs')
    const file = join(dir, 'export.json')
    const row = (id: number, clientId: string, topic: string, payload: string, time: string): Record<string, unknown> => ({
      id,
      time,
      direction: 'in',
      clientId,
      type: 'publish',
      size: 10,
      packetId: null,
      topic,
      qos: 0,
      retain: false,
      dup: false,
      reasonCode: null,
      payloadSize: payload.length,
      payloadEncoding: 'utf8',
      payload,
      payloadTruncated: false,
      properties: null
    })
    writeFileSync(
      file,
      JSON.stringify([
        row(1, 'a', 'site/x/1', 'one', '2026-01-01T00:00:00.000Z'),
        { ...row(2, 'a', '', '', '2026-01-01T00:00:00.010Z'), type: 'puback', topic: null },
        row(3, 'b', 'site/x/2', 'two', '2026-01-01T00:00:00.020Z'),
        { ...row(4, 'a', 'site/x/3', '00ff', '2026-01-01T00:00:00.030Z'), payloadEncoding: 'hex' }
      ])
    )
    const target = await broker()
    const watcher = await client(target, 'watcher3')
    await watcher.subscribeAsync('#', { qos: 0 })
    const seen = collect(watcher)
    const final = await new Replayer(
      file,
      { recording: 'export.json', speed: 1, clients: ['a'], stripPrefix: 'site/' },
      { url: target.url('tcp'), maxInflight: 10 }
    ).done
    expect(final).toMatchObject({ state: 'finished', sent: 2, skipped: 2 })
    await waitFor(() => seen.length >= 2, 'two messages')
    expect(seen.map((s) => [s.topic, s.payload.toString('hex')])).toEqual([
      ['x/1', Buffer.from('one').toString('hex')],
      ['x/3', '00ff']
    ])
  })
})

describe('recording under a flood', () => {
  it('stays within its buffer and counts every packet it could not write', async () => {
    const source = await broker()
    const file = join(dir, 'flood.jsonl')
    // A disk that takes 64 KiB every 20 ms (about 3 MB/s): far slower than the flood.
    const slowDisk = (): Writable =>
      new Writable({
        highWaterMark: 16 * 1024,
        write(_chunk, _encoding, done) {
          setTimeout(done, 20)
        }
      })
    const bufferBytes = 256 * 1024
    const before = source.broker.packetsHandled()
    const recorder = await BrokerRecorder.start(
      source.broker,
      { file, pcapFile: null, open: slowDisk },
      { maxBytes: 0, maxSeconds: 0, bufferBytes }
    )
    let maxBuffered = 0
    const sampler = setInterval(() => (maxBuffered = Math.max(maxBuffered, recorder.bufferedBytes())), 2)
    const flooder = await client(source, 'flooder')
    const payload = Buffer.alloc(1024, 'x')
    for (let i = 0; i < 20_000; i++) flooder.publish('flood/a', payload, { qos: 0 })
    await flooder.publishAsync('flood/end', 'done', { qos: 1 })
    await delay(200)
    clearInterval(sampler)
    const status = await recorder.stop()
    const handled = source.broker.packetsHandled() - before

    if (process.env.TOOLS_REPORT)
      console.log(
        `flood: ${handled} packets handled, ${status.written} written, ${status.notWritten} not written, at most ${maxBuffered} bytes buffered`
      )
    expect(status.notWritten).toBeGreaterThan(1000)
    expect(status.written).toBeGreaterThan(0)
    // Every packet the broker handled while recording is either written or counted as not written.
    expect(status.written + status.notWritten).toBe(handled)
    // Memory held for the disk never went past the buffer (plus the one chunk that was being written).
    expect(maxBuffered).toBeLessThanOrEqual(bufferBytes + 16 * 1024)
    expect(existsSync(file)).toBe(false) // the slow stream stood in for the file
  })

  it('stops at the size cap with a complete file', async () => {
    const source = await broker()
    const file = join(dir, 'capped.jsonl')
    const recorder = await BrokerRecorder.start(
      source.broker,
      { file, pcapFile: null },
      { maxBytes: 20_000, maxSeconds: 0, bufferBytes: 1024 * 1024 }
    )
    const c = await client(source, 'capper')
    for (let i = 0; i < 200; i++) await c.publishAsync('cap/a', Buffer.alloc(200, 'y'), { qos: 0 })
    await waitFor(() => !recorder.active, 'the size cap to end the recording')
    const status = await recorder.stop()
    expect(status.endReason).toBe('size cap')
    expect(status.bytes).toBeLessThanOrEqual(20_000)
    const lines = jsonLines(file)
    expect(lines.at(-1)).toMatchObject({ format: 'brokerscope-recording-end', reason: 'size cap' })
    expect(readFileSync(file).length).toBeLessThanOrEqual(20_000)
  })
})
