import mqttPacket, { type Packet } from 'mqtt-packet'
import type { PacketRecord, ProtocolVersion, QoS } from '../../../shared/broker-types'
import { PROTOCOL_MAX_PACKET_SIZE } from '../../../shared/settings'
import { encodePublish, withPacketId, type EncodedPublish, type OutgoingPublishProperties } from '../codec/publish-encoder'
import { ReasonCode } from '../codec/reason-codes'
import { disconnectReasonCode } from '../codec/disconnect-reasons'
import { PacketDecoder, UnsupportedProtocolError, type DecodedPacketSink, type PacketDecodeError } from '../codec/packet-decoder'
import { encodeSimplePacket } from '../codec/packet-encoder'
import { remainingExpirySeconds, type Message } from '../message'
import type { Session } from '../session/session'
import type { Transport, TransportHandlers } from './transport'
import type { ConnectionHost } from './connection-host'
import { serverLimitsOf, type ServerLimits } from './server-limits'

/** A CONNECT as the connection keeps it once accepted. */
export interface EstablishedConnection {
  clientId: string
  /** Effective keep alive in seconds (0 = none). */
  keepAlive: number
  receiveMaximum: number
  maximumPacketSize: number
  topicAliasMaximum: number
  requestProblemInformation: boolean
  /** What the CONNACK announces. */
  limits: ServerLimits
}

// mqtt-packet (used only for rare packets now) otherwise builds a 65,536-entry cache of packet-id
// buffers (~6 MB) on first use; the broker's hot packets have their own encoders.
mqttPacket.writeToStream.cacheNumbers = false

type ConnectionState = 'awaiting-connect' | 'connected' | 'closing' | 'closed'

/** Output is written to the socket at once when this much is queued, instead of waiting for the tick's end. */
const FLUSH_BYTES = 64 * 1024
/**
 * Bytes read from one client before it is paused until the next turn of the event loop. Without
 * it, libuv keeps reading a fast publisher (up to 32 × 64 KiB) within one turn: the loop stalls for
 * hundreds of milliseconds, output waits that long, and timers (keep alive, the inspector) starve.
 */
const READ_BUDGET = 128 * 1024

/** Bytes a client may leave unread before QoS 0 messages to it are dropped and QoS 1/2 wait in its queue. */
export const CONGESTION_BYTES = 4 * 1024 * 1024

/**
 * One network connection: bytes in → packets → the broker's handlers; packets out → one batched
 * write per tick. Protocol state that lives only as long as the socket (topic aliases, keep alive,
 * the client's limits) is kept here; everything that outlives it is in the Session.
 */
export class Connection implements DecodedPacketSink, TransportHandlers {
  state: ConnectionState = 'awaiting-connect'
  protocolVersion: ProtocolVersion = 4
  clientId = ''
  session: Session | null = null
  /** Effective keep alive in seconds (0 = none). */
  keepAlive = 0
  lastActivity: number
  readonly openedAt: number

  // Limits the client announced in its CONNECT (MQTT 5).
  clientReceiveMaximum = 65535
  clientMaximumPacketSize = PROTOCOL_MAX_PACKET_SIZE
  clientTopicAliasMaximum = 0
  requestProblemInformation = true

  /**
   * The broker's limits this connection is held to: the settings in force until CONNACK, then what
   * the CONNACK announced (see server-limits.ts).
   */
  get limits(): ServerLimits {
    return this.announced ?? serverLimitsOf(this.host.settings)
  }
  private announced: ServerLimits | null = null

  /** Inbound topic aliases (alias → topic), for this connection only [MQTT-3.3.2-7]. */
  inboundAliases: Map<number, string> | null = null
  /** Outbound topic aliases (topic → alias) we assigned. */
  private outboundAliases: Map<string, number> | null = null
  /** The topic encodeFor just gave a new outbound alias, so a PUBLISH that is not sent can take it back. */
  private aliasAssigned: string | null = null

  /** Counted in the broker's connected clients (from CONNACK until the socket closes). */
  countedAsConnected = false

