import type {
  IAuthPacket,
  IConnectPacket,
  IDisconnectPacket,
  IPubackPacket,
  IPubcompPacket,
  IPublishPacket,
  IPubrecPacket,
  IPubrelPacket,
  ISubscribePacket,
  ISubscription,
  IUnsubscribePacket,
  Packet
} from 'mqtt-packet'
import type { ProtocolVersion, QoS } from '../../../shared/broker-types'
import { ReasonCode } from './reason-codes'

/**
 * The broker's inbound MQTT decoder: bytes from one connection → packets, in the shapes
 * mqtt-packet uses (so handlers and tests speak one vocabulary).
 *
 * Why not mqtt-packet's parser, which it replaces: a CPU profile of the fan-in benchmark put about
 * a quarter of the broker's time in that parser and its helpers (bl buffer lists, debug calls), it
 * keeps an EventEmitter and a buffer list per connection (memory per idle client), and the fuzzer
 * found packets it reads past their Remaining Length, repeated properties it accepts, and
 * ill-formed UTF-8 it decodes leniently. This decoder is strict where the spec is:
 * every field must fit its packet, reserved bits are checked, properties are checked per packet
 * type, and strings must be well-formed UTF-8 without U+0000 [MQTT-1.5.4-1/-2].
 *
 * A partial packet is kept only as the bytes received so far; a packet whose header claims more
 * than the maximum packet size is refused before its body arrives.
 */

/** A decoding failure, with the MQTT 5 reason code to close the connection with. */
export class PacketDecodeError extends Error {
  constructor(
    message: string,
    readonly reasonCode: number = ReasonCode.MalformedPacket
  ) {
    super(message)
  }
}

/** CONNECT named a protocol level we do not speak: answer CONNACK 0x01 / 0x84 and close [MQTT-3.1.2-2]. */
export class UnsupportedProtocolError extends PacketDecodeError {
  constructor(readonly level: number) {
    super(`unsupported protocol level ${level}`, ReasonCode.UnsupportedProtocolVersion)
  }
}

export interface DecodedPacketSink {
  onPacket(packet: Packet, size: number): void
  onDecodeError(error: PacketDecodeError): void
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

// Property identifiers (MQTT 5 §2.2.2.2) → name, value type, and which packets may carry them.
type PropertyType = 'byte' | 'bool' | 'u16' | 'u32' | 'varint' | 'string' | 'binary' | 'pair'
interface PropertySpec {
  name: string
  type: PropertyType
  /** Packet kinds (below) a client may send it in. */
  in: number
}
const IN_CONNECT = 1
const IN_WILL = 2
const IN_PUBLISH = 4
const IN_ACK = 8
const IN_SUBSCRIBE = 16
const IN_UNSUBSCRIBE = 32
const IN_DISCONNECT = 64
const IN_AUTH = 128

const PROPERTIES: Array<PropertySpec | undefined> = []
function property(id: number, name: string, type: PropertyType, where: number): void {
  PROPERTIES[id] = { name, type, in: where }
}
property(0x01, 'payloadFormatIndicator', 'bool', IN_WILL | IN_PUBLISH)
property(0x02, 'messageExpiryInterval', 'u32', IN_WILL | IN_PUBLISH)
property(0x03, 'contentType', 'string', IN_WILL | IN_PUBLISH)
property(0x08, 'responseTopic', 'string', IN_WILL | IN_PUBLISH)
property(0x09, 'correlationData', 'binary', IN_WILL | IN_PUBLISH)
property(0x0b, 'subscriptionIdentifier', 'varint', IN_PUBLISH | IN_SUBSCRIBE)
property(0x11, 'sessionExpiryInterval', 'u32', IN_CONNECT | IN_DISCONNECT)
property(0x15, 'authenticationMethod', 'string', IN_CONNECT | IN_AUTH)
property(0x16, 'authenticationData', 'binary', IN_CONNECT | IN_AUTH)
property(0x17, 'requestProblemInformation', 'bool', IN_CONNECT)
property(0x18, 'willDelayInterval', 'u32', IN_WILL)
property(0x19, 'requestResponseInformation', 'bool', IN_CONNECT)
property(0x1c, 'serverReference', 'string', IN_DISCONNECT)
property(0x1f, 'reasonString', 'string', IN_ACK | IN_DISCONNECT | IN_AUTH)
property(0x21, 'receiveMaximum', 'u16', IN_CONNECT)
property(0x22, 'topicAliasMaximum', 'u16', IN_CONNECT)
property(0x23, 'topicAlias', 'u16', IN_PUBLISH)
property(
  0x26,
  'userProperties',
  'pair',
  IN_CONNECT | IN_WILL | IN_PUBLISH | IN_ACK | IN_SUBSCRIBE | IN_UNSUBSCRIBE | IN_DISCONNECT | IN_AUTH
)
property(0x27, 'maximumPacketSize', 'u32', IN_CONNECT)

const PACKET_NAMES = [
  'reserved',
  'connect',
  'connack',
  'publish',
  'puback',
  'pubrec',
  'pubrel',
  'pubcomp',
  'subscribe',
  'suback',
  'unsubscribe',
  'unsuback',
  'pingreq',
  'pingresp',
  'disconnect',
  'auth'
] as const

type Properties = Record<string, unknown>

/** Reads fields of one packet body; every read checks it stays inside the packet. */
class Reader {
  buf: Buffer = Buffer.alloc(0)
  pos = 0
  end = 0

