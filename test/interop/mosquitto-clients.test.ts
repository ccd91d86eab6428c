import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect as netConnect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqttPacket, { type IConnackPacket, type Packet } from 'mqtt-packet'
import type { MqttClient } from 'mqtt'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { connectClient, delay, freePort, startTestBroker, waitFor, type TestBroker } from '../helpers/broker-harness'
import { children, finished, requireTool, run, spawnTool, TOOLS, type Tool } from '../helpers/mosquitto-tools'

/**
 * Interop with the real Eclipse Mosquitto command-line clients (mosquitto_pub, mosquitto_sub,
 * mosquitto_rr), and a byte-level comparison with the real mosquitto broker for exchanges whose
 * bytes the spec fixes. The binaries come from Debian's mosquitto / mosquitto-clients packages,
 * installed by .ci/run; when they are missing every test here fails with a message saying so.
 */

let idSeq = 0
/** Client ids stay ≤ 23 characters so MQTT 3.1 accepts them. */
const nextId = (prefix: string): string => `${prefix}${process.pid % 10000}-${++idSeq}`

// ───────────────────────────── the clients against our broker ─────────────────────────────

describe('mosquitto clients against BrokerScope', () => {
  let tb: TestBroker
  const hp = (): string[] => ['-h', '127.0.0.1', '-p', String(tb.tcpPort)]

  beforeAll(() => {
    requireTool(TOOLS.pub)
    requireTool(TOOLS.sub)
    requireTool(TOOLS.rr)
  })

  beforeEach(async () => {
    tb = await startTestBroker()
  })

  afterEach(async () => {
    await tb?.close()
  })

  /** Start mosquitto_sub and resolve once the broker holds its subscription to `filter`. */
  async function subscribed(clientId: string, filter: string, args: string[], port = tb.tcpPort, broker = tb): Promise<Tool> {
    const tool = spawnTool(TOOLS.sub, ['-h', '127.0.0.1', '-p', String(port), '-i', clientId, '-t', filter, '-W', '5', ...args])
    await waitFor(
      () => broker.broker.listSubscriptions().some((s) => s.clientId === clientId && s.filter === filter) || tool.child.exitCode !== null,
      `mosquitto_sub ${clientId} to subscribe to ${filter}`
    )
    if (tool.child.exitCode !== null) throw new Error(`mosquitto_sub exited early: ${tool.describe()}`)
    return tool
  }

  const VERSIONS = ['mqttv31', 'mqttv311', 'mqttv5'] as const
  const CASES = VERSIONS.flatMap((version) => ([0, 1, 2] as const).map((qos) => ({ version, qos })))

  it.each(CASES)('publish and subscribe at QoS $qos with -V $version', async ({ version, qos }) => {
    const topic = `interop/${version}/q${qos}`
    const payload = `hello ${version} qos ${qos} ✓`
    const subId = nextId('s')
    const sub = await subscribed(subId, topic, ['-V', version, '-q', String(qos), '-C', '1', '-F', '%t|%q|%r|%p'])
    const pubId = nextId('p')
    await run(TOOLS.pub, [...hp(), '-V', version, '-i', pubId, '-q', String(qos), '-t', topic, '-m', payload])
    expect(await finished(sub)).toBe(`${topic}|${qos}|0|${payload}\n`)
    const client = tb.broker.listClients().find((c) => c.clientId === subId)
    // The session is gone (clean) or at least was registered with the right protocol level.
    if (client) expect(client.protocolVersion).toBe(version === 'mqttv31' ? 3 : version === 'mqttv311' ? 4 : 5)
  })

  it.each(VERSIONS)('retained message (-r) reaches a later subscriber, and -r -n clears it (-V %s)', async (version) => {
    const topic = `interop/retained/${version}`
    await run(TOOLS.pub, [...hp(), '-V', version, '-q', '1', '-r', '-t', topic, '-m', 'kept'])
    expect(tb.broker.getRetained(topic)?.payload.toString()).toBe('kept')

    // A later subscriber gets it, with the retain flag set [MQTT-3.3.1-8].
    const late = await run(TOOLS.sub, [...hp(), '-V', version, '-t', topic, '-C', '1', '-W', '5', '-F', '%r|%p'])
    expect(late).toBe('1|kept\n')

    // An empty retained message clears it [MQTT-3.3.1-10].
    await run(TOOLS.pub, [...hp(), '-V', version, '-r', '-n', '-t', topic])
    expect(tb.broker.getRetained(topic)).toBeNull()

    // A subscriber after the clear sees only the next live message, not a stale or empty retained one.
    const subId = nextId('r')
    const after = await subscribed(subId, topic, ['-V', version, '-C', '1', '-F', '%r|%p'])
    await run(TOOLS.pub, [...hp(), '-V', version, '-t', topic, '-m', 'live'])
    expect(await finished(after)).toBe('0|live\n')
  })

  it('v5 user properties (-D publish user-property) reach a v5 subscriber (-F %P), repeated keys included', async () => {
    const topic = 'interop/userprops'
    const sub = await subscribed(nextId('u'), topic, ['-V', 'mqttv5', '-C', '1', '-F', '%P|%p'])
    await run(TOOLS.pub, [
      ...hp(),
      '-V',
      'mqttv5',
      '-t',
      topic,
      '-m',
      'with-props',
      '-D',
      'publish',
      'user-property',
      'key',
      'value',
      '-D',
      'publish',
      'user-property',
      'key',
      'second value'
    ])
    expect(await finished(sub)).toBe('key:value key:second value|with-props\n')
  })

  // Fails today: mqtt-packet folds user properties into an object keyed by name, so the broker
  // forwards a=1 b=2 a=3 9=nine as 9=nine a=1 a=3 b=2 (integer-like names first, same names grouped).
  // mosquitto forwards them in order. See the report; the fix is a representation change.
  it('v5 user property order is preserved when forwarding [MQTT-3.3.2-18]', async () => {
    const topic = 'interop/userprops/order'
    const sub = await subscribed(nextId('o'), topic, ['-V', 'mqttv5', '-C', '1', '-F', '%P'])
    const props = [
      ['a', '1'],
      ['b', '2'],
      ['a', '3'],
      ['9', 'nine']
    ]
    await run(TOOLS.pub, [
      ...hp(),
      '-V',
      'mqttv5',
      '-t',
      topic,
      '-m',
      'x',
      ...props.flatMap(([k, v]) => ['-D', 'publish', 'user-property', k, v])
    ])
    expect(await finished(sub)).toBe('a:1 b:2 a:3 9:nine\n')
  })

  it('v5 content type, response topic and a 2-byte subscription identifier reach mosquitto_sub', async () => {
    const topic = 'interop/props'
    const sub = await subscribed(nextId('c'), topic, [
      '-V',
      'mqttv5',
      '-C',
      '1',
      '-D',
      'subscribe',
      'subscription-identifier',
      '200',
      '-F',
      '%S|%C|%R|%p'
    ])
    await run(TOOLS.pub, [
      ...hp(),
      '-V',
      'mqttv5',
      '-t',
      topic,
      '-m',
      'p',
      '-D',
      'publish',
      'content-type',
      'text/x',
      '-D',
      'publish',
      'response-topic',
      'back/here'
    ])
    expect(await finished(sub)).toBe('200|text/x|back/here|p\n')
  })

  it.each(['mqttv311', 'mqttv5'] as const)(
    'the will of a mosquitto_sub killed with SIGKILL reaches another subscriber (-V %s)',
    async (version) => {
      const willTopic = `interop/will/${version}`
      const watcher = await subscribed(nextId('w'), willTopic, ['-V', version, '-C', '1', '-F', '%t|%p'])
      const doomedId = nextId('d')
      const doomed = await subscribed(doomedId, 'interop/doomed', [
        '-V',
        version,
        '--will-topic',
        willTopic,
        '--will-payload',
        `gone ${version}`
      ])
      await delay(100)
      expect(watcher.stdout()).toBe('')
      doomed.child.kill('SIGKILL')
      expect((await doomed.exited).signal).toBe('SIGKILL')
      expect(await finished(watcher)).toBe(`${willTopic}|gone ${version}\n`)
    }
  )

  it('a mosquitto_sub that exits normally (-C 1) does not publish its will', async () => {
    const willTopic = 'interop/will/normal'
    const watcher = await subscribed(nextId('w'), willTopic, ['-C', '1', '-F', '%t|%p'])
    const leaving = await subscribed(nextId('l'), 'interop/leave', [
      '-C',
      '1',
      '--will-topic',
      willTopic,
      '--will-payload',
      'should not appear'
    ])
    await run(TOOLS.pub, [...hp(), '-t', 'interop/leave', '-m', 'bye'])
    await finished(leaving)
    // Positive control on the same watcher: a real message after the normal exit is the first it sees.
    await delay(100)
    await run(TOOLS.pub, [...hp(), '-t', willTopic, '-m', 'after'])
    const watched = await finished(watcher)
    expect(watched, watcher.describe()).toBe(`${willTopic}|after\n`)
  })

  it('mosquitto_rr request/response with -e response topic (v5)', async () => {
    const responder: MqttClient = await connectClient(tb, 'tcp', { protocolVersion: 5, clientId: nextId('resp') })
    const requests: Array<{ payload: string; responseTopic?: string }> = []
    try {
      await responder.subscribeAsync('interop/rr/request', { qos: 1 })
      responder.on('message', (_topic, payload, packet) => {
        const responseTopic = packet.properties?.responseTopic
        requests.push({ payload: payload.toString(), responseTopic })
        if (responseTopic) {
          responder.publish(responseTopic, `answer to ${payload.toString()}`, {
            qos: 1,
            properties: packet.properties?.correlationData ? { correlationData: packet.properties.correlationData } : {}
          })
        }
      })
      const out = await run(TOOLS.rr, [
        ...hp(),
        '-V',
        'mqttv5',
        '-t',
        'interop/rr/request',
        '-e',
        'interop/rr/response',
        '-m',
        'question',
        '-W',
        '5'
      ])
      expect(out).toBe('answer to question\n')
      expect(requests).toEqual([{ payload: 'question', responseTopic: 'interop/rr/response' }])
    } finally {
      await responder.endAsync(true)
    }
  })
})

