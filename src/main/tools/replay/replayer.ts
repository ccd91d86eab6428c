/**
 * Replays a recording into a broker as one MQTT 5 client: each selected message is published with
 * its topic (remapped: prefix stripped, then added), payload, QoS, retain flag and properties, at
 * the recorded timing divided by `speed`, or as fast as the connection takes them (speed 0). At
 * most `maxInflight` publishes wait for their acknowledgement (or, at QoS 0, for the socket), so
 * a fast replay never queues without bound. Pause holds the clock; stop ends it.
 */
import type { IClientOptions, IClientPublishOptions, MqttClient } from 'mqtt'
import { lazyModule } from '../../lazy-module'

const mqttLib = lazyModule<typeof import('mqtt')>('mqtt')
import type { ReplayOptions, ReplayState, ReplayStatus } from '../../../shared/tools-api'
import { validateTopicName } from '../../broker/topics/topic-validation'
import { RecordingReader, type ReplayMessage } from './recording-reader'

export interface ReplayTarget {
  url: string
  maxInflight: number
  connectOptions?: IClientOptions
  /** Shown as `recording` in the status (the file name for the app, the path for the CLI). */
  label?: string
}

export class Replayer {
  private state: ReplayState = 'connecting'
  private client: MqttClient | null = null
  private readonly reader: RecordingReader
  private sent = 0
  private failed = 0
  private outstanding = 0
  private positionMs = 0
  private lastError: string | null = null
  private readonly startedAt = Date.now()
  private pausedAt: number | null = null
  private pausedTotal = 0
  private wake: (() => void) | null = null
  private readonly rateSamples: Array<{ time: number; sent: number }> = []
  /** Resolves with the final status once the replay has ended. */
  readonly done: Promise<ReplayStatus>

  constructor(
    path: string,
    private readonly options: ReplayOptions,
    private readonly target: ReplayTarget
  ) {
    this.reader = new RecordingReader(path, { direction: options.direction, clients: options.clients })
    this.done = this.run()
  }

  pause(): void {
    if (this.state !== 'running') return
    this.state = 'paused'
    this.pausedAt = Date.now()
  }

  resume(): void {
    if (this.state !== 'paused') return
    this.pausedTotal += Date.now() - (this.pausedAt ?? Date.now())
    this.pausedAt = null
    this.state = 'running'
    this.poke()
  }

  stop(): Promise<ReplayStatus> {
    if (this.state === 'running' || this.state === 'paused' || this.state === 'connecting') this.state = 'stopped'
    this.poke()
    return this.done
  }

  get active(): boolean {
    return this.state === 'running' || this.state === 'paused' || this.state === 'connecting'
  }

  status(): ReplayStatus {
    const { bytesRead, size, skipped } = this.reader.progress
    return {
      state: this.state,
      recording: this.target.label ?? this.reader.path,
      url: this.target.url,
      speed: this.options.speed,
      sent: this.sent,
      failed: this.failed,
      skipped,
      progress: this.state === 'finished' ? 1 : size === 0 ? 0 : Math.min(1, bytesRead / size),
      positionMs: this.positionMs,
      rate: this.rate(),
      startedAt: this.startedAt,
      lastError: this.lastError
    }
  }

