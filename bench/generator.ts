/**
 * The load generator: one process, pinned to its own core by the orchestrator, that runs one
 * scenario against one broker (or fake broker) and prints one JSON line (GeneratorResult).
 *
 *   node --import tsx bench/generator.ts '<GeneratorJob as JSON>'
 *
 * Raw TCP sockets; packets are encoded once with mqtt-packet and patched in place; publishers
 * write only while the socket accepts (backpressure), so the generator never buffers without
 * bound. Subscribers check every sequence number.
 */
import net from 'node:net'
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import {
  CONNACK,
  FIRST_BYTE,
  FrameReader,
  PAYLOAD_PUBLISHER,
  PAYLOAD_SEQ,
  PAYLOAD_TIME,
  PUBACK,
  PUBCOMP,
  PUBLISH,
  PUBREC,
  PUBREL,
  PublishTemplate,
  SUBACK,
  SeqTracker,
  encodeConnect,
  encodeSubscribe,
  payloadStart,
  writeAck,
  type FrameHandler,
  type QoS
} from './mqtt'
import mqttPacket from 'mqtt-packet'
import { openInspectorPage, type InspectorPage } from './page'
import type { GeneratorJob, GeneratorResult } from './scenarios'

const job = JSON.parse(process.argv[2] ?? '{}') as GeneratorJob
const againstSink = job.target === 'discard' || job.target === 'ack'
/** Bytes per publisher write (one batch of packets). */
const BATCH_BYTES = 32 * 1024
/** Longer than this (beyond the planned run time) and the run is abandoned. */
const WATCHDOG_MS = 30_000

const result: GeneratorResult = {
  scenario: job.scenario,
  target: job.target,
  metrics: {},
  counts: { sent: 0, acknowledged: 0, expected: 0, delivered: 0, duplicates: 0, outOfOrder: 0 },
  failures: [],
  notes: []
}

// ───────────────────────────── connections ─────────────────────────────

let unexpectedCloses = 0
let lastSocketError = ''
const noFrame: FrameHandler = () => {}

/**
 * Every socket reads into this one buffer (net's `onread`): no allocation and no stream machinery
 * per chunk, which matters when a broker sends packet by packet. Frames are handled synchronously;
 * FrameReader copies a partial frame out before the next read.
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024)

/**
 * One client socket: frames go to `handler`. What reading provokes (acknowledgements, the next
 * publishes of a window) is written once per event-loop turn, in `afterRead`, however many chunks
 * arrived in that turn, as one corked write.
 */
class Conn {
  readonly socket: net.Socket
  handler: FrameHandler = noFrame
  afterRead: (() => void) | null = null
  private flushQueued = false
  closing = false
  private readonly reader = new FrameReader((first, buf, body, end, start) => this.handler(first, buf, body, end, start))
  // Acknowledgements collected while chunks are parsed, written at the end of the turn.
  private acks: Buffer | null = null
  private ackLength = 0

  constructor(port = job.port) {
    this.socket = net.connect({
      host: job.host,
      port,
      noDelay: true,
      onread: { buffer: READ_BUFFER, callback: (bytes) => this.onRead(READ_BUFFER.subarray(0, bytes)) }
    })
    const socket = this.socket
    socket.on('error', (err) => (lastSocketError = err.message))
    socket.on('close', () => {
      if (!this.closing) unexpectedCloses++
    })
  }

  private onRead(chunk: Buffer): boolean {
    this.reader.push(chunk)
    if (!this.flushQueued && (this.afterRead !== null || this.ackLength > 0)) {
      this.flushQueued = true
      turnQueue.push(this)
      if (turnQueue.length === 1) setImmediate(endOfTurn)
    }
    return true
  }

  queueAck(firstByte: number, packetId: number): void {
    // Allocated on first use: idle connections never need it.
    this.acks ??= Buffer.allocUnsafe(16 * 1024)
    if (this.ackLength + 4 > this.acks.length) this.flushAcks()
    this.ackLength = writeAck(this.acks, this.ackLength, firstByte, packetId)
  }

  flushAcks(): void {
    this.socket.write(Buffer.from(this.acks!.subarray(0, this.ackLength)))
    this.ackLength = 0
  }

  endOfTurn(): void {
    this.flushQueued = false
    this.socket.cork()
    if (this.ackLength > 0) this.flushAcks()
    if (this.afterRead !== null) this.afterRead()
    this.socket.uncork()
  }

  close(): void {
    this.closing = true
    this.socket.destroy()
  }
}

let turnQueue: Conn[] = []

function endOfTurn(): void {
  const conns = turnQueue
  turnQueue = []
  for (const conn of conns) conn.endOfTurn()
}

/**
 * Connect, send CONNECT (and SUBSCRIBE, pipelined), resolve on CONNACK (and SUBACK). No timer per
 * connection: the watchdog in main() ends a run whose handshakes hang.
 */
function open(hello: Buffer, subscribes: boolean, port = job.port): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const conn = new Conn(port)
    const socket = conn.socket
    let connacked = false
    let subacked = !subscribes
    let settled = false
    const fail = (why: string): void => {
      if (settled) return
      settled = true
      conn.close()
      reject(new Error(why))
    }
    conn.handler = (first, buf, body, end) => {
      const type = first >> 4
      if (type === CONNACK) {
        if (buf[body + 1] !== 0) return fail(`CONNACK return code ${buf[body + 1]}`)
        connacked = true
      } else if (type === SUBACK) {
        if (buf[end - 1] === 0x80) return fail('SUBACK refused the subscription')
        subacked = true
      }
      if (connacked && subacked && !settled) {
        settled = true
        conn.handler = noFrame
        resolve(conn)
      }
    }
    socket.once('connect', () => socket.write(hello))
    socket.once('close', () => fail(`closed during the handshake${lastSocketError ? ` (${lastSocketError})` : ''}`))
  })
}