describe('$SYS through mosquitto_sub', () => {
  let tb: TestBroker
  beforeAll(() => requireTool(TOOLS.sub))
  beforeEach(async () => {
    tb = await startTestBroker({ sysInterval: 1 })
  })
  afterEach(async () => {
    await tb?.close()
  })

  it("$SYS/broker/version is 'brokerscope version …' and $SYS/broker/uptime is '<n> seconds'", async () => {
    const hp = ['-h', '127.0.0.1', '-p', String(tb.tcpPort)]
    const version = await run(TOOLS.sub, [...hp, '-t', '$SYS/broker/version', '-C', '1', '-W', '5'])
    expect(version).toMatch(/^brokerscope version \S+\n$/)
    expect(version).toBe(`brokerscope version ${tb.broker.version}\n`)
    const uptime = await run(TOOLS.sub, [...hp, '-t', '$SYS/broker/uptime', '-C', '1', '-W', '5'])
    expect(uptime.trimEnd()).toMatch(/^\d+ seconds$/)
    // '#' does not match $SYS topics [MQTT-4.7.2-1]: a '#' subscriber sees only the live message.
    const all = spawnTool(TOOLS.sub, [...hp, '-i', nextId('all'), '-t', '#', '-C', '1', '-W', '5', '-F', '%t'])
    await waitFor(() => tb.broker.listSubscriptions().some((s) => s.filter === '#'), 'the # subscription')
    await delay(1200) // at least one $SYS interval passes
    await run(TOOLS.pub, [...hp, '-t', 'not/sys', '-m', 'x'])
    expect(await finished(all)).toBe('not/sys\n')
  })
})

