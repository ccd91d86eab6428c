import { describe, expect, it, vi } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseCliArgs, settingFlag, SETTING_KEYS, usage } from '../../src/main/config/cli-args'
import { main } from '../../src/main/headless/cli'
import { DEFAULT_SETTINGS, SETTING_FIELDS } from '../../src/shared/settings'
import { VERSION } from '../../src/main/version'

// main() loads the broker lazily; a stand-in lets the start-up failure path run without sockets.
const brokerCalls = vi.hoisted(() => ({ constructed: [] as unknown[], stopped: 0 }))
vi.mock('../../src/main/broker/broker', () => ({
  Broker: class {
    events = { on: () => () => {}, suspendPackets() {}, resumePackets() {} }
    constructor(settings: unknown, options: unknown) {
      brokerCalls.constructed.push({ settings, options })
    }
    listeners() {
      return []
    }
    // The inspector, built with the broker, reads these at once; the management API and config
    // distribution read theirs and stay off.
    getSettings() {
      return { apiPort: 0, clientConfigurationFile: null }
    }
    listRetained() {
      return []
    }
    async start() {
      return [
        { name: 'tcp', host: '127.0.0.1', port: 1883, listening: false, error: 'TCP port 1883 on 127.0.0.1 is already in use' },
        { name: 'ws', host: '127.0.0.1', port: 8083, listening: false, error: 'WebSocket port 8083 on 127.0.0.1 is already in use' }
      ]
    }
    async stop() {
      brokerCalls.stopped++
    }
  }
}))

function ok(argv: string[]) {
  const result = parseCliArgs(argv)
  expect(result.errors).toEqual([])
  return result
}

function errorsOf(argv: string[]): string[] {
  const result = parseCliArgs(argv)
  expect(result.errors.length).toBeGreaterThan(0)
  return result.errors
}

