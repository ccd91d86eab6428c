/**
 * The tools' part of the typed API (src/shared/api.ts includes it): simulated devices
 * (generators), recording the packet log to a file, and replaying a recording. JSON-safe, like the
 * rest of the API. The main side keeps the handlers in src/main/tools/tool-commands.ts.
 */
import type { CommandSpec, JsonMessageProperties } from './api'
import type { QoS } from './broker-types'

/** How often a generator publishes: every `ms` per device, or `perSecond` messages a second in total. */
export type GeneratorPace = { kind: 'interval'; ms: number } | { kind: 'rate'; perSecond: number }

/** When a generator stops by itself: after `count` messages per device, after `seconds`, or never. */
export type GeneratorStop = { kind: 'forever' } | { kind: 'count'; count: number } | { kind: 'duration'; seconds: number }

/** One generator: N simulated devices publishing templated messages. */
export interface GeneratorSpec {
  name: string
  /** Topic template, e.g. `sensors/{{device}}/temperature`. */
  topic: string
  /** Payload template, e.g. `{"t": {{random 20.0 25.0}}, "at": {{timestamp}}}`. */
  payload: string
  qos: QoS
  retain: boolean
  /** MQTT 5 properties sent with every message (the devices then connect with MQTT 5). */
  properties?: JsonMessageProperties
  /** Simulated devices, each its own MQTT connection; `{{device}}` is 1…devices. */
  devices: number
  pace: GeneratorPace
  stop: GeneratorStop
  /** MQTT version the devices speak: 5 (default) or 4 (3.1.1). */
  protocolVersion?: 4 | 5
  /** Device n connects as `${clientIdPrefix}${n}`; default `sim-<name>-`. */
  clientIdPrefix?: string
  /** Credentials the devices log in with (stored as given, in plain text). */
  username?: string
  password?: string
}

export type GeneratorState = 'connecting' | 'running' | 'paused' | 'finished' | 'stopped' | 'failed'

export interface GeneratorStatus {
  name: string
  state: GeneratorState
  devices: number
  /** Devices connected now. */
  connected: number
  /** PUBLISH packets written to the socket. */
  sent: number
  /** QoS 1/2 messages the broker acknowledged (PUBACK / PUBCOMP with a success code). */
  acknowledged: number
  /** Messages refused (v5 reason code ≥ 0x80), lost with their connection, or that could not be rendered. */
  failed: number
  /** Messages not sent because their device was offline or had `simulateMaxInflight` unacknowledged. */
  skipped: number
  /** Messages a second the pace asks for, over all devices. */
  expectedRate: number
  /** Messages a second sent over the last few seconds. */
  rate: number
  startedAt: number
  /** The most recent error (connection refused, publish refused…), or null. */
  lastError: string | null
}

export interface TemplateProblem {
  /** 'topic' | 'payload' | another GeneratorSpec field. */
  field: string
  message: string
  /** 1-based position of the problem in the template, when it is in one. */
  line?: number
  column?: number
}

export type GeneratorPreview =
  | { ok: true; messages: Array<{ device: number; topic: string; payload: string }> }
  | { ok: false; problems: TemplateProblem[] }

export interface RecordingOptions {
  /** Also write a pcapng file next to the JSON Lines file (for Wireshark). */
  pcap: boolean
}

export interface RecordingStatus {
  active: boolean
  /** The JSON Lines file, full path. */
  file: string
  /** The pcapng file, full path, or null. */
  pcapFile: string | null
  startedAt: number
  endedAt: number | null
  /** Packets written to the file. */
  written: number
  /** Bytes written to the JSON Lines file. */
  bytes: number
  /** Packets that could not be written: the write buffer was full (recordBufferBytes) or the disk refused. */
  notWritten: number
  /** The caps in force (0 = none). */
  maxBytes: number
  maxSeconds: number
  /** Why it ended: 'stopped', 'size cap', 'time cap', or the write error. Null while active. */
  endReason: string | null
}

export interface RecordingFile {
  /** File name in the recordings folder. */
  name: string
  size: number
  modifiedAt: number
  /** A .pcapng of the same name exists. */
  pcap: boolean
}

export interface ReplayOptions {
  /** A file name from listRecordings(). */
  recording: string
  /** 1 = recorded timing, 2 = twice as fast…; 0 = as fast as possible. */
  speed: number
  /** Broker URL (mqtt://, ws://…); null or absent = this broker. */
  url?: string | null
  /** Removed from the start of each topic when present (before addPrefix). */
  stripPrefix?: string
  /** Put in front of each topic. */
  addPrefix?: string
  /** Only packets of these client ids; empty or absent = all. */
  clients?: string[]
  /** Which packets: 'in' (published to the broker; the default for a broker recording), 'out', or 'all'. */
  direction?: 'in' | 'out' | 'all'
}

export type ReplayState = 'connecting' | 'running' | 'paused' | 'finished' | 'stopped' | 'failed'

export interface ReplayStatus {
  state: ReplayState
  recording: string
  url: string
  speed: number
  /** Messages published so far. */
  sent: number
  /** Messages the target refused or that were lost with the connection. */
  failed: number
  /** Records in the file that the filters left out, or that could not be read. */
  skipped: number
  /** 0…1: how far into the file. */
  progress: number
  /** Recorded time of the last message sent, ms since the first selected one. */
  positionMs: number
  /** Messages a second over the last few seconds. */
  rate: number
  startedAt: number
  lastError: string | null
}

export interface ToolStatus {
  generators: GeneratorStatus[]
  recording: RecordingStatus | null
  replay: ReplayStatus | null
  /** Where recordings go (the data folder's recordings/). */
  recordingsDir: string
}

/** A tool command's argument and result types (the same marker as api.ts's command()). */
function tool<Args extends unknown[] = [], Result = void>(): CommandSpec<Args, Result> {
  return {}
}

/** The tools' commands, spread into api.ts COMMANDS; handled by src/main/tools/tool-commands.ts. */
export const TOOL_COMMANDS = {
  toolStatus: tool<[], ToolStatus>(),
  listGenerators: tool<[], GeneratorSpec[]>(),
  saveGenerator: tool<[spec: GeneratorSpec], GeneratorSpec[]>(),
  deleteGenerator: tool<[name: string], GeneratorSpec[]>(),
  /** The next three messages, or the problems (with positions) that keep the generator from starting. */
  previewGenerator: tool<[spec: GeneratorSpec], GeneratorPreview>(),
  startGenerator: tool<[spec: GeneratorSpec], GeneratorStatus>(),
  pauseGenerator: tool<[name: string], GeneratorStatus>(),
  resumeGenerator: tool<[name: string], GeneratorStatus>(),
  stopGenerator: tool<[name: string], GeneratorStatus>(),
  startRecording: tool<[options: RecordingOptions], RecordingStatus>(),
  stopRecording: tool<[], RecordingStatus | null>(),
  listRecordings: tool<[], RecordingFile[]>(),
  startReplay: tool<[options: ReplayOptions], ReplayStatus>(),
  pauseReplay: tool<[], ReplayStatus | null>(),
  resumeReplay: tool<[], ReplayStatus | null>(),
  stopReplay: tool<[], ReplayStatus | null>()
}

export type ToolCommandName = keyof typeof TOOL_COMMANDS

export const TOOL_COMMAND_NAMES: readonly ToolCommandName[] = Object.freeze(Object.keys(TOOL_COMMANDS) as ToolCommandName[])
