/**
 * Starting and stopping the brokers under test (and the fake broker), each pinned to a core with
 * `taskset -c`, listening on 127.0.0.1 on a fresh port, with the open-file limit raised to the
 * hard limit (10,000 idle connections need 10,000 descriptors in the broker and as many in the
 * generator).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { GeneratorJob, GeneratorResult, SinkMode } from './scenarios'

export const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))
export const BROKER_CPU = '0'
export const GENERATOR_CPU = '1'
export const MOSQUITTO = '/usr/sbin/mosquitto'
export const BROKERSCOPE_CLI = join(ROOT, 'out/main/cli.js')
/** Node flags BrokerScope is launched with; BROKERSCOPE_NODE_FLAGS (space-separated, may be empty) overrides them. */
export const BROKERSCOPE_NODE_FLAGS = (process.env.BROKERSCOPE_NODE_FLAGS ?? '--max-semi-space-size=4').split(' ').filter(Boolean)

export type BrokerName = 'brokerscope' | 'aedes' | 'mosquitto'
export const ALL_BROKERS: BrokerName[] = ['brokerscope', 'aedes', 'mosquitto']

/** Settings that differ from each broker's defaults, for the report. */
export const BROKER_SETTINGS: Record<BrokerName, string> = {
  brokerscope:
    '`--persistence false --data-dir <temporary> --ws-port 0 --ui-port 0 --sys-interval 0 --log-level error --max-queued-messages 100000 --max-inflight-messages 65535` (TCP_NODELAY is always on); ' +
    'fan-in + inspector: `--ui-port <free port> --ui-token <fixed>` instead of `--ui-port 0`; the store scenarios: `--persistence true`',
  aedes:
    '`Aedes.createBroker()` defaults (in-memory persistence, concurrency 100), `net.createServer({ noDelay: true }, aedes.handle)` — bench/aedes-server.mjs',
  mosquitto:
    '`persistence false`, `max_queued_messages 100000`, `max_queued_bytes 0`, `max_inflight_messages 0` (0 = unlimited), `set_tcp_nodelay true`, `log_type error`; ' +
    'the bridge scenarios: a `connection` to the remote (below), and the remote mosquitto with these same settings on the generator’s core'
}

export interface Running {
  readonly name: string
  readonly pid: number
  readonly port: number
  /** BrokerScope started with its inspector UI (StartOptions.ui). */
  readonly ui?: { port: number; token: string }
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>
  /** Last lines the process wrote to stderr (for error messages). */
  stderrTail(): string
}

export function availability(name: BrokerName): string | null {
  switch (name) {
    case 'brokerscope':
      return existsSync(BROKERSCOPE_CLI) ? null : `${BROKERSCOPE_CLI} is missing; run \`npx electron-vite build\` (npm run bench does)`
    case 'aedes':
      return existsSync(join(ROOT, 'node_modules/aedes/package.json')) ? null : 'node_modules/aedes is not installed'
    case 'mosquitto':
      return existsSync(MOSQUITTO) ? null : `${MOSQUITTO} not found`
  }
}

let fdLimit: number | null = null
/** The hard open-file limit; spawned processes raise their soft limit to it. */
export function hardFdLimit(): number {
  if (fdLimit === null) {
    const out = spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim()
    fdLimit = out === 'unlimited' ? 1_048_576 : Number(out) || 1024
  }
  return fdLimit
}

export function hasTaskset(): boolean {
  return spawnSync('sh', ['-c', 'command -v taskset'], { encoding: 'utf8' }).status === 0
}

/** Spawn argv pinned to `cpu`, through sh so that `exec` keeps the pid and the fd limit is raised. */
export function spawnPinned(
  cpu: string,
  argv: string[],
  options: { stdout?: 'pipe' | 'ignore'; env?: Record<string, string> } = {}
): ChildProcess {
  const pin = hasTaskset() ? `taskset -c ${cpu} ` : ''
  const script = `ulimit -n ${hardFdLimit()} 2>/dev/null; exec ${pin}"$@"`
  return spawn('sh', ['-c', script, 'sh', ...argv], {
    cwd: ROOT,
    env: options.env ? { ...process.env, ...options.env } : process.env,
    stdio: ['ignore', options.stdout ?? 'pipe', 'pipe']
  })
}

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolvePort(port))
    })
  })
}

export function track(name: string, child: ChildProcess, port: number, cleanup?: () => void, ui?: Running['ui']): Running {
  const tail: string[] = []
  const keep = (chunk: Buffer): void => {
    tail.push(
      ...chunk
        .toString()
        .split('\n')
        .filter((l) => l.length > 0)
    )
    if (tail.length > 20) tail.splice(0, tail.length - 20)
  }
  child.stderr?.on('data', keep)
  child.stdout?.on('data', keep)
  const exited = new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done()
    else child.once('exit', () => done())
  })
  let stopping: Promise<void> | null = null
  return {
    name,
    pid: child.pid!,
    port,
    ui,
    stderrTail: () => tail.join('\n'),
    stop(graceMs = 5000) {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM')
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
          await exited
          clearTimeout(timer)
        }
        cleanup?.()
      })()
      return stopping
    }
  }
}