  /** False after a normal DISCONNECT: the will is then discarded [MQTT-3.1.2-10]. */
  publishWillOnClose = true
  closeReason = 'connection closed'

  private readonly decoder: PacketDecoder
  private pending: Buffer[] = []
  /**
   * Output held back until the store has the state it reports (see ConnectionHub's output gate):
   * by commit epoch, oldest first. Null while nothing is held (the usual case).
   */
  private held: Array<{ epoch: number; data: Buffer }> | null = null
  private heldBytes = 0
  /** close() was called while output was held: end the socket once it is written. */
  private endWhenReleased = false
  /** A commit this connection waited for failed: nothing more is written (see storeFailed). */
  private storeFailure = false
  private readBudget = READ_BUDGET
  private pendingBytes = 0
  private flushScheduled = false

  constructor(
    readonly transport: Transport,
    private readonly host: ConnectionHost
  ) {
    this.openedAt = this.lastActivity = host.now()
    this.decoder = new PacketDecoder(this, { settings: this })
    transport.setHandlers(this)
  }

  /** For the decoder: the largest whole packet this connection may send us. */
  get maximumPacketSize(): number {
    return this.limits.maximumPacketSize
  }

  /**
   * CONNECT accepted: what the client announced, and the limits its CONNACK announces (held from
   * now on). Called once, before the CONNACK is sent.
   */
  establish(accepted: EstablishedConnection): void {
    this.clientId = accepted.clientId
    this.keepAlive = accepted.keepAlive
    this.clientReceiveMaximum = accepted.receiveMaximum
    this.clientMaximumPacketSize = accepted.maximumPacketSize
    this.clientTopicAliasMaximum = accepted.topicAliasMaximum
    this.requestProblemInformation = accepted.requestProblemInformation
    this.announced = accepted.limits
  }

  get isReady(): boolean {
    return this.state === 'connected'
  }

  /** Not yet closing (state can change while a chunk is being parsed). */
  isOpen(): boolean {
    return this.state === 'awaiting-connect' || this.state === 'connected'
  }

  get address(): string {
    return this.transport.remoteAddress
  }

  isCongested(): boolean {
    return this.pendingBytes + this.heldBytes + this.transport.bufferedBytes() > CONGESTION_BYTES
  }

  onTransportData(chunk: Buffer): void {
    if (this.state === 'closed' || this.state === 'closing') return
    this.host.counters.bytesReceived += chunk.length
    this.lastActivity = this.host.now()
    // The decoder refuses a packet whose header claims more than the maximum packet size before buffering it.
    this.decoder.push(chunk)
    this.readBudget -= chunk.length
    if (this.readBudget <= 0 && this.isOpen()) {
      this.transport.pause()
      this.host.scheduleResume(this)
    }
  }

  /** The decoder found a malformed packet or a protocol error in one: close, telling a v5 client why. */
  onDecodeError(error: PacketDecodeError): void {
    if (!this.isOpen()) return
    if (error instanceof UnsupportedProtocolError && this.state === 'awaiting-connect') {
      // [MQTT-3.1.2-2] unsupported protocol level: CONNACK 0x01 (3.1.1 format), then close.
      this.writeNow(Buffer.from([0x20, 0x02, 0x00, 0x01]))
      this.close('unsupported protocol version')
      return
    }
    if (error.reasonCode === ReasonCode.PacketTooLarge) this.host.counters.countLimit('maximumPacketSize')
    this.protocolClose(error.reasonCode, `malformed packet: ${error.message}`)
  }

  onPacket(packet: Packet, size: number): void {
    if (!this.isOpen()) return
    this.host.counters.messagesReceived++
    if (this.host.events.wantsPackets) this.host.emitPacket(describePacket('in', this.clientId, packet, size))
    try {
      this.host.handlePacket(this, packet)
    } catch (error) {
      // A bug in one handler closes one connection, never the broker.
      this.host.logger.error(`error handling ${packet.cmd} from ${this.clientId || this.address}`, error)
      this.protocolClose(ReasonCode.ImplementationSpecificError, 'internal error')
    }
  }

