import { writeFileSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import mqtt from 'mqtt'
import mqttPacket, { type Packet } from 'mqtt-packet'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createServerCertificate } from '../../src/main/headless/dev-certificate'
import { freePort, startTestBroker, type TestBroker, waitFor } from '../helpers/broker-harness'
import { startDurable, tempDataDir } from '../helpers/durable-broker'
import { closeAllMosquittos, requireMosquitto, startMosquitto, writeMosquittoPasswords } from '../helpers/mosquitto-broker'
import { bridgeConfig, client, collect, startBridges, type TestBridges } from './bridge-helpers'

/**
 * What goes wrong with a bridge, and how it says so: a wrong password, a CA that did not sign the
 * remote's certificate, a remote that does not take the 3.1.1 bridge flag; and its queue surviving a
 * restart of our broker with persistence on.
 */

let tb: TestBroker | null = null
let bridges: TestBridges[] = []
const servers: Server[] = []
const cleanups: Array<() => Promise<void> | void> = []

beforeAll(() => requireMosquitto())

afterEach(async () => {
  await Promise.all(bridges.map((b) => b.manager.stop()))
  await tb?.close()
  await closeAllMosquittos()
  for (const server of servers.splice(0)) server.close()
  for (const cleanup of cleanups.splice(0)) await cleanup()
  tb = null
  bridges = []
})

function track(b: TestBridges): TestBridges {
  bridges.push(b)
  return b
}

describe('words for what went wrong', () => {
  // mosquitto answers a wrong password with "not authorized" in both versions (v5 0x87, 3.1.1 code 5).
  it.each([
    [5, 'not authorized'],
    [4, 'not authorized']
  ] as const)('a wrong password (MQTT %s): "%s"; the right one connects', async (protocolVersion, words) => {
    tb = await startTestBroker()
    const remote = await startMosquitto({ lines: ['allow_anonymous false'] })
    await remote.stop()
    const passwords = join(remote.dir, 'passwords')
    await writeMosquittoPasswords(passwords, { bridge: 'right' })
    writeFileSync(
      join(remote.dir, 'mosquitto.conf'),
      `listener ${remote.port} 127.0.0.1\nuser root\nallow_anonymous false\npassword_file ${passwords}\n`
    )
    await remote.start()

    const fields = { url: remote.url, topics: ['a/# out 1'], protocolVersion, username: 'bridge' }
    const wrong = track(startBridges(tb.broker, [bridgeConfig({ name: 'wrong', password: 'nope', ...fields })]))
    const status = await wrong.waitForState('wrong', 'waiting')
    expect(status.lastError).toBe(words)
    const right = track(startBridges(tb.broker, [bridgeConfig({ name: 'right', password: 'right', ...fields })]))
    await right.waitForState('right', 'connected')
  })

  it('a CA that did not sign the remote’s certificate: "TLS: unknown CA"; the right CA connects', async () => {
    tb = await startTestBroker()
    const remote = await startMosquitto()
    const server = createServerCertificate({ hosts: ['127.0.0.1', 'localhost'] })
    const other = createServerCertificate({ hosts: ['127.0.0.1'] })
    const files = { cert: join(remote.dir, 'cert.pem'), key: join(remote.dir, 'key.pem'), otherCa: join(remote.dir, 'other-ca.pem') }
    writeFileSync(files.cert, server.cert)
    writeFileSync(files.key, server.key)
    writeFileSync(files.otherCa, other.cert)
    await remote.stop()
    writeFileSync(
      join(remote.dir, 'mosquitto.conf'),
      `listener ${remote.port} 127.0.0.1\nuser root\nallow_anonymous true\ncertfile ${files.cert}\nkeyfile ${files.key}\n`
    )
    await remote.start()
    const url = `mqtts://127.0.0.1:${remote.port}`

    const wrong = track(startBridges(tb.broker, [bridgeConfig({ name: 'wrong-ca', url, caFile: files.otherCa, topics: ['a/# out 1'] })]))
    expect((await wrong.waitForState('wrong-ca', 'waiting')).lastError).toMatch(/^TLS: unknown CA/)
    const noCa = track(startBridges(tb.broker, [bridgeConfig({ name: 'system-cas', url, topics: ['a/# out 1'] })]))
    expect((await noCa.waitForState('system-cas', 'waiting')).lastError).toMatch(/^TLS: unknown CA/)
    const missing = track(
      startBridges(tb.broker, [bridgeConfig({ name: 'no-file', url, caFile: '/nonexistent/ca.pem', topics: ['a/# out 1'] })])
    )
    expect((await missing.waitForState('no-file', 'waiting')).lastError).toBe('cannot read caFile /nonexistent/ca.pem: ENOENT')

    const right = track(startBridges(tb.broker, [bridgeConfig({ name: 'right-ca', url, caFile: files.cert, topics: ['tls/# out 1'] })]))
    await right.waitForState('right-ca', 'connected')
    const sub = await client(url, { ca: server.cert })
    cleanups.push(() => sub.endAsync(true))
    const got = collect(sub)
    await sub.subscribeAsync('tls/#', { qos: 1 })
    const pub = await client(`mqtt://127.0.0.1:${tb.tcpPort}`)
    cleanups.push(() => pub.endAsync(true))
    await pub.publishAsync('tls/x', 'over TLS', { qos: 1 })
    await waitFor(() => got.length === 1, 'the message over TLS')
  })
})