const runTag = process.pid.toString(36)

function openPublisher(i: number): Promise<Conn> {
  return open(encodeConnect(`bench-${runTag}-pub-${i}`), false)
}

function openSubscriber(i: number, topic: string, qos: QoS, options: { clean?: boolean; port?: number } = {}): Promise<Conn> {
  return open(
    Buffer.concat([encodeConnect(`bench-${runTag}-sub-${i}`, options.clean ?? true), encodeSubscribe(topic, qos)]),
    true,
    options.port ?? job.port
  )
}

// ───────────────────────────── timeline ─────────────────────────────

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

interface Counters {
  sent: number
  acked: number
  received: number
}
const counters: Counters = { sent: 0, acked: 0, received: 0 }

/** CPU time of a process in ms from /proc/<pid>/stat (utime + stime, in clock ticks of 10 ms). */
function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return NaN
  }
}

/** Busy time of the whole machine in ms from /proc/stat (all cores; ticks of 10 ms, idle and iowait excluded). */
function machineBusyMs(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  const [user, nice, system, , , irq, softirq, steal] = fields
  return (user + nice + system + irq + softirq + (steal ?? 0)) * 10
}

/**
 * Start measuring CPU use: the returned function records, as % of one core since the start, the
 * generator's own (metrics.generatorCpu), the target process's (metrics.targetCpu) and everything
 * else on the machine (metrics.otherCpu: other people's jobs, the kernel's softirq time, noise).
 * A generator near 100 % means the run measured the generator, not the broker.
 */
function cpuWindow(): () => void {
  const wall = performance.now()
  const own = process.cpuUsage()
  const target = job.pid !== undefined ? processCpuMs(job.pid) : NaN
  const machine = machineBusyMs()
  return () => {
    const ms = performance.now() - wall
    const used = process.cpuUsage(own)
    const generatorMs = (used.user + used.system) / 1000
    const targetMs = job.pid !== undefined ? processCpuMs(job.pid) - target : 0
    result.metrics.generatorCpu = (100 * generatorMs) / ms
    if (job.pid !== undefined) result.metrics.targetCpu = (100 * targetMs) / ms
    result.metrics.otherCpu = Math.max(0, (100 * (machineBusyMs() - machine - generatorMs - targetMs)) / ms)
  }
}

/** Warm up, then measure: returns per-second rates of the counters over the measured window. */
async function measureWindow(onMeasureStart?: () => void, onMeasureEnd?: () => void): Promise<Counters> {
  await sleep(job.warmupMs)
  const before = { ...counters }
  const t0 = performance.now()
  const cpu = cpuWindow()
  onMeasureStart?.()
  await sleep(job.measureMs)
  onMeasureEnd?.()
  cpu()
  const seconds = (performance.now() - t0) / 1000
  return {
    sent: (counters.sent - before.sent) / seconds,
    acked: (counters.acked - before.acked) / seconds,
    received: (counters.received - before.received) / seconds
  }
}

/** Wait until `done()` or until nothing has changed for `quietMs`, at most job.drainMs. */
async function drain(done: () => boolean, progress: () => number, quietMs: number): Promise<void> {
  const deadline = performance.now() + job.drainMs
  let last = progress()
  let lastChange = performance.now()
  while (!done() && performance.now() < deadline) {
    await sleep(20)
    const now = progress()
    if (now !== last) {
      last = now
      lastChange = performance.now()
    } else if (performance.now() - lastChange > quietMs) {
      break
    }
  }
}

// ───────────────────────────── receivers ─────────────────────────────

/** A subscriber's view: one SeqTracker per publisher index. */
class Receiver {
  readonly trackers: SeqTracker[] = []
  latencies: Float64Array | null = null
  latencyCount = 0
  recordLatency = false

  constructor(
    readonly conn: Conn,
    publishers: number
  ) {
    for (let i = 0; i < publishers; i++) this.trackers.push(new SeqTracker())
    conn.handler = (first, buf, body) => this.onFrame(first, buf, body)
  }

  private onFrame(first: number, buf: Buffer, body: number): void {
    const type = first >> 4
    if (type === PUBLISH) {
      const p = payloadStart(first, buf, body)
      const publisher = buf.readUInt32LE(p + PAYLOAD_PUBLISHER)
      const tracker = this.trackers[publisher]
      if (tracker !== undefined) tracker.mark(buf.readUInt32LE(p + PAYLOAD_SEQ))
      else unknownPublisher++
      counters.received++
      if (this.recordLatency && this.latencies !== null && this.latencyCount < this.latencies.length) {
        this.latencies[this.latencyCount++] = performance.now() - buf.readDoubleLE(p + PAYLOAD_TIME)
      }
      const qos = (first >> 1) & 3
      if (qos === 1) this.conn.queueAck(FIRST_BYTE.puback, buf.readUInt16BE(p - 2))
      else if (qos === 2) this.conn.queueAck(FIRST_BYTE.pubrec, buf.readUInt16BE(p - 2))
    } else if (type === PUBREL) {
      this.conn.queueAck(FIRST_BYTE.pubcomp, buf.readUInt16BE(body))
    }
  }
}

