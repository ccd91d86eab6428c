/**
 * A bridge's local side: an MQTT 5 client of our own broker over an in-process connection
 * (BrokerControl.connectInProcess), written on mqtt-packet's parser and generator. Its session is
 * an ordinary durable session, so what the bridge has not passed on yet waits in that session's
 * queue (bounded by the bridge's own limits), survives a restart with persistence on and comes back
 * in order, resent with DUP when it was in flight.
 *
 * Unlike MQTT.js it leaves the acknowledgement of each message it receives to its owner (ack()),
 * and many can be unacknowledged at once: the bridge acknowledges a message to our broker only
 * once the remote broker has acknowledged it.
 */
import mqttPacket, { type IConnackPacket, type IPublishPacket, type ISubscribePacket, type Packet } from 'mqtt-packet'
import type { QoS } from '../../shared/broker-types'
import type { BrokerControl } from '../broker/control'
import type { InProcessLink } from '../broker/connection/in-process-transport'
import type { SessionQueueLimits } from '../broker/session/session'

export type PublishProperties = NonNullable<IPublishPacket['properties']>

export interface LinkMessage {
  topic: string
  payload: Buffer
  qos: QoS
  retain: boolean
  dup: boolean
  properties: PublishProperties | undefined
}

export interface LinkSubscription {
  topic: string
  qos: QoS
  noLocal: boolean
  retainAsPublished: boolean
  retainHandling: 0 | 1 | 2
}

export interface LocalLinkOptions {
  clientId: string
  /** The user name the ACL sees (no password: in-process clients are trusted). */
  username: string | null
  /** Named where a socket's address would be. */
  label: string
  queueLimits: SessionQueueLimits | undefined
  /** Bytes taken and not passed on (the remote socket's buffer), seen by the broker as unread. */
  backlogBytes(): number
}

export interface LocalLinkEvents {
  /** A message from our broker; `ack` acknowledges it (PUBACK / PUBREC), for QoS 1 and 2 only once. */
  message(message: LinkMessage, ack: () => void): void
  /** The connection is gone (closed by either side). */
  closed(reason: string): void
}

export interface ConnectOptions {
  cleanStart: boolean
  /** Seconds; 0xffffffff: never. */
  sessionExpiry: number
  /** QoS 1/2 messages the broker may have in flight to us at once. */
  receiveMaximum: number
}

type Pending = { resolve(value: number[]): void; reject(error: Error): void }

function noAck(): void {}

/** Reason codes 0x80 and above are failures (MQTT 5 §2.4). */
export const isFailure = (code: number): boolean => code >= 0x80

export class LocalLink {
  private link: InProcessLink | null = null
  private connack: { resolve(packet: IConnackPacket): void; reject(error: Error): void } | null = null
  private readonly pending = new Map<number, Pending>()
  /** Our publishes waiting for room in the broker's Receive Maximum. */
  private readonly waiting: Array<() => void> = []
  private inflightOut = 0
  private serverReceiveMaximum = 65535
  private nextId = 1
  private isConnected = false

  constructor(
    private readonly broker: Pick<BrokerControl, 'connectInProcess'>,
    private readonly options: LocalLinkOptions,
    private readonly events: LocalLinkEvents
  ) {}

  get connected(): boolean {
    return this.isConnected
  }

