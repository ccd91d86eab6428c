/**
 * `brokerscope`: the broker without the window. Plain Node, never imports electron; bundled to
 * out/main/cli.js and started by bin/brokerscope.js or `node out/main/cli.js`.
 *
 * Exit codes: 0 done (help, version, clean shutdown), 1 the broker could not run,
 * 2 bad command line or config file, 128+signal when a second signal forces the exit.
 */
import { realpathSync } from 'node:fs'
import { constants as osConstants } from 'node:os'
import { fileURLToPath } from 'node:url'
import { type BridgeConfig, suggestBridgeName, validateBridgeConfig } from '../../shared/bridges'
import type { ListenerInfo } from '../../shared/broker-types'
import type { BrokerSettings } from '../../shared/settings'
import { parseCliArgs, type QuickBridge, usage } from '../config/cli-args'
import { loadConfigFile } from '../config/config-file'
import { isHandledStoreRejection } from '../broker/persistence/store-rejections'
import type { Core } from '../core'
import { createLogger, type Logger } from '../logger'
import { VERSION } from '../version'
import { exposedUiWarning, resolveUiToken } from './ui-access'

export interface CliIo {
  stdout(line: string): void
  stderr(line: string): void
}

const processIo: CliIo = {
  stdout: (line) => void process.stdout.write(line + '\n'),
  stderr: (line) => void process.stderr.write(line + '\n')
}

/** How long a signal-triggered shutdown may take before the process exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 10_000

/**
 * Run the command line. Returns an exit code, or 'running' once the broker is listening; from
 * then on the process lives until SIGINT/SIGTERM (or a fatal error), which stop the broker and exit.
 */
export async function main(argv: string[], io: CliIo = processIo, env: NodeJS.ProcessEnv = process.env): Promise<number | 'running'> {
  try {
    return await run(argv, io, env)
  } catch (err) {
    io.stderr(`brokerscope: ${errorText(err)}`)
    return 1
  }
}

/** What a subcommand that runs the broker (inspect) adds to a plain run. */
export interface RunExtras {
  /** Bridges on top of the config file's and the command line's. */
  bridges: BridgeConfig[]
  /** Settings under the config file and the flags (inspect: no listeners, no persistence). */
  defaults: Partial<BrokerSettings>
  /** The data folder when --data-dir is not given. */
  dataDir: string | null
  /** Running with every MQTT listener off is fine (the inspector UI is the point). */
  listenersOptional: boolean
}

const NO_EXTRAS: RunExtras = { bridges: [], defaults: {}, dataDir: null, listenersOptional: false }