let unknownPublisher = 0

/**
 * Count what the receivers got against what each publisher sent. Sets counts.delivered/expected and
 * returns the QoS 0 split: `gaps` skipped (lost) and `tail` not delivered when the drain ended.
 */
function tally(
  receivers: Receiver[],
  sentPerPublisher: number[],
  routed: (receiver: number, publisher: number) => boolean = () => true
): { gaps: number; tail: number } {
  let unique = 0
  let gaps = 0
  let tail = 0
  let expected = 0
  let misrouted = 0
  receivers.forEach((r, receiver) => {
    r.trackers.forEach((t, publisher) => {
      if (!routed(receiver, publisher)) {
        misrouted += t.unique + t.duplicates
        return
      }
      const sent = sentPerPublisher[publisher] ?? 0
      if (sent === 0) return
      expected += sent
      unique += t.unique
      gaps += t.gaps()
      tail += sent - (t.last + 1)
      result.counts.duplicates += t.duplicates
      result.counts.outOfOrder += t.outOfOrder
    })
  })
  if (misrouted > 0) result.failures.push(`${misrouted} messages delivered to a subscriber that did not subscribe to their topic`)
  result.counts.delivered = unique
  result.counts.expected = expected
  if (unknownPublisher > 0) result.failures.push(`${unknownPublisher} messages with an unknown publisher index`)
  return { gaps, tail }
}

/** QoS 0 loss (skipped messages) and undelivered-at-the-end, as percentages of expected deliveries. */
function reportQos0(split: { gaps: number; tail: number }): void {
  const expected = result.counts.expected
  result.metrics.loss = expected > 0 ? (100 * split.gaps) / expected : 0
  result.metrics.undelivered = expected > 0 ? (100 * split.tail) / expected : 0
  if (result.counts.duplicates > 0) result.notes.push(`${result.counts.duplicates} duplicate QoS 0 deliveries`)
  if (result.counts.outOfOrder > 0) result.notes.push(`${result.counts.outOfOrder} deliveries out of order`)
}

// ───────────────────────────── inspector UI client ─────────────────────────────

/** What the UI client has received so far (fan-in-inspector). */
interface UiCounters {
  batches: number
  /** Traffic rows in the batches. */
  rows: number
  /** Sum of the batches' trafficNotShown. */
  notShown: number
  /** Full batches: the server skipped batches for this socket (its send buffer was over the limit). */
  full: number
  skipped: number
  /** Characters of batch JSON. */
  chars: number
}

/**
 * A UI client as the renderer is one in headless mode (src/renderer/src/api/websocket-transport.ts
 * and store/connection.ts): it opens ws://127.0.0.1:P/api?token=T with the page's Origin, asks for
 * one `snapshot`, then receives and parses every batch. Connecting is what attaches the inspector
 * to the broker (ui-server.ts: the first socket subscribes to the inspector's batches).
 */
class UiClient {
  readonly counts: UiCounters = { batches: 0, rows: 0, notShown: 0, full: 0, skipped: 0, chars: 0 }
  snapshotMs = NaN
  snapshotChars = 0
  /** Why the socket closed while it should have stayed open, or null. */
  lost: string | null = null
  private closing = false
  private lastSeq = -1
  seqGaps = 0

  private constructor(private readonly ws: import('ws').WebSocket) {}

  static async connect(ui: { port: number; token: string }, timeoutMs = 10_000): Promise<UiClient> {
    const { WebSocket } = await import('ws')
    const origin = `http://127.0.0.1:${ui.port}`
    const ws = new WebSocket(`ws://127.0.0.1:${ui.port}/api?token=${encodeURIComponent(ui.token)}`, { origin })
    const client = new UiClient(ws)
    const t0 = performance.now()
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(`UI client: no snapshot within ${timeoutMs / 1000} s`), timeoutMs)
      let settled = false
      function fail(why: string): void {
        if (settled) return
        settled = true
        clearTimeout(timer)
        ws.terminate()
        reject(new Error(why))
      }
      ws.on('unexpected-response', (_req, res) => fail(`UI client: the API refused the upgrade with HTTP ${res.statusCode}`))
      ws.on('error', (err) => fail(`UI client: ${err.message}`))
      ws.on('close', (code) => {
        if (!settled) fail(`UI client: closed before the snapshot (code ${code})`)
        else if (!client.closing) client.lost ??= `the inspector API closed the UI socket during the run (code ${code})`
      })
      ws.on('open', () => ws.send(JSON.stringify({ id: 1, command: 'snapshot', args: [] })))
      ws.on('message', (data, isBinary) => {
        if (isBinary) return
        const text = data.toString()
        const message = JSON.parse(text) as {
          id?: number | string | null
          ok?: boolean
          error?: string
          event?: string
          batch?: { seq: number; traffic: unknown[]; trafficNotShown: number; full?: boolean; batchesSkipped?: number }
        }
        if (message.event === 'batch' && message.batch) {
          const batch = message.batch
          const c = client.counts
          c.batches++
          c.rows += batch.traffic.length
          c.notShown += batch.trafficNotShown
          c.chars += text.length
          if (batch.full) {
            c.full++
            c.skipped += batch.batchesSkipped ?? 0
          } else if (client.lastSeq >= 0 && batch.seq !== client.lastSeq + 1) {
            client.seqGaps++
          }
          client.lastSeq = batch.seq
        } else if (message.id === 1) {
          if (message.ok !== true) return fail(`UI client: snapshot failed: ${message.error ?? 'no reason given'}`)
          client.snapshotMs = performance.now() - t0
          client.snapshotChars = text.length
          settled = true
          clearTimeout(timer)
          resolve()
        }
      })
    })
    return client
  }

  close(): void {
    this.closing = true
    this.ws.close()
  }
}