  /** Decoding is synchronous and packets are copied out before anything else runs, so one Reader serves all. */
  reset(buf: Buffer, start: number, end: number): this {
    this.buf = buf
    this.pos = start
    this.end = end
    return this
  }

  get remaining(): number {
    return this.end - this.pos
  }

  need(bytes: number, what: string): void {
    if (this.pos + bytes > this.end) throw new PacketDecodeError(`${what} runs past the end of the packet`)
  }

  byte(what: string): number {
    this.need(1, what)
    return this.buf[this.pos++]
  }

  u16(what: string): number {
    this.need(2, what)
    const value = (this.buf[this.pos] << 8) | this.buf[this.pos + 1]
    this.pos += 2
    return value
  }

  u32(what: string): number {
    this.need(4, what)
    const value = this.buf.readUInt32BE(this.pos)
    this.pos += 4
    return value
  }

  varint(what: string): number {
    let value = 0
    let multiplier = 1
    for (let i = 0; i < 4; i++) {
      const byte = this.byte(what)
      value += (byte & 0x7f) * multiplier
      if ((byte & 0x80) === 0) return value
      multiplier *= 128
    }
    throw new PacketDecodeError(`${what}: variable byte integer longer than 4 bytes`)
  }

  binary(what: string): Buffer {
    const length = this.u16(what)
    this.need(length, what)
    const value = this.buf.subarray(this.pos, this.pos + length)
    this.pos += length
    return value
  }

  /** A UTF-8 string: well-formed and without U+0000 [MQTT-1.5.4-1/-2]. */
  string(what: string): string {
    const length = this.u16(what)
    this.need(length, what)
    const start = this.pos
    this.pos += length
    const value = this.buf.toString('utf8', start, this.pos)
    if (value.includes('\uFFFD')) {
      // Only a replacement character can hide ill-formed input; check those strictly.
      try {
        strictUtf8.decode(this.buf.subarray(start, this.pos))
      } catch {
        throw new PacketDecodeError(`${what} is not well-formed UTF-8`)
      }
    }
    if (value.includes('\u0000')) throw new PacketDecodeError(`${what} contains U+0000`)
    return value
  }

