import { connect as netConnect } from 'node:net'
import mqttPacket, { type IConnackPacket, type IPubackPacket, type IPubrecPacket, type ISubackPacket, type Packet } from 'mqtt-packet'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { parseCliArgs, usage } from '../../src/main/config/cli-args'
import { checkTopicLimits, topicLevels } from '../../src/main/broker/limits'
import { LIMIT_NAMES } from '../../src/shared/broker-types'
import { DEFAULT_SETTINGS, validateSetting, type BrokerSettings } from '../../src/shared/settings'
import { collectMessages, connectClient, delay, nextPacket, startTestBroker, waitFor, type TestBroker } from '../helpers/broker-harness'

/**
 * The configurable limits (README "Limits"): each is a setting (CLI flag, config key, settings
 * form), each refuses what it should with the right reason code, and each hit is counted in
 * BrokerStats.limitsHit. Slow consumers (maxQueuedMessages/maxQueuedBytes under load, drainTimeout)
 * are in slow-consumer.test.ts.
 */

let tb: TestBroker | null = null
const clients: MqttClient[] = []

afterEach(async () => {
  for (const client of clients.splice(0)) await client.endAsync(true).catch(() => {})
  await tb?.close()
  tb = null
})

async function start(settings: Partial<BrokerSettings>): Promise<TestBroker> {
  tb = await startTestBroker(settings)
  return tb
}

async function open(options: IClientOptions = {}): Promise<MqttClient> {
  const client = await connectClient(tb!, 'tcp', options)
  client.on('error', () => {})
  clients.push(client)
  return client
}

/** Send a packet as-is, bypassing MQTT.js's own checks; ids above what MQTT.js uses. */
function sendRaw(client: MqttClient, packet: Packet, protocolVersion: 4 | 5): void {
  client.stream.write(mqttPacket.generate(packet, { protocolVersion }))
}

const limitsHit = (): Record<string, number> => tb!.broker.stats().limitsHit

let rawId = 61000
/** SUBSCRIBE (QoS 1 each) on the client's socket; resolves with the SUBACK's codes. */
async function subscribeRaw(client: MqttClient, version: 4 | 5, filters: string[]): Promise<number[]> {
  const suback = nextPacket<ISubackPacket>(client, 'suback')
  sendRaw(client, { cmd: 'subscribe', messageId: rawId++, subscriptions: filters.map((topic) => ({ topic, qos: 1 as const })) }, version)
  return (await suback).granted as number[]
}

