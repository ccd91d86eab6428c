import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfigFile } from '../../src/main/config/config-file'
import { topLevelTomlKeyLines } from '../../src/main/config/toml-config'
import { formatSettings } from '../../src/main/headless/config-command'
import { DEFAULT_SETTINGS } from '../../src/shared/settings'

/** TOML config files (TeleMQ's format): same keys, same validation and line-numbered errors as JSON5. */
let dir: string
let counter = 0
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'brokerscope-toml-'))
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

function file(text: string, name = `config-${++counter}.toml`): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

function errorsFor(text: string): { path: string; errors: string[] } {
  const path = file(text)
  const result = loadConfigFile(path)
  if (result.ok) throw new Error(`expected errors for:\n${text}`)
  return { path, errors: result.errors }
}

describe('TOML config files', () => {
  it('reads camelCase and kebab-case keys, comments, and "none" for a nullable setting', () => {
    const path = file(`# BrokerScope, TeleMQ style
host = "0.0.0.0"      # every interface
tcpPort = 1884
ws-port = 0
retainAvailable = false
maximumQos = 1
server-keep-alive = "none"
authFile = "none"
unixSocket = "/tmp/brokerscope.sock"
`)
    expect(loadConfigFile(path)).toEqual({
      ok: true,
      settings: {
        host: '0.0.0.0',
        tcpPort: 1884,
        wsPort: 0,
        retainAvailable: false,
        maximumQos: 1,
        serverKeepAlive: null,
        authFile: null,
        unixSocket: '/tmp/brokerscope.sock'
      }
    })
  })

  it('a syntax error names the file, line and column', () => {
    const { path, errors } = errorsFor('tcpPort = 1883\nwsPort = \nhost = "x"\n')
    expect(errors).toEqual([`${path}:2:10: invalid value`])
  })

  it('an unterminated string is reported at its line', () => {
    const { path, errors } = errorsFor('tcpPort = 1883\n\nhost = "0.0.0.0\n')
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(new RegExp(`^${escapeRegExp(path)}:3:\\d+: `))
  })

  it('a key given twice is a syntax error at the second one', () => {
    const { path, errors } = errorsFor('tcpPort = 1883\ntcpPort = 1884\n')
    expect(errors).toEqual([`${path}:2:1: trying to redefine an already defined table or value`])
  })

  it('bad values, unknown keys and the same setting twice name the line and the key, like JSON5', () => {
    const { path, errors } = errorsFor(`# comment
tcpPort = 70000
maximumQos = 3

tcpPrt = 1
retain-available = "yes"
wsPort = 1
ws-port = 2
description = """
tcpPort = 1 inside a string is not a key
"""
`)
    expect(errors).toEqual([
      `${path}:2: tcpPort: must be between 0 and 65535 (got 70000)`,
      `${path}:3: maximumQos: must be one of 0, 1, 2 (got 3)`,
      `${path}:5: tcpPrt: unknown setting (did you mean tcpPort?)`,
      `${path}:6: retain-available: must be true or false (got "yes")`,
      `${path}:8: ws-port: same setting as wsPort; give it once`,
      `${path}:9: description: unknown setting`
    ])
  })

  it('tables are refused: the settings are top-level keys', () => {
    const { path, errors } = errorsFor('tcpPort = 1883\n\n[listeners]\nport = 1\n')
    expect(errors).toEqual([`${path}:3: [listeners]: settings are top-level keys (tcpPort = 1883); tables are not used`])
  })

  it('"none" is only null for nullable settings', () => {
    const { path, errors } = errorsFor('host = "none"\ntcpPort = "none"\n')
    // A host called "none" is a valid host name; a port cannot be none.
    expect(errors).toEqual([`${path}:2: tcpPort: must be a whole number (got "none")`])
  })

  it('finds key lines outside multi-line strings only', () => {
    const lines = topLevelTomlKeyLines(`a = 1\nb = '''\nc = 2\n'''\nd = "x"\n[t]\ne = 3\n`)
    expect([...lines]).toEqual([
      ['a', 1],
      ['b', 2],
      ['d', 5],
      ['t', 6]
    ])
  })
})

describe('config print output', () => {
  it('TOML reads back as the same settings, without the API key', () => {
    const settings = { ...DEFAULT_SETTINGS, tcpPort: 1999, apiPort: 18080, apiKey: 'k'.repeat(32), authFile: '/x/auth.json5' }
    const text = formatSettings(settings, 'toml')
    expect(text).toContain('# apiKey: set, not shown')
    expect(text).not.toContain('k'.repeat(32))
    expect(text).toContain('serverKeepAlive = "none"')
    const read = loadConfigFile(file(text))
    expect(read).toEqual({ ok: true, settings: { ...settings, apiKey: undefined } })
  })

  it('JSON5 reads back as the same settings', () => {
    const settings = { ...DEFAULT_SETTINGS, maximumQos: 1 as const, unixSocket: '/run/b.sock' }
    const text = formatSettings(settings, 'json5')
    const read = loadConfigFile(file(text, `print-${++counter}.json5`))
    expect(read).toEqual({ ok: true, settings })
  })
})

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