  /** A v5 property block, checked against the packet kind it is in. */
  properties(kind: number, what: string): Properties | undefined {
    const length = this.varint(`${what} property length`)
    this.need(length, `${what} properties`)
    const end = this.pos + length
    if (length === 0) return undefined
    const result: Properties = {}
    let userProperties: Record<string, string | string[]> | undefined
    let userPropertyList: Array<[string, string]> | undefined
    while (this.pos < end) {
      const id = this.varint('property identifier')
      const spec = PROPERTIES[id]
      if (spec === undefined) throw new PacketDecodeError(`unknown property 0x${id.toString(16)} in ${what}`)
      if ((spec.in & kind) === 0) {
        throw new PacketDecodeError(`property ${spec.name} is not allowed in ${what}`, ReasonCode.ProtocolError)
      }
      if (spec.type === 'pair') {
        const name = this.string('user property name')
        const value = this.string('user property value')
        if (userProperties === undefined) {
          userProperties = Object.create(null) as Record<string, string | string[]>
          userPropertyList = []
        }
        const existing = userProperties[name]
        userProperties[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value]
        userPropertyList!.push([name, value])
        continue
      }
      // "It is a Protocol Error to include the X more than once" (§3.1.2.11, §3.3.2.3, …).
      if (result[spec.name] !== undefined) {
        throw new PacketDecodeError(`property ${spec.name} appears twice in ${what}`, ReasonCode.ProtocolError)
      }
      result[spec.name] = this.propertyValue(spec)
    }
    if (this.pos !== end) throw new PacketDecodeError(`${what} properties do not match their length`)
    if (userProperties !== undefined) {
      result.userProperties = userProperties
      result.userPropertyList = userPropertyList
    }
    return result
  }

  private propertyValue(spec: PropertySpec): unknown {
    switch (spec.type) {
      case 'byte':
        return this.byte(spec.name)
      case 'bool': {
        const value = this.byte(spec.name)
        if (value > 1) throw new PacketDecodeError(`${spec.name} must be 0 or 1`, ReasonCode.ProtocolError)
        return value === 1
      }
      case 'u16': {
        const value = this.u16(spec.name)
        // Receive Maximum and Topic Alias 0 are protocol errors (§3.1.2.11.3, §3.3.2.3.4); Topic Alias Maximum 0 is fine.
        if (value === 0 && (spec.name === 'receiveMaximum' || spec.name === 'topicAlias')) {
          throw new PacketDecodeError(`${spec.name} must not be 0`, ReasonCode.ProtocolError)
        }
        return value
      }
      case 'u32': {
        const value = this.u32(spec.name)
        if (value === 0 && spec.name === 'maximumPacketSize') {
          throw new PacketDecodeError('maximumPacketSize must not be 0', ReasonCode.ProtocolError)
        }
        return value
      }
      case 'varint': {
        const value = this.varint(spec.name)
        if (value === 0) throw new PacketDecodeError(`${spec.name} must not be 0`, ReasonCode.ProtocolError)
        return value
      }
      case 'string':
        return this.string(spec.name)
      case 'binary':
        return this.binary(spec.name)
      case 'pair':
        throw new PacketDecodeError('unreachable')
    }
  }
}

/**
 * Stateful stream decoder for one connection. The protocol level starts unknown and is set by
 * CONNECT; before that only CONNECT can be decoded meaningfully (the broker refuses anything else).
 */
const reader = new Reader()

export interface DecoderLimits {
  /** Largest whole packet accepted; read on each packet so a settings change applies at once. */
  readonly maximumPacketSize: number
}

export class PacketDecoder {
  protocolVersion: ProtocolVersion = 4
  /** Whether a CONNECT has been decoded; before it nothing else may come [MQTT-3.1.0-1]. */
  private sawConnect = false
  /** Chunks of an incomplete packet, kept as received (no copying until the packet is complete). */
  private partial: Buffer[] | null = null
  private partialLength = 0
  /** Whole size of the incomplete packet once its header has arrived, else 0. */
  private partialNeeds = 0

  constructor(
    private readonly sink: DecodedPacketSink,
    private readonly limits: DecoderLimits
  ) {}

  /** Bytes waiting for the rest of their packet. */
  get bufferedBytes(): number {
    return this.partialLength
  }

