/**
 * Fake brokers for measuring the load generator's own ceiling. Pinned to the broker's core.
 *
 *   node --import tsx bench/sink.ts <discard|ack|forward> [port]
 *
 * All modes answer CONNECT and SUBSCRIBE with pre-encoded CONNACK/SUBACK bytes.
 *  - discard: after a connection's first PUBLISH, everything it sends is read and dropped unparsed.
 *  - ack: every PUBLISH is answered (QoS 1 PUBACK, QoS 2 PUBREC; PUBREL gets PUBCOMP).
 *  - forward: every QoS 0 PUBLISH frame is copied, unchanged, to every connection that subscribed,
 *    ignoring topics; when a subscriber's socket is full the publishers are paused until it drains,
 *    so nothing is lost.
 * Prints "listening <port>" once ready.
 */
import net from 'node:net'
import { CONNECT, DISCONNECT, FIRST_BYTE, FrameReader, PINGREQ, PUBLISH, PUBREL, SUBSCRIBE, writeAck } from './mqtt'
import type { SinkMode } from './scenarios'

const mode = (process.argv[2] ?? 'discard') as SinkMode
const port = Number(process.argv[3] ?? 0)
if (!['discard', 'ack', 'forward'].includes(mode)) {
  process.stderr.write(`sink: unknown mode ${mode}\n`)
  process.exit(2)
}

const CONNACK_BYTES = Buffer.from([FIRST_BYTE.connack, 2, 0, 0])
const PINGRESP_BYTES = Buffer.from([FIRST_BYTE.pingresp, 0])

// Replies collected while one chunk is parsed (one socket at a time), written as one copy.
const out = Buffer.allocUnsafe(64 * 1024)
let outLength = 0
let outSocket: net.Socket | null = null

function flush(): void {
  if (outLength > 0) outSocket!.write(Buffer.from(out.subarray(0, outLength)))
  outLength = 0
}

function reply(bytes: Buffer): void {
  if (outLength + bytes.length > out.length) flush()
  bytes.copy(out, outLength)
  outLength += bytes.length
}

function ack(firstByte: number, id: number): void {
  if (outLength + 4 > out.length) flush()
  outLength = writeAck(out, outLength, firstByte, id)
}

const subscribers = new Set<net.Socket>()
const publishers = new Set<net.Socket>()
let paused = false

function pausePublishers(): void {
  if (paused) return
  paused = true
  for (const p of publishers) p.pause()
}

function resumeIfDrained(): void {
  if (!paused) return
  for (const s of subscribers) if (s.writableNeedDrain) return
  paused = false
  for (const p of publishers) p.resume()
}

function forward(frames: Buffer): void {
  for (const s of subscribers) {
    if (!s.write(frames)) pausePublishers()
  }
}

function handle(socket: net.Socket): void {
  socket.setNoDelay(true)
  socket.on('error', () => {})
  let discarding = false
  let rest: Buffer | null = null
  // Forward mode: where the first PUBLISH frame of the current buffer starts.
  let firstPublish = -1

  const reader = new FrameReader((first, buf, body, end, start) => {
    switch (first >> 4) {
      case CONNECT:
        return reply(CONNACK_BYTES)
      case SUBSCRIBE: {
        // One subscription per SUBSCRIBE here: granted QoS = the requested one (last byte).
        reply(Buffer.from([FIRST_BYTE.suback, 3, buf[body], buf[body + 1], buf[end - 1] & 3]))
        subscribers.add(socket)
        socket.on('drain', resumeIfDrained)
        return
      }
      case PUBLISH: {
        if (mode === 'discard') {
          discarding = true
          return
        }
        if (mode === 'forward') {
          if (firstPublish < 0) firstPublish = start
          if (!publishers.has(socket)) {
            publishers.add(socket)
            if (paused) socket.pause()
          }
          return
        }
        const qos = (first >> 1) & 3
        if (qos === 0) return
        const topicLength = (buf[body] << 8) | buf[body + 1]
        const id = (buf[body + 2 + topicLength] << 8) | buf[body + 3 + topicLength]
        return ack(qos === 1 ? FIRST_BYTE.puback : FIRST_BYTE.pubrec, id)
      }
      case PUBREL:
        return ack(FIRST_BYTE.pubcomp, (buf[body] << 8) | buf[body + 1])
      case PINGREQ:
        return reply(PINGRESP_BYTES)
      case DISCONNECT:
        socket.end()
        return
      default:
        return
    }
  })

  socket.on('data', (chunk: Buffer) => {
    if (discarding) return
    let buf = chunk
    if (rest !== null) {
      buf = Buffer.concat([rest, chunk])
      rest = null
    }
    firstPublish = -1
    outSocket = socket
    const end = reader.scan(buf)
    if (end < buf.length) rest = Buffer.from(buf.subarray(end))
    // Publishers send nothing but PUBLISH after their CONNECT, so [firstPublish, end) is all frames to copy.
    if (firstPublish >= 0) forward(buf.subarray(firstPublish, end))
    flush()
  })
  socket.on('close', () => {
    subscribers.delete(socket)
    publishers.delete(socket)
    resumeIfDrained()
  })
}

const server = net.createServer({ noDelay: true }, handle)
server.listen(port, '127.0.0.1', () => {
  const address = server.address() as net.AddressInfo
  process.stdout.write(`listening ${address.port}\n`)
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0))