describe('limit settings', () => {
  it('have defaults, ranges, CLI flags and help under "Limits"', () => {
    expect(DEFAULT_SETTINGS).toMatchObject({
      maxQueuedBytes: 0,
      connectTimeout: 10,
      maxTopicLevels: 128,
      maxTopicLength: 65535,
      maxSubscriptionsPerClient: 0,
      drainTimeout: 60
    })
    expect(validateSetting('connectTimeout', 0).ok).toBe(false)
    expect(validateSetting('maxTopicLength', 65536).ok).toBe(false)
    expect(validateSetting('drainTimeout', 0).ok).toBe(true)
    const parsed = parseCliArgs([
      '--max-queued-bytes',
      '1048576',
      '--connect-timeout',
      '5',
      '--max-topic-levels',
      '16',
      '--max-topic-length',
      '1024',
      '--max-subscriptions-per-client',
      '50',
      '--drain-timeout',
      '30'
    ])
    expect(parsed.errors).toEqual([])
    expect(parsed.settings).toEqual({
      maxQueuedBytes: 1048576,
      connectTimeout: 5,
      maxTopicLevels: 16,
      maxTopicLength: 1024,
      maxSubscriptionsPerClient: 50,
      drainTimeout: 30
    })
    const help = usage()
    const limits = help.slice(help.indexOf('Limits:'), help.indexOf('Other:'))
    for (const flag of [
      '--max-queued-bytes',
      '--connect-timeout',
      '--max-topic-levels',
      '--max-topic-length',
      '--max-subscriptions-per-client',
      '--drain-timeout'
    ]) {
      expect(limits).toContain(flag)
    }
  })

  it('count topic levels and bytes', () => {
    expect(topicLevels('a')).toBe(1)
    expect(topicLevels('a/b/c')).toBe(3)
    expect(topicLevels('/')).toBe(2)
    expect(topicLevels('a//b/')).toBe(4)
    const limits = { maxTopicLevels: 3, maxTopicLength: 8 }
    expect(checkTopicLimits('a/b/c', limits)).toBeNull()
    expect(checkTopicLimits('a/b/c/d', limits)).toBe('maxTopicLevels')
    expect(checkTopicLimits('abcdefgh', limits)).toBeNull()
    expect(checkTopicLimits('abcdefghi', limits)).toBe('maxTopicLength')
    // Bytes, not characters: 3 × 'é' is 6 bytes, 'é€' is 5, '€€€' is 9.
    expect(checkTopicLimits('ééé', limits)).toBeNull()
    expect(checkTopicLimits('€€€', limits)).toBe('maxTopicLength')
    expect(checkTopicLimits('a/b/c/d/e', { maxTopicLevels: 0, maxTopicLength: 100 })).toBeNull()
  })

  it('are all counted in BrokerStats.limitsHit, starting at zero', async () => {
    await start({})
    expect(Object.keys(limitsHit()).sort()).toEqual([...LIMIT_NAMES].sort())
    expect(Object.values(limitsHit()).every((n) => n === 0)).toBe(true)
  })
})

describe('maxTopicLevels and maxTopicLength on PUBLISH', () => {
  it('v5: QoS 1/2 over the limit get PUBACK/PUBREC 0x90 and are not delivered; QoS 0 is dropped; the connection stays', async () => {
    await start({ maxTopicLevels: 3, maxTopicLength: 32 })
    const subscriber = await open({ protocolVersion: 5 })
    await subscriber.subscribeAsync('#', { qos: 2 })
    const received = collectMessages(subscriber)
    const publisher = await open({ protocolVersion: 5 })

    const puback = nextPacket<IPubackPacket>(publisher, 'puback')
    sendRaw(
      publisher,
      { cmd: 'publish', topic: 'a/b/c/d', payload: Buffer.from('x'), qos: 1, retain: false, dup: false, messageId: 60001 },
      5
    )
    expect((await puback).reasonCode).toBe(0x90)

    const pubrec = nextPacket<IPubrecPacket>(publisher, 'pubrec')
    sendRaw(
      publisher,
      { cmd: 'publish', topic: 'x'.repeat(33), payload: Buffer.from('x'), qos: 2, retain: true, dup: false, messageId: 60002 },
      5
    )
    expect((await pubrec).reasonCode).toBe(0x90)

    sendRaw(publisher, { cmd: 'publish', topic: 'a/b/c/d/e', payload: Buffer.from('x'), qos: 0, retain: false, dup: false }, 5)
    // Within the limits: delivered, and proves the connection is still open.
    await publisher.publishAsync('a/b/c', 'ok', { qos: 1 })
    await waitFor(() => received.length === 1, 'the message within the limits')
    await delay(50)
    expect(received.map((m) => m.topic)).toEqual(['a/b/c'])
    expect(publisher.connected).toBe(true)
    expect(tb!.broker.listRetained()).toEqual([])
    expect(limitsHit().maxTopicLevels).toBe(2)
    expect(limitsHit().maxTopicLength).toBe(1)
  })

  it('3.1.1: QoS 1 over the limit is acknowledged (it cannot be told otherwise) and not delivered', async () => {
    await start({ maxTopicLevels: 2 })
    const subscriber = await open()
    await subscriber.subscribeAsync('#', { qos: 1 })
    const received = collectMessages(subscriber)
    const publisher = await open()
    await publisher.publishAsync('a/b/c', 'too deep', { qos: 1 })
    await publisher.publishAsync('a/b', 'fine', { qos: 1 })
    await waitFor(() => received.length === 1, 'the message within the limit')
    expect(received[0].topic).toBe('a/b')
    expect(limitsHit().maxTopicLevels).toBe(1)
  })

  it('a will topic over the limit is refused at CONNECT with 0x90', async () => {
    await start({ maxTopicLevels: 2 })
    const socket = netConnect({ host: '127.0.0.1', port: tb!.tcpPort })
    socket.on('error', () => {})
    await new Promise((resolve) => socket.once('connect', resolve))
    const parser = mqttPacket.parser({ protocolVersion: 5 })
    const connack = new Promise<IConnackPacket>((resolve) => parser.on('packet', (p: Packet) => p.cmd === 'connack' && resolve(p)))
    socket.on('data', (chunk) => parser.parse(chunk))
    socket.write(
      mqttPacket.generate(
        {
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 5,
          clientId: 'w',
          clean: true,
          keepalive: 0,
          will: { topic: 'a/b/c', payload: Buffer.from('x'), qos: 0, retain: false }
        },
        { protocolVersion: 5 }
      )
    )
    expect((await connack).reasonCode).toBe(0x90)
    socket.destroy()
    expect(limitsHit().maxTopicLevels).toBe(1)
  })
})