// ───────────────────────────── publishers ─────────────────────────────

/** QoS 0 publishers that write a batch whenever their socket accepts one. */
class Flood {
  running = false
  private scheduled = false
  private readonly blocked: boolean[]
  readonly seq: number[]
  private readonly batch: number[]

  constructor(
    private readonly conns: Conn[],
    private readonly templates: PublishTemplate[]
  ) {
    this.blocked = conns.map(() => false)
    this.seq = conns.map(() => 0)
    this.batch = templates.map((t) => t.batch)
  }

  start(): void {
    this.running = true
    this.kick()
  }

  stop(): void {
    this.running = false
  }

  private kick(): void {
    if (this.scheduled || !this.running) return
    this.scheduled = true
    setImmediate(() => this.tick())
  }

  /** One batch per unblocked publisher per loop turn, so reads and other sockets get their turn. */
  private tick(): void {
    this.scheduled = false
    if (!this.running) return
    const now = performance.now()
    let any = false
    for (let i = 0; i < this.conns.length; i++) {
      if (this.blocked[i]) continue
      const count = this.batch[i]
      const bytes = this.templates[i].fill(count, this.seq[i], now)
      this.seq[i] += count
      counters.sent += count
      const socket = this.conns[i].socket
      if (socket.write(bytes)) {
        any = true
      } else {
        this.blocked[i] = true
        socket.once('drain', () => {
          this.blocked[i] = false
          this.kick()
        })
      }
    }
    if (any) this.kick()
  }
}

/**
 * QoS 0 publishers paced together at `rate` msg/s (a batch every millisecond, round-robin), so a
 * broker that reads faster than it can pass messages on (the bridge scenarios) is offered the same
 * load as one that does not. Paced from the start time: a late tick catches up, at most 1 s worth.
 */
class PacedFlood {
  readonly seq: number[]
  private running = false
  private start = 0
  private sentTotal = 0
  private next = 0

  constructor(
    private readonly conns: Conn[],
    private readonly templates: PublishTemplate[],
    private readonly rate: number
  ) {
    this.seq = conns.map(() => 0)
  }

  begin(): void {
    this.running = true
    this.start = performance.now()
    setTimeout(() => this.tick(), 1)
  }

  stop(): void {
    this.running = false
  }

  private tick(): void {
    if (!this.running) return
    const now = performance.now()
    const due = Math.floor(((now - this.start) / 1000) * this.rate)
    let count = Math.min(due - this.sentTotal, this.rate)
    while (count > 0) {
      const i = this.next
      this.next = (i + 1) % this.conns.length
      const n = Math.min(count, this.templates[i].batch)
      this.conns[i].socket.write(this.templates[i].fill(n, this.seq[i], now))
      this.seq[i] += n
      this.sentTotal += n
      counters.sent += n
      count -= n
    }
    setTimeout(() => this.tick(), 1)
  }
}

/** A QoS 1/2 publisher keeping `window` messages in flight, acknowledgements checked by packet id. */
class WindowedPublisher {
  running = false
  seq = 0
  inflight = 0
  protocolErrors = 0
  // 0 free, 1 waiting for PUBACK/PUBREC, 2 waiting for PUBCOMP.
  private readonly state = new Uint8Array(65536)
  private nextId = 1
  private readonly ids: Uint16Array

  constructor(
    private readonly conn: Conn,
    private readonly template: PublishTemplate,
    private readonly window: number
  ) {
    this.ids = new Uint16Array(window)
    conn.handler = (first, buf, body) => this.onFrame(first, buf, body)
    conn.afterRead = () => this.topUp()
  }

  private onFrame(first: number, buf: Buffer, body: number): void {
    const type = first >> 4
    const id = buf.readUInt16BE(body)
    if (type === PUBACK && this.template.qos === 1 && this.state[id] === 1) {
      this.state[id] = 0
      this.inflight--
      counters.acked++
    } else if (type === PUBREC && this.template.qos === 2 && this.state[id] === 1) {
      this.state[id] = 2
      this.conn.queueAck(FIRST_BYTE.pubrel, id)
    } else if (type === PUBCOMP && this.template.qos === 2 && this.state[id] === 2) {
      this.state[id] = 0
      this.inflight--
      counters.acked++
    } else {
      this.protocolErrors++
    }
  }

  topUp(): void {
    if (!this.running) return
    const count = this.window - this.inflight
    if (count <= 0) return
    for (let k = 0; k < count; k++) {
      let id = this.nextId
      while (this.state[id] !== 0) id = id === 65535 ? 1 : id + 1
      this.state[id] = 1
      this.ids[k] = id
      this.nextId = id === 65535 ? 1 : id + 1
    }
    this.conn.socket.write(this.template.fill(count, this.seq, performance.now(), this.ids))
    this.seq += count
    this.inflight += count
    counters.sent += count
  }
}