describe('parseCliArgs', () => {
  it('returns an empty result for no arguments', () => {
    expect(parseCliArgs([])).toEqual({
      help: false,
      version: false,
      configPath: null,
      dataDir: null,
      settings: {},
      ui: { port: 8090, host: '127.0.0.1', token: null, tokenFile: null },
      bridges: [],
      errors: []
    })
  })

  it('reads quick bridges: each --bridge with the --bridge-topic rules after it', () => {
    const result = parseCliArgs([
      '--bridge',
      'mqtt://a:1883',
      '--bridge-topic',
      'sensors/# both 1',
      '--bridge-topic=cmd/# in',
      '--bridge',
      'mqtts://u:p@b:8883'
    ])
    expect(result.errors).toEqual([])
    expect(result.bridges).toEqual([
      { url: 'mqtt://a:1883', topics: ['sensors/# both 1', 'cmd/# in'] },
      { url: 'mqtts://u:p@b:8883', topics: [] }
    ])
    expect(errorsOf(['--bridge-topic', '#'])).toEqual(['--bridge-topic: give --bridge URL first; its --bridge-topic rules follow it'])
    expect(errorsOf(['--bridge'])).toEqual(['--bridge: needs a value (a broker URL like mqtt://host:1883)'])
  })

  it('reads the inspector UI options and checks them', () => {
    const ok = parseCliArgs(['--ui-port', '0', '--ui-host=::1', '--ui-token', 'abcdefghijklmnop-_12'])
    expect(ok.errors).toEqual([])
    expect(ok.ui).toEqual({ port: 0, host: '::1', token: 'abcdefghijklmnop-_12', tokenFile: null })
    expect(ok.settings).toEqual({})
    const bad = parseCliArgs(['--ui-port', '70000', '--ui-token', 'short', '--ui-host'])
    expect(bad.errors).toEqual([
      '--ui-port: must be a port between 0 and 65535 (got "70000")',
      '--ui-token: must be 16 to 256 characters: letters, digits, - _ . ~ (got "short")',
      '--ui-host: needs a value (an address)'
    ])
  })

  it('accepts --flag value and --flag=value', () => {
    expect(ok(['--tcp-port', '1884']).settings).toEqual({ tcpPort: 1884 })
    expect(ok(['--tcp-port=1885']).settings).toEqual({ tcpPort: 1885 })
    expect(ok(['--ws-port', '0', '--ws-path=/ws']).settings).toEqual({ wsPort: 0, wsPath: '/ws' })
  })

  it('has a kebab-case flag for every setting', () => {
    for (const key of SETTING_KEYS) {
      expect(settingFlag(key)).toMatch(/^--[a-z0-9]+(-[a-z0-9]+)*$/)
      // each flag is recognised (its default value is always valid)
      const value = DEFAULT_SETTINGS[key]
      const text = value === null ? 'none' : String(value)
      const result = parseCliArgs([`${settingFlag(key)}=${text}`])
      expect(result.errors, key).toEqual([])
      expect(result.settings[key], key).toEqual(value)
    }
    expect(settingFlag('maximumQos')).toBe('--maximum-qos')
    expect(settingFlag('wildcardSubscriptionAvailable')).toBe('--wildcard-subscription-available')
  })

  it('parses every kind of value', () => {
    expect(
      ok([
        '--host',
        '0.0.0.0',
        '--retain-available',
        'false',
        '--maximum-qos',
        '1',
        '--server-keep-alive',
        '60',
        '--session-expiry-override',
        '300',
        '--max-queued-messages',
        '5000',
        '--sys-interval',
        '0',
        '--server-keep-alive-mode',
        'override',
        '--log-level',
        'warn'
      ]).settings
    ).toEqual({
      host: '0.0.0.0',
      retainAvailable: false,
      maximumQos: 1,
      serverKeepAlive: 60,
      sessionExpiryOverride: 300,
      maxQueuedMessages: 5000,
      sysInterval: 0,
      serverKeepAliveMode: 'override',
      logLevel: 'warn'
    })
  })

  it('accepts true/false/1/0/yes/no for booleans, and a bare boolean flag means true', () => {
    for (const word of ['true', '1', 'yes', 'YES', 'on']) {
      expect(ok(['--auto-topic-alias', word]).settings.autoTopicAlias, word).toBe(true)
      expect(ok([`--auto-topic-alias=${word}`]).settings.autoTopicAlias, word).toBe(true)
    }
    for (const word of ['false', '0', 'no', 'No', 'off']) {
      expect(ok(['--auto-topic-alias', word]).settings.autoTopicAlias, word).toBe(false)
      expect(ok([`--auto-topic-alias=${word}`]).settings.autoTopicAlias, word).toBe(false)
    }
    expect(ok(['--retain-available']).settings).toEqual({ retainAvailable: true })
    // bare flag followed by another flag
    expect(ok(['--retain-available', '--tcp-port', '1']).settings).toEqual({ retainAvailable: true, tcpPort: 1 })
    expect(ok(['--no-retain-available']).settings).toEqual({ retainAvailable: false })
  })

  it('accepts none/off for nullable integers', () => {
    expect(ok(['--server-keep-alive', 'none']).settings).toEqual({ serverKeepAlive: null })
    expect(ok(['--session-expiry-override=off']).settings).toEqual({ sessionExpiryOverride: null })
    expect(parseCliArgs(['--tcp-port', 'none']).errors).toEqual(['--tcp-port: must be a whole number between 0 and 65535 (got "none")'])
  })

  it('understands the aliases', () => {
    expect(ok(['-p', '1999']).settings).toEqual({ tcpPort: 1999 })
    expect(ok(['--port=2000']).settings).toEqual({ tcpPort: 2000 })
    expect(ok(['-b', '::1']).settings).toEqual({ host: '::1' })
    expect(ok(['--bind', '10.0.0.1']).settings).toEqual({ host: '10.0.0.1' })
    expect(ok(['--lan']).settings).toEqual({ host: '0.0.0.0' })
    expect(ok(['--max-qos', '0']).settings).toEqual({ maximumQos: 0 })
    expect(ok(['--max-packet-size', '1048576']).settings).toEqual({ maximumPacketSize: 1048576 })
    expect(ok(['--receive-maximum', '10', '--topic-alias-maximum', '5']).settings).toEqual({
      receiveMaximum: 10,
      topicAliasMaximum: 5
    })
    expect(ok(['-v']).settings).toEqual({ logLevel: 'debug' })
    expect(ok(['--verbose']).settings).toEqual({ logLevel: 'debug' })
    expect(ok(['--log-level', 'DEBUG']).settings).toEqual({ logLevel: 'debug' })
    // mqtt-broker-tokio spellings
    expect(
      ok(['--mqtt-retain-support=false', '--mqtt-wc-support', 'false', '--mqtt-maximum-qos=1', '--mqtt-session-expiry-interval=300'])
        .settings
    ).toEqual({ retainAvailable: false, wildcardSubscriptionAvailable: false, maximumQos: 1, sessionExpiryOverride: 300 })
  })

  it('later flags win', () => {
    expect(ok(['--lan', '--host', '127.0.0.2']).settings).toEqual({ host: '127.0.0.2' })
    expect(ok(['-v', '--log-level', 'error']).settings).toEqual({ logLevel: 'error' })
    expect(ok(['-p', '1', '--tcp-port', '2']).settings).toEqual({ tcpPort: 2 })
  })

  it('reads --config/-c, --help/-h and --version/-V', () => {
    expect(ok(['-c', 'a.json5']).configPath).toBe('a.json5')
    expect(ok(['--config', 'b.json5']).configPath).toBe('b.json5')
    expect(ok(['--config=c.json5']).configPath).toBe('c.json5')
    expect(ok(['-h']).help).toBe(true)
    expect(ok(['--help']).help).toBe(true)
    expect(ok(['-V']).version).toBe(true)
    expect(ok(['--version']).version).toBe(true)
    expect(ok(['-p', '1']).help).toBe(false)
  })

  it('reports bad values naming the flag and what it accepts', () => {
    expect(errorsOf(['--maximum-qos', '3'])).toEqual(['--maximum-qos: must be one of 0, 1, 2 (got "3")'])
    expect(errorsOf(['--max-qos=high'])).toEqual(['--max-qos: must be one of 0, 1, 2 (got "high")'])
    expect(errorsOf(['--tcp-port', '70000'])).toEqual(['--tcp-port: must be between 0 and 65535 (got "70000")'])
    expect(errorsOf(['-p', 'abc'])).toEqual(['-p: must be a whole number between 0 and 65535 (got "abc")'])
    expect(errorsOf(['--tcp-port', '1.5'])).toEqual(['--tcp-port: must be a whole number between 0 and 65535 (got "1.5")'])
    expect(errorsOf(['--tcp-port', '-1'])).toEqual(['--tcp-port: must be between 0 and 65535 (got "-1")'])
    expect(errorsOf(['--retain-available', 'maybe'])).toEqual([
      '--retain-available: must be true or false (also yes/no, 1/0) (got "maybe")'
    ])
    expect(errorsOf(['--log-level', 'trace'])).toEqual(['--log-level: must be one of error, warn, info, debug (got "trace")'])
    expect(errorsOf(['--ws-path', 'mqtt'])).toEqual(['--ws-path: must start with / (got "mqtt")'])
    expect(errorsOf(['--host=bad host'])).toEqual(['--host: is not a host name or IP address (got "bad host")'])
    expect(errorsOf(['--server-keep-alive', 'never'])).toEqual([
      '--server-keep-alive: must be a whole number between 0 and 65535, or none (got "never")'
    ])
    expect(errorsOf(['--receive-maximum', '0'])).toEqual(['--receive-maximum: must be between 1 and 65535 (got "0")'])
  })

  it('does not apply a bad value, and reports every error', () => {
    const result = parseCliArgs(['--tcp-port', 'x', '--ws-port', '1', '--maximum-qos', '9'])
    expect(result.settings).toEqual({ wsPort: 1 })
    expect(result.errors).toHaveLength(2)
  })

  it('reports missing values', () => {
    expect(errorsOf(['--tcp-port'])).toEqual(['--tcp-port: needs a value (a whole number between 0 and 65535)'])
    expect(errorsOf(['--tcp-port', '--lan'])).toEqual(['--tcp-port: needs a value (a whole number between 0 and 65535)'])
    expect(errorsOf(['--tcp-port='])).toEqual(['--tcp-port: needs a value (a whole number between 0 and 65535)'])
    expect(errorsOf(['-c'])).toEqual(['-c: needs a value (a file path)'])
  })

  it('reports unknown flags, with a suggestion when one is close', () => {
    expect(errorsOf(['--tcp-prot', '1'])).toEqual(['--tcp-prot: unknown option (did you mean --tcp-port?)'])
    expect(errorsOf(['--tcp-prot=1', '2'])).toEqual([
      '--tcp-prot: unknown option (did you mean --tcp-port?)',
      'unexpected argument "2" (brokerscope takes only options)'
    ])
    expect(errorsOf(['--retain'])).toEqual(['--retain: unknown option (did you mean --retain-available?)'])
    expect(errorsOf(['-tcp-port'])).toEqual(['-tcp-port: unknown option (did you mean --tcp-port?)'])
    expect(errorsOf(['--frobnicate'])).toEqual(['--frobnicate: unknown option'])
    expect(errorsOf(['-x'])).toEqual(['-x: unknown option'])
    expect(errorsOf(['-d'])).toEqual(['-d: unknown option'])
  })

  it('rejects values on valueless flags and positional arguments', () => {
    expect(errorsOf(['--lan=yes'])).toEqual(['--lan: takes no value'])
    expect(errorsOf(['--help=1'])).toEqual(['--help: takes no value'])
    expect(errorsOf(['--no-retain-available=true'])).toEqual(['--no-retain-available: takes no value'])
    expect(errorsOf(['broker.json5'])).toEqual(['unexpected argument "broker.json5" (brokerscope takes only options)'])
  })
})

