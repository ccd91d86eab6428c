/**
 * The tools on the command line, against any broker:
 *
 *   brokerscope simulate FILE.json5 [--url URL]
 *   brokerscope record --url URL [--topic F]… --out FILE.jsonl [--pcap FILE.pcapng]
 *   brokerscope replay FILE [--speed N] [--url URL] [--add-prefix P] [--strip-prefix P] [--client ID]…
 *
 * Each runs until it is done, a cap is reached, or Ctrl-C (SIGINT / SIGTERM), and leaves complete
 * files. Exit codes: 0 done, 1 it could not run (broker unreachable, file unwritable), 2 bad
 * command line or file.
 */
import { readFileSync } from 'node:fs'
import JSON5 from 'json5'
import { DEFAULT_SETTINGS, type BrokerSettings } from '../../../shared/settings'
import type { GeneratorStatus } from '../../../shared/tools-api'
import { parseSettingValue } from '../../config/cli-args'
import { SubscriberRecorder } from '../record/subscriber-recorder'
import { Replayer } from '../replay/replayer'
import { checkGenerator, problemsText } from '../simulate/generator-spec'
import { Simulation } from '../simulate/simulation'

export interface ToolIo {
  stdout(line: string): void
  stderr(line: string): void
}

type FlagKind = 'value' | 'list' | 'switch'

interface ParsedFlags {
  values: Record<string, string>
  lists: Record<string, string[]>
  switches: Set<string>
  positionals: string[]
  errors: string[]
}

function parseFlags(argv: readonly string[], spec: Record<string, FlagKind>): ParsedFlags {
  const out: ParsedFlags = { values: {}, lists: {}, switches: new Set(), positionals: [], errors: [] }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (!arg.startsWith('--')) {
      out.positionals.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2)
    const kind = spec[name]
    if (kind === undefined) {
      out.errors.push(`--${name}: unknown option`)
      continue
    }
    if (kind === 'switch') {
      out.switches.add(name)
      continue
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i]
    if (value === undefined) {
      out.errors.push(`--${name}: needs a value`)
      continue
    }
    if (kind === 'list') out.lists[name] = [...(out.lists[name] ?? []), value]
    else out.values[name] = value
  }
  return out
}

/** A broker-setting flag (same name and checks as the broker's), or its default. */
function settingFlag<K extends keyof BrokerSettings>(flags: ParsedFlags, key: K, errors: string[]): BrokerSettings[K] {
  const name = key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())
  const raw = flags.values[name]
  if (raw === undefined) return DEFAULT_SETTINGS[key]
  const parsed = parseSettingValue(`--${name}`, key, raw)
  if (!parsed.ok) {
    errors.push(parsed.error)
    return DEFAULT_SETTINGS[key]
  }
  return parsed.value as BrokerSettings[K]
}

function checkUrl(url: string, errors: string[]): void {
  if (!/^(mqtt|mqtts|ws|wss|tcp|ssl):\/\/\S+$/.test(url))
    errors.push(`--url: must look like mqtt://host:port (or mqtts://, ws://host:port/mqtt, wss://), got "${url}"`)
}

/** Resolves when `stop` was asked for by SIGINT / SIGTERM. */
function onInterrupt(stop: () => void): () => void {
  const handler = (): void => stop()
  process.once('SIGINT', handler)
  process.once('SIGTERM', handler)
  return () => {
    process.off('SIGINT', handler)
    process.off('SIGTERM', handler)
  }
}

export async function toolMain(command: 'simulate' | 'record' | 'replay', argv: readonly string[], io: ToolIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(HELP[command])
    return 0
  }
  if (command === 'simulate') return simulateMain(argv, io)
  if (command === 'record') return recordMain(argv, io)
  return replayMain(argv, io)
}

const HELP = {
  simulate: [
    'Usage: brokerscope simulate FILE.json5 [--url URL] [--simulate-max-devices N] [--simulate-max-inflight N]',
    '',
    'Runs the generators of FILE (JSON5) as simulated devices: each device is its own MQTT connection.',
    '  { url: "mqtt://127.0.0.1:1883", generators: [ { name: "temp", topic: "sensors/{{device}}/t",',
    '    payload: "{\\"t\\": {{random 20.0 25.0}}}", qos: 0, retain: false, devices: 10,',
    '    pace: { kind: "interval", ms: 1000 }, stop: { kind: "forever" } } ] }',
    'Stops when every generator is done, or on Ctrl-C.'
  ].join('\n'),
  record: [
    'Usage: brokerscope record --url URL --out FILE.jsonl [--pcap FILE.pcapng] [--topic FILTER]…',
    '         [--username U --password P] [--client-id ID] [--record-max-bytes N] [--record-max-seconds N]',
    '',
    "Subscribes to FILTER (default '#') at QoS 2 with retain-as-published and writes every packet to FILE",
    '(JSON Lines) and, with --pcap, a pcapng file for Wireshark. Runs until Ctrl-C or a cap.'
  ].join('\n'),
  replay: [
    'Usage: brokerscope replay FILE [--speed N] [--url URL] [--add-prefix P] [--strip-prefix P] [--client ID]…',
    '         [--direction in|out|all] [--username U --password P]',
    '',
    'Publishes the messages of a recording (JSON Lines, or the Traffic view JSON export) again:',
    'at the recorded timing (--speed 1, the default), N times faster, or as fast as possible (--speed 0).',
    '--url defaults to mqtt://127.0.0.1:1883.'
  ].join('\n')
}

