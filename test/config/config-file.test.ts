import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfigFile, topLevelKeyLines } from '../../src/main/config/config-file'

let dir: string
let counter = 0

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'brokerscope-config-'))
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

function file(text: string, name = `config-${++counter}.json5`): string {
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

describe('loadConfigFile', () => {
  it('reads JSON5 with comments, unquoted keys and trailing commas', () => {
    const path = file(`// BrokerScope settings
{
  /* listeners */
  host: '0.0.0.0',
  tcpPort: 1884, // plain MQTT
  "wsPort": 0,
  retainAvailable: false,
  maximumQos: 1,
  serverKeepAlive: null,
  sessionExpiryOverride: 300,
  logLevel: 'debug',
}
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
        sessionExpiryOverride: 300,
        logLevel: 'debug'
      }
    })
  })

  it('reads the data folder (dataDir or data-dir), which is not a broker setting', () => {
    const loaded = loadConfigFile(file(`{ dataDir: '/var/lib/brokerscope', persistence: true }`))
    expect(loaded).toEqual({ ok: true, settings: { persistence: true }, dataDir: '/var/lib/brokerscope' })
    const kebab = loadConfigFile(file(`{ 'data-dir': 'data' }`))
    expect(kebab).toEqual({ ok: true, settings: {}, dataDir: 'data' })
    const { path, errors } = errorsFor(`{\n  dataDir: 42\n}`)
    expect(errors).toEqual([`${path}:2: dataDir: must be a folder path (got 42)`])
  })

  it('accepts an empty object', () => {
    expect(loadConfigFile(file('{}'))).toEqual({ ok: true, settings: {} })
  })

  it('accepts kebab-case keys like the command-line flags', () => {
    const path = file(`{
  'tcp-port': 1999,
  "max-queued-messages": 10,
  "retain-available": false,
  "maximum-packet-size": 1024,
}`)
    expect(loadConfigFile(path)).toEqual({
      ok: true,
      settings: { tcpPort: 1999, maxQueuedMessages: 10, retainAvailable: false, maximumPacketSize: 1024 }
    })
  })

  it('reports a syntax error as file:line:column', () => {
    const { path, errors } = errorsFor(`{
  tcpPort: 1883,
  wsPort: 80x83,
}`)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(new RegExp(`^${escapeRegExp(path)}:3:13: invalid character 'x'$`))
  })

  it('reports a syntax error at the end of the file', () => {
    const { path, errors } = errorsFor('{\n  tcpPort: 1883,\n')
    expect(errors).toEqual([`${path}:3:1: invalid end of input`])
  })

  it('reports a bad value with the line of its key', () => {
    const { path, errors } = errorsFor(`{
  // maximumQos: 3 in a comment must not be taken for the key
  tcpPort: 1883,
  nested: { maximumQos: 1 },
  "text": "maximumQos: 9",

  maximumQos: 3,
}`)
    expect(errors).toContain(`${path}:7: maximumQos: must be one of 0, 1, 2 (got 3)`)
  })

  it('reports every bad value, each on its own line', () => {
    const { path, errors } = errorsFor(`{
  tcpPort: 70000,
  'ws-path': 'mqtt',
  retainAvailable: 'yes',
  serverKeepAlive: 1.5,
}`)
    expect(errors).toEqual([
      `${path}:2: tcpPort: must be between 0 and 65535 (got 70000)`,
      `${path}:3: ws-path: must start with / (got "mqtt")`,
      `${path}:4: retainAvailable: must be true or false (got "yes")`,
      `${path}:5: serverKeepAlive: must be a whole number or null (got 1.5)`
    ])
  })

  it('reports unknown keys with a suggestion when one is close', () => {
    const { path, errors } = errorsFor(`{
  tcpPrt: 1883,
  'ws-prot': 8083,
  port: 1,
  frobnicate: true,
}`)
    expect(errors).toEqual([
      `${path}:2: tcpPrt: unknown setting (did you mean tcpPort?)`,
      `${path}:3: ws-prot: unknown setting (did you mean ws-port?)`,
      `${path}:4: port: unknown setting (did you mean tcpPort?)`,
      `${path}:5: frobnicate: unknown setting`
    ])
  })

  it('reports the same setting given twice in two spellings', () => {
    const { path, errors } = errorsFor(`{
  tcpPort: 1,
  "tcp-port": 2,
}`)
    expect(errors).toEqual([`${path}:3: tcp-port: same setting as tcpPort; give it once`])
  })

  it('rejects a file that is not an object', () => {
    for (const text of ['[1, 2]', '42', 'null', '"tcpPort"']) {
      const { path, errors } = errorsFor(text)
      expect(errors).toEqual([`${path}: must contain an object at the top level, like { tcpPort: 1883 }`])
    }
  })

  it('reports an empty file as a syntax error', () => {
    const { path, errors } = errorsFor('')
    expect(errors).toEqual([`${path}:1:1: invalid end of input`])
  })

  it('reports a missing file clearly', () => {
    const path = join(dir, 'does-not-exist.json5')
    expect(loadConfigFile(path)).toEqual({ ok: false, errors: [`${path}: config file not found`] })
  })

  it('reports a directory clearly', () => {
    expect(loadConfigFile(dir)).toEqual({ ok: false, errors: [`${dir}: is a directory, not a config file`] })
  })

  it('never throws, whatever it is given', () => {
    const inputs = ['{', '}', '{a:}', '{"a":1,,}', '\u0000', '{ tcpPort: Infinity }', '{ tcpPort: NaN }', '/* unterminated']
    for (const text of inputs) {
      const result = loadConfigFile(file(text))
      expect(result.ok, text).toBe(false)
    }
  })
})

describe('topLevelKeyLines', () => {
  it('finds top-level keys only, skipping comments, strings and nested objects', () => {
    const lines = topLevelKeyLines(`{
  a: 1, b: 2,
  // c: 3
  /* d: 4
     e: 5 */
  "f": { g: 1,
    h: [ { i: 2 } ] },
  'j': "k: 1",
  l
  : 3,
  tcp\\u0050ort: 1,
  a: 2,
}`)
    expect(Object.fromEntries(lines)).toEqual({ a: 12, b: 2, f: 6, j: 8, l: 9, tcpPort: 11 })
  })
})

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

describe('bridges in the config file', () => {
  it('reads a list of bridges, each checked, defaults filled in', () => {
    const path = file(`{
  tcpPort: 1884,
  bridges: [
    { name: 'cloud', url: 'mqtts://user:secret@cloud.example.com:8883', topics: ['sensors/# out 1 "" site-a/', 'cmd/# in 1'] },
    { name: 'lab', kind: 'inspect', url: 'mqtt://lab.local' },
  ],
}
`)
    const result = loadConfigFile(path)
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.settings).toEqual({ tcpPort: 1884 })
    expect(result.bridges?.map((b) => [b.name, b.url, b.username, b.password, b.topics])).toEqual([
      ['cloud', 'mqtts://cloud.example.com:8883', 'user', 'secret', ['sensors/# out 1 "" site-a/', 'cmd/# in 1']],
      ['lab', 'mqtt://lab.local', null, null, ['# in 0 remote/lab/ ""', '$SYS/# in 0 remote/lab/ ""']]
    ])
  })

  it('names the line and the place of each mistake', () => {
    const { path, errors } = errorsFor(`{
  bridges: [
    {
      name: 'one',
      url: 'http://nope',
      topics: [
        'ok/#',
        'bad in 7',
      ],
    },
    { name: 'one', url: 'mqtt://h', topics: ['#'] },
  ],
}
`)
    expect(errors).toEqual([
      `${path}:5: bridges[0].url: scheme must be mqtt://, mqtts://, ws:// or wss:// (got http://)`,
      `${path}:8: bridges[0].topics[1]: "bad in 7" QoS must be 0, 1 or 2 (got "7")`
    ])
    const duplicate = errorsFor(`{ bridges: [ { name: 'a', url: 'mqtt://h', topics: ['#'] },
  { name: 'a', url: 'mqtt://h', topics: ['#'] } ] }`)
    expect(duplicate.errors).toEqual([`${duplicate.path}:2: bridges[1].name: a second bridge named "a"`])
    expect(errorsFor(`{ bridges: 'no' }`).errors[0]).toMatch(/:1: bridges: must be a list/)
  })
})

describe('bridges in a TOML config file', () => {
  it('reads [[bridges]] tables with the same checks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'brokerscope-toml-bridges-'))
    try {
      const path = join(dir, 'broker.toml')
      writeFileSync(path, `tcpPort = 1884\n\n[[bridges]]\nname = "cloud"\nurl = "mqtt://cloud.example.com"\ntopics = ["sensors/# out 1"]\n`)
      const result = loadConfigFile(path)
      expect(result.ok && result.bridges?.map((b) => [b.name, b.topics])).toEqual([['cloud', ['sensors/# out 1']]])
      writeFileSync(path, `[[bridges]]\nname = "cloud"\nurl = "ftp://x"\ntopics = ["#"]\n`)
      const bad = loadConfigFile(path)
      expect(bad.ok ? [] : bad.errors).toEqual([
        `${path}:1: bridges[0].url: scheme must be mqtt://, mqtts://, ws:// or wss:// (got ftp://)`
      ])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