describe('usage', () => {
  const text = usage()

  it('lists every setting flag with its help and default', () => {
    for (const key of SETTING_KEYS) {
      expect(text, key).toContain(settingFlag(key))
      expect(text, key).toContain(SETTING_FIELDS[key].help)
    }
    expect(text).toContain('[default: 1883]')
    expect(text).toContain('[default: 127.0.0.1]')
    expect(text).toContain('[default: none]') // serverKeepAlive
  })

  it('lists the aliases and the other options', () => {
    for (const flag of [
      '-p',
      '--port',
      '-b',
      '--bind',
      '--lan',
      '--max-qos',
      '--max-packet-size',
      '-v',
      '-c',
      '--config',
      '-h',
      '--help',
      '-V',
      '--version'
    ]) {
      expect(text, flag).toMatch(new RegExp(`(^|[\\s,])${flag.replace(/-/g, '\\-')}([\\s,]|$)`, 'm'))
    }
  })

  it('is grouped, in order, with examples', () => {
    const order = ['Usage: brokerscope', 'Listeners:', 'MQTT features:', 'Limits:', 'Other:', 'Examples:']
    const positions = order.map((heading) => text.indexOf(heading))
    expect(positions.every((p) => p >= 0)).toBe(true)
    expect([...positions].sort((a, b) => a - b)).toEqual(positions)
    const listeners = text.slice(text.indexOf('Listeners:'), text.indexOf('MQTT features:'))
    expect(listeners).toContain('--tcp-port')
    expect(listeners).not.toContain('--maximum-qos')
  })

  it('has examples that parse', () => {
    const examples = text
      .slice(text.indexOf('Examples:'))
      .split('\n')
      .slice(1)
      .filter((line) => line.trim().startsWith('brokerscope'))
    expect(examples.length).toBeGreaterThan(2)
    for (const line of examples) {
      // Words as a shell splits them ('single quotes' keep spaces); subcommands have their own parser.
      const words = (
        line
          .trim()
          .split(/\s{2,}/)[0]
          .match(/'[^']*'|\S+/g) ?? []
      ).map((w) => w.replace(/^'(.*)'$/, '$1'))
      if (words[1] === 'inspect') continue
      expect(parseCliArgs(words.slice(1)).errors, line).toEqual([])
    }
  })
})