  private async run(): Promise<ReplayStatus> {
    try {
      this.client = await this.connect()
      if (this.state === 'connecting') this.state = 'running'
      let first: number | null = null
      let wallStart = 0
      for await (const message of this.reader.messages()) {
        if (!this.active) break
        if (first === null) {
          first = message.time
          wallStart = Date.now()
        }
        const offset = Math.max(0, message.time - first)
        await this.waitUntil(() => wallStart + this.pausedTotal + (this.options.speed > 0 ? offset / this.options.speed : 0))
        if (!this.active) break
        await this.waitForWindow()
        if (!this.active) break
        this.positionMs = offset
        this.publish(message)
      }
      // Wait (bounded) for the last acknowledgements.
      const deadline = Date.now() + 5000
      while (this.outstanding > 0 && Date.now() < deadline && this.client.connected) await sleep(10)
      if (this.state === 'running' || this.state === 'paused') this.state = 'finished'
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error)
      this.state = 'failed'
    }
    if (this.client !== null) {
      const client = this.client
      await Promise.race([client.endAsync(false).catch(() => {}), sleep(1000)])
      client.end(true)
    }
    return this.status()
  }

  private connect(): Promise<MqttClient> {
    return new Promise((resolve, reject) => {
      const client = mqttLib().connect(this.target.url, {
        clientId: `brokerscope-replay-${Math.random().toString(16).slice(2, 10)}`,
        protocolVersion: 5,
        clean: true,
        reconnectPeriod: 0,
        connectTimeout: 10_000,
        ...this.target.connectOptions
      })
      client.once('connect', () => resolve(client))
      client.once('error', (error) => {
        client.end(true)
        reject(new Error(`could not connect to ${this.target.url}: ${error.message}`))
      })
      client.once('close', () => {
        if (!client.connected && this.state === 'connecting') reject(new Error(`could not connect to ${this.target.url}`))
      })
      client.on('close', () => {
        if (this.active && this.state !== 'connecting') {
          this.lastError = 'the connection closed'
          this.state = 'failed'
          this.poke()
        }
      })
    })
  }

  private publish(message: ReplayMessage): void {
    const client = this.client!
    let topic = message.topic
    if (this.options.stripPrefix && topic.startsWith(this.options.stripPrefix)) topic = topic.slice(this.options.stripPrefix.length)
    if (this.options.addPrefix) topic = this.options.addPrefix + topic
    const problem = topic === '' ? 'is empty' : validateTopicName(topic)
    if (problem) {
      this.failed++
      this.lastError = `topic "${topic.slice(0, 80)}" ${problem}`
      return
    }
    const publishOptions: IClientPublishOptions = { qos: message.qos, retain: message.retain }
    const properties = publishProperties(message.properties)
    if (properties !== undefined) publishOptions.properties = properties
    this.outstanding++
    this.sent++
    client.publish(topic, message.payload, publishOptions, (error) => {
      this.outstanding--
      if (error) {
        this.failed++
        this.lastError = error.message
      }
      this.poke()
    })
    this.sample()
  }

  /** Sleep until `due()` (re-read after a pause) or until woken by pause/stop. */
  private async waitUntil(due: () => number): Promise<void> {
    for (;;) {
      if (!this.active) return
      if (this.state === 'paused') {
        await new Promise<void>((resolve) => (this.wake = resolve))
        continue
      }
      const wait = due() - Date.now()
      if (wait <= 0) return
      await new Promise<void>((resolve) => {
        this.wake = resolve
        setTimeout(resolve, Math.min(wait, 250))
      })
    }
  }

  private async waitForWindow(): Promise<void> {
    while (this.active && this.outstanding >= this.target.maxInflight) {
      await new Promise<void>((resolve) => {
        this.wake = resolve
        setTimeout(resolve, 100)
      })
    }
  }

  private poke(): void {
    const wake = this.wake
    this.wake = null
    wake?.()
  }

  private sample(): void {
    const now = Date.now()
    const last = this.rateSamples[this.rateSamples.length - 1]
    if (last !== undefined && now - last.time < 250) return
    this.rateSamples.push({ time: now, sent: this.sent })
    while (this.rateSamples.length > 1 && now - this.rateSamples[0].time > 3000) this.rateSamples.shift()
  }

  private rate(): number {
    const first = this.rateSamples[0]
    if (first === undefined || this.state !== 'running') return 0
    const elapsed = Date.now() - first.time
    return elapsed < 200 ? 0 : Math.round(((this.sent - first.sent) * 1000) / elapsed)
  }
}

/** Recorded (JSON) message properties → MQTT.js publish properties; per-connection ones are left out. */
function publishProperties(properties: Record<string, unknown> | undefined): IClientPublishOptions['properties'] {
  if (properties === undefined) return undefined
  const out: NonNullable<IClientPublishOptions['properties']> = {}
  if (typeof properties.payloadFormatIndicator === 'boolean') out.payloadFormatIndicator = properties.payloadFormatIndicator
  if (typeof properties.messageExpiryInterval === 'number') out.messageExpiryInterval = properties.messageExpiryInterval
  if (typeof properties.contentType === 'string') out.contentType = properties.contentType
  if (typeof properties.responseTopic === 'string') out.responseTopic = properties.responseTopic
  if (typeof properties.correlationData === 'string') out.correlationData = Buffer.from(properties.correlationData, 'base64')
  if (typeof properties.userProperties === 'object' && properties.userProperties !== null) {
    out.userProperties = properties.userProperties as Record<string, string | string[]>
  }
  return Object.keys(out).length > 0 ? out : undefined
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
