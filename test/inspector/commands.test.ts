import type { MqttClient } from 'mqtt'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Inspector } from '../../src/main/inspector/inspector'
import { MemorySavedMessageStore } from '../../src/main/inspector/saved-messages'
import type { InspectorBatch, SavedMessage } from '../../src/shared/api'
import type { BrokerSettings } from '../../src/shared/settings'
import { collectMessages, connectClient, startTestBroker, waitFor, type TestBroker } from '../helpers/broker-harness'

let target: TestBroker
let inspector: Inspector
let batches: InspectorBatch[]
let off: () => void
const clients: MqttClient[] = []

async function client(options: Parameters<typeof connectClient>[2] = {}): Promise<MqttClient> {
  const c = await connectClient(target, 'tcp', options)
  clients.push(c)
  return c
}

beforeEach(async () => {
  target = await startTestBroker({ unixSocket: null }) // the two listeners the assertions below count
  inspector = new Inspector(target.broker, { savedMessages: new MemorySavedMessageStore(), batchIntervalMs: 20, listIntervalMs: 20 })
  batches = []
  off = inspector.onBatch((batch) => batches.push(batch))
})

afterEach(async () => {
  off()
  for (const c of clients.splice(0)) await c.endAsync(true).catch(() => undefined)
  await target.close()
})

const b64 = (text: string): string => Buffer.from(text).toString('base64')

