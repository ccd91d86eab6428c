/**
 * `brokerscope record`, `replay` and `simulate` as a user runs them (npm test builds out/ first),
 * against in-process brokers: record until Ctrl-C leaves complete files, replay reproduces the
 * messages, a bad generators file is refused with the position of the problem.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { collectMessages, connectClient, startTestBroker, waitFor, type TestBroker } from '../helpers/broker-harness'

const CLI = join(process.cwd(), 'out/main/cli.js')

interface Run {
  child: ChildProcess
  output(): string
  exited: Promise<number | null>
}

function run(args: string[]): Run {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
  return { child, output: () => output, exited }
}

const brokers: TestBroker[] = []
const children: ChildProcess[] = []
let dir = ''

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
  await Promise.all(brokers.splice(0).map((b) => b.close()))
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('the tools on the command line', () => {
  it('record until Ctrl-C: complete JSON Lines and pcapng; replay them into another broker', async () => {
    expect(existsSync(CLI), `${CLI} is missing: run npm run build`).toBe(true)
    dir = mkdtempSync(join(tmpdir(), 'brokerscope-tool-cli-'))
    const source = await startTestBroker()
    const target = await startTestBroker()
    brokers.push(source, target)
    const out = join(dir, 'seen.jsonl')
    const pcap = join(dir, 'seen.pcapng')
    const recorder = run(['record', '--url', source.url('tcp'), '--topic', 'cli/#', '--out', out, '--pcap', pcap])
    children.push(recorder.child)
    await waitFor(() => source.broker.listSubscriptions().some((s) => s.filter === 'cli/#'), 'the recorder to subscribe', 10_000)

    const publisher = await connectClient(source, 'tcp', { clientId: 'cli-pub', protocolVersion: 5 })
    for (let i = 0; i < 10; i++)
      await publisher.publishAsync(`cli/${i % 3}`, `reading ${i}`, { qos: (i % 3) as 0 | 1 | 2, retain: i === 9 })
    await publisher.endAsync()
    await waitFor(
      () =>
        readFileSync(out, 'utf8')
          .split('\n')
          .filter((l) => l.includes('"type":"publish"')).length >= 10,
      'ten messages on disk',
      5000
    )
    recorder.child.kill('SIGINT')
    expect(await recorder.exited).toBe(0)
    expect(recorder.output()).toMatch(/recording ended \(stopped\): \d+ packets written, 0 not written/)

    const lines = readFileSync(out, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines[0]).toMatchObject({ format: 'brokerscope-recording', source: 'subscriber', topics: ['cli/#'] })
    expect(lines.at(-1)).toMatchObject({ format: 'brokerscope-recording-end', reason: 'stopped', notWritten: 0 })
    const tshark = spawnSync('tshark', ['-r', pcap, '-Y', 'mqtt.msgtype == 3', '-T', 'fields', '-e', 'mqtt.topic'], { encoding: 'utf8' })
    expect(tshark.status, tshark.stderr).toBe(0)
    expect(tshark.stdout.trim().split('\n')).toEqual(Array.from({ length: 10 }, (_, i) => `cli/${i % 3}`))

    const watcher = await connectClient(target, 'tcp', { clientId: 'cli-watch', protocolVersion: 5 })
    await watcher.subscribeAsync('#', { qos: 2, rap: true })
    const seen = collectMessages(watcher)
    const replay = run(['replay', out, '--url', target.url('tcp'), '--speed', '4'])
    children.push(replay.child)
    expect(await replay.exited).toBe(0)
    expect(replay.output()).toContain('replay finished: 10 sent, 0 failed')
    await waitFor(() => seen.length >= 10, 'the replayed messages')
    // MQTT.js hands a QoS 2 message over only at PUBREL, one round trip later: compare per QoS, in order.
    const expected = Array.from({ length: 10 }, (_, i) => [`cli/${i % 3}`, `reading ${i}`, i % 3, i === 9])
    const got = seen.map((m) => [m.topic, m.payload.toString(), m.packet.qos, m.packet.retain])
    for (const qos of [0, 1, 2]) expect(got.filter((m) => m[2] === qos)).toEqual(expected.filter((m) => m[2] === qos))
    await watcher.endAsync(true)
  })

  it('simulate runs a generators file to its end; a bad one is refused naming the file, the generator and the position', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brokerscope-tool-cli-'))
    const broker = await startTestBroker()
    brokers.push(broker)
    const watcher = await connectClient(broker, 'tcp', { clientId: 'sim-watch' })
    await watcher.subscribeAsync('filesim/#', { qos: 1 })
    const seen = collectMessages(watcher)
    const good = join(dir, 'good.json5')
    writeFileSync(
      good,
      `{ // two sensors, three readings each
        generators: [ { name: 'fs', topic: 'filesim/{{device}}', payload: '{{device}}:{{counter}}', qos: 1, retain: false,
          devices: 2, pace: { kind: 'interval', ms: 50 }, stop: { kind: 'count', count: 3 } } ] }`
    )
    const sim = run(['simulate', good, '--url', broker.url('tcp'), '--status-interval', '1'])
    children.push(sim.child)
    expect(await sim.exited).toBe(0)
    expect(sim.output()).toContain('fs: finished, 0/2 devices, 6 sent, 6 acknowledged, 0 failed')
    await waitFor(() => seen.length >= 6, 'six messages')
    expect(seen.map((m) => m.payload.toString()).sort()).toEqual(['1:1', '1:2', '1:3', '2:1', '2:2', '2:3'])
    await watcher.endAsync(true)

    const bad = join(dir, 'bad.json5')
    writeFileSync(
      bad,
      `{ generators: [ { name: 'b', topic: 't', payload: 'x {{randomInt 1}}', qos: 0, retain: false, devices: 1, pace: { kind: 'interval', ms: 10 }, stop: { kind: 'forever' } } ] }`
    )
    const refused = run(['simulate', bad, '--url', broker.url('tcp')])
    expect(await refused.exited).toBe(2)
    expect(refused.output()).toContain(`brokerscope simulate: ${bad}: generator 1: payload 1:5: randomInt: takes 2 arguments, got 1`)
  })
})
