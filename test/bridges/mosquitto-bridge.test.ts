import mqtt, { type MqttClient } from 'mqtt'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { localClientIdOf } from '../../src/main/bridges/bridge'
import { delay, freePort, startTestBroker, type TestBroker, waitFor } from '../helpers/broker-harness'
import { closeAllMosquittos, type Mosquitto, requireMosquitto, startMosquitto } from '../helpers/mosquitto-broker'
import { bridgeConfig, client, collect, type Received, startBridges, type TestBridges } from './bridge-helpers'

/**
 * Bridges from BrokerScope to a real mosquitto (Debian's package), each test with its own mosquitto
 * on a free loopback port and its own config file: topic rules in, out and both with prefixes,
 * QoS 1 end to end, retained messages, v5 properties, loops, the remote going away while messages
 * flow, and the words for what went wrong.
 */

let tb: TestBroker | null = null
let tb2: TestBroker | null = null
let bridges: TestBridges[] = []
let clients: MqttClient[] = []

beforeAll(() => requireMosquitto())

afterEach(async () => {
  await Promise.all(bridges.map((b) => b.manager.stop()))
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})))
  await tb?.close()
  await tb2?.close()
  await closeAllMosquittos()
  tb = tb2 = null
  bridges = []
  clients = []
})

async function open(url: string, options: Parameters<typeof client>[1] = {}): Promise<MqttClient> {
  const c = await client(url, options)
  c.on('error', () => {})
  clients.push(c)
  return c
}

function local(t: TestBroker = tb!): string {
  return `mqtt://127.0.0.1:${t.tcpPort}`
}

async function bridge(
  remote: Mosquitto,
  topics: string[],
  fields: Record<string, unknown> = {},
  on: TestBroker = tb!
): Promise<TestBridges> {
  const b = startBridges(on.broker, [bridgeConfig({ name: 'mosq', url: remote.url, topics, ...fields })])
  bridges.push(b)
  await b.waitForState('mosq', 'connected')
  return b
}

const messages = (got: Received[]): string[] => got.map((m) => `${m.topic}=${m.payload}`)

describe('topic rules, as mosquitto writes them', () => {
  it('out with prefixes: local-prefix + pattern here goes to remote-prefix + pattern there', async () => {
    tb = await startTestBroker()
    const remote = await startMosquitto()
    await bridge(remote, ['sensors/# out 1 here/ there/'])
    const sub = await open(remote.url)
    const got = collect(sub)
    await sub.subscribeAsync('#', { qos: 1 })
    const pub = await open(local())
    await pub.publishAsync('here/sensors/t1', '21.5', { qos: 1 })
    await pub.publishAsync('sensors/t1', 'not under the local prefix', { qos: 1 })
    await pub.publishAsync('here/other', 'not matching the pattern', { qos: 1 })
    await waitFor(() => got.length >= 1, 'the message on mosquitto')
    await delay(200)
    expect(messages(got)).toEqual(['there/sensors/t1=21.5'])
  })

  it('in with prefixes: remote-prefix + pattern there comes here as local-prefix + pattern', async () => {
    tb = await startTestBroker()
    const remote = await startMosquitto()
    await bridge(remote, ['cmd/# in 1 local/ remote/'])
    const sub = await open(local())
    const got = collect(sub)
    await sub.subscribeAsync('#', { qos: 1 })
    const pub = await open(remote.url)
    await pub.publishAsync('remote/cmd/lamp', 'on', { qos: 1 })
    await pub.publishAsync('cmd/lamp', 'not under the remote prefix', { qos: 1 })
    await waitFor(() => got.length >= 1, 'the message here')
    await delay(200)
    expect(messages(got)).toEqual(['local/cmd/lamp=on'])
  })

  it('an empty pattern maps one topic to another', async () => {
    tb = await startTestBroker()
    const remote = await startMosquitto()
    await bridge(remote, ['"" out 0 my/one/topic their/topic'])
    const sub = await open(remote.url)
    const got = collect(sub)
    await sub.subscribeAsync('#')
    const pub = await open(local())
    await pub.publishAsync('my/one/topic', 'x')
    await pub.publishAsync('my/one/topic/below', 'no')
    await waitFor(() => got.length >= 1, 'the remapped message')
    await delay(150)
    expect(messages(got)).toEqual(['their/topic=x'])
  })

  it('both: each side gets the other side’s message once, and nothing comes back (v5 No Local here and there)', async () => {
    tb = await startTestBroker()
    const remote = await startMosquitto()
    const b = await bridge(remote, ['sync/# both 1'])
    const here = await open(local())
    const there = await open(remote.url)
    const gotHere = collect(here)
    const gotThere = collect(there)
    await here.subscribeAsync('sync/#', { qos: 1, nl: true })
    await there.subscribeAsync('sync/#', { qos: 1, nl: true })
    await here.publishAsync('sync/a', 'from here', { qos: 1 })
    await there.publishAsync('sync/b', 'from there', { qos: 1 })
    await waitFor(() => gotHere.length >= 1 && gotThere.length >= 1, 'both messages across')
    await delay(500)
    expect(messages(gotThere)).toEqual(['sync/a=from here'])
    expect(messages(gotHere)).toEqual(['sync/b=from there'])
    const counters = b.status('mosq').counters
    expect(counters.messagesOut).toBe(1)
    expect(counters.messagesIn).toBe(1)
  })

  it('3.1.1 with the bridge flag (try_private): mosquitto knows it is a bridge and sends nothing back', async () => {
    tb = await startTestBroker()
    const remote = await startMosquitto({ verbose: true })
    const b = await bridge(remote, ['flag/# both 1'], { protocolVersion: 4 })
    expect(remote.log()).toMatch(/New bridge connected from 127\.0\.0\.1:\d+ as mosq\.test-host/)
    expect(b.status('mosq').bridgeFlagAccepted).toBe(true)
    const here = await open(local())
    const gotHere = collect(here)
    await here.subscribeAsync('flag/#', { qos: 1 })
    await here.publishAsync('flag/x', 'once', { qos: 1 })
    await delay(500)
    // Our own subscriber sees its message once: mosquitto did not echo it over the bridge.
    expect(messages(gotHere)).toEqual(['flag/x=once'])
    expect(b.status('mosq').counters.messagesIn).toBe(0)
  })
})