describe('the 3.1.1 bridge flag (try_private) falls back when the remote refuses it', () => {
  /** A stand-in broker that refuses CONNECTs with the bridge flag (CONNACK 1, or a hang-up) and takes plain ones. */
  async function refusingBroker(how: 'connack' | 'hang-up'): Promise<{ port: number; connects: string[] }> {
    const connects: string[] = []
    const server = createServer((socket: Socket) => {
      const parser = mqttPacket.parser({ protocolVersion: 4 })
      const send = (packet: Packet): void => void socket.write(mqttPacket.generate(packet, { protocolVersion: 4 }))
      parser.on('packet', (packet: Packet) => {
        if (packet.cmd === 'connect') {
          const bridge = (packet as { bridgeMode?: boolean }).bridgeMode === true
          connects.push(bridge ? 'bridge' : 'plain')
          if (!bridge) send({ cmd: 'connack', returnCode: 0, sessionPresent: false })
          else if (how === 'connack') {
            send({ cmd: 'connack', returnCode: 1, sessionPresent: false })
            socket.end()
          } else socket.destroy()
        } else if (packet.cmd === 'subscribe') {
          send({ cmd: 'suback', messageId: packet.messageId, granted: packet.subscriptions.map((s) => s.qos) })
        } else if (packet.cmd === 'pingreq') send({ cmd: 'pingresp' })
      })
      socket.on('data', (chunk) => parser.parse(chunk))
      socket.on('error', () => {})
    })
    servers.push(server)
    const port = await freePort()
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    return { port, connects }
  }

  it.each(['connack', 'hang-up'] as const)('refused by %s: the next attempt is a plain 3.1.1 client, at once', async (how) => {
    tb = await startTestBroker()
    const fake = await refusingBroker(how)
    const b = track(
      startBridges(tb.broker, [
        bridgeConfig({ name: 'old', url: `mqtt://127.0.0.1:${fake.port}`, protocolVersion: 4, topics: ['a/# both 1'] })
      ])
    )
    const status = await b.waitForState('old', 'connected')
    expect(fake.connects).toEqual(['bridge', 'plain'])
    expect(status.bridgeFlagAccepted).toBe(false)
    expect(status.lastError).toMatch(/does not take the bridge flag \(try_private\)/)
  })
})

describe('with persistence on', () => {
  it('what waits for the remote survives a restart of our broker, and arrives once the remote is back', async () => {
    const remote = await startMosquitto({ persistence: true })
    const subOptions = { clean: false, clientId: 'persist-sub', properties: { sessionExpiryInterval: 300 } }
    const sub = await client(remote.url, subOptions)
    await sub.subscribeAsync('kept/#', { qos: 1 })
    await sub.endAsync()
    await remote.stop()

    const data = tempDataDir()
    cleanups.push(() => data.cleanup())
    const config = bridgeConfig({ name: 'durable', url: remote.url, topics: ['kept/# out 1'] })
    const first = await startDurable(data.dir)
    const b1 = startBridges(first.broker, [config])
    await b1.waitForState('durable', 'waiting')
    const pub = await first.connect()
    for (let i = 0; i < 10; i++) await pub.publishAsync('kept/seq', String(i), { qos: 1 })
    await pub.endAsync()
    expect(b1.status('durable').queued + b1.status('durable').inflight).toBe(10)
    await b1.manager.stop()
    await first.stop()

    const second = await startDurable(data.dir)
    cleanups.push(() => second.stop())
    const b2 = track(startBridges(second.broker, [config]))
    await b2.waitForState('durable', 'waiting')
    await remote.start()
    await b2.waitForState('durable', 'connected', 10_000)
    const back = mqtt.connect(remote.url, { reconnectPeriod: 0, protocolVersion: 5, ...subOptions })
    cleanups.push(() => back.endAsync(true))
    const got = collect(back)
    await waitFor(() => got.length >= 10, 'the ten messages', 10_000)
    expect(got.map((m) => m.payload)).toEqual(Array.from({ length: 10 }, (_, i) => String(i)))
  })
})