/** Resolve once something accepts TCP connections on the port; reject if the process exits first. */
async function waitForPort(running: Running, child: ChildProcess, timeoutMs = 15_000, port = running.port): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await running.stop() // removes its temporary directory
      throw new Error(`${running.name} exited before listening:\n${running.stderrTail()}`)
    }
    const ok = await new Promise<boolean>((done) => {
      const socket = net.connect({ host: '127.0.0.1', port })
      socket.once('connect', () => {
        socket.destroy()
        done(true)
      })
      socket.once('error', () => done(false))
    })
    if (ok) return
    await new Promise((r) => setTimeout(r, 50))
  }
  await running.stop()
  throw new Error(`${running.name} did not listen on ${port} within ${timeoutMs / 1000} s:\n${running.stderrTail()}`)
}

export interface StartOptions {
  /** BrokerScope only: run under `node --cpu-prof --cpu-prof-dir=<dir>`. */
  cpuProfileDir?: string
  /**
   * BrokerScope only: start the inspector UI on a free port with UI_TOKEN (otherwise `--ui-port 0`:
   * no UI server at all, not even the default one on 8090).
   */
  ui?: boolean
  /**
   * BrokerScope: keep retained messages and sessions in its store (default false: the in-memory
   * broker); mosquitto: `persistence true` with its default autosave.
   */
  persistence?: boolean
  /**
   * BrokerScope: this data folder (kept after the run) instead of a fresh temporary one; mosquitto:
   * its persistence_location (with `persistence`).
   */
  dataDir?: string
  /** Queue bound per client (default 100,000): `--max-queued-messages`, mosquitto's `max_queued_messages`. */
  maxQueuedMessages?: number
  /**
   * Outgoing messages in flight per client (default: BrokerScope 65,535, mosquitto 0 = unlimited):
   * `--max-inflight-messages`, mosquitto's `max_inflight_messages`.
   */
  maxInflightMessages?: number
  /** BrokerScope only: extra environment (BROKERSCOPE_INSPECTOR=off). */
  env?: Record<string, string>
  /** BrokerScope and mosquitto: bridge `# out <qos>` to the broker on this port (the bridge scenarios). */
  bridgeTo?: { port: number; qos: 0 | 1 }
}

/** The fixed inspector UI token of the fan-in + inspector runs. */
export const UI_TOKEN = 'bench-inspector-token-0001'

/** How to launch a broker: the argv (pinned to the broker's core by spawnPinned), its environment, what to remove after. */
export interface BrokerCommand {
  argv: string[]
  env?: Record<string, string>
  cleanup?: () => void
  ui?: Running['ui']
  /** Where the broker keeps its state (BrokerScope: the data folder; mosquitto: persistence_location). */
  dataDir: string
}

/** The command line (and config file) for `name` listening on `port`. */
export async function brokerCommand(name: BrokerName, port: number, options: StartOptions = {}): Promise<BrokerCommand> {
  const maxQueued = String(options.maxQueuedMessages ?? 100_000)
  switch (name) {
    case 'brokerscope': {
      const profile = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : []
      // Every run gets a data folder of its own (settings, store, lock): never the user's.
      const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'bench-brokerscope-'))
      const cleanup = options.dataDir === undefined ? () => rmSync(dataDir, { recursive: true, force: true }) : undefined
      let ui: Running['ui']
      if (options.ui) {
        let uiPort = await freePort()
        while (uiPort === port) uiPort = await freePort()
        ui = { port: uiPort, token: UI_TOKEN }
      }
      const uiArgs = ui ? ['--ui-port', String(ui.port), '--ui-token', ui.token] : ['--ui-port', '0']
      const bridgeArgs: string[] = []
      if (options.bridgeTo) {
        // The same bridge as mosquitto's below: MQTT 3.1.1 with the bridge flag, clean session, its queue as max_queued_messages.
        const config = join(dataDir, 'bridge.json5')
        const bridge = {
          name: 'bench',
          url: `mqtt://127.0.0.1:${options.bridgeTo.port}`,
          protocolVersion: 4,
          tryPrivate: true,
          cleanStart: true,
          topics: [`# out ${options.bridgeTo.qos}`],
          maxQueuedMessages: 100_000,
          maxInflight: 65_535
        }
        writeFileSync(config, JSON.stringify({ bridges: [bridge] }, null, 2))
        bridgeArgs.push('-c', config)
      }
      const argv = [
        process.execPath,
        // The V8 flags the product's launchers use (npm run broker, bin/brokerscope.js).
        ...BROKERSCOPE_NODE_FLAGS,
        ...profile,
        BROKERSCOPE_CLI,
        '--data-dir',
        dataDir,
        // The in-memory figures, unless a scenario measures the store.
        '--persistence',
        String(options.persistence ?? false),
        '--tcp-port',
        String(port),
        '--ws-port',
        '0',
        ...uiArgs,
        '--sys-interval',
        '0',
        '--log-level',
        'error',
        '--max-queued-messages',
        maxQueued,
        '--max-inflight-messages',
        String(options.maxInflightMessages ?? 65535),
        ...bridgeArgs
      ]
      return { argv, env: options.env, cleanup, ui, dataDir }
    }
    case 'aedes':
      return { argv: [process.execPath, join(ROOT, 'bench/aedes-server.mjs'), String(port)], dataDir: '' }
    case 'mosquitto':
      return mosquittoCommand(port, options)
  }
}

