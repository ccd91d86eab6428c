/**
 * `brokerscope inspect URL [--user U] [--password P] …`: look at a broker you do not run, in the
 * inspector. It is the headless broker with one read-only bridge (`# in` and `$SYS/# in`) whose
 * traffic fills the Topics, Traffic, Retained and Dashboard views under remote/<name>/. The local
 * MQTT listeners are off unless asked for (-p 1883 …), it keeps nothing on disk by default, and it
 * uses its own data folder (<data folder>/inspect), so it runs next to a BrokerScope broker.
 * Every other brokerscope option works too (--ui-port, --ui-token, …).
 */
import { join } from 'node:path'
import { type BridgeConfig, inspectPrefix, inspectTopics, suggestBridgeName, validateBridgeConfig } from '../../shared/bridges'
import type { CliIo, RunExtras } from './cli'

const HELP = `Usage: brokerscope inspect URL [OPTIONS] [BROKERSCOPE OPTIONS]

Watch a remote broker in the inspector: everything it carries (# in) and its $SYS (if it publishes
mosquitto-style $SYS) come in, read-only, under remote/<name>/ in the Topics, Traffic, Retained and
Dashboard views. Nothing is published to the remote.

  URL                      mqtt://host:1883, mqtts://host:8883, ws://host:8080/mqtt or wss://…
  -u, --user USER          user name on the remote
  -P, --password PASSWORD  its password (or put both in the URL: mqtt://user:password@host)
      --name NAME          the inspection's name [default: the host name]
      --prefix PREFIX      where its topics appear here [default: remote/<name>/]
      --mqtt-version V     3.1.1 or 5 [default: 5]
      --remote-ca FILE     PEM CA that signed the remote's certificate [default: the system's CAs]
      --insecure           do not check the remote's certificate (testing only)

The local broker's MQTT listeners are off unless you give them (-p 1883, --ws-port 8083);
persistence is off unless --persistence true. The inspector UI is on http://127.0.0.1:8090/ as usual.

Examples:
  brokerscope inspect mqtt://test.mosquitto.org
  brokerscope inspect mqtts://broker.example.com:8883 --user alice --password secret
  brokerscope inspect mqtt://localhost:1884 --ui-port 8091`

type Runner = (argv: string[], extras: RunExtras) => Promise<number | 'running'>

export async function inspectMain(argv: string[], io: CliIo, runBroker: Runner): Promise<number | 'running'> {
  const parsed = parseInspectArgs(argv)
  if (parsed.help) {
    io.stdout(HELP)
    return 0
  }
  if (parsed.errors.length > 0) {
    for (const error of parsed.errors) io.stderr(`brokerscope inspect: ${error}`)
    io.stderr('Run `brokerscope inspect --help` to see the options.')
    return 2
  }
  const config = parsed.config!
  const prefix = parsed.prefix
  io.stdout(`inspecting ${config.url}: its topics appear under ${prefix} (read-only)`)
  const { defaultDataDir } = await import('../core')
  return runBroker(parsed.rest, {
    bridges: [config],
    defaults: { tcpPort: 0, wsPort: 0, persistence: false },
    dataDir: join(defaultDataDir(), 'inspect'),
    listenersOptional: true
  })
}

interface InspectArgs {
  help: boolean
  config: BridgeConfig | null
  prefix: string
  /** The options for the broker itself. */
  rest: string[]
  errors: string[]
}

export function parseInspectArgs(argv: readonly string[]): InspectArgs {
  const out: InspectArgs = { help: false, config: null, prefix: '', rest: [], errors: [] }
  let url: string | null = null
  const fields: Record<string, unknown> = {}
  let name: string | null = null
  let prefix: string | null = null
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1
    const flag = eq > 0 ? arg.slice(0, eq) : arg
    const takeValue = (): string | null => {
      if (eq > 0) return arg.slice(eq + 1)
      const next = argv[i + 1]
      if (next === undefined) {
        out.errors.push(`${flag}: needs a value`)
        return null
      }
      i++
      return next
    }
    switch (flag) {
      case '-h':
      case '--help':
        out.help = true
        break
      case '-u':
      case '--user':
        fields.username = takeValue()
        break
      case '-P':
      case '--password':
        fields.password = takeValue()
        break
      case '--name':
        name = takeValue()
        break
      case '--prefix':
        prefix = takeValue()
        break
      case '--remote-ca':
        fields.caFile = takeValue()
        break
      case '--insecure':
        fields.insecure = true
        break
      case '--mqtt-version': {
        const version = takeValue()
        if (version === '5') fields.protocolVersion = 5
        else if (version === '3.1.1' || version === '4') fields.protocolVersion = 4
        else if (version !== null) out.errors.push(`--mqtt-version: must be 3.1.1 or 5 (got "${version}")`)
        break
      }
      default:
        if (url === null && !arg.startsWith('-')) url = arg
        else out.rest.push(arg)
    }
  }
  if (out.help) return out
  if (url === null) {
    out.errors.push('needs the URL of the broker to inspect, like mqtt://test.mosquitto.org')
    return out
  }
  const bridgeName = name ?? suggestBridgeName(url, new Set())
  out.prefix = prefix ?? inspectPrefix(bridgeName)
  const checked = validateBridgeConfig({
    ...fields,
    name: bridgeName,
    kind: 'inspect',
    url,
    cleanStart: true,
    sessionExpiry: 0,
    topics: inspectTopics(out.prefix)
  })
  if (!checked.ok) {
    for (const e of checked.errors) out.errors.push(`${e.path.join('.') || 'inspect'}: ${e.message}`)
    return out
  }
  out.config = checked.value
  return out
}