  onTransportDrain(): void {
    this.session?.pump()
  }

  onTransportClose(): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    this.host.connectionClosed(this)
  }

  /** Queue raw bytes for the next batched write. */
  write(bytes: Buffer): void {
    if (this.state === 'closed' || this.storeFailure) return
    this.pending.push(bytes)
    this.pendingBytes += bytes.length
    this.host.counters.bytesSent += bytes.length
    this.host.counters.messagesSent++
    if (this.pendingBytes >= FLUSH_BYTES && !this.host.holdingOutput()) {
      // Enough for one large write: hand it to the socket now, so output never piles up in a long tick.
      this.flush()
    } else if (!this.flushScheduled) {
      this.flushScheduled = true
      this.host.scheduleFlush(this)
    }
  }

  /** Called on the next turn after reading was paused for the read budget. */
  resumeReading(): void {
    this.readBudget = READ_BUDGET
    if (this.isOpen()) this.transport.resume()
  }

  private writeNow(bytes: Buffer): void {
    this.write(bytes)
    this.flush()
  }

  /** Called once per tick by the broker's flush scheduler. */
  flush(): void {
    this.flushScheduled = false
    const data = this.takePending()
    if (data !== null) this.transport.write(data)
  }

  private takePending(): Buffer | null {
    if (this.pending.length === 0) return null
    const data = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes)
    this.pending = []
    this.pendingBytes = 0
    return data
  }

  /** Output gate: this turn's output waits for store commit `epoch` to be durable. */
  hold(epoch: number): void {
    this.flushScheduled = false
    const data = this.takePending()
    if (data === null) return
    if (this.held === null) this.held = []
    this.held.push({ epoch, data })
    this.heldBytes += data.length
  }

  /** Store commit `epoch` is durable: write what waited for it (and anything older). */
  release(epoch: number): void {
    if (this.storeFailure) return
    const held = this.held
    if (held !== null) {
      let i = 0
      for (; i < held.length && held[i].epoch <= epoch; i++) {
        this.heldBytes -= held[i].data.length
        if (this.state !== 'closed') this.transport.write(held[i].data)
      }
      if (i === held.length) this.held = null
      else held.splice(0, i)
    }
    if (this.endWhenReleased && this.held === null && this.pending.length === 0) {
      this.endWhenReleased = false
      this.transport.end()
    }
  }

  /**
   * A store commit this connection's output waited for failed: what it would have said (PUBACKs,
   * deliveries of messages that are not stored) must never be sent. The connection is closed; a
   * v5 client hears why. Its client resends what was not acknowledged.
   */
  storeFailed(reason: string): void {
    this.storeFailure = true
    this.held = null
    this.heldBytes = 0
    this.pending = []
    this.pendingBytes = 0
    this.endWhenReleased = false
    if (this.state === 'closed') return
    if (this.protocolVersion === 5 && this.state === 'connected') {
      const disconnect: Packet = { cmd: 'disconnect', reasonCode: ReasonCode.QuotaExceeded, properties: { reasonString: reason } }
      this.transport.write(mqttPacket.generate(disconnect, { protocolVersion: 5 }))
    }
    this.closeReason = reason
    this.state = 'closing'
    this.transport.end()
  }

  /** Encode and queue any packet but PUBLISH. */
  send(packet: Packet): void {
    if (this.state === 'closed') return
    if (!this.requestProblemInformation && packet.cmd !== 'connack' && packet.cmd !== 'disconnect') {
      // [MQTT-3.1.2-29] no reason string or user properties unless the client asked for them.
      const withProps = packet as { properties?: Record<string, unknown> }
      if (withProps.properties) {
        delete withProps.properties.reasonString
        delete withProps.properties.userProperties
      }
    }
    const bytes = encodeSimplePacket(packet, this.protocolVersion) ?? mqttPacket.generate(packet, { protocolVersion: this.protocolVersion })
    // Written (and counted) before the event, so an event consumer sees the counters include it.
    this.write(bytes)
    if (this.host.events.wantsPackets) this.host.emitPacket(describePacket('out', this.clientId, packet, bytes.length))
  }

  sendPubrel(packetId: number): void {
    this.send({ cmd: 'pubrel', messageId: packetId })
  }

  /**
   * Queue a PUBLISH of `message`. Returns false when it could not be sent because it is larger
   * than the client accepts (it is then dropped and counted) [MQTT-3.1.2-25].
   */
  sendPublish(
    message: Message,
    qos: QoS,
    retain: boolean,
    subscriptionIds: readonly number[] | null,
    packetId: number,
    dup: boolean
  ): boolean {
    this.aliasAssigned = null
    const encoded = this.encodeFor(message, qos, retain, subscriptionIds)
    if (encoded.bytes.length > this.clientMaximumPacketSize) {
      // The client never sees this PUBLISH, so it never learns an alias assigned in it; a later empty
      // topic with that alias would be a protocol error on its side (MQTT 5 §3.3.2.3.4).
      if (this.aliasAssigned !== null) this.outboundAliases?.delete(this.aliasAssigned)
      this.host.drop(this.session, message, 'packet-too-large')
      return false
    }
    const bytes = qos === 0 ? encoded.bytes : withPacketId(encoded, packetId, dup)
    // Written (and counted) before the events, so an event consumer sees the counters include it.
    this.write(bytes)
    this.host.counters.publishSent++
    this.host.counters.publishBytesSent += message.payload.length
    if (this.session) this.session.messagesOut++
    if (this.host.events.wantsPackets) {
      this.host.emitPacket({
        direction: 'out',
        clientId: this.clientId,
        type: 'publish',
        size: bytes.length,
        packetId: qos > 0 ? packetId : undefined,
        topic: message.topic,
        qos,
        retain,
        dup,
        payload: message.payload,
        properties: message.properties ? { ...message.properties } : undefined
      })
    }
    if (this.host.events.wantsDelivered) this.host.messageDelivered(this.clientId, message, qos)

    return true
  }

  /**
   * The encoded bytes for this client. 3.1/3.1.1 clients, and v5 clients when nothing differs per
   * client (no subscription ids, alias or expiry countdown), share one template per message.
   */
  private encodeFor(message: Message, qos: QoS, retain: boolean, subscriptionIds: readonly number[] | null): EncodedPublish {
    const v5 = this.protocolVersion === 5
    const alias = v5 && this.clientTopicAliasMaximum > 0 && this.host.settings.autoTopicAlias
    if (!v5 || (!alias && subscriptionIds === null && message.expiresAt === 0)) {
      const index = (v5 ? 6 : 0) + qos * 2 + (retain ? 1 : 0)
      if (message.templates === undefined) message.templates = []
      const templates = message.templates
      let template = templates[index]
      if (template === undefined) {
        template = encodePublish({
          topic: message.topic,
          payload: message.payload,
          qos,
          retain,
          dup: false,
          properties: v5 ? (message.properties ?? {}) : undefined
        })
        templates[index] = template
      }
      return template
    }
    const properties: OutgoingPublishProperties = { ...message.properties }
    const remaining = remainingExpirySeconds(message, this.host.now())
    if (remaining !== undefined) properties.messageExpiryInterval = remaining
    if (subscriptionIds !== null) properties.subscriptionIdentifiers = subscriptionIds
    let topic = message.topic
    if (alias) {
      if (this.outboundAliases === null) this.outboundAliases = new Map()
      const aliases = this.outboundAliases
      const known = aliases.get(topic)
      if (known !== undefined) {
        properties.topicAlias = known
        topic = ''
      } else if (aliases.size < this.clientTopicAliasMaximum) {
        properties.topicAlias = aliases.size + 1
        aliases.set(topic, properties.topicAlias)
        this.aliasAssigned = topic
      }
    }
    return encodePublish({ topic, payload: message.payload, qos, retain, dup: false, properties })
  }

  /**
   * Close because of a protocol problem: a v5 client is told why with DISCONNECT (or CONNACK before
   * it is connected) [MQTT-4.13.1-1]; the will is published.
   */
  protocolClose(reasonCode: number, reason: string): void {
    if (this.state === 'closed' || this.state === 'closing') return
    if (this.protocolVersion === 5) {
      if (this.state === 'connected') {
        // E.g. a second CONNECT naming an unknown level (0x84) [MQTT-3.1.0-2]: found by the fuzzer.
        this.send({ cmd: 'disconnect', reasonCode: disconnectReasonCode(reasonCode), properties: { reasonString: reason } })
      } else if (reasonCode !== ReasonCode.MalformedPacket) {
        this.send({ cmd: 'connack', sessionPresent: false, reasonCode })
      }
    }
    this.host.logger.debug(`closing ${this.clientId || this.address}: ${reason}`)
    this.close(reason)
  }

  /** Server-initiated DISCONNECT with a reason code (v5), then close. */
  disconnect(reasonCode: number, reason: string): void {
    if (this.state === 'closed' || this.state === 'closing') return
    if (this.protocolVersion === 5 && this.state === 'connected') {
      this.send({ cmd: 'disconnect', reasonCode, properties: { reasonString: reason } })
    }
    this.close(reason)
  }

  /** Flush what is queued and close the socket (after any output the store gate holds). */
  close(reason: string): void {
    if (this.state === 'closed' || this.state === 'closing') return
    this.closeReason = reason
    this.state = 'closing'
    if (this.held !== null || (this.pending.length > 0 && this.host.holdingOutput())) {
      this.endWhenReleased = true
      return
    }
    this.flush()
    this.transport.end()
  }

  /** Bytes and timers go with the socket; this is called once, from the transport's close. */
  destroy(): void {
    this.transport.destroy()
  }
}