describe('Inspector commands against a real broker', () => {
  it('snapshot: stats, lists, settings, traffic', async () => {
    await client({ clientId: 'snap-1' })
    await waitFor(() => inspector.snapshot().clients.some((c) => c.clientId === 'snap-1'), 'client listed')
    const snapshot = await inspector.handleCommand('snapshot', [])
    expect(snapshot.stats.clientsConnected).toBe(1)
    expect(snapshot.listeners.map((l) => l.name).sort()).toEqual(['tcp', 'ws'])
    expect(snapshot.settings.tcpPort).toBe(target.tcpPort)
    expect(snapshot.trafficCapacity).toBe(10_000)
    expect(snapshot.trafficPaused).toBe(false)
    expect(snapshot.traffic.map((row) => row.type)).toEqual(expect.arrayContaining(['connect', 'connack']))
    // JSON-safe all the way down.
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot)
  })

  it('publish: utf8 and base64 payloads, MQTT 5 properties, recipients', async () => {
    const sub = await client({ clientId: 'sub', protocolVersion: 5 })
    const received = collectMessages(sub)
    await sub.subscribeAsync('cmd/#', { qos: 1 })
    const first = await inspector.handleCommand('publish', [{ topic: 'cmd/a', payload: 'héllo', qos: 1, retain: false }])
    expect(first).toEqual({ recipients: 1 })
    await inspector.handleCommand('publish', [
      {
        topic: 'cmd/b',
        payload: Buffer.from([0, 1, 2, 255]).toString('base64'),
        payloadEncoding: 'base64',
        qos: 0,
        retain: false,
        properties: { contentType: 'application/octet-stream', correlationData: b64('corr'), userProperties: { k: 'v' } }
      }
    ])
    await waitFor(() => received.length === 2, 'two messages')
    expect(received[0].payload.toString()).toBe('héllo')
    expect([...received[1].payload]).toEqual([0, 1, 2, 255])
    expect(received[1].packet.properties?.contentType).toBe('application/octet-stream')
    expect(Buffer.from(received[1].packet.properties?.correlationData ?? []).toString()).toBe('corr')
    expect(received[1].packet.properties?.userProperties).toEqual({ k: 'v' })
    expect(await inspector.handleCommand('publish', [{ topic: 'nobody', payload: '', qos: 0, retain: false }])).toEqual({ recipients: 0 })
  })

  it('publish: rejects bad commands with a clear error', async () => {
    const ok = { topic: 't', payload: 'p', qos: 0, retain: false }
    const cases: Array<[unknown, RegExp]> = [
      [{ ...ok, topic: 'a/+' }, /topic/],
      [{ ...ok, topic: 5 }, /topic must be a string/],
      [{ ...ok, qos: 3 }, /qos must be 0, 1 or 2/],
      [{ ...ok, qos: '1' }, /qos must be 0, 1 or 2/],
      [{ ...ok, retain: 'yes' }, /retain must be true or false/],
      [{ ...ok, payload: 42 }, /payload must be a string/],
      [{ ...ok, payloadEncoding: 'hex' }, /payloadEncoding/],
      [{ ...ok, payload: 'not base64!', payloadEncoding: 'base64' }, /not valid base64/],
      [{ ...ok, extra: 1 }, /unknown field "extra"/],
      [{ ...ok, properties: { messageExpiryInterval: -1 } }, /messageExpiryInterval/],
      [{ ...ok, properties: { correlationData: 7 } }, /correlationData/],
      [{ ...ok, properties: { userProperties: { k: 1 } } }, /userProperties/],
      [{ ...ok, properties: { topicAlias: 1 } }, /unknown field "topicAlias"/],
      [{ ...ok, properties: { responseTopic: 'a/#' } }, /responseTopic/],
      [null, /must be an object/],
      ['t', /must be an object/],
      [[ok], /must be an object/]
    ]
    for (const [command, message] of cases) {
      await expect(inspector.handleCommand('publish', [command]), JSON.stringify(command)).rejects.toThrow(message)
    }
    expect(target.broker.stats().publishSent).toBe(0)
  })

  it('disconnectClient and deleteSession', async () => {
    const online = await client({ clientId: 'online' })
    const closed = new Promise<void>((resolve) => online.once('close', () => resolve()))
    expect(await inspector.handleCommand('deleteSession', ['online'])).toBe(false) // still connected
    expect(await inspector.handleCommand('disconnectClient', ['online'])).toBe(true)
    await closed
    await waitFor(() => !target.broker.listClients().some((c) => c.clientId === 'online' && c.connected), 'server-side close')
    expect(await inspector.handleCommand('disconnectClient', ['online'])).toBe(false)
    expect(await inspector.handleCommand('disconnectClient', ['nobody'])).toBe(false)

    const persistent = await client({ clientId: 'persistent', clean: false })
    await persistent.subscribeAsync('p/#', { qos: 1 })
    await persistent.endAsync()
    await waitFor(() => inspector.snapshot().clients.some((c) => c.clientId === 'persistent' && !c.connected), 'offline session')
    expect(await inspector.handleCommand('deleteSession', ['persistent'])).toBe(true)
    expect(inspector.snapshot().clients.map((c) => c.clientId)).not.toContain('persistent')
    expect(await inspector.handleCommand('deleteSession', ['persistent'])).toBe(false)
    await waitFor(
      () => batches.some((b) => b.clients !== undefined && !b.clients.some((c) => c.clientId === 'persistent')),
      'clients batch'
    )
  })

  it('getRetained, deleteRetained, clearRetained', async () => {
    await inspector.handleCommand('publish', [{ topic: 'ret/a', payload: 'A', qos: 1, retain: true }])
    await inspector.handleCommand('publish', [{ topic: 'ret/b', payload: 'BB', qos: 0, retain: true }])
    expect(await inspector.handleCommand('getRetained', ['ret/a'])).toEqual({ payload: b64('A'), size: 1 })
    expect(await inspector.handleCommand('getRetained', ['ret/none'])).toBeNull()
    expect(inspector.snapshot().retained.map((r) => [r.topic, r.preview])).toEqual(
      expect.arrayContaining([
        ['ret/a', b64('A')],
        ['ret/b', b64('BB')]
      ])
    )
    expect(await inspector.handleCommand('deleteRetained', ['ret/a'])).toBe(true)
    expect(await inspector.handleCommand('deleteRetained', ['ret/a'])).toBe(false)
    await inspector.handleCommand('publish', [{ topic: 'ret/c', payload: 'C', qos: 0, retain: true }])
    expect(await inspector.handleCommand('clearRetained', [])).toBe(2)
    expect(inspector.snapshot().retained).toEqual([])
    // The topic tree follows the retained flags.
    const topics = inspector.snapshot().topics
    expect(topics.find((t) => t.topic === 'ret/b')).toMatchObject({ retained: false, messages: 1 })
  })

  it('getTrafficPayload, clearTraffic, setTrafficPaused', async () => {
    const pub = await client({ clientId: 'pub' })
    await pub.publishAsync('traffic/x', 'payload-1', { qos: 1 })
    await waitFor(() => inspector.snapshot().traffic.some((r) => r.type === 'publish' && r.topic === 'traffic/x'), 'publish row')
    const row = inspector.snapshot().traffic.find((r) => r.type === 'publish' && r.topic === 'traffic/x')
    expect(row).toMatchObject({ direction: 'in', clientId: 'pub', qos: 1, payloadSize: 9, payloadPreview: b64('payload-1') })
    expect(await inspector.handleCommand('getTrafficPayload', [row?.id ?? -1])).toEqual({ payload: b64('payload-1'), size: 9 })
    expect(await inspector.handleCommand('getTrafficPayload', [999_999])).toBeNull()

    expect(await inspector.handleCommand('setTrafficPaused', [true])).toBeUndefined()
    const before = inspector.usage().trafficRows
    await pub.publishAsync('traffic/y', 'paused', { qos: 1 })
    expect(inspector.usage().trafficRows).toBe(before)
    expect(inspector.snapshot().trafficPaused).toBe(true)
    await waitFor(() => batches.some((b) => b.trafficNotShown > 0), 'paused packets counted')
    await inspector.handleCommand('setTrafficPaused', [false])

    await inspector.handleCommand('clearTraffic', [])
    expect(inspector.snapshot().traffic).toEqual([])
    expect(inspector.usage().payloadBytes).toBe(0)
    expect(await inspector.handleCommand('getTrafficPayload', [row?.id ?? -1])).toBeNull()
    await pub.publishAsync('traffic/z', 'after', { qos: 0 })
    await waitFor(() => inspector.usage().trafficRows > 0, 'new rows after clear')
    const newRow = inspector.snapshot().traffic.find((r) => r.topic === 'traffic/z')
    expect(newRow !== undefined && newRow.id > (row?.id ?? 0)).toBe(true)
    expect(await inspector.handleCommand('getTrafficPayload', [newRow?.id ?? -1])).toEqual({ payload: b64('after'), size: 5 })
  })

  it('updateSettings: applies a valid patch, reports a bad one', async () => {
    const result = await inspector.handleCommand('updateSettings', [{ maximumQos: 1, sysInterval: 0 }])
    expect(result.ok).toBe(true)
    if (result.ok) {
      expect(result.settings.maximumQos).toBe(1)
      expect(result.listeners.length).toBe(2)
    }
    await waitFor(() => batches.some((b) => b.settings?.maximumQos === 1), 'settings batch')
    // Deliberately ill-typed: the renderer is not trusted to respect the types.
    const badPatch = { maximumQos: 5, nonsense: true } as unknown as Partial<BrokerSettings>
    const bad = await inspector.handleCommand('updateSettings', [badPatch])
    expect(bad.ok).toBe(false)
    if (!bad.ok) expect(bad.errors.map((e) => e.key).sort()).toEqual(['maximumQos', 'nonsense'])
    expect(target.broker.getSettings().maximumQos).toBe(1)
    await expect(inspector.handleCommand('updateSettings', [[1]])).rejects.toThrow(/patch must be an object/)
    await expect(inspector.handleCommand('updateSettings', ['x'])).rejects.toThrow(/patch must be an object/)
  })

  it('saved messages: list, save, replace, delete, validation', async () => {
    const message: SavedMessage = { name: 'hello', topic: 'a/b', payload: 'hi', qos: 1, retain: false }
    expect(await inspector.handleCommand('listSavedMessages', [])).toEqual([])
    expect(await inspector.handleCommand('saveMessage', [message])).toEqual([message])
    const replaced = await inspector.handleCommand('saveMessage', [{ ...message, payload: 'again' }])
    expect(replaced).toEqual([{ ...message, payload: 'again' }])
    expect(await inspector.handleCommand('deleteSavedMessage', ['hello'])).toEqual([])
    await expect(inspector.handleCommand('saveMessage', [{ ...message, name: '  ' }])).rejects.toThrow(/name must not be empty/)
    await expect(inspector.handleCommand('saveMessage', [{ topic: 'a', payload: '', qos: 0, retain: false }])).rejects.toThrow(
      /name must be a string/
    )
    await expect(inspector.handleCommand('saveMessage', [{ ...message, qos: 9 }])).rejects.toThrow(/qos/)
    await expect(inspector.handleCommand('saveMessage', [{ ...message, bogus: 1 }])).rejects.toThrow(/unknown field "bogus"/)
    await expect(inspector.handleCommand('deleteSavedMessage', [1])).rejects.toThrow(/name must be a string/)
  })

  it('rejects unknown commands, bad argument lists and wrong argument types', async () => {
    const cases: Array<[unknown, unknown, RegExp]> = [
      ['nope', [], /unknown command "nope"/],
      ['__proto__', [], /unknown command/],
      ['constructor', [], /unknown command/],
      [42, [], /command name must be a string/],
      [undefined, [], /command name must be a string/],
      ['snapshot', 'x', /arguments must be an array/],
      ['snapshot', { 0: 1 }, /arguments must be an array/],
      ['snapshot', [1], /takes 0 arguments, got 1/],
      ['disconnectClient', [], /takes 1 argument, got 0/],
      ['disconnectClient', ['a', 'b'], /takes 1 argument, got 2/],
      ['disconnectClient', [7], /clientId must be a string/],
      ['deleteSession', [null], /clientId must be a string/],
      ['getRetained', [{}], /topic must be a string/],
      ['deleteRetained', [true], /topic must be a string/],
      ['getTrafficPayload', ['1'], /id must be a non-negative integer/],
      ['getTrafficPayload', [-1], /id must be a non-negative integer/],
      ['getTrafficPayload', [1.5], /id must be a non-negative integer/],
      ['setTrafficPaused', ['true'], /paused must be true or false/],
      ['setTrafficPaused', [1], /paused must be true or false/],
      ['updateSettings', [null], /patch must be an object/]
    ]
    for (const [name, args, message] of cases) {
      await expect(inspector.handleCommand(name, args), `${String(name)} ${JSON.stringify(args)}`).rejects.toThrow(message)
    }
    // Arguments may be omitted for commands without parameters.
    await expect(inspector.handleCommand('clearRetained')).resolves.toBe(0)
  })
})