async function run(argv: string[], io: CliIo, env: NodeJS.ProcessEnv, extras: RunExtras = NO_EXTRAS): Promise<number | 'running'> {
  // Subcommands (see passwd-command.ts, gen-cert-command.ts, inspect-command.ts and ../tools/cli/tool-cli.ts).
  if (extras === NO_EXTRAS) {
    if (argv[0] === 'passwd') return (await import('./passwd-command')).passwdMain(argv.slice(1), io)
    if (argv[0] === 'gen-cert') return (await import('./gen-cert-command')).genCertMain(argv.slice(1), io)
    if (argv[0] === 'simulate' || argv[0] === 'record' || argv[0] === 'replay')
      return (await import('../tools/cli/tool-cli')).toolMain(argv[0], argv.slice(1), io)
    if (argv[0] === 'config') return (await import('./config-command')).configMain(argv.slice(1), io)
    if (argv[0] === 'inspect')
      return (await import('./inspect-command')).inspectMain(argv.slice(1), io, (rest, more) => run(rest, io, env, more))
  }
  const args = parseCliArgs(argv)
  if (args.errors.length > 0) {
    for (const error of args.errors) io.stderr(`brokerscope: ${error}`)
    io.stderr('Run `brokerscope --help` to see the options.')
    return 2
  }
  if (args.help) {
    io.stdout(usage())
    return 0
  }
  if (args.version) {
    io.stdout(`brokerscope ${VERSION}`)
    return 0
  }

  let fromFile: Partial<BrokerSettings> = {}
  let dataDirFromFile: string | undefined
  let bridges: BridgeConfig[] = []
  if (args.configPath !== null) {
    const loaded = loadConfigFile(args.configPath)
    if (!loaded.ok) {
      for (const error of loaded.errors) io.stderr(`brokerscope: ${error}`)
      return 2
    }
    fromFile = loaded.settings
    dataDirFromFile = loaded.dataDir
    bridges = loaded.bridges ?? []
  }
  const quick = quickBridges(args.bridges, [...bridges, ...extras.bridges])
  if (!quick.ok) {
    for (const error of quick.errors) io.stderr(`brokerscope: ${error}`)
    return 2
  }
  bridges = [...bridges, ...quick.bridges, ...extras.bridges]
  // Flags override the file, the file overrides what was saved from the UI, which overrides the defaults.
  const { defaultDataDir, resolveSettings, startCore } = await import('../core')
  const dataDir = args.dataDir ?? dataDirFromFile ?? extras.dataDir ?? defaultDataDir()
  const resolved = resolveSettings(dataDir, { ...extras.defaults, ...fromFile, ...args.settings })
  if (!resolved.ok) {
    for (const error of resolved.errors) io.stderr(`brokerscope: ${error.key}: ${error.message}`)
    return 2
  }
  const settings = resolved.value.settings
  const listenerProblem = checkListeners(settings, extras.listenersOptional)
  if (listenerProblem) {
    io.stderr(`brokerscope: ${listenerProblem}`)
    return 2
  }
  if (settings.authFile !== null) {
    // A bad auth file stops the start with its errors (a running broker keeps its old rules instead).
    const { loadAuthFile } = await import('../broker/auth/auth-file')
    const auth = await loadAuthFile(settings.authFile, { maxBytes: settings.maxSettingFileSize })
    if (!auth.ok) {
      for (const error of auth.errors) io.stderr(`brokerscope: ${error}`)
      return 2
    }
  }

  const uiToken = await resolveUiToken(args.ui, env)
  if (!uiToken.ok) {
    io.stderr(`brokerscope: ${uiToken.error}`)
    return 2
  }

  const logger = createLogger(settings.logLevel, io.stdout)
  for (const warning of uiToken.warnings) logger.warn(warning)
  let core: Core | null = null
  let stopUi: () => Promise<void> = async () => {}
  const lifecycle = new Lifecycle(logger, async () => {
    await stopUi()
    await core?.stop()
  })
  lifecycle.watchCrashes()

  try {
    core = await startCore({ dataDir, resolved: resolved.value, logger, version: VERSION, bridges })
  } catch (err) {
    // Another broker on the data folder, or a store that cannot be opened even afresh.
    io.stderr(`brokerscope: ${err instanceof Error ? err.message : String(err)}`)
    lifecycle.dispose()
    return 1
  }
  if (core.startError) {
    logger.error('the broker failed to start:', errorText(core.startError))
    await core.stop().catch(() => {})
    lifecycle.dispose()
    return 1
  }
  const { broker, inspector, listeners } = core

  for (const listener of listeners) {
    if (listener.listening) io.stdout(`listening on ${listenerUrl(listener, settings)} (${listenerLabel(listener)})`)
    else io.stderr(`brokerscope: ${listenerLabel(listener)} listener: ${listener.error ?? 'could not start'}`)
  }
  if (!listeners.some((l) => l.listening) && !(extras.listenersOptional && !listeners.some((l) => l.error !== null))) {
    io.stderr('brokerscope: no listener could start')
    await core.stop().catch((err: unknown) => logger.error('error while stopping:', errorText(err)))
    lifecycle.dispose()
    return 1
  }

  if (args.ui.port > 0) {
    try {
      const { startUiServer } = await import('./ui-server')
      const rendererDir = fileURLToPath(new URL('../renderer/', import.meta.url))
      const server = await startUiServer(inspector, {
        host: args.ui.host,
        port: args.ui.port,
        token: uiToken.token ?? undefined,
        rendererDir
      })
      stopUi = () => server.close()
      io.stdout(`inspector UI on ${server.url}`)
      const exposed = exposedUiWarning(args.ui.host, server.url)
      if (exposed) logger.warn(exposed)
    } catch (err) {
      // The broker is useful without its UI: say why the UI is missing and keep serving MQTT.
      io.stderr(`brokerscope: inspector UI could not start: ${errorText(err)}`)
    }
  }

  logger.info(`BrokerScope ${VERSION} running; press Ctrl-C to stop`)
  lifecycle.watchSignals()
  lifecycle.watchReload(() => {
    const authFile = broker.getSettings().authFile
    if (authFile === null) return logger.info('SIGHUP: no --auth-file to reload')
    logger.info(`SIGHUP: reloading ${authFile}`)
    void broker.reloadAuth() // logs what it loaded, or why it kept the previous rules
  })
  return 'running'
}

/** --bridge URL --bridge-topic RULE…: named after the host (host-2… when taken), checked like any bridge. */
function quickBridges(
  quick: readonly QuickBridge[],
  others: readonly BridgeConfig[]
): { ok: true; bridges: BridgeConfig[] } | { ok: false; errors: string[] } {
  const taken = new Set(others.map((b) => b.name))
  const bridges: BridgeConfig[] = []
  const errors: string[] = []
  for (const { url, topics } of quick) {
    if (topics.length === 0) {
      errors.push(`--bridge ${url}: needs at least one --bridge-topic after it, like --bridge-topic 'sensors/# both 1'`)
      continue
    }
    const name = suggestBridgeName(url, taken)
    const checked = validateBridgeConfig({ name, url, topics })
    if (!checked.ok) {
      for (const e of checked.errors) {
        const flag = e.path[0] === 'topics' ? `--bridge-topic '${topics[Number(e.path[1])]}'` : `--bridge ${url}`
        errors.push(`${flag}: ${e.message}`)
      }
      continue
    }
    taken.add(name)
    bridges.push(checked.value)
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, bridges }
}