// ───────────────────────────── byte comparison with mosquitto ─────────────────────────────

interface Exchange {
  bytes: Buffer
  closed: boolean
}

/**
 * Send each step, waiting for the broker's answer (or its close) before the next, and return
 * every byte the broker sent. A close is waited for only when `expectClose` says so.
 */
function exchange(port: number, steps: Buffer[], expectClose = false): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port })
    const chunks: Buffer[] = []
    let closed = false
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', () => {})
    socket.on('close', () => (closed = true))
    socket.once('connect', async () => {
      try {
        for (const step of steps) {
          const before = Buffer.concat(chunks).length
          if (!closed) socket.write(step)
          const deadline = Date.now() + 1500
          while (Buffer.concat(chunks).length === before && !closed && Date.now() < deadline) await delay(5)
        }
        const deadline = Date.now() + (expectClose ? 1500 : 150)
        while (!closed && Date.now() < deadline) await delay(5)
        resolve({ bytes: Buffer.concat(chunks), closed })
      } catch (error) {
        reject(error)
      } finally {
        socket.destroy()
      }
    })
    socket.once('error', reject)
  })
}

function decodeAll(bytes: Buffer, version: 4 | 5): Packet[] {
  const parser = mqttPacket.parser({ protocolVersion: version })
  const packets: Packet[] = []
  parser.on('packet', (packet: Packet) => packets.push(packet))
  parser.parse(bytes)
  return packets
}

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex')