  /** Connect (a new in-process connection each time). Rejects with the broker's reason when refused. */
  connect(options: ConnectOptions): Promise<{ sessionPresent: boolean }> {
    this.close('reconnecting')
    const parser = mqttPacket.parser({ protocolVersion: 5 })
    const link = this.broker.connectInProcess({
      label: this.options.label,
      backlogBytes: () => this.options.backlogBytes(),
      sessionQueueLimits: this.options.queueLimits,
      handlers: {
        onData: (chunk) => {
          if (this.link === link) parser.parse(chunk)
        },
        onClose: () => {
          if (this.link === link) this.closed('the local broker closed the connection')
        }
      }
    })
    this.link = link
    parser.on('packet', (packet: Packet) => this.onPacket(packet))
    parser.on('error', (error: Error) => {
      if (this.link !== link) return
      this.closed(`bad packet from the local broker: ${error.message}`)
      link.close()
    })
    const answer = new Promise<IConnackPacket>((resolve, reject) => {
      this.connack = { resolve, reject }
    })
    this.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      clean: options.cleanStart,
      clientId: this.options.clientId,
      keepalive: 0,
      username: this.options.username ?? undefined,
      properties: { sessionExpiryInterval: options.sessionExpiry, receiveMaximum: options.receiveMaximum }
    })
    return answer.then((packet) => {
      const code = packet.reasonCode ?? 0
      if (isFailure(code)) {
        const reason = packet.properties?.reasonString ?? `reason code 0x${code.toString(16)}`
        link.close()
        throw new Error(`the local broker refused the bridge: ${reason}`)
      }
      this.serverReceiveMaximum = packet.properties?.receiveMaximum ?? 65535
      this.isConnected = true
      return { sessionPresent: packet.sessionPresent }
    })
  }

  subscribe(subscriptions: readonly LinkSubscription[]): Promise<number[]> {
    if (subscriptions.length === 0) return Promise.resolve([])
    const messageId = this.allocateId()
    const packet: ISubscribePacket = {
      cmd: 'subscribe',
      messageId,
      subscriptions: subscriptions.map((s) => ({
        topic: s.topic,
        qos: s.qos,
        nl: s.noLocal,
        rap: s.retainAsPublished,
        rh: s.retainHandling
      }))
    }
    return this.request(messageId, packet)
  }

  unsubscribe(filters: readonly string[]): Promise<number[]> {
    if (filters.length === 0) return Promise.resolve([])
    const messageId = this.allocateId()
    return this.request(messageId, { cmd: 'unsubscribe', messageId, unsubscriptions: [...filters] })
  }

  /**
   * Publish into our broker. Resolves with its reason code once it acknowledged (QoS 1: PUBACK,
   * QoS 2: PUBCOMP; QoS 0 at once); rejects when the connection closes first.
   */
  async publish(message: Omit<LinkMessage, 'dup'>): Promise<number> {
    if (!this.isConnected) throw new Error('not connected to the local broker')
    if (message.qos === 0) {
      this.send({
        cmd: 'publish',
        topic: message.topic,
        payload: message.payload,
        qos: 0,
        retain: message.retain,
        dup: false,
        properties: message.properties
      })
      return 0
    }
    // [MQTT-4.9.0-?] never more in flight than the broker's Receive Maximum.
    while (this.inflightOut >= this.serverReceiveMaximum) {
      await new Promise<void>((resume) => this.waiting.push(resume))
      if (!this.isConnected) throw new Error('not connected to the local broker')
    }
    const messageId = this.allocateId()
    this.inflightOut++
    try {
      const [code] = await this.request(messageId, {
        cmd: 'publish',
        messageId,
        topic: message.topic,
        payload: message.payload,
        qos: message.qos,
        retain: message.retain,
        dup: false,
        properties: message.properties
      })
      return code
    } finally {
      this.inflightOut--
      this.waiting.shift()?.()
    }
  }

  /** The remote socket drained: the broker may send again (see LocalLinkOptions.backlogBytes). */
  drained(): void {
    this.link?.drained()
  }

  /** A normal DISCONNECT (no will), then close. */
  disconnect(): void {
    if (this.link === null) return
    if (this.isConnected) this.send({ cmd: 'disconnect', reasonCode: 0 })
    this.close('disconnected')
  }

  /** Our own close: the owner knows, so `closed` is not reported. */
  private close(reason: string): void {
    const link = this.link
    if (link === null) return
    this.closed(reason, false)
    link.close()
  }

  private closed(reason: string, report = true): void {
    if (this.link === null) return
    this.link = null
    this.isConnected = false
    const error = new Error(reason)
    this.connack?.reject(error)
    this.connack = null
    for (const pending of this.pending.values()) pending.reject(error)
    this.pending.clear()
    for (const resume of this.waiting.splice(0)) resume()
    if (report) this.events.closed(reason)
  }

  private request(messageId: number, packet: Packet): Promise<number[]> {
    return new Promise<number[]>((resolve, reject) => {
      if (this.link === null) {
        reject(new Error('not connected to the local broker'))
        return
      }
      this.pending.set(messageId, { resolve, reject })
      this.send(packet)
    })
  }

  private settle(messageId: number | undefined, codes: number[]): void {
    if (messageId === undefined) return
    const pending = this.pending.get(messageId)
    if (pending === undefined) return
    this.pending.delete(messageId)
    pending.resolve(codes)
  }

  private onPacket(packet: Packet): void {
    switch (packet.cmd) {
      case 'connack':
        this.connack?.resolve(packet)
        this.connack = null
        break
      case 'publish':
        this.onPublish(packet)
        break
      case 'puback':
        this.settle(packet.messageId, [packet.reasonCode ?? 0])
        break
      case 'pubrec': {
        const code = packet.reasonCode ?? 0
        if (isFailure(code)) this.settle(packet.messageId, [code])
        else this.send({ cmd: 'pubrel', messageId: packet.messageId })
        break
      }
      case 'pubcomp':
        this.settle(packet.messageId, [packet.reasonCode ?? 0])
        break
      case 'pubrel':
        // Our PUBREC went out when the message was acknowledged: complete the QoS 2 flow.
        this.send({ cmd: 'pubcomp', messageId: packet.messageId })
        break
      case 'suback':
        this.settle(
          packet.messageId,
          (packet.granted as number[]).map((g) => (typeof g === 'number' ? g : 0x80))
        )
        break
      case 'unsuback':
        this.settle(packet.messageId, (packet as { reasonCode?: number[] }).reasonCode ?? [])
        break
      case 'disconnect': {
        const reason = packet.properties?.reasonString ?? `reason code 0x${(packet.reasonCode ?? 0).toString(16)}`
        const link = this.link
        this.closed(`the local broker disconnected the bridge: ${reason}`)
        link?.close()
        break
      }
      default:
        break
    }
  }

  private onPublish(packet: IPublishPacket): void {
    const { topicAlias: _alias, subscriptionIdentifier: _ids, ...properties } = packet.properties ?? {}
    const message: LinkMessage = {
      topic: packet.topic,
      payload: typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload,
      qos: packet.qos,
      retain: packet.retain,
      dup: packet.dup,
      properties: Object.keys(properties).length > 0 ? properties : undefined
    }
    // QoS 0 has nothing to acknowledge: no closure per message.
    if (packet.qos === 0) {
      this.events.message(message, noAck)
      return
    }
    const link = this.link
    let acked = false
    const ack = (): void => {
      // Only on the connection it came in on: after a reconnection the broker resends it anyway.
      if (acked || this.link !== link || link === null) return
      acked = true
      if (packet.qos === 1) this.send({ cmd: 'puback', messageId: packet.messageId, reasonCode: 0 })
      else if (packet.qos === 2) this.send({ cmd: 'pubrec', messageId: packet.messageId, reasonCode: 0 })
    }
    this.events.message(message, ack)
  }

  private allocateId(): number {
    for (let tries = 0; tries < 65535; tries++) {
      const id = this.nextId
      this.nextId = id === 65535 ? 1 : id + 1
      if (!this.pending.has(id)) return id
    }
    throw new Error('no free packet identifier')
  }

  private send(packet: Packet): void {
    this.link?.write(mqttPacket.generate(packet, { protocolVersion: 5 }))
  }
}