/** mosquitto with the bench settings (and `persistence`, `bridgeTo` as in StartOptions). */
function mosquittoCommand(port: number, options: StartOptions = {}): BrokerCommand {
  const dir = mkdtempSync(join(tmpdir(), 'bench-mosquitto-'))
  const dataDir = options.dataDir ?? dir
  const config = join(dir, 'mosquitto.conf')
  const lines = [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    // The store scenarios: mosquitto's own persistence, with its default autosave (every 1800 s and at shutdown).
    ...(options.persistence ? ['persistence true', `persistence_location ${dataDir}/`] : ['persistence false']),
    `max_queued_messages ${options.maxQueuedMessages ?? 100_000}`,
    'max_queued_bytes 0',
    // 0 = no maximum (mosquitto.conf(5)).
    `max_inflight_messages ${options.maxInflightMessages ?? 0}`,
    'set_tcp_nodelay true',
    'log_dest stderr',
    'log_type error'
  ]
  // As root, mosquitto would switch to the `mosquitto` user; stay who we are.
  if (process.getuid?.() === 0) lines.push('user root')
  if (options.bridgeTo) {
    lines.push(
      'connection bench',
      `address 127.0.0.1:${options.bridgeTo.port}`,
      `topic # out ${options.bridgeTo.qos}`,
      'bridge_protocol_version mqttv311',
      'try_private true',
      'cleansession true',
      'notifications false'
    )
  }
  writeFileSync(config, lines.join('\n') + '\n')
  // A data folder given in options is the caller's to keep or remove; the config's folder goes.
  const cleanup = () => rmSync(dir, { recursive: true, force: true })
  return { argv: [MOSQUITTO, '-c', config], cleanup, dataDir }
}

export async function startBroker(name: BrokerName, options: StartOptions = {}): Promise<Running> {
  const port = await freePort()
  const command = await brokerCommand(name, port, options)
  const child = spawnPinned(BROKER_CPU, command.argv, { env: command.env })
  const running = track(name, child, port, command.cleanup, command.ui)
  await waitForPort(running, child)
  // The UI server starts after the MQTT listeners.
  if (command.ui) await waitForPort(running, child, 15_000, command.ui.port)
  return running
}

/** The bridge scenarios' remote: mosquitto with the bench settings, on the generator's core (the same for every broker). */
export async function startRemote(): Promise<Running> {
  const port = await freePort()
  const command = mosquittoCommand(port)
  const child = spawnPinned(GENERATOR_CPU, command.argv)
  const running = track('remote mosquitto', child, port, command.cleanup)
  await waitForPort(running, child)
  return running
}

/** The fake broker (bench/sink.ts) on the broker's core. */
export async function startSink(mode: SinkMode): Promise<Running> {
  const port = await freePort()
  const child = spawnPinned(BROKER_CPU, [process.execPath, '--import', 'tsx', join(ROOT, 'bench/sink.ts'), mode, String(port)])
  const running = track(`sink (${mode})`, child, port)
  await waitForPort(running, child)
  return running
}

/** Run one generator process (pinned to the generator's core) and return its result line. */
export function runGenerator(job: GeneratorJob): Promise<GeneratorResult> {
  const timeoutMs = job.warmupMs + job.measureMs + job.drainMs + 60_000
  return new Promise((resolveResult, reject) => {
    const child = spawnPinned(GENERATOR_CPU, [process.execPath, '--import', 'tsx', join(ROOT, 'bench/generator.ts'), JSON.stringify(job)])
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      const line = stdout.trim().split('\n').pop() ?? ''
      try {
        resolveResult(JSON.parse(line) as GeneratorResult)
      } catch {
        const why = signal === 'SIGKILL' ? `timed out after ${timeoutMs / 1000} s` : `exited with ${signal ?? code}`
        reject(new Error(`generator ${why}: ${stderr.trim() || stdout.trim() || '(no output)'}`))
      }
    })
  })
}

export function versions(): Record<string, string> {
  const pkg = (path: string): string => {
    try {
      return (JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as { version: string }).version
    } catch {
      return 'not installed'
    }
  }
  const mosquitto = existsSync(MOSQUITTO)
    ? (spawnSync(MOSQUITTO, ['-h'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? '').trim()
    : 'not installed'
  return {
    node: process.version,
    brokerscope: pkg('package.json'),
    aedes: pkg('node_modules/aedes/package.json'),
    'mqtt-packet': pkg('node_modules/mqtt-packet/package.json'),
    mosquitto
  }
}

export function machine(): { nproc: number; cpu: string; kernel: string } {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown'
  const nproc = Number(spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()) || 0
  const kernel = spawnSync('uname', ['-sr'], { encoding: 'utf8' }).stdout.trim()
  return { nproc, cpu: model, kernel }
}
