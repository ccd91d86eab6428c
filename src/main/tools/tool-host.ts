/**
 * The tools inside the app (both shells): the running generators, at most one recording of this
 * broker and at most one replay, and the saved generators. It reaches the broker only through
 * BrokerControl: simulated devices and replays connect to the broker's own listener as clients;
 * the recorder reads the event stream. Files live in the data folder:
 *
 *   data folder/generators.json    saved generators
 *   data folder/recordings/        recordings (.jsonl, .pcapng); replays read from here
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { IClientOptions } from 'mqtt'
import type {
  GeneratorPreview,
  GeneratorSpec,
  GeneratorStatus,
  RecordingFile,
  RecordingOptions,
  RecordingStatus,
  ReplayOptions,
  ReplayStatus,
  ToolStatus
} from '../../shared/tools-api'
import type { BrokerControl } from '../broker/control'
import type { Logger } from '../logger'
import { BrokerRecorder } from './record/broker-recorder'
import { Replayer } from './replay/replayer'
import { checkGenerator } from './simulate/generator-spec'
import { previewMessages } from './simulate/generator-run'
import { GeneratorStore } from './simulate/generator-store'
import { Simulation } from './simulate/simulation'

export class ToolError extends Error {
  override readonly name = 'ToolError'
}

export interface ToolHostOptions {
  broker: BrokerControl
  dataDir: string
  logger: Logger
}

export class ToolHost {
  readonly recordingsDir: string
  private readonly broker: BrokerControl
  private readonly logger: Logger
  private readonly generators: GeneratorStore
  private readonly simulation: Simulation
  private recorder: BrokerRecorder | null = null
  private lastRecording: RecordingStatus | null = null
  private replayer: Replayer | null = null

  constructor(options: ToolHostOptions) {
    this.broker = options.broker
    this.logger = options.logger
    this.recordingsDir = join(options.dataDir, 'recordings')
    this.generators = new GeneratorStore(join(options.dataDir, 'generators.json'))
    if (this.generators.problem) this.logger.warn(`saved generators: ${this.generators.problem}`)
    this.simulation = new Simulation({
      url: () => this.ownUrl(),
      maxDevices: () => this.broker.getSettings().simulateMaxDevices,
      maxInflight: () => this.broker.getSettings().simulateMaxInflight,
      connectOptions: () => this.ownConnectOptions(),
      onEnd: (status) =>
        this.logger.info(
          `generator "${status.name}" ${status.state}: ${status.sent} sent, ${status.failed} failed, ${status.skipped} skipped`
        )
    })
  }

  status(): ToolStatus {
    return {
      generators: this.simulation.statuses(),
      recording: this.recorder?.status() ?? this.lastRecording,
      replay: this.replayer?.status() ?? null,
      recordingsDir: this.recordingsDir
    }
  }

  // ───────────────────────────── simulate ─────────────────────────────

  listGenerators(): GeneratorSpec[] {
    return this.generators.list()
  }

  saveGenerator(spec: unknown): GeneratorSpec[] {
    return this.generators.save(spec)
  }

  deleteGenerator(name: string): GeneratorSpec[] {
    return this.generators.delete(name)
  }

  previewGenerator(spec: unknown): GeneratorPreview {
    const checked = checkGenerator(spec, this.broker.getSettings().simulateMaxDevices)
    if (!checked.ok) return { ok: false, problems: checked.problems }
    return { ok: true, messages: previewMessages(checked.value, 3) }
  }

  startGenerator(spec: unknown): GeneratorStatus {
    const status = this.simulation.start(spec)
    this.logger.info(`generator "${status.name}" started: ${status.devices} devices, ${status.expectedRate} msg/s`)
    return status
  }

  pauseGenerator(name: string): GeneratorStatus {
    return this.simulation.pause(name)
  }

  resumeGenerator(name: string): GeneratorStatus {
    return this.simulation.resume(name)
  }

  stopGenerator(name: string): Promise<GeneratorStatus> {
    return this.simulation.stop(name)
  }

  // ───────────────────────────── record ─────────────────────────────

  async startRecording(options: RecordingOptions): Promise<RecordingStatus> {
    if (this.recorder?.active) throw new ToolError('a recording is already running; stop it first')
    mkdirSync(this.recordingsDir, { recursive: true })
    const stamp = new Date().toISOString().slice(0, 19).replace(/:/g, '-')
    let name = `recording-${stamp}`
    for (let n = 2; this.exists(`${name}.jsonl`); n++) name = `recording-${stamp}-${n}`
    const settings = this.broker.getSettings()
    this.recorder = await BrokerRecorder.start(
      this.broker,
      { file: join(this.recordingsDir, `${name}.jsonl`), pcapFile: options.pcap ? join(this.recordingsDir, `${name}.pcapng`) : null },
      { maxBytes: settings.recordMaxBytes, maxSeconds: settings.recordMaxSeconds, bufferBytes: settings.recordBufferBytes },
      (status) => {
        this.lastRecording = status
        this.logger.info(
          `recording ${status.file} ended (${status.endReason}): ${status.written} packets written, ${status.notWritten} not written`
        )
      }
    )
    this.logger.info(`recording to ${this.recorder.status().file}`)
    return this.recorder.status()
  }

  async stopRecording(): Promise<RecordingStatus | null> {
    const recorder = this.recorder
    if (recorder === null) return this.lastRecording
    this.recorder = null
    this.lastRecording = await recorder.stop()
    return this.lastRecording
  }

  listRecordings(): RecordingFile[] {
    let names: string[]
    try {
      names = readdirSync(this.recordingsDir)
    } catch {
      return []
    }
    const files: RecordingFile[] = []
    for (const name of names) {
      if (!name.endsWith('.jsonl') && !name.endsWith('.json')) continue
      try {
        const stat = statSync(join(this.recordingsDir, name))
        if (!stat.isFile()) continue
        const pcap = name.endsWith('.jsonl') && this.exists(name.replace(/\.jsonl$/, '.pcapng'))
        files.push({ name, size: stat.size, modifiedAt: stat.mtimeMs, pcap })
      } catch {
        /* gone meanwhile */
      }
    }
    return files.sort((a, b) => b.modifiedAt - a.modifiedAt)
  }

  // ───────────────────────────── replay ─────────────────────────────

  startReplay(options: ReplayOptions): ReplayStatus {
    const name = options.recording
    if (basename(name) !== name || !this.listRecordings().some((file) => file.name === name)) {
      throw new ToolError(`no recording named "${name}" in ${this.recordingsDir}`)
    }
    if (this.replayer?.active) throw new ToolError('a replay is already running; stop it first')
    const url = options.url ?? this.ownUrl()
    const replayer = new Replayer(join(this.recordingsDir, name), options, {
      url,
      maxInflight: this.broker.getSettings().simulateMaxInflight,
      connectOptions: options.url ? undefined : this.ownConnectOptions(),
      label: name
    })
    this.replayer = replayer
    void replayer.done.then((status) => this.logger.info(`replay of ${name} ${status.state}: ${status.sent} sent, ${status.failed} failed`))
    return replayer.status()
  }

  pauseReplay(): ReplayStatus | null {
    this.replayer?.pause()
    return this.replayer?.status() ?? null
  }

  resumeReplay(): ReplayStatus | null {
    this.replayer?.resume()
    return this.replayer?.status() ?? null
  }

  async stopReplay(): Promise<ReplayStatus | null> {
    if (this.replayer === null) return null
    return this.replayer.stop()
  }

  /** Stop everything (the app is closing): recordings end with complete files. */
  async dispose(): Promise<void> {
    await Promise.all([this.simulation.stopAll(), this.stopRecording(), this.stopReplay()])
  }

  // ───────────────────────────── the broker's own address ─────────────────────────────

  /** A URL of this broker's own listener: TCP, else WebSocket, else TLS. */
  ownUrl(): string {
    const listeners = this.broker.listeners().filter((l) => l.listening)
    const pick =
      listeners.find((l) => l.name === 'tcp') ??
      listeners.find((l) => l.name === 'ws') ??
      listeners.find((l) => l.name === 'tls') ??
      listeners.find((l) => l.name === 'wss')
    if (pick === undefined) throw new ToolError('the broker has no listener running to connect to')
    const host =
      pick.host === '0.0.0.0' ? '127.0.0.1' : pick.host === '::' ? '[::1]' : pick.host.includes(':') ? `[${pick.host}]` : pick.host
    const path = this.broker.getSettings().wsPath
    switch (pick.name) {
      case 'tcp':
        return `mqtt://${host}:${pick.port}`
      case 'ws':
        return `ws://${host}:${pick.port}${path}`
      case 'tls':
        return `mqtts://${host}:${pick.port}`
      default:
        return `wss://${host}:${pick.port}${path}`
    }
  }

  /** Our own TLS listener's certificate is trusted as it is (it is this process's own broker). */
  private ownConnectOptions(): IClientOptions | undefined {
    return this.ownUrl().startsWith('mqtts:') || this.ownUrl().startsWith('wss:') ? { rejectUnauthorized: false } : undefined
  }

  private exists(name: string): boolean {
    try {
      statSync(join(this.recordingsDir, name))
      return true
    } catch {
      return false
    }
  }
}