async function simulateMain(argv: readonly string[], io: ToolIo): Promise<number> {
  const flags = parseFlags(argv, {
    url: 'value',
    'simulate-max-devices': 'value',
    'simulate-max-inflight': 'value',
    'status-interval': 'value'
  })
  const errors = [...flags.errors]
  if (flags.positionals.length !== 1) errors.push('give one generators file: brokerscope simulate FILE.json5')
  const maxDevices = settingFlag(flags, 'simulateMaxDevices', errors)
  const maxInflight = settingFlag(flags, 'simulateMaxInflight', errors)
  const file = flags.positionals[0]
  let config: { url?: unknown; username?: unknown; password?: unknown; generators?: unknown } = {}
  if (file !== undefined && errors.length === 0) {
    try {
      config = JSON5.parse(readFileSync(file, 'utf8'))
    } catch (error) {
      errors.push(`${file}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  const url = flags.values.url ?? (typeof config.url === 'string' ? config.url : 'mqtt://127.0.0.1:1883')
  checkUrl(url, errors)
  const list = Array.isArray(config.generators) ? config.generators : []
  if (errors.length === 0 && list.length === 0) errors.push(`${file}: no generators (a "generators" list is needed)`)
  const specs: unknown[] = []
  for (const [index, raw] of list.entries()) {
    // File-wide credentials apply to every generator that has none of its own.
    const entry = {
      ...(typeof config.username === 'string' ? { username: config.username } : {}),
      ...(typeof config.password === 'string' ? { password: config.password } : {}),
      ...(raw as object)
    }
    const checked = checkGenerator(entry, maxDevices)
    if (!checked.ok) errors.push(`${file}: generator ${index + 1}: ${problemsText(checked.problems)}`)
    else specs.push(checked.value.spec)
  }
  if (errors.length > 0) {
    for (const error of errors) io.stderr(`brokerscope simulate: ${error}`)
    return 2
  }

  const simulation = new Simulation({ url: () => url, maxDevices: () => maxDevices, maxInflight: () => maxInflight })
  try {
    for (const spec of specs) simulation.start(spec)
  } catch (error) {
    io.stderr(`brokerscope simulate: ${error instanceof Error ? error.message : String(error)}`)
    await simulation.stopAll()
    return 2
  }
  io.stdout(`simulating ${specs.length} generator${specs.length === 1 ? '' : 's'} against ${url}; Ctrl-C stops`)
  const intervalMs = Math.max(1, Number(flags.values['status-interval'] ?? 5)) * 1000
  const print = (): void => {
    for (const s of simulation.statuses()) io.stdout(statusLine(s))
  }
  let interrupted = false
  const stopWatching = onInterrupt(() => (interrupted = true))
  const timer = setInterval(print, intervalMs)
  while (!interrupted && simulation.running > 0) await new Promise((resolve) => setTimeout(resolve, 100))
  clearInterval(timer)
  stopWatching()
  await simulation.stopAll()
  print()
  return 0
}

function statusLine(s: GeneratorStatus): string {
  return `${s.name}: ${s.state}, ${s.connected}/${s.devices} devices, ${s.sent} sent, ${s.acknowledged} acknowledged, ${s.failed} failed, ${s.skipped} skipped, ${s.rate} msg/s${s.lastError ? ` (last error: ${s.lastError})` : ''}`
}

async function recordMain(argv: readonly string[], io: ToolIo): Promise<number> {
  const flags = parseFlags(argv, {
    url: 'value',
    topic: 'list',
    out: 'value',
    pcap: 'value',
    username: 'value',
    password: 'value',
    'client-id': 'value',
    'record-max-bytes': 'value',
    'record-max-seconds': 'value',
    'record-buffer-bytes': 'value'
  })
  const errors = [...flags.errors]
  for (const extra of flags.positionals) errors.push(`unexpected argument "${extra}"`)
  const url = flags.values.url
  if (url === undefined) errors.push('--url is required (the broker to record, e.g. mqtt://127.0.0.1:1883)')
  else checkUrl(url, errors)
  const out = flags.values.out
  if (out === undefined) errors.push('--out FILE.jsonl is required')
  const limits = {
    maxBytes: settingFlag(flags, 'recordMaxBytes', errors),
    maxSeconds: settingFlag(flags, 'recordMaxSeconds', errors),
    bufferBytes: settingFlag(flags, 'recordBufferBytes', errors)
  }
  if (errors.length > 0 || url === undefined || out === undefined) {
    for (const error of errors) io.stderr(`brokerscope record: ${error}`)
    return 2
  }
  const topics = flags.lists.topic ?? ['#']
  let ended: () => void = () => {}
  const endedByCap = new Promise<void>((resolve) => (ended = resolve))
  let recorder: SubscriberRecorder
  try {
    recorder = await SubscriberRecorder.start(
      { url, topics, clientId: flags.values['client-id'], username: flags.values.username, password: flags.values.password },
      { file: out, pcapFile: flags.values.pcap ?? null },
      limits,
      () => ended()
    )
  } catch (error) {
    io.stderr(`brokerscope record: ${error instanceof Error ? error.message : String(error)}`)
    return 1
  }
  io.stdout(`recording ${topics.join(', ')} from ${url} to ${out}${flags.values.pcap ? ` and ${flags.values.pcap}` : ''}; Ctrl-C stops`)
  const stopWatching = onInterrupt(() => ended())
  await endedByCap
  stopWatching()
  const status = await recorder.stop()
  io.stdout(
    `recording ended (${status.endReason}): ${status.written} packets written, ${status.notWritten} not written, ${status.bytes} bytes`
  )
  return 0
}

async function replayMain(argv: readonly string[], io: ToolIo): Promise<number> {
  const flags = parseFlags(argv, {
    url: 'value',
    speed: 'value',
    'add-prefix': 'value',
    'strip-prefix': 'value',
    client: 'list',
    direction: 'value',
    username: 'value',
    password: 'value',
    'simulate-max-inflight': 'value'
  })
  const errors = [...flags.errors]
  if (flags.positionals.length !== 1) errors.push('give one recording: brokerscope replay FILE')
  const url = flags.values.url ?? 'mqtt://127.0.0.1:1883'
  checkUrl(url, errors)
  const speedText = flags.values.speed ?? '1'
  const speed = speedText === 'max' ? 0 : Number(speedText)
  if (!Number.isFinite(speed) || speed < 0 || speed > 1000)
    errors.push(`--speed: must be a number from 0 (as fast as possible, also "max") to 1000, got "${speedText}"`)
  const direction = flags.values.direction
  if (direction !== undefined && direction !== 'in' && direction !== 'out' && direction !== 'all')
    errors.push('--direction: must be in, out or all')
  const maxInflight = settingFlag(flags, 'simulateMaxInflight', errors)
  if (errors.length > 0) {
    for (const error of errors) io.stderr(`brokerscope replay: ${error}`)
    return 2
  }
  const file = flags.positionals[0]
  let replayer: Replayer
  try {
    replayer = new Replayer(
      file,
      {
        recording: file,
        speed,
        addPrefix: flags.values['add-prefix'],
        stripPrefix: flags.values['strip-prefix'],
        clients: flags.lists.client,
        direction: direction as 'in' | 'out' | 'all' | undefined
      },
      { url, maxInflight, connectOptions: { username: flags.values.username, password: flags.values.password } }
    )
  } catch (error) {
    io.stderr(`brokerscope replay: ${error instanceof Error ? error.message : String(error)}`)
    return 1
  }
  io.stdout(`replaying ${file} into ${url} at ${speed === 0 ? 'full speed' : `×${speed}`}; Ctrl-C stops`)
  const stopWatching = onInterrupt(() => void replayer.stop())
  const timer = setInterval(() => {
    const s = replayer.status()
    io.stdout(
      `${Math.round(s.progress * 100)}%: ${s.sent} sent, ${s.failed} failed, ${s.rate} msg/s, at ${(s.positionMs / 1000).toFixed(1)} s of the recording`
    )
  }, 1000)
  const final = await replayer.done
  clearInterval(timer)
  stopWatching()
  io.stdout(
    `replay ${final.state}: ${final.sent} sent, ${final.failed} failed, ${final.skipped} records skipped${final.lastError ? ` (last error: ${final.lastError})` : ''}`
  )
  return final.state === 'failed' ? 1 : 0
}
