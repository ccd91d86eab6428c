/**
 * Records any broker as one subscribing client (`brokerscope record --url …`): an MQTT 5 MQTT.js
 * client subscribes to the filters at QoS 2 with Retain As Published, so each message arrives with
 * the QoS and retain flag it was published with, and writes every packet it sends and receives.
 * The file's header says `source: "subscriber"`; replay then sends the received messages.
 */
import type { IClientOptions, MqttClient, Packet } from 'mqtt'
import { lazyModule } from '../../lazy-module'

const mqttLib = lazyModule<typeof import('mqtt')>('mqtt')
import mqttPacket from 'mqtt-packet'
import type { RecordingStatus } from '../../../shared/tools-api'
import { Recording, type RecordingFiles, type RecordingLimits } from './recording'
import { describePacket } from '../../broker/connection/packet-record'
import { RECORDING_FORMAT, RECORDING_VERSION, type RecordedPacket, recordedPacket } from './recording-format'

export interface SubscriberRecorderOptions {
  url: string
  topics: string[]
  clientId?: string
  username?: string
  password?: string
  connectOptions?: IClientOptions
}

export class SubscriberRecorder {
  /** MQTT.js writes its CONNECT without a 'packetsend' event: it is recorded from the options instead. */
  private connectSeen = false

  private constructor(
    private readonly client: MqttClient,
    private readonly recording: Recording
  ) {}

  /** Connect, subscribe and record. Throws when the broker cannot be reached or refuses the subscription. */
  static async start(
    options: SubscriberRecorderOptions,
    files: RecordingFiles,
    limits: RecordingLimits,
    onEnd: (status: RecordingStatus) => void = () => {}
  ): Promise<SubscriberRecorder> {
    const clientId = options.clientId ?? `brokerscope-record-${Math.random().toString(16).slice(2, 10)}`
    const recording = await Recording.open(
      files,
      limits,
      {
        format: RECORDING_FORMAT,
        version: RECORDING_VERSION,
        source: 'subscriber',
        startedAt: Date.now(),
        url: options.url,
        topics: options.topics,
        clientId
      },
      onEnd
    )
    const client = mqttLib().connect(options.url, {
      clientId,
      protocolVersion: 5,
      clean: true,
      reconnectPeriod: 2000,
      connectTimeout: 10_000,
      username: options.username,
      password: options.password,
      ...options.connectOptions
    })
    const recorder = new SubscriberRecorder(client, recording)
    client.on('packetsend', (packet: Packet) => recorder.onPacket('in', packet))
    client.on('packetreceive', (packet: Packet) => recorder.onPacket('out', packet))
    client.on('connect', () => {
      const socket = (client.stream as { localAddress?: string; localPort?: number } | undefined) ?? {}
      const address = socket.localAddress && socket.localPort ? `${socket.localAddress}:${socket.localPort}` : null
      recording.clientConnected(clientId, address, 5)
    })
    client.on('close', () => recording.clientClosed(clientId))
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve())
        client.once('error', reject)
        setTimeout(() => reject(new Error(`could not connect to ${options.url} within 10 s`)), 10_000).unref()
      })
      const granted = await client.subscribeAsync(
        Object.fromEntries(options.topics.map((topic) => [topic, { qos: 2 as const, rap: true }]))
      )
      const refused = granted.filter((g) => g.qos > 2)
      if (refused.length > 0) throw new Error(`the broker refused ${refused.map((g) => `${g.topic} (0x${g.qos.toString(16)})`).join(', ')}`)
    } catch (error) {
      await recorder.stop(`could not subscribe: ${error instanceof Error ? error.message : String(error)}`)
      throw error
    }
    return recorder
  }

  get active(): boolean {
    return this.recording.active
  }

  status(): RecordingStatus {
    return this.recording.status()
  }

  async stop(reason = 'stopped'): Promise<RecordingStatus> {
    if (this.client.connected) await Promise.race([this.client.endAsync(false).catch(() => {}), new Promise((r) => setTimeout(r, 1000))])
    this.client.end(true)
    return this.recording.stop(reason)
  }

  private onPacket(direction: 'in' | 'out', packet: Packet): void {
    if (!this.recording.active) return
    const clientId = this.client.options.clientId ?? ''
    if (packet.cmd === 'connect') this.connectSeen = true
    if (packet.cmd === 'connack' && !this.connectSeen) {
      const options = this.client.options
      this.recording.add(
        recordOf('in', clientId, {
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 5,
          clientId,
          clean: options.clean ?? true,
          keepalive: options.keepalive ?? 60,
          username: options.username
        })
      )
    }
    if (packet.cmd === 'connack') this.connectSeen = false
    this.recording.add(recordOf(direction, clientId, packet))
  }
}

/** An MQTT.js packet as a recording line (the password of a CONNECT is never written). */
export function recordOf(direction: 'in' | 'out', clientId: string, packet: Packet): RecordedPacket {
  const length = (packet as { length?: number }).length
  const size = length === undefined ? encodedSize(packet) : wholeSize(length)
  return recordedPacket(describePacket(direction, clientId, packet, size), Date.now())
}

/** The size of a packet MQTT.js sends (it does not say): encoded once more, small packets only. */
function encodedSize(packet: Packet): number {
  try {
    return mqttPacket.generate(packet, { protocolVersion: 5 }).length
  } catch {
    return 0
  }
}

function wholeSize(remainingLength: number): number {
  const lengthBytes = remainingLength < 128 ? 1 : remainingLength < 16384 ? 2 : remainingLength < 2097152 ? 3 : 4
  return 1 + lengthBytes + remainingLength
}