  /**
   * Decode everything complete in `chunk` (after any carried-over bytes). Stops at the first error,
   * which it reports to the sink; the caller then closes the connection.
   */
  push(chunk: Buffer): void {
    let buf = chunk
    if (this.partial !== null) {
      this.partial.push(chunk)
      this.partialLength += chunk.length
      // A large packet arriving in many chunks is joined once, when it is complete.
      if (this.partialNeeds > 0 && this.partialLength < this.partialNeeds) return
      buf = Buffer.concat(this.partial, this.partialLength)
      this.partial = null
      this.partialLength = 0
      this.partialNeeds = 0
    }
    let offset = 0
    let needs = 0
    const length = buf.length
    try {
      while (offset < length) {
        // Fixed header: type/flags byte + 1..4 byte remaining length. The first byte is checked at
        // once, so garbage (an HTTP request, say) is refused without waiting for a body it claims.
        checkFirstByte(buf[offset], this.sawConnect)
        if (length - offset < 2) break
        let remaining = 0
        let multiplier = 1
        let headerLength = 1
        let complete = false
        for (let i = 0; i < 4; i++) {
          if (offset + headerLength >= length) break
          const byte = buf[offset + headerLength++]
          remaining += (byte & 0x7f) * multiplier
          if ((byte & 0x80) === 0) {
            complete = true
            break
          }
          multiplier *= 128
          if (i === 3) throw new PacketDecodeError('remaining length longer than 4 bytes')
        }
        if (!complete) break
        const total = headerLength + remaining
        if (total > this.limits.maximumPacketSize) {
          throw new PacketDecodeError(`packet of ${total} bytes exceeds the maximum packet size`, ReasonCode.PacketTooLarge)
        }
        if (length - offset < total) {
          needs = total
          break
        }
        const packet = this.decode(buf, buf[offset], offset + headerLength, offset + total)
        offset += total
        this.sink.onPacket(packet, total)
      }
    } catch (error) {
      this.partial = null
      this.partialLength = 0
      this.sink.onDecodeError(error instanceof PacketDecodeError ? error : new PacketDecodeError(String(error)))
      return
    }
    if (offset < length) {
      // Keep only the unfinished bytes, copied, so a large socket chunk is not held for a small tail.
      const tail = Buffer.from(buf.subarray(offset))
      this.partial = [tail]
      this.partialLength = tail.length
      this.partialNeeds = needs
    }
  }

  private decode(buf: Buffer, first: number, start: number, end: number): Packet {
    const type = first >> 4
    const flags = first & 0x0f
    reader.reset(buf, start, end)
    const v5 = this.protocolVersion === 5
    let packet: Packet
    switch (type) {
      case 1:
        requireFlags(flags, 0, 'CONNECT')
        packet = this.decodeConnect(reader)
        break
      case 3:
        packet = decodePublish(reader, flags, v5)
        break
      case 4:
      case 5:
      case 7:
        requireFlags(flags, 0, PACKET_NAMES[type])
        packet = decodeAck(reader, PACKET_NAMES[type] as 'puback' | 'pubrec' | 'pubcomp', v5)
        break
      case 6:
        requireFlags(flags, 2, 'PUBREL') // [MQTT-3.6.1-1]
        packet = decodeAck(reader, 'pubrel', v5)
        break
      case 8:
        requireFlags(flags, 2, 'SUBSCRIBE') // [MQTT-3.8.1-1]
        packet = decodeSubscribe(reader, v5)
        break
      case 10:
        requireFlags(flags, 2, 'UNSUBSCRIBE') // [MQTT-3.10.1-1]
        packet = decodeUnsubscribe(reader, v5)
        break
      case 12:
        requireFlags(flags, 0, 'PINGREQ')
        packet = { cmd: 'pingreq' }
        break
      case 14:
        requireFlags(flags, 0, 'DISCONNECT')
        packet = decodeDisconnect(reader, v5)
        break
      case 15:
        if (!v5) throw new PacketDecodeError('AUTH exists only in MQTT 5')
        requireFlags(flags, 0, 'AUTH')
        packet = decodeAuth(reader)
        break
      case 2:
      case 9:
      case 11:
      case 13:
        // Server-to-client packets: decoded only far enough for the broker to refuse them.
        reader.pos = end
        packet = { cmd: PACKET_NAMES[type] } as Packet
        break
      default:
        throw new PacketDecodeError('reserved packet type 0')
    }
    if (reader.pos !== end) throw new PacketDecodeError(`${PACKET_NAMES[type]} has ${end - reader.pos} unexpected bytes`)
    packet.length = end - start
    return packet
  }

