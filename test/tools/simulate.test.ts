/**
 * Simulated devices against a real broker, observed by the real mosquitto_sub.
 *
 * Rate tolerance (stated in the README): over a 5 s window, the count observed is within ±5 %
 * (+1 message) of devices × window / interval; each device within ±2 messages of its share.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Simulation } from '../../src/main/tools/simulate/simulation'
import { collectMessages, connectClient, delay, startTestBroker, waitFor, type TestBroker } from '../helpers/broker-harness'

const RATE_TOLERANCE = 0.05

let tb: TestBroker | null = null
let simulation: Simulation | null = null
let sub: ChildProcess | null = null
let dir: string | null = null

afterEach(async () => {
  sub?.kill('SIGKILL')
  sub = null
  await simulation?.stopAll()
  simulation = null
  await tb?.close()
  tb = null
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = null
})

function simulate(target: TestBroker): Simulation {
  simulation = new Simulation({ url: () => target.url('tcp'), maxDevices: () => 1000, maxInflight: () => 100 })
  return simulation
}

describe('a generator of simulated devices', () => {
  it('10 devices every 200 ms: mosquitto_sub sees 50 msg/s over 5 s, from each device, with rendered payloads', async () => {
    tb = await startTestBroker()
    const lines: Array<{ at: number; topic: string; payload: string }> = []
    sub = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(tb.tcpPort), '-t', 'sim/#', '-v', '-V', 'mqttv5', '-q', '1'])
    let buffered = ''
    sub.stdout!.setEncoding('utf8')
    sub.stdout!.on('data', (chunk: string) => {
      buffered += chunk
      const parts = buffered.split('\n')
      buffered = parts.pop() ?? ''
      for (const line of parts) {
        const space = line.indexOf(' ')
        lines.push({ at: Date.now(), topic: line.slice(0, space), payload: line.slice(space + 1) })
      }
    })
    await waitFor(() => tb!.broker.listSubscriptions().some((s) => s.filter === 'sim/#'), 'mosquitto_sub to subscribe', 5000)

    const sim = simulate(tb)
    sim.start({
      name: 'rate',
      topic: 'sim/{{device}}/temp',
      payload: '{"device":{{device}},"n":{{counter}},"t":{{random 20.0 25.0}},"s":"{{pick "on" "off"}}"}',
      qos: 1,
      retain: false,
      devices: 10,
      pace: { kind: 'interval', ms: 200 },
      stop: { kind: 'forever' }
    })
    await waitFor(() => lines.length > 0, 'the first message', 10_000)
    // Skip the first second (devices connecting), then count over 5 s.
    await delay(1000)
    const from = Date.now()
    await delay(5000)
    const to = Date.now()
    const window = lines.filter((l) => l.at >= from && l.at < to)
    const expected = ((to - from) / 1000) * 50
    expect(Math.abs(window.length - expected)).toBeLessThanOrEqual(expected * RATE_TOLERANCE + 1)
    const perDevice = new Map<string, number>()
    for (const line of window) perDevice.set(line.topic, (perDevice.get(line.topic) ?? 0) + 1)
    expect([...perDevice.keys()].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `sim/${i + 1}/temp`).sort())
    for (const count of perDevice.values())
      expect(Math.abs(count - expected / 10)).toBeLessThanOrEqual((expected / 10) * RATE_TOLERANCE + 2)
    for (const line of window) {
      const value = JSON.parse(line.payload) as { device: number; n: number; t: number; s: string }
      expect(line.topic).toBe(`sim/${value.device}/temp`)
      expect(value.t).toBeGreaterThanOrEqual(20)
      expect(value.t).toBeLessThanOrEqual(25)
      expect(['on', 'off']).toContain(value.s)
    }
    // The devices are clients of the broker like any other.
    const ids = tb.broker
      .listClients()
      .filter((c) => c.connected)
      .map((c) => c.clientId)
    for (let n = 1; n <= 10; n++) expect(ids).toContain(`sim-rate-${n}`)
    const status = sim.statuses()[0]
    expect(status).toMatchObject({ state: 'running', devices: 10, connected: 10, failed: 0, expectedRate: 50 })
    expect(status.acknowledged).toBeGreaterThan(250)
    expect(status.sent - status.acknowledged).toBeLessThanOrEqual(10)
  })

  it('a count stops it, pause holds it, and the counter counts per device', async () => {
    tb = await startTestBroker()
    const watcher = await connectClient(tb, 'tcp', { clientId: 'watcher' })
    await watcher.subscribeAsync('count/#', { qos: 0 })
    const seen = collectMessages(watcher)
    const sim = simulate(tb)
    sim.start({
      name: 'count',
      topic: 'count/{{device}}',
      payload: '{{counter}}',
      qos: 0,
      retain: false,
      devices: 4,
      pace: { kind: 'rate', perSecond: 40 },
      stop: { kind: 'count', count: 20 }
    })
    await waitFor(() => seen.length >= 8, 'some messages', 5000)
    sim.pause('count')
    await delay(100)
    const atPause = seen.length
    await delay(600)
    expect(seen.length).toBe(atPause)
    expect(sim.statuses()[0].state).toBe('paused')
    sim.resume('count')
    await waitFor(() => sim.statuses()[0].state === 'finished', 'the count to be reached', 10_000)
    await delay(100)
    expect(seen.length).toBe(80)
    for (let n = 1; n <= 4; n++) {
      expect(seen.filter((m) => m.topic === `count/${n}`).map((m) => Number(m.payload.toString()))).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 1)
      )
    }
    expect(sim.statuses()[0]).toMatchObject({ sent: 80, failed: 0, skipped: 0, connected: 0 })
    await watcher.endAsync(true)
  })

  it('the ACL applies to simulated devices: refused publishes are counted as failed', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brokerscope-sim-'))
    const authFile = join(dir, 'auth.json5')
    writeFileSync(authFile, "{ users: [], acl: [ { topic: 'allowed/#', access: 'readwrite' } ] }")
    tb = await startTestBroker({ authFile })
    const sim = simulate(tb)
    sim.start({
      name: 'acl',
      topic: 'denied/{{device}}',
      payload: 'x',
      qos: 1,
      retain: false,
      devices: 2,
      pace: { kind: 'interval', ms: 50 },
      stop: { kind: 'count', count: 5 }
    })
    await waitFor(() => sim.statuses()[0].state === 'finished', 'the generator to finish', 10_000)
    const status = sim.statuses()[0]
    expect(status).toMatchObject({ sent: 10, acknowledged: 0, failed: 10 })
    expect(status.lastError).toMatch(/Not authorized/i)
  })

  it('refuses a bad template before anything connects, and more devices than simulateMaxDevices', () => {
    const sim = new Simulation({ url: () => 'mqtt://127.0.0.1:1', maxDevices: () => 5, maxInflight: () => 10 })
    const spec = {
      name: 'bad',
      topic: 't',
      payload: '{{random 1}}',
      qos: 0,
      retain: false,
      devices: 1,
      pace: { kind: 'interval', ms: 100 },
      stop: { kind: 'forever' }
    }
    expect(() => sim.start(spec)).toThrow(/payload 1:3: random: takes 2 arguments/)
    expect(() => sim.start({ ...spec, payload: 'ok', devices: 6 })).toThrow(/from 1 to 5/)
    expect(sim.statuses()).toEqual([])
  })
})