/** Whole packet size from the remaining length: 1 header byte + the length's own bytes + body. */
export function packetSize(remainingLength: number): number {
  const lengthBytes = remainingLength < 128 ? 1 : remainingLength < 16384 ? 2 : remainingLength < 2097152 ? 3 : 4
  return 1 + lengthBytes + remainingLength
}

function describePacket(direction: 'in' | 'out', clientId: string, packet: Packet, size: number): PacketRecord {
  const record: PacketRecord = { direction, clientId, type: packet.cmd, size }
  if (packet.messageId !== undefined) record.packetId = packet.messageId
  const reasonCode = (packet as { reasonCode?: number; returnCode?: number }).reasonCode ?? (packet as { returnCode?: number }).returnCode
  if (reasonCode !== undefined) record.reasonCode = reasonCode
  const properties = (packet as { properties?: Record<string, unknown> }).properties
  if (properties) record.properties = { ...properties }
  switch (packet.cmd) {
    case 'publish':
      record.topic = packet.topic
      record.qos = packet.qos
      record.retain = packet.retain
      record.dup = packet.dup
      record.payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload
      break
    case 'connect':
      // The connection learns its id from this very packet; the row should carry it already.
      record.clientId = packet.clientId
      record.properties = {
        ...(packet.properties ?? {}),
        clientId: packet.clientId,
        protocolVersion: packet.protocolVersion,
        clean: packet.clean,
        keepalive: packet.keepalive,
        username: packet.username
      }
      // The will as the inspector shows it in the CONNECT's details (issue 15): its first bytes only.
      if (packet.will) {
        const will = packet.will
        const payload = typeof will.payload === 'string' ? Buffer.from(will.payload) : will.payload
        record.properties.will = {
          topic: will.topic,
          qos: will.qos,
          retain: will.retain,
          payloadSize: payload.length,
          payload: payload.subarray(0, 256),
          properties: will.properties ?? {}
        }
      }
      break
    case 'subscribe':
      record.topic = packet.subscriptions.map((s) => s.topic).join(', ')
      break
    case 'unsubscribe':
      record.topic = packet.unsubscriptions.join(', ')
      break
    default:
      break
  }
  return record
}