describe('maxTopicLevels and maxTopicLength on SUBSCRIBE', () => {
  it('v5: a filter over the limit gets 0x8F; the others in the packet are granted', async () => {
    await start({ maxTopicLevels: 3, maxTopicLength: 20 })
    const client = await open({ protocolVersion: 5 })
    const suback = nextPacket<ISubackPacket>(client, 'suback')
    sendRaw(
      client,
      {
        cmd: 'subscribe',
        messageId: 60010,
        subscriptions: [
          { topic: 'a/b/#', qos: 1, nl: false, rap: false, rh: 0 },
          { topic: 'a/b/c/#', qos: 1, nl: false, rap: false, rh: 0 },
          // Levels are counted without the share prefix: 3 levels, 15 bytes in all.
          { topic: '$share/g/a/+/c', qos: 0, nl: false, rap: false, rh: 0 },
          { topic: 'x'.repeat(21), qos: 0, nl: false, rap: false, rh: 0 }
        ]
      },
      5
    )
    expect((await suback).granted).toEqual([1, 0x8f, 0, 0x8f])
    expect(
      tb!.broker
        .listSubscriptions()
        .map((s) => s.filter)
        .sort()
    ).toEqual(['$share/g/a/+/c', 'a/b/#'])
    expect(limitsHit().maxTopicLevels).toBe(1)
    expect(limitsHit().maxTopicLength).toBe(1)
  })

  it('3.1.1: a filter over the limit gets 0x80', async () => {
    await start({ maxTopicLevels: 2 })
    const client = await open()
    expect(await subscribeRaw(client, 4, ['a/b', 'a/b/c'])).toEqual([1, 0x80])
  })
})

describe('maxSubscriptionsPerClient', () => {
  it('v5: subscriptions beyond the limit get 0x97; replacing an existing one is allowed', async () => {
    await start({ maxSubscriptionsPerClient: 2 })
    const client = await open({ protocolVersion: 5 })
    expect(await subscribeRaw(client, 5, ['a', 'b', 'c'])).toEqual([1, 1, 0x97])
    // Re-subscribing to 'a' replaces it (no new subscription); 'd' would be a third.
    expect(await subscribeRaw(client, 5, ['a', 'd'])).toEqual([1, 0x97])
    await client.unsubscribeAsync('b')
    expect(await subscribeRaw(client, 5, ['d'])).toEqual([1])
    expect(limitsHit().maxSubscriptionsPerClient).toBe(2)
    // Per client: another client has its own allowance.
    const other = await open({ protocolVersion: 5 })
    expect(await subscribeRaw(other, 5, ['a', 'b'])).toEqual([1, 1])
  })

  it('3.1.1: beyond the limit gets 0x80', async () => {
    await start({ maxSubscriptionsPerClient: 1 })
    const client = await open()
    expect(await subscribeRaw(client, 4, ['a', 'b'])).toEqual([1, 0x80])
  })
})

