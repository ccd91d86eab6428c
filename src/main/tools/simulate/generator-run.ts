/**
 * One running generator: N simulated devices, each a real MQTT.js client with its own connection,
 * publishing rendered templates on the schedule (schedule.ts). Counts what was sent, acknowledged,
 * failed and skipped; never queues without bound: a device that is offline, or has
 * `maxInflight` QoS 1/2 messages unacknowledged, skips its message (counted).
 */
import { randomUUID } from 'node:crypto'
import type { IClientOptions, IClientPublishOptions, MqttClient } from 'mqtt'
import { lazyModule } from '../../lazy-module'

const mqttLib = lazyModule<typeof import('mqtt')>('mqtt')
import type { GeneratorState, GeneratorStatus } from '../../../shared/tools-api'
import { validateTopicName } from '../../broker/topics/topic-validation'
import { toPublishRequest } from '../../inspector/wire'
import type { RenderContext } from '../templates/template'
import { deviceIntervalMs, expectedRate, type CheckedGenerator } from './generator-spec'
import { Schedule } from './schedule'

export interface GeneratorRunOptions {
  /** Broker URL the devices connect to. */
  url: string
  /** QoS 1/2 messages a device may have unacknowledged (the simulateMaxInflight setting). */
  maxInflight: number
  /** Extra MQTT.js options (TLS trust, for instance). */
  connectOptions?: IClientOptions
  now?: () => number
  random?: () => number
  /** Called once when the generator ends by itself (count or duration reached) or fails. */
  onEnd?: (status: GeneratorStatus) => void
}

/** At most this many messages per timer turn; the rest go on the next turn (I/O gets its share). */
const MAX_BURST = 500
/** More than this far behind schedule, the backlog is skipped (counted) rather than sent in a rush. */
const MAX_LAG_MS = 1000
/** On stop, how long acknowledgements of messages in flight are awaited. */
const STOP_GRACE_MS = 2000
/** Devices still connecting after this long do not hold the others back. */
const CONNECT_WAIT_MS = 5000

interface Device {
  client: MqttClient
  inflight: number
  slots: number[]
}

export class GeneratorRun {
  private readonly spec: CheckedGenerator['spec']
  private readonly devices: Device[] = []
  private readonly schedule: Schedule
  private readonly now: () => number
  private readonly random: () => number
  private state: GeneratorState = 'connecting'
  private timer: NodeJS.Timeout | null = null
  private connectTimer: NodeJS.Timeout | null = null
  private stopping: Promise<void> | null = null
  private sent = 0
  private acknowledged = 0
  private failed = 0
  private skipped = 0
  private lastError: string | null = null
  private readonly startedAt: number
  private readonly rateSamples: Array<{ time: number; sent: number }> = []
  private ended = false

  constructor(
    private readonly checked: CheckedGenerator,
    private readonly options: GeneratorRunOptions
  ) {
    this.spec = checked.spec
    this.now = options.now ?? Date.now
    this.random = options.random ?? Math.random
    this.startedAt = this.now()
    const stop = this.spec.stop
    this.schedule = new Schedule(
      deviceIntervalMs(this.spec) / this.spec.devices,
      this.spec.devices,
      stop.kind === 'count' ? stop.count * this.spec.devices : Infinity,
      stop.kind === 'duration' ? stop.seconds * 1000 : Infinity,
      this.startedAt
    )
  }

  get name(): string {
    return this.spec.name
  }

  get deviceCount(): number {
    return this.spec.devices
  }

  get active(): boolean {
    return this.state === 'connecting' || this.state === 'running' || this.state === 'paused'
  }

  /** Connect the devices and start publishing as soon as the first one is connected. */
  start(): void {
    const prefix = this.spec.clientIdPrefix ?? `sim-${this.spec.name.replace(/[^A-Za-z0-9_-]/g, '_')}-`
    for (let n = 1; n <= this.spec.devices; n++) {
      const client = mqttLib().connect(this.options.url, {
        clientId: `${prefix}${n}`,
        protocolVersion: this.spec.protocolVersion ?? 5,
        clean: true,
        reconnectPeriod: 2000,
        connectTimeout: 10_000,
        // Offline messages are skipped and counted here; MQTT.js must not queue them without bound.
        queueQoSZero: false,
        username: this.spec.username,
        password: this.spec.password,
        ...this.options.connectOptions
      })
      const device: Device = { client, inflight: 0, slots: [] }
      client.on('connect', () => {
        if (this.state === 'connecting' && this.devices.every((d) => d.client.connected)) this.begin()
      })
      client.on('error', (error) => {
        this.lastError = `device ${n}: ${error.message}`
      })
      this.devices.push(device)
    }
    // The clock starts when every device is connected, or after CONNECT_WAIT_MS with those that are
    // (the others' messages are skipped, counted, until they connect).
    this.schedule.pause(this.now())
    this.connectTimer = setTimeout(() => {
      if (this.state === 'connecting' && this.devices.some((d) => d.client.connected)) this.begin()
    }, CONNECT_WAIT_MS)
  }

  private begin(): void {
    if (this.connectTimer !== null) clearTimeout(this.connectTimer)
    this.connectTimer = null
    this.state = 'running'
    this.schedule.resume(this.now())
    this.arm()
  }

  pause(): void {
    if (this.state !== 'running' || this.stopping !== null) return
    this.state = 'paused'
    this.schedule.pause(this.now())
    this.disarm()
  }

  resume(): void {
    if (this.state !== 'paused' || this.stopping !== null) return
    this.state = 'running'
    this.schedule.resume(this.now())
    this.arm()
  }

  /** Stop publishing, wait a little for acknowledgements in flight, disconnect every device. */
  stop(final: GeneratorState = 'stopped'): Promise<void> {
    this.stopping ??= this.finish(final)
    return this.stopping
  }

