/**
 * A bridge's remote side: one MQTT.js connection to the remote broker (mqtt, mqtts, ws, wss), made
 * afresh for every attempt so nothing of a dead connection lingers (what was in flight is resent
 * from the local session, not from MQTT.js's memory). MQTT.js never reconnects by itself here: the
 * bridge decides when, with its backoff.
 *
 * MQTT 3.1.1 bridges set the top bit of the protocol level in CONNECT (mosquitto's try_private):
 * the remote then knows it is a bridge and does not send our own messages back to us. MQTT.js has no
 * option for it; its 'packetsend' event sees the CONNECT before it is encoded, and mqtt-packet
 * encodes `bridgeMode`.
 */
import type { IClientOptions, IPublishPacket, MqttClient } from 'mqtt'
import { lazyModule } from '../lazy-module'

const mqttLib = lazyModule<typeof import('mqtt')>('mqtt')
import type { QoS } from '../../shared/broker-types'
import { disconnectWords, errorWords } from './error-words'
import type { PublishProperties } from './local-link'

export interface RemoteLinkOptions {
  url: string
  clientId: string
  username: string | null
  password: string | null
  protocolVersion: 4 | 5
  /** 3.1.1: set the bridge bit in CONNECT. */
  bridgeFlag: boolean
  cleanStart: boolean
  sessionExpiry: number
  keepAlive: number
  ca?: Buffer
  cert?: Buffer
  key?: Buffer
  rejectUnauthorized: boolean
  connectTimeoutMs: number
}

/** What the remote's CONNACK told us. */
export interface RemoteSession {
  sessionPresent: boolean
  /** How many QoS 1/2 messages it takes in flight from us (v5 Receive Maximum; 3.1.1: no limit). */
  receiveMaximum: number
  maximumQos: QoS
  retainAvailable: boolean
}

export interface RemoteClose {
  /** In words (see error-words.ts). */
  reason: string
  /** The CONNACK refused the connection with this code. */
  connackCode: number | null
  /** The socket connected (TCP / TLS) before the connection ended. */
  socketConnected: boolean
  /** A CONNACK accepted the connection before it ended. */
  wasConnected: boolean
}

export interface RemoteLinkEvents {
  connected(session: RemoteSession): void
  /** A message from the remote; `done` lets MQTT.js acknowledge it and read the next (they come one at a time). */
  message(packet: IPublishPacket, done: () => void): void
  /** The socket took what was waiting (see backlogBytes). */
  drained(): void
  /** Once per connection, however it ended. */
  closed(close: RemoteClose): void
}

function noLog(): void {}

export class RemoteLink {
  private client: MqttClient | null = null
  private error: unknown = null
  private disconnectReason: string | null = null
  private connackCode: number | null = null
  private socketConnected = false
  private wasConnected = false
  private endReason: string | null = null

  constructor(
    private readonly options: RemoteLinkOptions,
    private readonly events: RemoteLinkEvents
  ) {}

  connect(): void {
    const o = this.options
    const v5 = o.protocolVersion === 5
    const options: IClientOptions = {
      clientId: o.clientId,
      username: o.username ?? undefined,
      password: o.password ?? undefined,
      protocolVersion: o.protocolVersion,
      clean: o.cleanStart,
      keepalive: o.keepAlive,
      reconnectPeriod: 0,
      connectTimeout: o.connectTimeoutMs,
      resubscribe: false,
      queueQoSZero: false,
      manualConnect: true,
      rejectUnauthorized: o.rejectUnauthorized,
      ca: o.ca,
      cert: o.cert,
      key: o.key,
      properties: v5 ? { sessionExpiryInterval: o.sessionExpiry } : undefined,
      // MQTT.js logs through `debug` on every packet; even switched off that cost ~5 % of a bridge's time (profiled).
      log: noLog
    }
    const client = mqttLib().connect(o.url, options)
    this.client = client
    if (!v5 && o.bridgeFlag) {
      client.on('packetsend', (packet) => {
        if (packet.cmd === 'connect') (packet as { bridgeMode?: boolean }).bridgeMode = true
      })
    }
    client.handleMessage = (packet, done) => {
      if (this.client !== client) return
      this.events.message(packet, () => done())
    }
    client.on('connect', (connack) => {
      if (this.client !== client) return
      this.wasConnected = true
      const props = connack.properties
      this.events.connected({
        sessionPresent: connack.sessionPresent,
        receiveMaximum: props?.receiveMaximum ?? 65535,
        maximumQos: (props?.maximumQoS ?? 2) as QoS,
        retainAvailable: props?.retainAvailable ?? true
      })
    })
    client.on('error', (error) => {
      if (this.error === null) this.error = error
      const code = (error as { code?: unknown }).code
      if (typeof code === 'number' && !this.wasConnected) this.connackCode = code
    })
    client.on('disconnect', (packet) => {
      this.disconnectReason = disconnectWords(packet.reasonCode ?? 0, packet.properties?.reasonString)
    })
    client.on('close', () => this.onClose(client))
    client.connect()
    const stream = client.stream as unknown as NodeJS.EventEmitter | undefined
    stream?.once('connect', () => (this.socketConnected = true))
    stream?.once('secureConnect', () => (this.socketConnected = true))
    stream?.on('drain', () => {
      if (this.client === client) this.events.drained()
    })
  }