describe('connectTimeout', () => {
  it('closes a socket that sends no CONNECT within the setting (seconds), and counts it', async () => {
    await start({ connectTimeout: 1 })
    const socket = netConnect({ host: '127.0.0.1', port: tb!.tcpPort })
    socket.on('error', () => {})
    const opened = Date.now()
    const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - opened)))
    const elapsed = await closed
    expect(elapsed).toBeGreaterThanOrEqual(1000)
    expect(elapsed).toBeLessThan(2500)
    expect(limitsHit().connectTimeout).toBe(1)
  })

  it('applies a changed setting to new sockets while running', async () => {
    await start({ connectTimeout: 30 })
    await tb!.broker.updateSettings({ connectTimeout: 1 })
    const socket = netConnect({ host: '127.0.0.1', port: tb!.tcpPort })
    socket.on('error', () => {})
    await new Promise((resolve) => socket.once('close', resolve))
    expect(limitsHit().connectTimeout).toBe(1)
  })
})

describe('maxQueuedBytes', () => {
  it('bounds the payload bytes queued for an offline session; the rest is dropped as queue-full', async () => {
    await start({ maxQueuedBytes: 1000, maxQueuedMessages: 100 })
    const sleeper = await open({ clientId: 'sleeper', clean: false })
    await sleeper.subscribeAsync('q/#', { qos: 1 })
    await sleeper.endAsync()
    const publisher = await open()
    for (let i = 0; i < 5; i++) await publisher.publishAsync('q/x', Buffer.alloc(300, i), { qos: 1 })
    const stats = tb!.broker.stats()
    expect(stats.storedBytes).toBe(900)
    expect(stats.droppedByReason['queue-full']).toBe(2)
    expect(stats.limitsHit.maxQueuedBytes).toBe(2)
    // On reconnection the three that fit arrive, and the queue's byte count goes back to zero.
    const back = mqtt.connect(tb!.url('tcp'), { clientId: 'sleeper', clean: false, reconnectPeriod: 0, protocolVersion: 4 })
    clients.push(back)
    const received = collectMessages(back)
    await waitFor(() => received.length === 3, 'the queued messages')
    await waitFor(() => tb!.broker.stats().storedBytes === 0, 'the queue to empty')
  })
})

describe('existing limits are counted too', () => {
  it('maxConnections', async () => {
    await start({ maxConnections: 1 })
    await open()
    await expect(open()).rejects.toThrow()
    expect(limitsHit().maxConnections).toBe(1)
  })

  it('maximumPacketSize', async () => {
    await start({ maximumPacketSize: 100 })
    const client = await open()
    const closed = new Promise((resolve) => client.once('close', () => resolve(undefined)))
    client.publish('big', Buffer.alloc(200))
    await closed
    expect(limitsHit().maximumPacketSize).toBe(1)
  })

  it('maxQueuedMessages and maxInflightMessages', async () => {
    await start({ maxQueuedMessages: 2, maxInflightMessages: 1 })
    // A subscriber that never acknowledges: MQTT.js acknowledges in handleMessage, which never calls back.
    const stuck = await open({ clientId: 'stuck', customHandleAcks: () => {} } as IClientOptions)
    stuck.handleMessage = () => {}
    await stuck.subscribeAsync('s/#', { qos: 1 })
    const publisher = await open()
    for (let i = 0; i < 5; i++) await publisher.publishAsync('s/x', `${i}`, { qos: 1 })
    const stats = tb!.broker.stats()
    // 1 in flight, 2 queued, 2 dropped.
    expect(stats.inflight).toBe(1)
    expect(stats.droppedByReason['queue-full']).toBe(2)
    expect(stats.limitsHit.maxQueuedMessages).toBe(2)
    expect(stats.limitsHit.maxInflightMessages).toBe(4)
  })
})
