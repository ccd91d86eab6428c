/**
 * Wire helpers shared by the load generator and the sink: packets are encoded once with
 * mqtt-packet and then copied and patched in place (sequence number, timestamp, packet id), and
 * incoming bytes are split into frames by a small scanner that allocates nothing per packet.
 * Everything speaks MQTT 3.1.1 (protocol level 4), which every broker under test supports.
 */
import mqttPacket from 'mqtt-packet'

/** Application payload size of every benchmark message. */
export const PAYLOAD_SIZE = 64

// Payload layout (little endian): publisher index, sequence number, send time (performance.now(), ms).
export const PAYLOAD_PUBLISHER = 0
export const PAYLOAD_SEQ = 4
export const PAYLOAD_TIME = 8

// Control packet types (first byte >> 4).
export const CONNACK = 2
export const PUBLISH = 3
export const PUBACK = 4
export const PUBREC = 5
export const PUBREL = 6
export const PUBCOMP = 7
export const SUBSCRIBE = 8
export const SUBACK = 9
export const PINGREQ = 12
export const DISCONNECT = 14
export const CONNECT = 1

export type QoS = 0 | 1 | 2

/** `clean` false: a persistent session (3.1.1 clean session 0), kept by the broker after the connection. */
export function encodeConnect(clientId: string, clean = true): Buffer {
  return mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId, clean, keepalive: 0 })
}

export function encodeSubscribe(topic: string, qos: QoS, messageId = 1): Buffer {
  return mqttPacket.generate({ cmd: 'subscribe', messageId, subscriptions: [{ topic, qos }] })
}

export function encodeDisconnect(): Buffer {
  return mqttPacket.generate({ cmd: 'disconnect' })
}

/** A 4-byte acknowledgement (PUBACK, PUBREC, PUBREL, PUBCOMP) written into `out` at `offset`. */
export function writeAck(out: Buffer, offset: number, firstByte: number, packetId: number): number {
  out[offset] = firstByte
  out[offset + 1] = 2
  out[offset + 2] = packetId >> 8
  out[offset + 3] = packetId & 0xff
  return offset + 4
}

export const FIRST_BYTE = {
  puback: 0x40,
  pubrec: 0x50,
  pubrel: 0x62,
  pubcomp: 0x70,
  connack: 0x20,
  suback: 0x90,
  pingresp: 0xd0
} as const

/**
 * One PUBLISH packet encoded by mqtt-packet, repeated `batch` times in an image; fill() copies the
 * image and patches the per-message fields, so a batch costs one memcpy plus a few stores.
 */
export class PublishTemplate {
  readonly packetLength: number
  /** Offset of the payload inside one packet. */
  readonly payloadOffset: number
  /** Offset of the 2-byte packet id inside one packet (QoS 1/2), else -1. */
  readonly packetIdOffset: number
  private readonly image: Buffer

  constructor(
    readonly topic: string,
    readonly qos: QoS,
    readonly publisher: number,
    readonly batch: number
  ) {
    const payload = Buffer.alloc(PAYLOAD_SIZE, 0x2e)
    payload.writeUInt32LE(publisher, PAYLOAD_PUBLISHER)
    const packet = mqttPacket.generate({
      cmd: 'publish',
      topic,
      payload,
      qos,
      dup: false,
      retain: false,
      messageId: qos > 0 ? 1 : undefined
    })
    this.packetLength = packet.length
    this.payloadOffset = packet.length - PAYLOAD_SIZE
    this.packetIdOffset = qos > 0 ? this.payloadOffset - 2 : -1
    this.image = Buffer.allocUnsafe(packet.length * batch)
    for (let i = 0; i < batch; i++) packet.copy(this.image, i * packet.length)
  }

  /**
   * A fresh buffer with `count` (≤ batch) packets carrying sequence numbers seq, seq+1, …, send
   * times time, time+timeStep, … and packet ids from `ids` (QoS 1/2). Fresh because socket.write
   * keeps a reference until the bytes are sent.
   */
  fill(count: number, seq: number, time: number, ids?: Uint16Array, timeStep = 0): Buffer {
    const len = this.packetLength
    const out = Buffer.allocUnsafe(len * count)
    this.image.copy(out, 0, 0, len * count)
    let p = this.payloadOffset
    for (let i = 0; i < count; i++, p += len) {
      out.writeUInt32LE((seq + i) >>> 0, p + PAYLOAD_SEQ)
      out.writeDoubleLE(time + i * timeStep, p + PAYLOAD_TIME)
      if (ids !== undefined) {
        const id = ids[i]
        out[p - 2] = id >> 8
        out[p - 1] = id & 0xff
      }
    }
    return out
  }
}

/**
 * Called for every complete frame: `first` is the fixed header's first byte, the variable header
 * and payload are buf[body, end), the whole frame buf[start, end).
 */
export type FrameHandler = (first: number, buf: Buffer, body: number, end: number, start: number) => void

/**
 * Splits a byte stream into MQTT frames. Only a partial frame at the end of a chunk is kept
 * (copied) until the next chunk; whole frames are handed out in place.
 */
export class FrameReader {
  private rest: Buffer | null = null

  constructor(private readonly onFrame: FrameHandler) {}

  /** Feed a chunk; complete frames go to the handler, a partial one waits for more bytes. */
  push(chunk: Buffer): void {
    let buf = chunk
    if (this.rest !== null) {
      buf = Buffer.concat([this.rest, chunk])
      this.rest = null
    }
    const end = this.scan(buf)
    if (end < buf.length) this.rest = Buffer.from(buf.subarray(end))
  }

  /** Parse whole frames from buf; returns where the unparsed tail starts. */
  scan(buf: Buffer): number {
    const n = buf.length
    let pos = 0
    while (pos + 2 <= n) {
      const first = buf[pos]
      let length = 0
      let multiplier = 1
      let i = pos + 1
      let byte: number
      do {
        if (i >= n) return pos
        byte = buf[i++]
        length += (byte & 0x7f) * multiplier
        multiplier *= 128
      } while (byte & 0x80)
      const end = i + length
      if (end > n) return pos
      this.onFrame(first, buf, i, end, pos)
      pos = end
    }
    return pos
  }
}

/** Where the application payload of a PUBLISH frame starts (its packet id, if any, is the 2 bytes before). */
export function payloadStart(first: number, buf: Buffer, body: number): number {
  const topicLength = (buf[body] << 8) | buf[body + 1]
  return body + 2 + topicLength + ((first >> 1) & 3 ? 2 : 0)
}

/**
 * Per (receiver, publisher) bookkeeping: unique messages, duplicates, reordering; a growable bitmap.
 * Publishers number from 0, so with in-order delivery `gaps()` are messages lost (skipped) and
 * sent − (last + 1) are messages not (yet) delivered at the end.
 */
export class SeqTracker {
  unique = 0
  duplicates = 0
  outOfOrder = 0
  /** Highest sequence number seen (-1: none). */
  last = -1
  private bits = new Uint8Array(1 << 16)

  mark(seq: number): void {
    const byte = seq >>> 3
    if (byte >= this.bits.length) {
      let size = this.bits.length
      while (size <= byte) size *= 2
      const grown = new Uint8Array(size)
      grown.set(this.bits)
      this.bits = grown
    }
    const mask = 1 << (seq & 7)
    if (this.bits[byte] & mask) {
      this.duplicates++
      return
    }
    this.bits[byte] |= mask
    this.unique++
    if (seq < this.last) this.outOfOrder++
    else this.last = seq
  }

  /** Sequence numbers below the highest one seen that never arrived. */
  gaps(): number {
    return this.last + 1 - this.unique
  }
}
