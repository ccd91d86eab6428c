import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { freePort, waitFor } from '../helpers/broker-harness'
import { closeAllMosquittos, requireMosquitto, startMosquitto } from '../helpers/mosquitto-broker'

// The real `brokerscope` process with bridges: --bridge / --bridge-topic, a config file's
// bridges, and `brokerscope inspect` against a real mosquitto (npm test builds out/ first).
const CLI = join(process.cwd(), 'out/main/cli.js')

let child: ChildProcess | null = null
let dataDir = ''

afterEach(async () => {
  child?.kill('SIGKILL')
  child = null
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  await closeAllMosquittos()
})

function start(args: string[]): { output(): string; exited: Promise<number | null> } {
  expect(existsSync(CLI), `${CLI} is missing: run npm run build`).toBe(true)
  dataDir = mkdtempSync(join(tmpdir(), 'brokerscope-cli-bridges-'))
  const proc = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, BROKERSCOPE_DATA_DIR: dataDir } })
  child = proc
  let output = ''
  proc.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  proc.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  return { output: () => output, exited: new Promise((resolve) => proc.on('exit', (code) => resolve(code))) }
}

describe('brokerscope with bridges', () => {
  it('--bridge URL --bridge-topic RULE bridges to a real mosquitto', async () => {
    requireMosquitto()
    const remote = await startMosquitto()
    const tcpPort = await freePort()
    const run = start([
      '-p',
      String(tcpPort),
      '--ws-port',
      '0',
      '--ui-port',
      '0',
      '--bridge',
      remote.url,
      '--bridge-topic',
      'up/# out 1 "" cli/'
    ])
    await waitFor(() => run.output().includes('bridge 127.0.0.1: connected'), 'the bridge to connect', 10_000)
    const sub = await mqtt.connectAsync(remote.url, { reconnectPeriod: 0 })
    const got: string[] = []
    sub.on('message', (topic, payload) => got.push(`${topic}=${payload}`))
    await sub.subscribeAsync('cli/#', { qos: 1 })
    const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${tcpPort}`, { reconnectPeriod: 0 })
    await pub.publishAsync('up/x', 'hi', { qos: 1 })
    await waitFor(() => got.length === 1, 'the message on mosquitto')
    expect(got).toEqual(['cli/up/x=hi'])
    await Promise.all([sub.endAsync(), pub.endAsync()])
  })

  it('refuses a bad quick bridge or config-file bridge with exit code 2 and the reason', async () => {
    const bad = start(['--bridge', 'mqtt://h', '--bridge-topic', 'a in 5'])
    expect(await bad.exited).toBe(2)
    expect(bad.output()).toContain(`--bridge-topic 'a in 5': "a in 5" QoS must be 0, 1 or 2 (got "5")`)
    const config = join(dataDir, 'broker.json5')
    writeFileSync(config, "{\n  bridges: [\n    { name: 'x', url: 'mqtt://h' },\n  ],\n}\n")
    const file = start(['-c', config])
    expect(await file.exited).toBe(2)
    expect(file.output()).toContain(`${config}:3: bridges[0].topics: needs at least one topic rule`)
  })

  it('`brokerscope inspect URL` watches a remote broker with no local listeners', async () => {
    requireMosquitto()
    const remote = await startMosquitto()
    const seed = await mqtt.connectAsync(remote.url, { reconnectPeriod: 0 })
    await seed.publishAsync('kept/topic', 'value', { qos: 1, retain: true })
    await seed.endAsync()
    const uiPort = await freePort()
    const run = start(['inspect', remote.url, '--name', 'lab', '--ui-port', String(uiPort), '--ui-token', 'abcdefghijklmnop1234'])
    await waitFor(
      () => run.output().includes('bridge lab: connected') && run.output().includes('inspector UI on'),
      'the inspection to connect and the UI to start',
      10_000
    )
    expect(run.output()).toContain(`inspecting ${remote.url}: its topics appear under remote/lab/ (read-only)`)
    expect(run.output()).not.toContain('listening on')
    expect(run.output()).toContain(`inspector UI on http://127.0.0.1:${uiPort}/`)
  })
})