  /** The state is set once the acknowledgements are in (or the grace is over), so counts are final with it. */
  private async finish(final: GeneratorState): Promise<void> {
    this.disarm()
    if (this.connectTimer !== null) clearTimeout(this.connectTimer)
    this.connectTimer = null
    const deadline = this.now() + STOP_GRACE_MS
    while (this.devices.some((d) => d.inflight > 0 && d.client.connected) && this.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    if (this.active) this.state = final
    const clients = this.devices.splice(0).map((d) => d.client)
    await Promise.all(
      clients.map((client) =>
        Promise.race([client.endAsync(false).catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1000))]).then(() => {
          if (!client.disconnected) client.end(true)
        })
      )
    )
    this.end()
  }

  status(): GeneratorStatus {
    return {
      name: this.spec.name,
      state: this.state,
      devices: this.spec.devices,
      connected: this.devices.filter((d) => d.client.connected).length,
      sent: this.sent,
      acknowledged: this.acknowledged,
      failed: this.failed,
      skipped: this.skipped,
      expectedRate: expectedRate(this.spec),
      rate: this.rate(),
      startedAt: this.startedAt,
      lastError: this.lastError
    }
  }

  private arm(): void {
    if (this.timer !== null || this.state !== 'running' || this.stopping !== null) return
    this.timer = setTimeout(() => this.tick(), this.schedule.waitMs(this.now()))
  }

  private disarm(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
  }

  private tick(): void {
    this.timer = null
    if (this.state !== 'running' || this.stopping !== null) return
    const now = this.now()
    let due = this.schedule.dueCount(now)
    // Far behind (the machine was busy): skip what is overdue instead of rushing it out.
    while (due > 0 && now - this.schedule.dueAt(this.schedule.next) > MAX_LAG_MS) {
      this.schedule.next++
      this.skipped++
      due--
    }
    for (let k = 0; k < Math.min(due, MAX_BURST); k++) this.sendNext(now)
    this.sample(now)
    if (this.schedule.done(now)) {
      void this.stop('finished')
      return
    }
    this.arm()
  }

  private sendNext(now: number): void {
    const index = this.schedule.next++
    const { device: number, counter } = this.schedule.slot(index)
    const device = this.devices[number - 1]
    if (!device.client.connected || device.inflight >= this.options.maxInflight) {
      this.skipped++
      return
    }
    const context: RenderContext = {
      device: number,
      devices: this.spec.devices,
      counter,
      now,
      random: this.random,
      uuid: randomUUID,
      slots: device.slots
    }
    const topic = this.checked.topic.render(context)
    const topicProblem = validateTopicName(topic)
    if (topicProblem !== null || topic === '') {
      this.failed++
      this.lastError = `device ${number}: rendered topic "${topic.slice(0, 80)}" ${topicProblem ?? 'is empty'}`
      return
    }
    const payload = this.checked.payload.render(context)
    const options: IClientPublishOptions = { qos: this.spec.qos, retain: this.spec.retain }
    if (this.spec.properties !== undefined) {
      const request = toPublishRequest({
        topic,
        payload: '',
        qos: this.spec.qos,
        retain: this.spec.retain,
        properties: this.spec.properties
      })
      const props = request.properties ?? {}
      options.properties = {
        payloadFormatIndicator: props.payloadFormatIndicator,
        messageExpiryInterval: props.messageExpiryInterval,
        contentType: props.contentType,
        responseTopic: props.responseTopic,
        correlationData: props.correlationData ? Buffer.from(props.correlationData) : undefined,
        userProperties: props.userProperties
      }
    }
    const qos = this.spec.qos
    if (qos > 0) device.inflight++
    this.sent++
    device.client.publish(topic, payload, options, (error) => {
      if (qos > 0) device.inflight--
      if (error) {
        this.failed++
        this.lastError = `device ${number}: ${error.message}`
      } else if (qos > 0) this.acknowledged++
    })
  }

  private sample(now: number): void {
    const last = this.rateSamples[this.rateSamples.length - 1]
    if (last !== undefined && now - last.time < 250) return
    this.rateSamples.push({ time: now, sent: this.sent })
    while (this.rateSamples.length > 1 && now - this.rateSamples[0].time > 3000) this.rateSamples.shift()
  }

  private rate(): number {
    if (this.state !== 'running') return 0
    const first = this.rateSamples[0]
    if (first === undefined) return 0
    const now = this.now()
    if (now - first.time < 200) return 0
    return Math.round(((this.sent - first.sent) * 1000) / (now - first.time))
  }

  private end(): void {
    if (this.ended) return
    this.ended = true
    if (this.state === 'finished' || this.state === 'failed') this.options.onEnd?.(this.status())
  }
}

/** The next `count` messages a generator would send (for the preview), without changing any state. */
export function previewMessages(
  checked: CheckedGenerator,
  count = 3,
  random: () => number = Math.random,
  now = Date.now()
): Array<{ device: number; topic: string; payload: string }> {
  const devices = checked.spec.devices
  const slots = new Map<number, number[]>()
  const stepMs = deviceIntervalMs(checked.spec) / devices
  const out: Array<{ device: number; topic: string; payload: string }> = []
  for (let index = 0; index < count; index++) {
    const device = (index % devices) + 1
    const state = slots.get(device) ?? []
    slots.set(device, state)
    const context: RenderContext = {
      device,
      devices,
      counter: Math.floor(index / devices) + 1,
      now: Math.round(now + index * stepMs),
      random,
      uuid: randomUUID,
      slots: state
    }
    out.push({ device, topic: checked.topic.render(context), payload: checked.payload.render(context) })
  }
  return out
}