describe('delivery', () => {
  it('QoS 1 end to end: every message, in order, at QoS 1, acknowledged here only once mosquitto acknowledged it', async () => {
    tb = await startTestBroker()
    const remote = await startMosquitto()
    const b = await bridge(remote, ['q1/# out 1'])
    const sub = await open(remote.url, { clean: false, clientId: 'q1-sub', properties: { sessionExpiryInterval: 60 } })
    const got = collect(sub)
    await sub.subscribeAsync('q1/#', { qos: 1 })
    const pub = await open(local())
    const count = 300
    await Promise.all(Array.from({ length: count }, (_, i) => pub.publishAsync('q1/seq', String(i), { qos: 1 })))
    await waitFor(() => got.length >= count, `${count} messages on mosquitto`, 10_000)
    expect(got.map((m) => Number(m.payload))).toEqual(Array.from({ length: count }, (_, i) => i))
    expect(got.every((m) => m.qos === 1)).toBe(true)
    await waitFor(() => b.status('mosq').inflight === 0, 'nothing left in flight')
    expect(b.status('mosq').counters.messagesOut).toBe(count)
  })

  it('retained messages: ours reach the remote retained when the bridge connects, theirs are kept here', async () => {
    tb = await startTestBroker()
    const remote = await startMosquitto()
    const pub = await open(local())
    await pub.publishAsync('state/lamp', 'on', { qos: 1, retain: true })
    const theirs = await open(remote.url)
    await theirs.publishAsync('remote-state/door', 'closed', { qos: 1, retain: true })
    await bridge(remote, ['state/# out 1', 'remote-state/# in 1'])

    // A later subscriber on mosquitto gets ours as a retained message.
    const late = await open(remote.url)
    const gotThere = collect(late)
    await late.subscribeAsync('state/#', { qos: 1 })
    await waitFor(() => gotThere.length === 1, 'the retained message on mosquitto')
    expect(gotThere[0]).toMatchObject({ topic: 'state/lamp', payload: 'on', retain: true })

    // Theirs came in retained and is kept here.
    await waitFor(() => tb!.broker.getRetained('remote-state/door') !== null, 'their retained message here')
    expect(tb.broker.getRetained('remote-state/door')?.payload.toString()).toBe('closed')
    // A live retained message keeps its flag across (Retain As Published on both sides).
    const here = await open(local())
    const gotHere = collect(here)
    await here.subscribeAsync('remote-state/#', { qos: 1, rap: true, rh: 2 })
    await theirs.publishAsync('remote-state/door', 'open', { qos: 1, retain: true })
    await waitFor(() => gotHere.length === 1, 'the live retained message here')
    expect(gotHere[0]).toMatchObject({ payload: 'open', retain: true })
  })

  it('v5 properties cross the bridge: user properties, content type, correlation data', async () => {
    tb = await startTestBroker()
    const remote = await startMosquitto()
    await bridge(remote, ['props/# out 1'])
    const sub = await open(remote.url)
    const got = collect(sub)
    await sub.subscribeAsync('props/#', { qos: 1 })
    const pub = await open(local())
    await pub.publishAsync('props/a', '{}', {
      qos: 1,
      properties: { userProperties: { unit: 'C', site: 'lab' }, contentType: 'application/json', correlationData: Buffer.from('c-1') }
    })
    await waitFor(() => got.length === 1, 'the message')
    expect(got[0].properties?.userProperties).toEqual({ unit: 'C', site: 'lab' })
    expect(got[0].properties?.contentType).toBe('application/json')
    expect(Buffer.from(got[0].properties?.correlationData ?? []).toString()).toBe('c-1')
  })

  it('two bridges in a ring through one remote (A → mosquitto → B → mosquitto → A): every broker gets each message once, no loop', async () => {
    tb = await startTestBroker()
    tb2 = await startTestBroker()
    const remote = await startMosquitto()
    const a = await bridge(remote, ['ring/# both 1'], {}, tb)
    const b = startBridges(tb2.broker, [bridgeConfig({ name: 'mosq', url: remote.url, topics: ['ring/# both 1'], clientId: 'ring-b' })])
    bridges.push(b)
    await b.waitForState('mosq', 'connected')
    const onA = collect(await subscribed(local(tb), 'ring/#'))
    const onB = collect(await subscribed(local(tb2), 'ring/#'))
    const onM = collect(await subscribed(remote.url, 'ring/#'))
    const pubA = await open(local(tb))
    await pubA.publishAsync('ring/from-a', '1', { qos: 1 })
    const pubM = await open(remote.url)
    await pubM.publishAsync('ring/from-m', '2', { qos: 1 })
    await waitFor(() => onB.length >= 2 && onA.length >= 2 && onM.length >= 2, 'the messages around the ring')
    // Long enough for a loop to show as a flood.
    await delay(800)
    expect(messages(onA).sort()).toEqual(['ring/from-a=1', 'ring/from-m=2'])
    expect(messages(onB).sort()).toEqual(['ring/from-a=1', 'ring/from-m=2'])
    expect(messages(onM).sort()).toEqual(['ring/from-a=1', 'ring/from-m=2'])
    expect(a.status('mosq').counters).toMatchObject({ messagesOut: 1, messagesIn: 1 })
    expect(b.status('mosq').counters).toMatchObject({ messagesOut: 0, messagesIn: 2 })
  })

  async function subscribed(url: string, filter: string): Promise<MqttClient> {
    const c = await open(url)
    await c.subscribeAsync(filter, { qos: 1 })
    return c
  }
})