describe('publishes from the UI in the traffic log (issue 15)', () => {
  it("are logged as the broker's own PUBLISH, with how many sessions they went to", async () => {
    const sub = await client({ clientId: 'ui-listener' })
    await sub.subscribeAsync('from-ui/#', { qos: 1 })
    const result = await inspector.handleCommand('publish', [{ topic: 'from-ui/a', payload: 'hello', qos: 1, retain: false }])
    await inspector.handleCommand('publish', [{ topic: 'nobody/listens', payload: 'x', qos: 0, retain: false }])
    expect(result).toEqual({ recipients: 1 })
    await waitFor(() => inspector.snapshot().traffic.some((r) => r.direction === 'out' && r.topic === 'from-ui/a'), 'the delivery')
    const rows = inspector.snapshot().traffic.filter((r) => r.type === 'publish')
    const own = rows.filter((r) => r.fromBroker !== undefined)
    expect(own.map((r) => [r.clientId, r.direction, r.topic, r.qos, r.fromBroker?.recipients])).toEqual([
      ['BrokerScope', 'in', 'from-ui/a', 1, 1],
      ['BrokerScope', 'in', 'nobody/listens', 0, 0]
    ])
    expect(Buffer.from(own[0].payloadPreview ?? '', 'base64').toString()).toBe('hello')
    expect(await inspector.handleCommand('getTrafficPayload', [own[0].id])).toEqual({ payload: b64('hello'), size: 5 })
    // The delivery to the subscriber follows it, as every delivery does.
    expect(rows.find((r) => r.direction === 'out' && r.topic === 'from-ui/a')?.clientId).toBe('ui-listener')
  })
})