  get connected(): boolean {
    return this.client?.connected === true
  }

  /** Bytes written and not taken by the socket yet. */
  backlogBytes(): number {
    const stream = this.client?.stream as unknown as { writableLength?: number } | undefined
    return stream?.writableLength ?? 0
  }

  subscribe(subscriptions: ReadonlyArray<{ filter: string; qos: QoS }>): Promise<Array<{ filter: string; qos: number }>> {
    const client = this.client
    if (client === null || subscriptions.length === 0) return Promise.resolve([])
    const v5 = this.options.protocolVersion === 5
    // v5: No Local (our own messages are not sent back) and Retain As Published (the retained flag
    // crosses the bridge as it was published) [MQTT-3.8.3-3, MQTT-3.8.3-4].
    const request = Object.fromEntries(
      subscriptions.map((s) => [s.filter, v5 ? { qos: s.qos, nl: true, rap: true, rh: 0 } : { qos: s.qos }])
    )
    return client
      .subscribeAsync(request as Parameters<MqttClient['subscribeAsync']>[0])
      .then((granted) => granted.map((g) => ({ filter: g.topic, qos: g.qos })))
  }

  /**
   * Publish to the remote. Resolves once it acknowledged (QoS 1/2) or the packet is written (QoS 0);
   * rejects with the remote's reason when it refused it (v5 reason code ≥ 0x80).
   */
  publish(topic: string, payload: Buffer, qos: QoS, retain: boolean, properties: PublishProperties | undefined): Promise<void> {
    const client = this.client
    if (client === null) return Promise.reject(new Error('not connected to the remote'))
    if (qos === 0) {
      // No callback: with one, MQTT.js adds a 'drain' listener per message while the socket is
      // full. Backpressure is the socket's backlog, which the broker sees (backlogBytes).
      client.publish(topic, payload, { qos: 0, retain, properties: this.options.protocolVersion === 5 ? properties : undefined })
      return Promise.resolve()
    }
    return new Promise((resolve, reject) => {
      client.publish(topic, payload, { qos, retain, properties: this.options.protocolVersion === 5 ? properties : undefined }, (error) =>
        error ? reject(error) : resolve()
      )
    })
  }

  /** A normal DISCONNECT, then close; `reason` is what closed() reports. Resolves once closed (at most 2 s). */
  end(reason = 'stopped'): Promise<void> {
    const client = this.client
    if (client === null || this.endReason !== null) return Promise.resolve()
    this.endReason = reason
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, 2000)
      timer.unref()
      const finish = (): void => {
        clearTimeout(timer)
        resolve()
      }
      if (client.connected) client.end(false, { reasonCode: 0 }, finish)
      else client.end(true, finish)
    })
  }

  private onClose(client: MqttClient): void {
    if (this.client !== client) return
    this.client = null
    client.removeAllListeners('connect')
    // Nothing reconnects by itself; make sure MQTT.js lets go of the socket and its timers.
    client.end(true)
    let reason: string
    if (this.endReason !== null) reason = this.endReason
    else if (this.disconnectReason !== null) reason = this.disconnectReason
    else if (this.error !== null) reason = errorWords(this.error, this.options.protocolVersion)
    else reason = this.wasConnected ? 'the remote closed the connection' : 'the remote closed the connection before accepting it'
    this.events.closed({ reason, connackCode: this.connackCode, socketConnected: this.socketConnected, wasConnected: this.wasConnected })
  }
}