describe('the remote goes away', () => {
  it('stopped while messages flow, then restarted: every QoS 1 message the queue took arrives; what its bound refused is counted', async () => {
    tb = await startTestBroker()
    // Persistent, so the subscriber's session (and what mosquitto acknowledged) survives its restart.
    const remote = await startMosquitto({ persistence: true })
    const bound = 40
    const b = await bridge(remote, ['flow/# out 1'], { maxQueuedMessages: bound })
    const subOptions = { clean: false, clientId: 'flow-sub', properties: { sessionExpiryInterval: 300 } }
    const sub = await open(remote.url, subOptions)
    await sub.subscribeAsync('flow/#', { qos: 1 })
    await sub.endAsync()
    const pub = await open(local())

    // Publish at a steady pace and stop mosquitto in the middle of it.
    let seq = 0
    const publishSome = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        await pub.publishAsync('flow/seq', String(seq++), { qos: 1 })
        await delay(2)
      }
    }
    const flowing = publishSome(60)
    await delay(40)
    await remote.stop()
    await flowing
    await b.waitForState('mosq', 'waiting')
    // While it is away: the queue takes up to its bound, the rest is refused and counted.
    const queuedBefore = b.status('mosq').queued
    const refusedBefore = tb.broker.stats().droppedByReason['bridge-queue-full']
    const more = 60
    await publishSome(more)
    const refused = tb.broker.stats().droppedByReason['bridge-queue-full']
    expect(refused - refusedBefore).toBe(Math.max(0, queuedBefore + more - bound))
    expect(refused).toBeGreaterThan(0)
    expect(b.status('mosq').counters.dropped['bridge-queue-full']).toBe(refused)
    expect(b.status('mosq').queued).toBe(bound)

    await remote.start()
    await b.waitForState('mosq', 'connected', 10_000)
    expect(b.status('mosq').counters.reconnects).toBeGreaterThan(0)
    // Collecting from before the CONNACK: what mosquitto kept for the session follows it at once.
    const back = mqtt.connect(remote.url, { reconnectPeriod: 0, protocolVersion: 5, ...subOptions })
    back.on('error', () => {})
    clients.push(back)
    const got = collect(back)
    // Once full, the queue refuses every newer message until the remote is back: the refused are the last ones.
    const total = seq
    const expected = Array.from({ length: total - refused }, (_, i) => i)
    await waitFor(() => new Set(got.map((m) => Number(m.payload))).size >= expected.length, 'every message the queue took', 10_000).catch(
      (error: Error) => {
        const have = new Set(got.map((m) => Number(m.payload)))
        throw new Error(`${error.message}: missing ${expected.filter((n) => !have.has(n)).join(',')}`)
      }
    )
    await delay(200)
    const distinct = [...new Set(got.map((m) => Number(m.payload)))]
    // At least once (a message in flight when mosquitto stopped may come twice), in order, and none of the refused.
    expect(distinct.sort((x, y) => x - y)).toEqual(expected)
    const firsts = got.map((m) => Number(m.payload)).filter((n, i, all) => all.indexOf(n) === i)
    expect(firsts).toEqual(expected)
  })

  it('says why it is not connected, in words, and publishes $SYS/broker/connection/<name>/state 1 and 0', async () => {
    tb = await startTestBroker()
    const remote = await startMosquitto()
    const watcher = await open(local())
    const states = collect(watcher)
    await watcher.subscribeAsync('$SYS/broker/connection/+/state', { qos: 1 })
    const b = await bridge(remote, ['x/# out 0'])
    await waitFor(() => states.some((s) => s.payload === '1'), 'state 1')
    await remote.stop()
    const waiting = await b.waitForState('mosq', 'waiting')
    expect(waiting.lastError).toMatch(/connection refused|the remote closed the connection|connection reset/)
    await waitFor(() => states.at(-1)?.payload === '0', 'state 0')
    expect(states.map((s) => `${s.topic}=${s.payload}`)).toContain('$SYS/broker/connection/mosq/state=1')
    expect(tb.broker.getRetained('$SYS/broker/connection/mosq/state')?.payload.toString()).toBe('0')
    // It keeps trying: the next attempt finds nothing listening.
    await waitFor(() => b.status('mosq').lastError === 'connection refused', 'connection refused', 5000)
  })

  it('a remote nobody listens on: "connection refused", and it keeps trying with growing waits', async () => {
    tb = await startTestBroker()
    const port = await freePort()
    const b = startBridges(tb.broker, [bridgeConfig({ name: 'nowhere', url: `mqtt://127.0.0.1:${port}`, topics: ['a/# out 1'] })])
    bridges.push(b)
    const waiting = await b.waitForState('nowhere', 'waiting')
    expect(waiting.lastError).toBe('connection refused')
    expect(waiting.nextAttemptAt).toBeGreaterThan(Date.now() - 1000)
    await waitFor(() => b.status('nowhere').counters.reconnects >= 2, 'two more attempts', 5000)
    // The local session exists and queues, though the remote was never reachable.
    const pub = await open(local())
    await pub.publishAsync('a/1', 'kept', { qos: 1 })
    expect(tb.broker.listClients().find((c) => c.clientId === localClientIdOf('nowhere'))?.queued).toBe(1)
  })
})