// ───────────────────────────── scenarios ─────────────────────────────

function batchOf(topic: string, qos: QoS): number {
  const probe = new PublishTemplate(topic, qos, 0, 1)
  return Math.max(1, Math.floor(BATCH_BYTES / probe.packetLength))
}

/**
 * fan-in and fan-out: QoS 0 publishers as fast as the broker reads (with job.ui: the inspector's UI
 * client connected first). bridge-qos0: the subscribers are on the remote (`subscriberPort`).
 */
async function flood(publisherTopics: string[], subscriberTopic: string, subscribers: number, subscriberPort = job.port): Promise<void> {
  // A real page (fan-in-topics-chart, opened once the load runs, so its topic exists) is the UI;
  // otherwise the WebSocket UI client (fan-in-inspector).
  let page: InspectorPage | null = null
  const ui = job.ui && !job.page ? await UiClient.connect(job.ui) : null
  const subs = await Promise.all(
    Array.from({ length: subscribers }, (_, i) => openSubscriber(i, subscriberTopic, 0, { port: subscriberPort }))
  )
  const pubs = await Promise.all(publisherTopics.map((_, i) => openPublisher(i)))
  const receivers = subs.map((conn) => new Receiver(conn, pubs.length))
  const templates = publisherTopics.map((topic, i) => new PublishTemplate(topic, 0, i, batchOf(topic, 0)))
  // Paced (bridge-qos0 at params.rate), or as fast as the broker reads.
  const load = job.params.rate ? pacedLoad(new PacedFlood(pubs, templates, job.params.rate)) : new Flood(pubs, templates)
  // What the UI client received in the measured window.
  const uiWindow = { t0: 0, start: null as UiCounters | null, counts: null as UiCounters | null, seconds: 0 }
  load.start()
  if (job.ui && job.page) page = await openInspectorPage(job.ui, job.page)
  const browser = { ms: 0, t0: 0 }
  const rates = await measureWindow(
    () => {
      if (page) Object.assign(browser, { ms: page.browserCpuMs(), t0: performance.now() })
      if (!ui) return
      uiWindow.start = { ...ui.counts }
      uiWindow.t0 = performance.now()
    },
    () => {
      if (page) result.metrics.pageCpu = (100 * (page.browserCpuMs() - browser.ms)) / (performance.now() - browser.t0)
      if (!ui) return
      const counts = { ...ui.counts }
      for (const key of Object.keys(counts) as Array<keyof UiCounters>) counts[key] -= uiWindow.start![key]
      uiWindow.counts = counts
      uiWindow.seconds = (performance.now() - uiWindow.t0) / 1000
    }
  )
  load.stop()

  const sent = load.seq.reduce((a, b) => a + b, 0)
  const expected = againstSink ? 0 : sent * subscribers
  await drain(
    () => counters.received >= expected,
    () => counters.received,
    500
  )
  result.metrics.sent = rates.sent
  result.counts.sent = sent
  if (!againstSink) {
    reportQos0(tally(receivers, load.seq))
    result.metrics[job.scenario === 'fan-out' ? 'deliveries' : 'received'] = rates.received
  }
  if (ui) {
    const counts = uiWindow.counts!
    const seconds = uiWindow.seconds
    result.metrics.uiBatches = counts.batches / seconds
    result.metrics.uiRows = counts.rows / seconds
    result.metrics.uiNotShown = counts.notShown / seconds
    const total = ui.counts
    result.notes.push(
      `UI: snapshot ${Math.round(ui.snapshotMs)} ms (${Math.round(ui.snapshotChars / 1024)} KiB); ` +
        `${(counts.chars / seconds / 1e6).toFixed(2)} MB/s of batch JSON in the window; ` +
        `${total.batches} batches in all, ${total.full} full after ${total.skipped} skipped` +
        (ui.seqGaps > 0 ? `, ${ui.seqGaps} seq gaps` : '')
    )
    if (ui.lost) result.failures.push(ui.lost)
    else if (counts.batches === 0) result.failures.push('UI client: no batch during the measured window')
    ui.close()
  }
  if (page) {
    result.notes.push(
      job.page?.view === 'traffic'
        ? `page: Traffic view, following (${await page.trafficRowsShown()} rows shown at the end); ${page.placement}`
        : `page: Topics view, ${job.page?.topic} charted (${await page.chartPoints()} points shown); ${page.placement}`
    )
    await page.close()
  }
  for (const c of [...subs, ...pubs]) c.close()
}

function pacedLoad(paced: PacedFlood): { seq: number[]; start(): void; stop(): void } {
  return { seq: paced.seq, start: () => paced.begin(), stop: () => paced.stop() }
}

/**
 * flood-topics-chart: `rate` msg/s of small JSON payloads paced over `topics` topics from
 * `publishers` connections, with a real page on the Topics view charting one of them; the page
 * clicks tree rows every 250 ms in the measured window. Payloads are pre-encoded (10 values per
 * topic, rotated), so the generator's own cost stays small next to the browser's.
 */