  private decodeConnect(r: Reader): IConnectPacket {
    const protocolId = r.string('protocol name')
    const levelByte = r.byte('protocol level')
    // Bridges set the top bit of the level (mosquitto's try_private); the protocol is the rest.
    const level = levelByte & 0x7f
    if (protocolId !== 'MQTT' && protocolId !== 'MQIsdp') throw new PacketDecodeError(`unknown protocol name "${protocolId}"`)
    if (level !== 3 && level !== 4 && level !== 5) throw new UnsupportedProtocolError(level)
    const flags = r.byte('connect flags')
    if (flags & 0x01) throw new PacketDecodeError('CONNECT reserved flag is set') // [MQTT-3.1.2-3]
    const willFlag = (flags & 0x04) !== 0
    const willQos = (flags >> 3) & 0x03
    const willRetain = (flags & 0x20) !== 0
    if (!willFlag && (willQos !== 0 || willRetain)) throw new PacketDecodeError('will QoS/retain set without a will') // [MQTT-3.1.2-11/-13/-15]
    if (willQos === 3) throw new PacketDecodeError('will QoS 3') // [MQTT-3.1.2-14]
    const packet: IConnectPacket = {
      cmd: 'connect',
      protocolId: protocolId as 'MQTT' | 'MQIsdp',
      protocolVersion: level as 3 | 4 | 5,
      clean: (flags & 0x02) !== 0,
      keepalive: r.u16('keep alive'),
      clientId: ''
    }
    if (levelByte & 0x80) (packet as { bridgeMode?: boolean }).bridgeMode = true
    const v5 = level === 5
    if (v5) {
      const properties = r.properties(IN_CONNECT, 'CONNECT')
      if (properties) packet.properties = properties as IConnectPacket['properties']
    }
    packet.clientId = r.string('client identifier')
    if (willFlag) {
      const willProperties = v5 ? r.properties(IN_WILL, 'will') : undefined
      const will: NonNullable<IConnectPacket['will']> = {
        topic: r.string('will topic'),
        payload: r.binary('will payload'),
        qos: willQos as QoS,
        retain: willRetain
      }
      if (willProperties) will.properties = willProperties as NonNullable<IConnectPacket['will']>['properties']
      packet.will = will
    }
    if (flags & 0x80) packet.username = r.string('user name')
    if (flags & 0x40) packet.password = r.binary('password')
    // The connection speaks this level from now on.
    this.protocolVersion = level as ProtocolVersion
    this.sawConnect = true
    return packet
  }
}

/** Fixed-header flags each packet type must carry (PUBLISH's are its own: any but QoS 3). */
const REQUIRED_FLAGS = [-1, 0, 0, -1, 0, 0, 2, 0, 2, 0, 2, 0, 0, 0, 0, 0]

function checkFirstByte(first: number, sawConnect: boolean): void {
  const type = first >> 4
  if (!sawConnect && type !== 1) throw new PacketDecodeError(`${PACKET_NAMES[type]} before CONNECT`) // [MQTT-3.1.0-1]
  if (type === 0) throw new PacketDecodeError('reserved packet type 0')
  if (type === 3) {
    if (((first >> 1) & 0x03) === 3) throw new PacketDecodeError('PUBLISH with QoS 3') // [MQTT-3.3.1-4]
  } else if ((first & 0x0f) !== REQUIRED_FLAGS[type]) {
    throw new PacketDecodeError(`${PACKET_NAMES[type]} has invalid fixed-header flags`) // [MQTT-2.2.2-2]
  }
}

function requireFlags(flags: number, expected: number, name: string): void {
  // [MQTT-2.2.2-1/-2] reserved flag bits must have their defined values.
  if (flags !== expected) throw new PacketDecodeError(`${name} has invalid fixed-header flags`)
}

function decodePublish(r: Reader, flags: number, v5: boolean): IPublishPacket {
  const qos = (flags >> 1) & 0x03
  if (qos === 3) throw new PacketDecodeError('PUBLISH with QoS 3') // [MQTT-3.3.1-4]
  const packet: IPublishPacket = {
    cmd: 'publish',
    dup: (flags & 0x08) !== 0,
    qos: qos as QoS,
    retain: (flags & 0x01) !== 0,
    topic: r.string('topic name'),
    payload: EMPTY
  }
  if (qos > 0) {
    packet.messageId = r.u16('packet identifier')
    if (packet.messageId === 0) throw new PacketDecodeError('packet identifier 0') // [MQTT-2.3.1-1]
  }
  if (v5) {
    const properties = r.properties(IN_PUBLISH, 'PUBLISH')
    if (properties) packet.properties = properties as IPublishPacket['properties']
  }
  packet.payload = r.buf.subarray(r.pos, r.end)
  r.pos = r.end
  return packet
}

const EMPTY = Buffer.alloc(0)

function decodeAck(
  r: Reader,
  cmd: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp',
  v5: boolean
): IPubackPacket | IPubrecPacket | IPubrelPacket | IPubcompPacket {
  const packet: IPubackPacket | IPubrecPacket | IPubrelPacket | IPubcompPacket = {
    cmd,
    messageId: r.u16('packet identifier')
  } as IPubackPacket
  if (v5 && r.remaining > 0) {
    packet.reasonCode = r.byte('reason code')
    if (r.remaining > 0) {
      const properties = r.properties(IN_ACK, cmd.toUpperCase())
      if (properties) packet.properties = properties as IPubackPacket['properties']
    }
  }
  return packet
}

function decodeSubscribe(r: Reader, v5: boolean): ISubscribePacket {
  const messageId = r.u16('packet identifier')
  if (messageId === 0) throw new PacketDecodeError('packet identifier 0')
  const packet: ISubscribePacket = { cmd: 'subscribe', messageId, subscriptions: [] }
  if (v5) {
    const properties = r.properties(IN_SUBSCRIBE, 'SUBSCRIBE')
    if (properties) packet.properties = properties as ISubscribePacket['properties']
  }
  while (r.remaining > 0) {
    const topic = r.string('topic filter')
    const options = r.byte('subscription options')
    const qos = options & 0x03
    if (qos === 3) throw new PacketDecodeError('subscription QoS 3') // [MQTT-3.8.3-4]
    const subscription: ISubscription = { topic, qos: qos as QoS }
    if (v5) {
      if (options & 0xc0) throw new PacketDecodeError('subscription options reserved bits set') // [MQTT-3.8.3-5]
      const rh = (options >> 4) & 0x03
      if (rh === 3) throw new PacketDecodeError('retain handling 3')
      subscription.nl = (options & 0x04) !== 0
      subscription.rap = (options & 0x08) !== 0
      subscription.rh = rh
    } else if (options & 0xfc) {
      throw new PacketDecodeError('subscription options reserved bits set') // [MQTT-3.8.3-4] (3.1.1)
    }
    packet.subscriptions.push(subscription)
  }
  // [MQTT-3.8.3-3] at least one topic filter.
  if (packet.subscriptions.length === 0) throw new PacketDecodeError('SUBSCRIBE without a topic filter', ReasonCode.ProtocolError)
  return packet
}

function decodeUnsubscribe(r: Reader, v5: boolean): IUnsubscribePacket {
  const messageId = r.u16('packet identifier')
  if (messageId === 0) throw new PacketDecodeError('packet identifier 0')
  const packet: IUnsubscribePacket = { cmd: 'unsubscribe', messageId, unsubscriptions: [] }
  if (v5) {
    const properties = r.properties(IN_UNSUBSCRIBE, 'UNSUBSCRIBE')
    if (properties) packet.properties = properties as IUnsubscribePacket['properties']
  }
  while (r.remaining > 0) packet.unsubscriptions.push(r.string('topic filter'))
  // [MQTT-3.10.3-2] at least one topic filter.
  if (packet.unsubscriptions.length === 0) throw new PacketDecodeError('UNSUBSCRIBE without a topic filter', ReasonCode.ProtocolError)
  return packet
}

function decodeDisconnect(r: Reader, v5: boolean): IDisconnectPacket {
  const packet: IDisconnectPacket = { cmd: 'disconnect' }
  if (v5 && r.remaining > 0) {
    packet.reasonCode = r.byte('reason code')
    if (r.remaining > 0) {
      const properties = r.properties(IN_DISCONNECT, 'DISCONNECT')
      if (properties) packet.properties = properties as IDisconnectPacket['properties']
    }
  }
  return packet
}

function decodeAuth(r: Reader): IAuthPacket {
  const packet: IAuthPacket = { cmd: 'auth', reasonCode: 0 }
  if (r.remaining > 0) {
    packet.reasonCode = r.byte('reason code')
    if (r.remaining > 0) {
      const properties = r.properties(IN_AUTH, 'AUTH')
      if (properties) packet.properties = properties as IAuthPacket['properties']
    }
  }
  return packet
}