function checkListeners(settings: BrokerSettings, listenersOptional: boolean): string | null {
  if (settings.tcpPort === 0 && settings.wsPort === 0 && settings.tlsPort === 0 && settings.wssPort === 0 && settings.unixSocket === null) {
    if (listenersOptional) return null
    return 'no listener enabled: --tcp-port, --ws-port, --tls-port and --wss-port are all 0 and there is no --unix-socket'
  }
  const ports: Array<[string, number]> = [
    ['--tcp-port', settings.tcpPort],
    ['--ws-port', settings.wsPort],
    ['--tls-port', settings.tlsPort],
    ['--wss-port', settings.wssPort],
    ['--api-port', settings.apiPort]
  ]
  for (let i = 0; i < ports.length; i++) {
    for (let j = i + 1; j < ports.length; j++) {
      if (ports[i][1] !== 0 && ports[i][1] === ports[j][1]) {
        return `${ports[i][0]} and ${ports[j][0]} are both ${ports[i][1]}; give them different ports`
      }
    }
  }
  return null
}

function listenerLabel(listener: ListenerInfo): string {
  return listener.name === 'ws'
    ? 'websocket'
    : listener.name === 'wss'
      ? 'secure websocket'
      : listener.name === 'unix'
        ? 'unix socket'
        : listener.name
}

function listenerUrl(listener: ListenerInfo, settings: BrokerSettings): string {
  const host = listener.host.includes(':') ? `[${listener.host}]` : listener.host
  switch (listener.name) {
    case 'ws':
      return `ws://${host}:${listener.port}${settings.wsPath}`
    case 'wss':
      return `wss://${host}:${listener.port}${settings.wsPath}`
    case 'tls':
      return `mqtts://${host}:${listener.port}`
    case 'unix':
      return `unix:${listener.host}`
    default:
      return `mqtt://${host}:${listener.port}`
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.stack ?? err.message
  return String(err)
}

/** Process-level handlers for the running broker: signals, crashes, and the final exit. */
class Lifecycle {
  private stopping = false
  private readonly handlers: Array<[string, (...args: never[]) => void]> = []

  constructor(
    private readonly logger: Logger,
    private readonly stopBroker: () => Promise<void>
  ) {}

  /** Crashes are logged with their stack, then the broker is stopped and the process exits 1. */
  watchCrashes(): void {
    this.listen('uncaughtException', (err: unknown) => {
      this.logger.error('uncaught exception:', errorText(err))
      this.shutdown('fatal error', 1)
    })
    this.listen('unhandledRejection', (reason: unknown) => {
      // A copy of a store failure the store already handled (see isHandledStoreRejection).
      if (isHandledStoreRejection(reason)) return
      this.logger.error('unhandled promise rejection:', errorText(reason))
      this.shutdown('fatal error', 1)
    })
  }

  /** First SIGINT/SIGTERM: clean shutdown, exit 0. A second one: exit at once. */
  watchSignals(): void {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (this.stopping) {
        this.logger.warn(`${signal} again: exiting now`)
        process.exit(128 + (osConstants.signals[signal] ?? 2))
      }
      this.shutdown(`${signal} received`, 0)
    }
    this.listen('SIGINT', onSignal)
    this.listen('SIGTERM', onSignal)
  }

  /** SIGHUP: re-read what can change while running (the auth file). Not on Windows, which has no SIGHUP. */
  watchReload(reload: () => void): void {
    if (process.platform === 'win32') return
    this.listen('SIGHUP', () => {
      try {
        reload()
      } catch (err) {
        this.logger.error('reload failed:', errorText(err))
      }
    })
  }

  dispose(): void {
    for (const [event, handler] of this.handlers) process.off(event, handler as (...args: unknown[]) => void)
    this.handlers.length = 0
  }

  private listen(event: string, handler: (...args: never[]) => void): void {
    process.on(event, handler as (...args: unknown[]) => void)
    this.handlers.push([event, handler])
  }

  private shutdown(reason: string, code: number): void {
    if (this.stopping) return
    this.stopping = true
    this.logger.info(`${reason}: shutting down`)
    const timer = setTimeout(() => {
      this.logger.error(`shutdown took more than ${SHUTDOWN_TIMEOUT_MS / 1000} s; exiting`)
      process.exit(1)
    }, SHUTDOWN_TIMEOUT_MS)
    timer.unref()
    this.stopBroker().then(
      () => {
        this.logger.info('stopped')
        process.exit(code)
      },
      (err: unknown) => {
        this.logger.error('error while shutting down:', errorText(err))
        process.exit(1)
      }
    )
  }
}

/** True when this module is the program Node was started with (also once bundled to out/main/cli.js). */
function isEntryPoint(): boolean {
  const entry = process.argv[1]
  if (!entry) return false
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

/** After main() returns a code: exit as soon as output is flushed, or in a second if a handle lingers. */
export function exitWhenDone(code: number | 'running'): void {
  if (code === 'running') return
  process.exitCode = code
  setTimeout(() => process.exit(code), 1000).unref()
}

if (isEntryPoint()) void main(process.argv.slice(2)).then(exitWhenDone)
