import { spawn } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { connect as netConnect } from 'node:net'
import mqttPacket, { type Packet } from 'mqtt-packet'
import { afterEach, describe, expect, it } from 'vitest'
import type { BrokerEvent } from '../../../src/shared/broker-types'
import { collectMessages, delay, waitFor } from '../../helpers/broker-harness'
import { refusalCode, startAuthBroker, tempDir, writeAuthFile, type AuthBroker } from './auth-helpers'

describe('authentication', () => {
  let tb: AuthBroker | null = null
  let tmp: ReturnType<typeof tempDir> | null = null
  afterEach(async () => {
    await tb?.close()
    tb = null
    tmp?.cleanup()
    tmp = null
  })

  async function brokerWithUsers(users: Record<string, string>, settings: Record<string, unknown> = {}): Promise<AuthBroker> {
    tmp = tempDir()
    const authFile = tmp.path('auth.json5')
    writeAuthFile(authFile, users)
    tb = await startAuthBroker({ authFile, ...settings })
    return tb
  }

  it('accepts the right password and records the user name (3.1.1 and 5)', async () => {
    const b = await brokerWithUsers({ alice: 's3cret' })
    const v4 = await b.connect({ clientId: 'a4', username: 'alice', password: 's3cret' })
    const v5 = await b.connect({ clientId: 'a5', username: 'alice', password: 's3cret', protocolVersion: 5, ws: true })
    expect(b.broker.listClients().map((c) => [c.clientId, c.username])).toEqual([
      ['a4', 'alice'],
      ['a5', 'alice']
    ])
    await v4.endAsync()
    await v5.endAsync()
  })

  it('refuses a bad user name or password: 3.1.1 return code 4, MQTT 5 reason 0x86', async () => {
    const b = await brokerWithUsers({ alice: 's3cret' })
    expect(await refusalCode(b.connect({ username: 'alice', password: 'wrong' }))).toBe(4)
    expect(await refusalCode(b.connect({ username: 'mallory', password: 's3cret' }))).toBe(4)
    expect(await refusalCode(b.connect({ username: 'alice' }))).toBe(4)
    expect(await refusalCode(b.connect({ username: 'alice', password: 'wrong', protocolVersion: 5 }))).toBe(0x86)
    expect(await refusalCode(b.connect({ username: 'alice', password: 'wrong', protocolVersion: 5, ws: true }))).toBe(0x86)
    expect(b.broker.listClients()).toEqual([])
    expect(b.log.filter((line) => line.includes('refused CONNECT')).length).toBe(5)
    expect(b.log.find((line) => line.includes('refused CONNECT'))).toMatch(/\(client id ".*", user "alice"\): bad user name or password/)
  })

  it('refuses anonymous clients when allowAnonymous is false: 3.1.1 code 5, MQTT 5 0x87', async () => {
    const b = await brokerWithUsers({ alice: 's3cret' }, { allowAnonymous: false })
    expect(await refusalCode(b.connect({}))).toBe(5)
    expect(await refusalCode(b.connect({ protocolVersion: 5 }))).toBe(0x87)
    const alice = await b.connect({ username: 'alice', password: 's3cret' })
    await alice.endAsync()
  })

  it('lets anonymous clients in by default, and without an auth file refuses them only when told to', async () => {
    const b = await brokerWithUsers({ alice: 's3cret' })
    const anonymous = await b.connect({ clientId: 'anon' })
    expect(b.broker.listClients()[0]).toMatchObject({ clientId: 'anon', username: null })
    await anonymous.endAsync()
    await b.close()

    tb = await startAuthBroker({ allowAnonymous: false })
    expect(await refusalCode(tb.connect({}))).toBe(5)
    // No auth file: a user name is taken as given.
    const named = await tb.connect({ username: 'anyone', password: 'anything' })
    await named.endAsync()
  })

  it('a refused CONNECT changes nothing: no takeover, no session, no will, no events, one log line', async () => {
    const b = await brokerWithUsers({ alice: 's3cret' })
    const owner = await b.connect({ clientId: 'shared-id', username: 'alice', password: 's3cret', clean: false })
    await owner.subscribeAsync('news', { qos: 1 })
    const watcher = await b.connect({ clientId: 'watcher' })
    await watcher.subscribeAsync('will/#')
    const willMessages = collectMessages(watcher)
    const before = b.broker.listClients()
    const events: BrokerEvent[] = []
    for (const type of ['client.connected', 'client.disconnected', 'session.expired', 'subscribed', 'message.published'] as const) {
      b.broker.events.on(type, (event) => events.push(event))
    }
    const logLines = b.log.length

    const code = await refusalCode(
      b.connect({
        clientId: 'shared-id',
        username: 'alice',
        password: 'nope',
        clean: true,
        will: { topic: 'will/x', payload: Buffer.from('bye'), qos: 0, retain: false }
      })
    )
    expect(code).toBe(4)
    await delay(100)
    expect(owner.connected).toBe(true)
    expect(b.broker.listClients()).toEqual(before)
    expect(b.broker.listSubscriptions().map((s) => [s.clientId, s.filter])).toEqual([
      ['shared-id', 'news'],
      ['watcher', 'will/#']
    ])
    expect(events).toEqual([])
    expect(willMessages).toEqual([])
    expect(b.log.slice(logLines).map((line) => line.replace(/^\S+ \S+\s+/, ''))).toEqual([
      expect.stringMatching(/^refused CONNECT from 127\.0\.0\.1:\d+ \(client id "shared-id", user "alice"\): bad user name or password$/)
    ])
    await owner.endAsync()
    await watcher.endAsync()
  })

  it('handles packets sent right after CONNECT once the password is checked, in order', async () => {
    const b = await brokerWithUsers({ alice: 's3cret' })
    const socket = netConnect(b.tcpPort, '127.0.0.1')
    const parser = mqttPacket.parser({ protocolVersion: 4 })
    const packets: Packet[] = []
    parser.on('packet', (packet) => packets.push(packet))
    socket.on('data', (chunk) => parser.parse(chunk))
    await new Promise((resolve) => socket.once('connect', resolve))
    const generate = (packet: Packet): Buffer => mqttPacket.generate(packet, { protocolVersion: 4 })
    socket.write(
      Buffer.concat([
        generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: true,
          clientId: 'pipelined',
          keepalive: 60,
          username: 'alice',
          password: Buffer.from('s3cret')
        }),
        generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'loop', qos: 0 }] }),
        generate({ cmd: 'publish', topic: 'loop', payload: Buffer.from('hi'), qos: 0, retain: false, dup: false })
      ])
    )
    await waitFor(() => packets.length >= 3, 'CONNACK, SUBACK and the message')
    expect(packets.map((p) => p.cmd)).toEqual(['connack', 'suback', 'publish'])
    expect(packets[0]).toMatchObject({ returnCode: 0 })
    socket.destroy()
  })

  it('reloads the auth file without dropping connections; a bad file keeps the rules in force', async () => {
    const b = await brokerWithUsers({ alice: 'one' })
    const authFile = tmp!.path('auth.json5')
    const connected = await b.connect({ clientId: 'stays', username: 'alice', password: 'one' })

    writeAuthFile(authFile, { alice: 'two', bob: 'bob' })
    expect(await b.broker.reloadAuth()).toEqual({ ok: true, path: authFile, users: 2, rules: 0 })
    expect(await refusalCode(b.connect({ username: 'alice', password: 'one' }))).toBe(4)
    const bob = await b.connect({ username: 'bob', password: 'bob' })
    await bob.endAsync()

    writeFileSync(authFile, '{\n  users: [\n    { username: "alice", password: "two" },\n  ],\n}\n')
    const result = await b.broker.reloadAuth()
    // The reply says what kind of problem it is; the log has the detail (file, line, key).
    expect(result).toEqual({ ok: false, path: authFile, errors: ['not a valid auth file: see the broker log'] })
    expect(b.log.some((line) => line.includes('ERROR') && /auth\.json5:3: users\[0\]\.password: must be a hash/.test(line))).toBe(true)
    // The previous rules are still in force.
    const alice = await b.connect({ username: 'alice', password: 'two' })
    await alice.endAsync()
    expect(await refusalCode(b.connect({ username: 'alice', password: 'one' }))).toBe(4)
    expect(connected.connected).toBe(true)
    await connected.endAsync()
  })

  it('updateSettings loads a new auth file first, and refuses one with errors', async () => {
    const b = await brokerWithUsers({ alice: 'a' })
    const other = tmp!.path('other.json5')
    writeFileSync(other, '{ users: 3 }')
    const refused = await b.broker.updateSettings({ authFile: other })
    expect(refused).toEqual({ ok: false, errors: [{ key: 'authFile', message: 'authFile: not a valid auth file: see the broker log' }] })
    expect(b.log.some((line) => /other\.json5:1: users: must be a list/.test(line))).toBe(true)
    expect(b.broker.getSettings().authFile).toBe(tmp!.path('auth.json5'))

    writeAuthFile(other, { carol: 'c' })
    expect((await b.broker.updateSettings({ authFile: other })).ok).toBe(true)
    const carol = await b.connect({ username: 'carol', password: 'c' })
    await carol.endAsync()
    expect(await refusalCode(b.connect({ username: 'alice', password: 'a' }))).toBe(4)

    // Setting the same path again re-reads the file.
    writeAuthFile(other, { carol: 'c2' })
    expect((await b.broker.updateSettings({ authFile: other })).ok).toBe(true)
    expect(await refusalCode(b.connect({ username: 'carol', password: 'c' }))).toBe(4)

    // Turning the auth file off: user names are no longer checked.
    expect((await b.broker.updateSettings({ authFile: null })).ok).toBe(true)
    const anyone = await b.connect({ username: 'alice', password: 'whatever' })
    await anyone.endAsync()
  })

  it('fails closed when the auth file cannot be loaded at start: every CONNECT is refused (server unavailable)', async () => {
    tmp = tempDir()
    const authFile = tmp.path('broken.json5')
    writeFileSync(authFile, '{ users: [ { username: "x" } ] }')
    tb = await startAuthBroker({ authFile })
    expect(await refusalCode(tb.connect({}))).toBe(3)
    expect(await refusalCode(tb.connect({ protocolVersion: 5 }))).toBe(0x88)
    expect(tb.log.some((line) => line.includes('ERROR') && line.includes('users[0].password'))).toBe(true)
    writeAuthFile(authFile, { x: 'y' })
    expect((await tb.broker.reloadAuth()).ok).toBe(true)
    const client = await tb.connect({ username: 'x', password: 'y' })
    await client.endAsync()
  })

  describe('with mosquitto_pub', () => {
    const MOSQUITTO_PUB = '/usr/bin/mosquitto_pub'
    function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
      return new Promise((resolve) => {
        const child = spawn(MOSQUITTO_PUB, args, { stdio: ['ignore', 'pipe', 'pipe'] })
        let stderr = ''
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
        child.on('error', (error) => resolve({ code: -1, stderr: String(error) }))
        child.on('close', (code) => resolve({ code, stderr }))
      })
    }

    it('-u/-P with a wrong password is refused (non-zero exit, says so); the right one publishes', async () => {
      expect(existsSync(MOSQUITTO_PUB), `${MOSQUITTO_PUB} is missing: apt-get install mosquitto-clients`).toBe(true)
      const b = await brokerWithUsers({ alice: 's3cret' })
      const port = String(b.tcpPort)
      const wrong = await run(['-h', '127.0.0.1', '-p', port, '-u', 'alice', '-P', 'nope', '-t', 't', '-m', 'x'])
      expect(wrong.code).not.toBe(0)
      expect(wrong.stderr).toMatch(/bad user name or password/i)
      const wrong5 = await run(['-V', '5', '-h', '127.0.0.1', '-p', port, '-u', 'alice', '-P', 'nope', '-t', 't', '-m', 'x'])
      expect(wrong5.code).not.toBe(0)
      expect(wrong5.stderr).toMatch(/bad user name or password/i)

      const watcher = await b.connect({ username: 'alice', password: 's3cret' })
      await watcher.subscribeAsync('t')
      const received = collectMessages(watcher)
      const right = await run(['-h', '127.0.0.1', '-p', port, '-u', 'alice', '-P', 's3cret', '-t', 't', '-m', 'hello'])
      expect(right).toEqual({ code: 0, stderr: '' })
      await waitFor(() => received.length === 1, 'the message')
      expect(received[0].payload.toString()).toBe('hello')
      await watcher.endAsync()
    })
  })
})