async function floodWithPage(rate: number, topicCount: number, publishers: number): Promise<void> {
  if (!job.ui || !job.page) throw new Error('flood-topics-chart needs the UI and a page')
  const pubs = await Promise.all(Array.from({ length: publishers }, (_, i) => openPublisher(i)))
  // Every topic once, so the page finds the charted one in the tree.
  const packets: Buffer[] = []
  for (let v = 0; v < 10; v++) {
    for (let t = 0; t < topicCount; t++) {
      packets.push(
        mqttPacket.generate({
          cmd: 'publish',
          topic: `flood/t${t}`,
          payload: Buffer.from(JSON.stringify({ v: 20 + v + t / 1000, seq: v })),
          qos: 0,
          dup: false,
          retain: false
        })
      )
    }
  }
  for (let t = 0; t < topicCount; t++) pubs[t % publishers].socket.write(packets[t])
  const page: InspectorPage = await openInspectorPage(job.ui, job.page)
  const interval = 1000 / rate
  const start = performance.now()
  let seq = 0
  let running = true
  const pace = (): void => {
    if (!running) return
    const due = Math.floor((performance.now() - start) / interval) + 1
    const count = Math.min(due - seq, 2000)
    if (count > 0) {
      const perPublisher: Buffer[][] = pubs.map(() => [])
      for (let i = 0; i < count; i++) perPublisher[(seq + i) % publishers].push(packets[(seq + i) % packets.length])
      pubs.forEach((pub, i) => {
        if (perPublisher[i].length > 0) pub.socket.write(Buffer.concat(perPublisher[i]))
      })
      seq += count
      counters.sent += count
    }
    setTimeout(pace, 1)
  }
  setTimeout(pace, 1)
  let clicking = false
  let clicks = 0
  let heapMax = 0
  const clicker = async (): Promise<void> => {
    while (clicking) {
      await page.click(clicks++)
      heapMax = Math.max(heapMax, await page.heapBytes())
      await sleep(250)
    }
  }
  let clickDone: Promise<void> = Promise.resolve()
  const rates = await measureWindow(
    () => {
      clicking = true
      void page.takeLatencies()
      clickDone = clicker()
    },
    () => {
      clicking = false
    }
  )
  await clickDone
  running = false
  const latencies = (await page.takeLatencies()).sort((a, b) => a - b)
  const pct = (p: number): number =>
    latencies.length === 0 ? Number.NaN : latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]
  result.metrics.sent = rates.sent
  result.counts.sent = seq
  result.metrics.inputP95 = pct(95)
  result.metrics.inputMax = latencies.length > 0 ? latencies[latencies.length - 1] : Number.NaN
  const heap = await page.heapBytes()
  result.metrics.heapMb = heap / 1e6
  result.metrics.heapMaxMb = Math.max(heapMax, heap) / 1e6
  result.metrics.chartPoints = await page.chartPoints()
  result.notes.push(`${latencies.length} clicks measured (${clicks} made)`)
  if (latencies.length === 0) result.failures.push('no click latency measured')
  if (rates.sent < rate * 0.9) result.notes.push(`paced at ${rates.sent.toFixed(0)} msg/s, below the ${rate} asked for`)
  await page.close()
  for (const c of pubs) c.close()
}

/** qos1 and qos2: publisher → subscriber pairs with a window of messages in flight per publisher. */
async function pairs(qos: 1 | 2, count: number, window: number): Promise<void> {
  const topics = Array.from({ length: count }, (_, i) => `bench/q/${i}`)
  // The store scenarios: subscribers with persistent sessions, so every delivery is stored.
  const clean = job.params.persistentSessions !== true
  const subs = await Promise.all(topics.map((topic, i) => openSubscriber(i, topic, qos, { clean })))
  const pubConns = await Promise.all(topics.map((_, i) => openPublisher(i)))
  // Publisher i's messages carry index i; subscriber i only sees publisher i.
  const receivers = subs.map((conn) => new Receiver(conn, count))
  const pubs = pubConns.map((conn, i) => new WindowedPublisher(conn, new PublishTemplate(topics[i], qos, i, window), window))
  for (const p of pubs) {
    p.running = true
    p.topUp()
  }
  const rates = await measureWindow()
  for (const p of pubs) p.running = false

  const sent = (): number => pubs.reduce((a, p) => a + p.seq, 0)
  const inflight = (): number => pubs.reduce((a, p) => a + p.inflight, 0)
  const unique = (): number => receivers.reduce((a, r, i) => a + r.trackers[i].unique, 0)
  await drain(
    () => inflight() === 0 && (againstSink || unique() >= sent()),
    () => counters.acked + counters.received,
    Math.min(3000, job.drainMs)
  )
  const key = qos === 1 ? 'acked' : 'completed'
  result.metrics[key] = rates.acked
  result.counts.sent = sent()
  result.counts.acknowledged = counters.acked
  const protocolErrors = pubs.reduce((a, p) => a + p.protocolErrors, 0)
  if (protocolErrors > 0) result.failures.push(`${protocolErrors} unexpected acknowledgements (unknown packet id or wrong state)`)
  if (inflight() > 0) result.failures.push(`${inflight()} messages never acknowledged`)
  if (!againstSink) {
    const { gaps, tail } = tally(
      receivers,
      pubs.map((p) => p.seq),
      (receiver, publisher) => receiver === publisher
    )
    result.metrics.delivered = rates.received
    if (gaps + tail > 0) {
      result.failures.push(
        `QoS ${qos}: ${gaps + tail} of ${result.counts.expected} messages lost (${gaps} skipped, ${tail} missing at the end)`
      )
    }
    if (result.counts.duplicates > 0) {
      if (qos === 2) result.failures.push(`QoS 2: ${result.counts.duplicates} duplicate deliveries`)
      else result.notes.push(`${result.counts.duplicates} duplicate QoS 1 deliveries`)
    }
    if (result.counts.outOfOrder > 0) result.notes.push(`${result.counts.outOfOrder} deliveries out of order`)
  }
  for (const c of [...subs, ...pubConns]) c.close()
}

