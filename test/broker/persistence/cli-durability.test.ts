import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { freePort, waitFor } from '../../helpers/broker-harness'
import { CLI, type CliBroker, startCliBroker } from '../../helpers/cli-broker'
import { finished, requireTool, run, spawnTool, TOOLS } from '../../helpers/mosquitto-tools'

/** The headless broker as users run it: `brokerscope --data-dir D`, killed and started again. */
describe('brokerscope --data-dir across kill -9', () => {
  let dataDir = ''
  const brokers: CliBroker[] = []
  afterEach(async () => {
    for (const broker of brokers.splice(0)) await broker.kill('SIGKILL')
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  })
  async function start(port: number, options: { fileSizeLimitKiB?: number } = {}): Promise<CliBroker> {
    const broker = await startCliBroker(dataDir, port, [], options)
    brokers.push(broker)
    return broker
  }

  it('keeps 10 retained messages and 20 QoS 1 messages queued for a mosquitto_sub -c session (the case mosquitto loses)', async () => {
    requireTool(TOOLS.sub)
    requireTool(TOOLS.pub)
    dataDir = mkdtempSync(join(tmpdir(), 'brokerscope-kill-'))
    const port = await freePort()
    const first = await start(port)
    const hp = ['-h', '127.0.0.1', '-p', String(port)]
    await run(TOOLS.sub, [...hp, '-i', 'durable-sub', '-c', '-q', '1', '-t', 'queued/#', '-W', '1'], 5000).catch(() => {})
    for (let i = 0; i < 10; i++) await run(TOOLS.pub, [...hp, '-q', '1', '-r', '-t', `retained/${i}`, '-m', `r${i}`])
    for (let i = 0; i < 20; i++) await run(TOOLS.pub, [...hp, '-q', '1', '-t', `queued/${i}`, '-m', `q${i}`])
    await first.kill('SIGKILL')

    await start(port)
    const retained = await finished(spawnTool(TOOLS.sub, [...hp, '-t', 'retained/#', '-C', '10', '-W', '5', '-v']))
    expect(retained.trim().split('\n').sort()).toEqual(Array.from({ length: 10 }, (_, i) => `retained/${i} r${i}`).sort())
    const queued = await finished(
      spawnTool(TOOLS.sub, [...hp, '-i', 'durable-sub', '-c', '-q', '1', '-t', 'queued/#', '-C', '20', '-W', '5', '-v'])
    )
    expect(queued.trim().split('\n')).toEqual(Array.from({ length: 20 }, (_, i) => `queued/${i} q${i}`))
  })

  it('a second broker on the same data folder refuses to start and says which one holds it', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'brokerscope-kill-'))
    const first = await start(await freePort())
    const second = spawn(process.execPath, [
      CLI,
      '--data-dir',
      dataDir,
      '--tcp-port',
      String(await freePort()),
      '--ws-port',
      '0',
      '--ui-port',
      '0'
    ])
    let err = ''
    second.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()))
    const code = await new Promise<number | null>((resolve) => second.once('exit', resolve))
    expect(code).toBe(1)
    expect(err).toContain(`another BrokerScope (pid ${first.process.pid}`)
    expect(err).toContain(dataDir)
  })

  it('a full disk: QoS 1 publishes are refused (v5 0x97), never acknowledged unstored; the broker stays up; what was acknowledged is there after a restart', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'brokerscope-full-'))
    const port = await freePort()
    // Room for the store's first pages and a few messages, then writes fail as on a full disk.
    const limited = await start(port, { fileSizeLimitKiB: 400 })
    const url = `mqtt://127.0.0.1:${port}`
    const acked = new Map<string, string>()
    let refused = 0
    for (let i = 0; i < 60 && refused < 3; i++) {
      const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, protocolVersion: 5 })
      client.on('error', () => {})
      const payload = randomBytes(12_000).toString('base64')
      const outcome = await new Promise<'acked' | 'refused' | 'closed'>((resolve) => {
        client.once('close', () => resolve('closed'))
        client.publish(`full/${i}`, payload, { qos: 1, retain: true }, (err) => {
          if (!err) resolve('acked')
          else resolve((err as { code?: number }).code === 0x97 ? 'refused' : 'closed')
        })
      })
      if (outcome === 'acked') acked.set(`full/${i}`, payload)
      else refused++
      client.end(true)
    }
    expect(acked.size).toBeGreaterThan(0)
    expect(refused).toBeGreaterThan(0)
    expect(limited.output()).toMatch(/store: a write to .* failed/)
    expect(limited.output()).toMatch(/File too large/)
    // Still serving: a QoS 0 client connects and publishes.
    const alive = await mqtt.connectAsync(url, { reconnectPeriod: 0 })
    await alive.publishAsync('full/alive', 'yes', { qos: 0 })
    await alive.endAsync()
    await limited.kill('SIGKILL')

    await start(port)
    const probe = await mqtt.connectAsync(url, { reconnectPeriod: 0 })
    const seen = new Map<string, string>()
    probe.on('message', (topic, payload) => seen.set(topic, payload.toString()))
    await probe.subscribeAsync('full/#', { qos: 1 })
    await waitFor(() => [...acked.keys()].every((topic) => seen.has(topic)), `the ${acked.size} acknowledged retained messages`, 5000)
    for (const [topic, payload] of acked) expect(seen.get(topic), topic).toBe(payload)
    await probe.endAsync()
  })
})
