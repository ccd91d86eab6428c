import { spawn } from 'node:child_process'
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, connect as netConnect, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Broker } from '../../src/main/broker/broker'
import { silentLogger } from '../../src/main/logger'
import { collectMessages, startTestBroker, waitFor, type TestBroker } from '../helpers/broker-harness'
import { TOOLS, run, spawnTool, finished } from '../helpers/mosquitto-tools'

/**
 * The Unix socket listener with real peers (mosquitto_pub/sub --unix, MQTT.js over mqtt+unix://),
 * and its care for the socket file. The behaviour suites run over it too (TRANSPORTS).
 */
describe('Unix socket listener', () => {
  let folder: string
  let tb: TestBroker | null = null
  const servers: Server[] = []

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'bs-unix-test-'))
  })
  afterEach(async () => {
    await tb?.close()
    tb = null
    for (const server of servers.splice(0)) await new Promise<void>((resolve) => server.close(() => resolve()))
    rmSync(folder, { recursive: true, force: true })
  })

  const brokerOn = async (path: string): Promise<Broker> => {
    const broker = new Broker({ tcpPort: 0, wsPort: 0, sysInterval: 0, unixSocket: path }, { logger: silentLogger })
    await broker.start()
    return broker
  }

  it('mosquitto_pub --unix publishes to an MQTT.js subscriber on the same socket, and mosquitto_sub --unix receives', async () => {
    tb = await startTestBroker()
    const subscriber = await mqtt.connectAsync(tb.url('unix'), { reconnectPeriod: 0 })
    try {
      await subscriber.subscribeAsync('unix/#', { qos: 1 })
      const received = collectMessages(subscriber)
      const sub = spawnTool(TOOLS.sub, ['--unix', tb.unixPath, '-t', 'unix/#', '-C', '1', '-W', '5', '-v'])
      await waitFor(() => tb!.broker.listSubscriptions().length === 2, 'mosquitto_sub to subscribe')
      await run(TOOLS.pub, ['--unix', tb.unixPath, '-t', 'unix/topic', '-m', 'Hello MQTT via Unix socket', '-q', '1'])
      await waitFor(() => received.length === 1, 'the MQTT.js subscriber to get the message')
      expect(received[0].topic).toBe('unix/topic')
      expect(received[0].payload.toString()).toBe('Hello MQTT via Unix socket')
      expect(await finished(sub)).toBe('unix/topic Hello MQTT via Unix socket\n')
      // The client list names the listener.
      expect(tb.broker.listClients().every((client) => client.listener === 'unix' || !client.connected)).toBe(true)
    } finally {
      await subscriber.endAsync()
    }
  })

  it('removes a stale socket file left by a process that died, and serves on it', async () => {
    const path = join(folder, 'stale.sock')
    // A process that binds the socket and is killed: the file stays, nobody listens.
    const child = spawn(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`
    ])
    await new Promise((resolve) => child.once('exit', resolve))
    expect(lstatSync(path).isSocket()).toBe(true)

    const broker = await brokerOn(path)
    try {
      expect(broker.listeners()).toEqual([{ name: 'unix', host: path, port: 0, listening: true, error: null }])
      const client = await mqtt.connectAsync(`mqtt+unix://${path}`, { reconnectPeriod: 0 })
      await client.endAsync()
    } finally {
      await broker.stop()
    }
    // Closing the listener removes its socket file.
    expect(existsSync(path)).toBe(false)
  })

  it('refuses to replace a socket another process is listening on, which keeps working', async () => {
    const path = join(folder, 'live.sock')
    const other = createServer((socket) => {
      socket.on('error', () => {}) // the broker's probe connects and leaves at once
      socket.end('still mine\n')
    })
    servers.push(other)
    await new Promise<void>((resolve) => other.listen(path, () => resolve()))

    const broker = await brokerOn(path)
    try {
      const [info] = broker.listeners()
      expect(info).toMatchObject({ name: 'unix', listening: false })
      expect(info.error).toBe(`Unix socket ${path}: another process is listening on it; not replaced`)
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = netConnect(path)
        let text = ''
        socket.on('data', (chunk) => (text += chunk.toString()))
        socket.on('end', () => resolve(text))
        socket.on('error', reject)
      })
      expect(answer).toBe('still mine\n')
    } finally {
      await broker.stop()
    }
  })

  it('refuses to replace a file that is not a socket, and leaves it as it was', async () => {
    const path = join(folder, 'notes.txt')
    writeFileSync(path, 'keep me')
    const broker = await brokerOn(path)
    try {
      expect(broker.listeners()[0].error).toBe(`Unix socket ${path}: exists and is not a socket; not replaced`)
      expect(readFileSync(path, 'utf8')).toBe('keep me')
    } finally {
      await broker.stop()
    }
  })

  it('a folder that does not exist is reported, and the other listeners run', async () => {
    const path = join(folder, 'missing', 'mqtt.sock')
    tb = await startTestBroker({ unixSocket: null })
    const result = await tb.broker.updateSettings({ unixSocket: path })
    expect(result.ok).toBe(true)
    const infos = tb.broker.listeners()
    expect(infos.find((info) => info.name === 'unix')?.error).toBe(`Unix socket ${path}: its folder does not exist`)
    expect(infos.find((info) => info.name === 'tcp')?.listening).toBe(true)
  })
})