/**
 * Bridge scenarios: wait until the broker under test's bridge carries messages to the remote, by
 * publishing probe/up here until a subscriber on the remote sees it.
 */
async function waitForBridge(timeoutMs = 15_000): Promise<void> {
  if (job.subscriberPort === undefined) throw new Error('a bridge scenario needs subscriberPort')
  const probeSub = await open(
    Buffer.concat([encodeConnect(`bench-${runTag}-probe-sub`), encodeSubscribe('probe/#', 0)]),
    true,
    job.subscriberPort
  )
  let arrived = false
  probeSub.handler = (first) => {
    if (first >> 4 === PUBLISH) arrived = true
  }
  const probePub = await open(encodeConnect(`bench-${runTag}-probe-pub`), false)
  const probe = mqttPacket.generate({ cmd: 'publish', topic: 'probe/up', payload: Buffer.from('up'), qos: 0, dup: false, retain: false })
  const deadline = performance.now() + timeoutMs
  while (!arrived) {
    if (performance.now() > deadline) throw new Error(`the bridge did not carry a message to the remote within ${timeoutMs / 1000} s`)
    probePub.socket.write(probe)
    await sleep(50)
  }
  probeSub.close()
  probePub.close()
}

/** bridge-qos1: QoS 1 publishers (a window each) on the broker under test, one QoS 1 subscriber on the remote; nothing may be lost. */
async function bridgedQos1(count: number, window: number): Promise<void> {
  const sub = await openSubscriber(0, 'bench/#', 1, { port: job.subscriberPort })
  const receiver = new Receiver(sub, count)
  const pubConns = await Promise.all(Array.from({ length: count }, (_, i) => openPublisher(i)))
  const pubs = pubConns.map((conn, i) => new WindowedPublisher(conn, new PublishTemplate(`bench/q/${i}`, 1, i, window), window))
  for (const p of pubs) {
    p.running = true
    p.topUp()
  }
  const rates = await measureWindow()
  for (const p of pubs) p.running = false
  const sent = (): number => pubs.reduce((a, p) => a + p.seq, 0)
  const inflight = (): number => pubs.reduce((a, p) => a + p.inflight, 0)
  const unique = (): number => receiver.trackers.reduce((a, t) => a + t.unique, 0)
  await drain(
    () => inflight() === 0 && unique() >= sent(),
    () => counters.acked + counters.received,
    Math.min(3000, job.drainMs)
  )
  result.metrics.delivered = rates.received
  result.metrics.acked = rates.acked
  result.counts.sent = sent()
  result.counts.acknowledged = counters.acked
  if (inflight() > 0) result.failures.push(`${inflight()} messages never acknowledged to their publisher`)
  const { gaps, tail } = tally(
    [receiver],
    pubs.map((p) => p.seq)
  )
  if (gaps + tail > 0) {
    result.failures.push(
      `QoS 1: ${gaps + tail} of ${result.counts.expected} messages lost across the bridge (${gaps} skipped, ${tail} missing at the end)`
    )
  }
  if (result.counts.duplicates > 0) result.notes.push(`${result.counts.duplicates} duplicate QoS 1 deliveries`)
  if (result.counts.outOfOrder > 0) result.notes.push(`${result.counts.outOfOrder} deliveries out of order`)
  for (const c of [sub, ...pubConns]) c.close()
}

/** latency: one publisher paced at `rate`, timestamps taken from the schedule (no coordinated omission). */
async function latency(rate: number): Promise<void> {
  const topic = 'bench/lat'
  const sub = await openSubscriber(0, topic, 0)
  const pub = await openPublisher(0)
  const receiver = new Receiver(sub, 1)
  receiver.latencies = new Float64Array(Math.ceil((rate * job.measureMs) / 1000) + rate)
  const template = new PublishTemplate(topic, 0, 0, 256)
  const interval = 1000 / rate
  const start = performance.now()
  let seq = 0
  let running = true
  // A busy loop of setImmediate: the generator has a core to itself, and I/O is polled every turn.
  const pace = (): void => {
    if (!running) return
    const due = Math.floor((performance.now() - start) / interval) + 1
    const count = Math.min(due - seq, template.batch)
    if (count > 0) {
      pub.socket.write(template.fill(count, seq, start + seq * interval, undefined, interval))
      seq += count
      counters.sent += count
    }
    setImmediate(pace)
  }
  setImmediate(pace)
  // latency-traffic-page: a real page on the Traffic view, opened once packets flow.
  const page = job.ui && job.page ? await openInspectorPage(job.ui, job.page) : null
  const browser = { ms: 0, t0: 0 }
  const rates = await measureWindow(
    () => {
      receiver.recordLatency = true
      if (page) Object.assign(browser, { ms: page.browserCpuMs(), t0: performance.now() })
    },
    () => {
      receiver.recordLatency = false
      if (page) result.metrics.pageCpu = (100 * (page.browserCpuMs() - browser.ms)) / (performance.now() - browser.t0)
    }
  )
  running = false
  if (page) {
    result.notes.push(`page: Traffic view, following (${await page.trafficRowsShown()} rows shown at the end); ${page.placement}`)
    await page.close()
  }
  await drain(
    () => counters.received >= seq,
    () => counters.received,
    500
  )
  result.counts.sent = seq
  result.metrics.sent = rates.sent
  reportQos0(tally([receiver], [seq]))
  const samples = receiver.latencies.subarray(0, receiver.latencyCount).sort()
  const pct = (p: number): number =>
    samples.length === 0 ? NaN : samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))]
  result.metrics.p50 = pct(50)
  result.metrics.p99 = pct(99)
  result.metrics.max = samples.length > 0 ? samples[samples.length - 1] : NaN
  result.notes.push(`${samples.length} latency samples`)
  if (rates.sent < rate * 0.95) result.notes.push(`paced at ${rates.sent.toFixed(0)} msg/s, below the ${rate} asked for`)
  sub.close()
  pub.close()
}

function readRssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`)
  return Number(match[1])
}

/** The kernel's count of connections dropped because a listen queue was full (TcpExt ListenOverflows). */
function listenOverflows(): number {
  const lines = readFileSync('/proc/net/netstat', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('TcpExt:'))
  if (lines.length < 2) return NaN
  const names = lines[0].split(/\s+/)
  const values = lines[1].split(/\s+/)
  return Number(values[names.indexOf('ListenOverflows')])
}

/**
 * connections: N × (CONNECT + SUBSCRIBE), `parallel` handshakes at a time, then idle. 64 at a time
 * stays below every broker's listen backlog (mosquitto listens with 100), so the kernel does not
 * drop SYNs and the rate is the broker's, not the SYN retransmission timer's.
 */
async function connections(total: number, parallel = 64): Promise<void> {
  const hellos = Array.from({ length: total }, (_, i) =>
    Buffer.concat([encodeConnect(`bench-${runTag}-idle-${i}`), encodeSubscribe(`bench/idle/${i}`, 0)])
  )
  const pid = job.pid
  const rssBefore = pid !== undefined && job.target === 'broker' ? readRssKiB(pid) : NaN
  const conns: Conn[] = []
  let next = 0
  const overflowsBefore = listenOverflows()
  const t0 = performance.now()
  const cpu = cpuWindow()
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++
      conns.push(await open(hellos[i], true))
    }
  }
  await Promise.all(Array.from({ length: Math.min(parallel, total) }, worker))
  cpu()
  const seconds = (performance.now() - t0) / 1000
  result.metrics.connectRate = total / seconds
  const overflows = listenOverflows() - overflowsBefore
  if (overflows > 0) result.notes.push(`${overflows} listen queue overflows (machine-wide) during the handshakes`)
  result.counts.sent = total
  result.counts.acknowledged = conns.length
  // Let the broker settle (allocations, timers) before reading its memory.
  await sleep(Math.min(1000, job.warmupMs))
  if (!Number.isNaN(rssBefore)) {
    const rssAfter = readRssKiB(pid!)
    result.metrics.rssPerConnection = (rssAfter - rssBefore) / total
    result.notes.push(`VmRSS ${rssBefore} kB before, ${rssAfter} kB after ${total} connections`)
  }
  if (unexpectedCloses > 0) result.failures.push(`${unexpectedCloses} idle connections closed by the broker`)
  unexpectedCloses = 0
  for (const c of conns) c.close()
}

// ───────────────────────────── main ─────────────────────────────

async function main(): Promise<void> {
  const p = job.params
  switch (job.scenario) {
    case 'fan-in':
    case 'fan-in-inspector':
      await flood(
        Array.from({ length: p.publishers }, (_, i) => `bench/p${i}`),
        'bench/#',
        p.subscribers
      )
      break
    case 'fan-out':
      await flood(['bench/fo'], 'bench/fo', p.subscribers)
      break
    case 'qos1':
    case 'qos2':
      await pairs(p.qos as 1 | 2, p.publishers, p.window ?? 32)
      break
    case 'latency':
      await latency(p.rate ?? 5000)
      break
    case 'connections':
      await connections(p.connections ?? 10_000)
      break
    case 'flood-topics-chart':
      await floodWithPage(p.rate ?? 50_000, p.topics ?? 500, p.publishers)
      break
    case 'bridge-qos0':
      await waitForBridge()
      await flood(
        Array.from({ length: p.publishers }, (_, i) => `bench/p${i}`),
        'bench/#',
        p.subscribers,
        job.subscriberPort
      )
      break
    case 'bridge-qos1':
      await waitForBridge()
      await bridgedQos1(p.publishers, p.window ?? 32)
      break
  }
  if (unexpectedCloses > 0) {
    result.failures.push(
      `${unexpectedCloses} connections closed by the broker during the run${lastSocketError ? ` (${lastSocketError})` : ''}`
    )
  }
}

function finish(failure?: string): void {
  if (failure !== undefined) result.failures.push(failure)
  process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0))
}

// A page takes a while to start and to close: its runs get more time.
const pageMs = job.page ? 60_000 : 0
setTimeout(
  () => finish(`generator watchdog: no result after ${(job.warmupMs + job.measureMs + job.drainMs + WATCHDOG_MS + pageMs) / 1000} s`),
  job.warmupMs + job.measureMs + job.drainMs + WATCHDOG_MS + pageMs
).unref()

main().then(
  () => finish(),
  (err: unknown) => finish(`generator error: ${err instanceof Error ? err.message : String(err)}`)
)