describe('main (no broker needed)', () => {
  function capture() {
    const out: string[] = []
    const err: string[] = []
    return { out, err, io: { stdout: (l: string) => void out.push(l), stderr: (l: string) => void err.push(l) } }
  }

  it('--help prints the usage and exits 0', async () => {
    const c = capture()
    expect(await main(['--help'], c.io)).toBe(0)
    expect(c.out.join('\n')).toBe(usage())
    expect(c.err).toEqual([])
    const h = capture()
    expect(await main(['-h'], h.io)).toBe(0)
    expect(h.out.join('\n')).toContain('--tcp-port')
  })

  it('--version prints the version and exits 0', async () => {
    const c = capture()
    expect(await main(['--version'], c.io)).toBe(0)
    expect(c.out).toEqual([`brokerscope ${VERSION}`])
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/)
    const v = capture()
    expect(await main(['-V'], v.io)).toBe(0)
    expect(v.out).toEqual([`brokerscope ${VERSION}`])
  })

  it('a bad flag prints the error and a hint to stderr, exit 2', async () => {
    const c = capture()
    expect(await main(['--maximum-qos', '7'], c.io)).toBe(2)
    expect(c.out).toEqual([])
    expect(c.err[0]).toBe('brokerscope: --maximum-qos: must be one of 0, 1, 2 (got "7")')
    expect(c.err.at(-1)).toContain('--help')
  })

  it('errors win over --help', async () => {
    const c = capture()
    expect(await main(['--help', '--bogus'], c.io)).toBe(2)
    expect(c.err[0]).toBe('brokerscope: --bogus: unknown option')
  })

  it('a missing config file is exit 2 with the path named', async () => {
    const c = capture()
    expect(await main(['-c', '/nonexistent/brokerscope.json5'], c.io)).toBe(2)
    expect(c.err).toEqual(['brokerscope: /nonexistent/brokerscope.json5: config file not found'])
  })

  it('exits 1 with the listener errors when no listener can start, after stopping the broker', async () => {
    const c = capture()
    const events = ['SIGINT', 'SIGTERM', 'uncaughtException', 'unhandledRejection'] as const
    const before = events.map((e) => process.listenerCount(e))
    const dataDir = mkdtempSync(join(tmpdir(), 'brokerscope-cli-'))
    expect(await main(['--tcp-port', '1883', '--max-qos', '1', '--log-level', 'error', '--data-dir', dataDir], c.io)).toBe(1)
    rmSync(dataDir, { recursive: true, force: true })
    expect(c.err).toEqual([
      'brokerscope: tcp listener: TCP port 1883 on 127.0.0.1 is already in use',
      'brokerscope: websocket listener: WebSocket port 8083 on 127.0.0.1 is already in use',
      'brokerscope: no listener could start'
    ])
    expect(c.out).toEqual([])
    expect(brokerCalls.stopped).toBe(1)
    const { settings, options } = brokerCalls.constructed[0] as { settings: Record<string, unknown>; options: Record<string, unknown> }
    expect(settings).toMatchObject({ ...DEFAULT_SETTINGS, maximumQos: 1, logLevel: 'error' })
    expect(options.version).toBe(VERSION)
    expect(options.logger).toBeDefined()
    // nothing left behind on the process
    expect(events.map((e) => process.listenerCount(e))).toEqual(before)
  })

  it('refuses to start with no listener enabled', async () => {
    const c = capture()
    expect(await main(['--tcp-port', '0', '--ws-port', '0'], c.io)).toBe(2)
    expect(c.err[0]).toContain('no listener enabled')
    const same = capture()
    expect(await main(['-p', '1900', '--ws-port', '1900'], same.io)).toBe(2)
    expect(same.err[0]).toContain('both 1900')
  })
})
