/**
 * Finding 4 of the security review (issue 16): one inspector publish with a property too large for
 * the wire (counted in UTF-8 bytes, not characters), or with U+0000 in it, must be refused with a
 * clear error, and the broker process, its v5 subscribers, retained subscribers and queued sessions
 * must carry on. Before the fix the first such publish crashed the process (ERR_OUT_OF_RANGE from
 * the PUBLISH encoder in a socket drain callback).
 */
import mqtt, { type MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collectMessages, waitFor } from '../helpers/broker-harness'
import { InspectorSocket, startCli, type CliBroker } from '../helpers/cli-process'

let cli: CliBroker
let inspector: InspectorSocket
let live: MqttClient
let received: ReturnType<typeof collectMessages>
const clients: MqttClient[] = []

async function v5(clientId: string, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${cli.tcpPort}`, {
    protocolVersion: 5,
    clientId,
    reconnectPeriod: 0,
    ...options
  })
  client.on('error', () => {})
  clients.push(client)
  return client
}

beforeAll(async () => {
  cli = await startCli()
  inspector = await InspectorSocket.open(cli.uiPort)
  live = await v5('live-subscriber')
  received = collectMessages(live)
  await live.subscribeAsync('wire/#', { qos: 1 })
})

afterAll(async () => {
  inspector?.close()
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})))
  await cli?.stop()
})

const b64 = (bytes: number): string => Buffer.alloc(bytes, 0x61).toString('base64')

/** Each of these is refused at the inspector's door, in bytes where the limit is in bytes. */
const BAD_PROPERTIES: Array<[string, Record<string, unknown>, RegExp]> = [
  // 40,000 characters, 80,000 UTF-8 bytes: the old check counted characters and let it through.
  ['a content type over 65,535 UTF-8 bytes', { contentType: 'é'.repeat(40_000) }, /contentType.*65535 bytes/],
  ['a response topic over 65,535 UTF-8 bytes', { responseTopic: 'ü'.repeat(40_000) }, /responseTopic.*65535 bytes/],
  ['correlation data over 65,535 bytes once decoded', { correlationData: b64(70_000) }, /correlationData.*65535 bytes/],
  ['a user property name over 65,535 bytes', { userProperties: { ['k'.repeat(70_000)]: 'v' } }, /user property name.*65535 bytes/],
  ['a user property value over 65,535 bytes', { userProperties: { k: ['ok', '€'.repeat(30_000)] } }, /user property value.*65535 bytes/],
  ['U+0000 in the content type', { contentType: 'text/plain\u0000' }, /contentType.*U\+0000/],
  ['U+0000 in a user property', { userProperties: { 'a\u0000b': 'c' } }, /user property name.*U\+0000/],
  ['a lone surrogate in a user property value', { userProperties: { a: 'x\uD800y' } }, /user property value.*UTF-8/]
]

describe('inspector publish with properties the wire cannot carry', () => {
  for (const [name, properties, error] of BAD_PROPERTIES) {
    it(`refuses ${name}; the broker and its v5 subscriber carry on`, async () => {
      const before = received.length
      for (const retain of [false, true]) {
        const reply = await inspector.call('publish', [{ topic: 'wire/bad', payload: 'x', qos: 1, retain, properties }])
        expect(reply.ok).toBe(false)
        if (!reply.ok) expect(reply.error).toMatch(error)
      }
      expect(cli.alive()).toBe(true)
      expect(live.connected).toBe(true)
      // The broker still routes, and nothing of the refused message reached anyone.
      const ok = await inspector.call('publish', [{ topic: 'wire/good', payload: name, qos: 1, retain: false }])
      expect(ok).toMatchObject({ ok: true, result: { recipients: 1 } })
      await waitFor(() => received.length > before, 'the good message')
      expect(received.slice(before).map((m) => m.topic)).toEqual(['wire/good'])
    })
  }

  it('refuses a publish whose whole packet is larger than maximumPacketSize in force', async () => {
    const set = await inspector.call('updateSettings', [{ maximumPacketSize: 2048 }])
    expect(set.ok).toBe(true)
    try {
      const reply = await inspector.call('publish', [{ topic: 'wire/big', payload: 'p'.repeat(4000), qos: 0, retain: false }])
      expect(reply.ok).toBe(false)
      if (!reply.ok) expect(reply.error).toMatch(/maximumPacketSize/)
    } finally {
      await inspector.call('updateSettings', [{ maximumPacketSize: 268435460 }])
    }
  })

  it('a retained subscriber and a queued session are not cut off by a refused publish', async () => {
    // A persistent session that is away while the bad message is tried, then comes back.
    const away = await v5('queued-session', { clean: false, properties: { sessionExpiryInterval: 300 } })
    await away.subscribeAsync('wire/queued/#', { qos: 1 })
    await away.endAsync()
    const bad = await inspector.call('publish', [
      { topic: 'wire/queued/1', payload: 'bad', qos: 1, retain: true, properties: { contentType: 'é'.repeat(40_000) } }
    ])
    expect(bad.ok).toBe(false)
    const good = await inspector.call('publish', [{ topic: 'wire/queued/2', payload: 'good', qos: 1, retain: false }])
    expect(good.ok).toBe(true)

    // Listening before CONNACK: the queued message follows it at once.
    const back = mqtt.connect(`mqtt://127.0.0.1:${cli.tcpPort}`, {
      protocolVersion: 5,
      clientId: 'queued-session',
      clean: false,
      properties: { sessionExpiryInterval: 300 },
      reconnectPeriod: 0
    })
    back.on('error', () => {})
    clients.push(back)
    const queued = collectMessages(back)
    await waitFor(() => queued.length >= 1, 'the queued message')
    expect(queued.map((m) => m.topic)).toEqual(['wire/queued/2'])

    const late = await v5('late-subscriber')
    const retained = collectMessages(late)
    await late.subscribeAsync('wire/#', { qos: 1 })
    await inspector.call('publish', [{ topic: 'wire/after', payload: 'after', qos: 1, retain: false }])
    await waitFor(() => retained.some((m) => m.topic === 'wire/after'), 'a message after the retained check')
    expect(retained.some((m) => m.topic === 'wire/queued/1')).toBe(false)
    expect(late.connected && back.connected && live.connected).toBe(true)
    expect(cli.alive()).toBe(true)
  })
})
