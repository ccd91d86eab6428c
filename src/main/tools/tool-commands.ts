/**
 * The tools' commands (src/shared/tools-api.ts TOOL_COMMANDS) as their part of the command
 * table: each entry checks its untrusted arguments and calls the ToolHost. The inspector spreads
 * this part into its table (InspectorOptions.toolCommands); a bad argument, or a refusal by the
 * tools, is a CommandError that says what was wrong, like the inspector's own.
 */
import type { GeneratorSpec, RecordingOptions, ReplayOptions, ToolCommandName } from '../../shared/tools-api'
import type { CommandTablePart } from '../inspector/command-table'
import { args, CommandError, noArgs, text, type Check } from '../inspector/command-validation'
import { SimulationError } from './simulate/simulation'
import { ToolError, type ToolHost } from './tool-host'

const MAX_NAME = 200

function string(value: unknown, what: string, max: number): string {
  if (typeof value !== 'string') throw new CommandError(`${what} must be a string`)
  if (value.length > max) throw new CommandError(`${what} is longer than ${max} characters`)
  return value
}

function fields(value: unknown, what: string, keys: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CommandError(`${what} must be an object`)
  for (const key of Object.keys(value))
    if (!keys.includes(key)) throw new CommandError(`${what} has an unknown field "${key.slice(0, 40)}"`)
  return value as Record<string, unknown>
}

const REPLAY_KEYS = ['recording', 'speed', 'url', 'stripPrefix', 'addPrefix', 'clients', 'direction']

export const replayOptions: Check<ReplayOptions> = (value) => {
  const r = fields(value, 'startReplay: options', REPLAY_KEYS)
  const options: ReplayOptions = { recording: string(r.recording, 'startReplay: recording', 255), speed: 1 }
  if (r.speed !== undefined) {
    if (typeof r.speed !== 'number' || !Number.isFinite(r.speed) || r.speed < 0 || r.speed > 1000) {
      throw new CommandError('startReplay: speed must be a number from 0 (as fast as possible) to 1000')
    }
    options.speed = r.speed
  }
  if (r.url !== undefined && r.url !== null) {
    const url = string(r.url, 'startReplay: url', 2000)
    if (!/^(mqtt|mqtts|ws|wss|tcp|ssl):\/\/[^\s]+$/.test(url))
      throw new CommandError('startReplay: url must look like mqtt://host:port (or mqtts://, ws://, wss://)')
    options.url = url
  }
  for (const key of ['stripPrefix', 'addPrefix'] as const)
    if (r[key] !== undefined) options[key] = string(r[key], `startReplay: ${key}`, 1000)
  if (r.clients !== undefined) {
    if (!Array.isArray(r.clients) || r.clients.length > 1000) throw new CommandError('startReplay: clients must be a list of client ids')
    options.clients = r.clients.map((c, i) => string(c, `startReplay: clients[${i}]`, 65535))
  }
  if (r.direction !== undefined) {
    if (r.direction !== 'in' && r.direction !== 'out' && r.direction !== 'all')
      throw new CommandError('startReplay: direction must be "in", "out" or "all"')
    options.direction = r.direction
  }
  return options
}

/** A generator is checked field by field, with template positions, by the host (checkGenerator). */
const generator: Check<GeneratorSpec> = (value, what) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CommandError(`${what} must be an object`)
  return value as GeneratorSpec
}

const recordingOptions: Check<RecordingOptions> = (value, what) => {
  const options = fields(value, what, ['pcap'])
  if (typeof options.pcap !== 'boolean') throw new CommandError(`${what}.pcap must be true or false`)
  return { pcap: options.pcap }
}

/** The tools' own refusals reach the UI as command errors, with their text. */
async function guarded<T>(command: string, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (error instanceof SimulationError || error instanceof ToolError) throw new CommandError(`${command}: ${error.message}`)
    throw error
  }
}

const name = text(MAX_NAME)

export function toolCommandTable(host: ToolHost): CommandTablePart<ToolCommandName> {
  return {
    toolStatus: { args: noArgs(), run: () => host.status() },
    listGenerators: { args: noArgs(), run: () => host.listGenerators() },
    saveGenerator: { args: args(['generator', generator]), run: (spec) => guarded('saveGenerator', () => host.saveGenerator(spec)) },
    deleteGenerator: { args: args(['name', name]), run: (n) => host.deleteGenerator(n) },
    previewGenerator: { args: args(['generator', generator]), run: (spec) => host.previewGenerator(spec) },
    startGenerator: { args: args(['generator', generator]), run: (spec) => guarded('startGenerator', () => host.startGenerator(spec)) },
    pauseGenerator: { args: args(['name', name]), run: (n) => guarded('pauseGenerator', () => host.pauseGenerator(n)) },
    resumeGenerator: { args: args(['name', name]), run: (n) => guarded('resumeGenerator', () => host.resumeGenerator(n)) },
    stopGenerator: { args: args(['name', name]), run: (n) => guarded('stopGenerator', () => host.stopGenerator(n)) },
    startRecording: {
      args: args(['options', recordingOptions]),
      run: (options) => guarded('startRecording', () => host.startRecording(options))
    },
    stopRecording: { args: noArgs(), run: () => host.stopRecording() },
    listRecordings: { args: noArgs(), run: () => host.listRecordings() },
    startReplay: { args: args(['options', replayOptions]), run: (options) => guarded('startReplay', () => host.startReplay(options)) },
    pauseReplay: { args: noArgs(), run: () => host.pauseReplay() },
    resumeReplay: { args: noArgs(), run: () => host.resumeReplay() },
    stopReplay: { args: noArgs(), run: () => host.stopReplay() }
  }
}