function connect(version: 3 | 4 | 5, clientId: string, clean = true): Buffer {
  // mqtt-packet refuses to build some of the CONNECTs under test, so clean=false is patched in by hand.
  const bytes = mqttPacket.generate(
    {
      cmd: 'connect',
      protocolId: version === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion: version,
      clean: true,
      clientId: clientId || 'x',
      keepalive: 30
    },
    { protocolVersion: version }
  )
  const flagsAt = version === 3 ? 11 : 9
  if (!clean) bytes[flagsAt] &= ~0x02
  if (clientId !== '') return bytes
  // Replace the 1-byte placeholder id with an empty one: drop the 'x', fix the length bytes.
  const withoutId = Buffer.concat([bytes.subarray(0, bytes.length - 3), Buffer.from([0, 0])])
  withoutId[1] -= 1
  return withoutId
}

describe('byte comparison with the mosquitto broker', () => {
  let ours: TestBroker
  let mosquittoPort = 0
  let mosquitto: Tool | null = null
  let dir = ''

  beforeAll(async () => {
    requireTool(TOOLS.broker)
    ours = await startTestBroker()
    mosquittoPort = await freePort()
    dir = mkdtempSync(join(tmpdir(), 'brokerscope-mosquitto-'))
    const config = join(dir, 'mosquitto.conf')
    writeFileSync(config, `listener ${mosquittoPort} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n`)
    mosquitto = spawnTool(TOOLS.broker, ['-c', config])
    // The suite-level afterEach kills children; this one lives for the whole describe.
    children.delete(mosquitto.child)
    const deadline = Date.now() + 5000
    for (;;) {
      if (mosquitto.child.exitCode !== null) throw new Error(`mosquitto exited: ${mosquitto.describe()}`)
      const up = await new Promise<boolean>((resolve) => {
        const probe = netConnect({ host: '127.0.0.1', port: mosquittoPort })
        probe.once('connect', () => {
          probe.destroy()
          resolve(true)
        })
        probe.once('error', () => resolve(false))
      })
      if (up) break
      if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${mosquittoPort}: ${mosquitto.describe()}`)
      await delay(50)
    }
  })

  afterAll(async () => {
    if (mosquitto && mosquitto.child.exitCode === null) {
      mosquitto.child.kill('SIGTERM')
      await Promise.race([mosquitto.exited, delay(2000)])
      if (mosquitto.child.exitCode === null) mosquitto.child.kill('SIGKILL')
    }
    await ours?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  async function both(steps: Buffer[], expectClose = false): Promise<{ ours: Exchange; theirs: Exchange }> {
    const [a, b] = await Promise.all([exchange(ours.tcpPort, steps, expectClose), exchange(mosquittoPort, steps, expectClose)])
    return { ours: a, theirs: b }
  }

  // Refused CONNECTs: the CONNACK bytes and the close are fixed by the spec.
  it.each([
    // [MQTT-3.1.3-8] 3.1.1, empty client id with clean session 0 → 0x02 identifier rejected.
    ['3.1.1 empty client id + clean session 0', () => connect(4, '', false), '20020002'],
    // 3.1 needs a 1–23 character client id → 0x02.
    ['3.1 empty client id', () => connect(3, ''), '20020002'],
    // [MQTT-3.1.2-2] unsupported protocol level → 0x01.
    ['protocol level 6', () => Object.assign(connect(4, 'lvl6'), { 8: 6 }), '20020001'],
    // Protocol name and level disagree → 0x01.
    ["'MQTT' with level 3", () => Object.assign(connect(4, 'lvl3'), { 8: 3 }), '20020001'],
    ["'MQIsdp' with level 4", () => Object.assign(connect(3, 'mqisdp4'), { 10: 4 }), '20020001']
  ])('%s: same CONNACK bytes, then close', async (_name, build, expected) => {
    const { ours: a, theirs: b } = await both([build()], true)
    expect(b.bytes.toString('hex'), 'mosquitto (reference)').toBe(expected)
    expect(a.bytes.toString('hex')).toBe(b.bytes.toString('hex'))
    expect(b.closed).toBe(true)
    expect(a.closed).toBe(true)
  })

  it('3.1 and 3.1.1 CONNECT accepted: same CONNACK bytes, connection stays open', async () => {
    for (const version of [3, 4] as const) {
      const { ours: a, theirs: b } = await both([connect(version, nextId('ok'))])
      expect(b.bytes.toString('hex')).toBe('20020000')
      expect(a.bytes.toString('hex')).toBe(b.bytes.toString('hex'))
      expect(a.closed).toBe(false)
    }
  })

  it('3.1.1 SUBSCRIBE at QoS 0/1/2, UNSUBSCRIBE, PINGREQ and the QoS 1/2 PUBLISH flows: identical bytes', async () => {
    const steps = [
      connect(4, nextId('flow')),
      mqttPacket.generate({
        cmd: 'subscribe',
        messageId: 10,
        subscriptions: [
          { topic: 'a', qos: 0 },
          { topic: 'b/+', qos: 1 },
          { topic: 'c/#', qos: 2 }
        ]
      }),
      mqttPacket.generate({ cmd: 'unsubscribe', messageId: 11, unsubscriptions: ['never/subscribed'] }),
      hex('c000'),
      mqttPacket.generate({ cmd: 'publish', topic: 'x/y', payload: Buffer.from('p'), qos: 1, messageId: 7, retain: false, dup: false }),
      mqttPacket.generate({ cmd: 'publish', topic: 'x/y', payload: Buffer.from('p'), qos: 2, messageId: 8, retain: false, dup: false }),
      mqttPacket.generate({ cmd: 'pubrel', messageId: 8 })
    ]
    const { ours: a, theirs: b } = await both(steps)
    // CONNACK, SUBACK [0,1,2], UNSUBACK, PINGRESP, PUBACK, PUBREC, PUBCOMP.
    expect(b.bytes.toString('hex')).toBe('20020000' + '9005000a000102' + 'b002000b' + 'd000' + '40020007' + '50020008' + '70020008')
    expect(a.bytes.toString('hex')).toBe(b.bytes.toString('hex'))
  })

  it('SUBSCRIBE with an invalid filter: recorded, not compared (mosquitto closes; a failure SUBACK is also allowed)', async () => {
    // mosquitto 2.0 treats an invalid filter as a malformed packet and closes (v5: DISCONNECT 0x81).
    // We answer SUBACK 0x80 (3.1.1) / 0x8F Topic Filter invalid (v5), which the spec also allows,
    // and keep the valid filter in the same SUBSCRIBE. So only our side is asserted here.
    const sub311 = mqttPacket.generate({
      cmd: 'subscribe',
      messageId: 10,
      subscriptions: [
        { topic: 'ok/1', qos: 1 },
        { topic: 'a/#/b', qos: 1 }
      ]
    })
    const r311 = await both([connect(4, nextId('inv')), sub311])
    expect(r311.ours.bytes.toString('hex')).toBe('20020000' + '9004000a0180')
    expect(r311.theirs.bytes.toString('hex').startsWith('20020000')).toBe(true)
    // The reference did not grant the invalid filter either way.
    expect(r311.theirs.bytes.toString('hex')).not.toContain('9004000a0101')

    const sub5 = mqttPacket.generate(
      {
        cmd: 'subscribe',
        messageId: 10,
        subscriptions: [
          { topic: 'ok/1', qos: 1 },
          { topic: 'a/#/b', qos: 1 }
        ]
      },
      { protocolVersion: 5 }
    )
    const r5 = await both([connect(5, nextId('inv5')), sub5])
    const suback = decodeAll(r5.ours.bytes, 5).find((p) => p.cmd === 'suback') as { granted: number[] } | undefined
    expect(suback?.granted).toEqual([1, 0x8f])
  })

  it('v5 CONNECT: same fixed header, flags and reason code; Assigned Client Identifier only for an empty id', async () => {
    for (const clientId of ['', nextId('v5')]) {
      const { ours: a, theirs: b } = await both([connect(5, clientId)])
      const [oursConnack] = decodeAll(a.bytes, 5) as IConnackPacket[]
      const [theirConnack] = decodeAll(b.bytes, 5) as IConnackPacket[]
      expect(theirConnack.cmd).toBe('connack')
      expect(oursConnack.cmd).toBe('connack')
      // First byte (type + reserved flags), acknowledge flags and reason code are fixed by the spec.
      expect(a.bytes[0]).toBe(b.bytes[0])
      expect(oursConnack.sessionPresent).toBe(theirConnack.sessionPresent)
      expect(oursConnack.reasonCode).toBe(theirConnack.reasonCode)
      // [MQTT-3.2.2-16] an assigned id is announced exactly when the client sent none.
      const theirsAssigned = theirConnack.properties?.assignedClientIdentifier
      const oursAssigned = oursConnack.properties?.assignedClientIdentifier
      expect(typeof theirsAssigned === 'string').toBe(clientId === '')
      expect(typeof oursAssigned === 'string').toBe(clientId === '')
      if (oursAssigned !== undefined) expect(oursAssigned.length).toBeGreaterThan(0)
      // The other properties (Topic Alias Maximum 10 vs 65535, Receive Maximum 20 vs absent = 65535)
      // come from each broker's configuration; they are recorded, not compared.
    }
  })

  it('v5 QoS 1 PUBLISH with no subscribers: both PUBACK with 0x10 (encodings may differ)', async () => {
    const publish = mqttPacket.generate(
      { cmd: 'publish', topic: 'nobody/listens', payload: Buffer.from('p'), qos: 1, messageId: 7, retain: false, dup: false },
      { protocolVersion: 5 }
    )
    const { ours: a, theirs: b } = await both([connect(5, nextId('nm')), publish])
    // mosquitto omits the empty property length (40 03 0007 10), we write it (40 04 0007 10 00):
    // both are valid [MQTT-3.4.2.2.1], so the parsed reason codes are compared, not the bytes.
    const theirs = decodeAll(b.bytes, 5).find((p) => p.cmd === 'puback') as { messageId: number; reasonCode: number }
    const oursPuback = decodeAll(a.bytes, 5).find((p) => p.cmd === 'puback') as { messageId: number; reasonCode: number }
    expect(theirs).toMatchObject({ messageId: 7, reasonCode: 0x10 })
    expect(oursPuback).toMatchObject({ messageId: theirs.messageId, reasonCode: theirs.reasonCode })
  })

  it('v5 UNSUBSCRIBE of a filter never subscribed: identical UNSUBACK (0x11)', async () => {
    const unsubscribe = mqttPacket.generate({ cmd: 'unsubscribe', messageId: 3, unsubscriptions: ['nope'] }, { protocolVersion: 5 })
    const { ours: a, theirs: b } = await both([connect(5, nextId('un')), unsubscribe])
    const afterConnack = (bytes: Buffer): string => bytes.subarray(2 + bytes[1]).toString('hex')
    expect(afterConnack(b.bytes)).toBe('b00400030011')
    expect(afterConnack(a.bytes)).toBe(afterConnack(b.bytes))
  })
})
