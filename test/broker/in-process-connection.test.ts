import mqtt from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { IN_PROCESS_CLIENT_ID_PREFIX } from '../../src/main/broker/connection/in-process-transport'
import type { SessionQueueLimits } from '../../src/main/broker/session/session'
import { LocalLink, type LinkMessage } from '../../src/main/bridges/local-link'
import { collectMessages, connectClient, startTestBroker, waitFor, type TestBroker } from '../helpers/broker-harness'
import { startAuthBroker, tempDir, writeAuthFile, type AuthBroker } from './auth/auth-helpers'

/**
 * The broker's in-process connections (BrokerControl.connectInProcess), which a bridge's local side
 * uses: an ordinary session with no socket and no password, a client id no network client may
 * take, and a queue bound of its own whose refusals are counted under their own drop reason.
 */

const NEVER = 0xffffffff

function openLink(
  broker: TestBroker['broker'],
  name: string,
  queueLimits?: SessionQueueLimits,
  username: string | null = null
): { link: LocalLink; received: LinkMessage[]; ack: boolean; closes: string[] } {
  const state = { received: [] as LinkMessage[], ack: true, closes: [] as string[] }
  const link = new LocalLink(
    broker,
    { clientId: `${IN_PROCESS_CLIENT_ID_PREFIX}${name}`, username, label: `test ${name}`, queueLimits, backlogBytes: () => 0 },
    {
      message: (message, ack) => {
        state.received.push(message)
        if (state.ack) ack()
      },
      closed: (reason) => state.closes.push(reason)
    }
  )
  return Object.assign(state, { link })
}

describe('in-process connections', () => {
  let tb: TestBroker | null = null
  let auth: AuthBroker | null = null
  let dir: ReturnType<typeof tempDir> | null = null

  afterEach(async () => {
    await tb?.close()
    await auth?.close()
    dir?.cleanup()
    tb = auth = dir = null
  })

  it('is an ordinary session: publishes reach TCP subscribers, subscriptions receive, listed as in-process', async () => {
    tb = await startTestBroker()
    const { link, received } = openLink(tb.broker, 'plain')
    expect(await link.connect({ cleanStart: true, sessionExpiry: 0, receiveMaximum: 10 })).toEqual({ sessionPresent: false })
    expect(await link.subscribe([{ topic: 'to-link/#', qos: 1, noLocal: true, retainAsPublished: true, retainHandling: 0 }])).toEqual([1])

    const client = await connectClient(tb, 'tcp', { protocolVersion: 5 })
    const seen = collectMessages(client)
    await client.subscribeAsync('from-link/#', { qos: 1 })
    expect(await link.publish({ topic: 'from-link/a', payload: Buffer.from('hello'), qos: 1, retain: false, properties: undefined })).toBe(
      0
    )
    await waitFor(() => seen.length === 1, 'the TCP subscriber to get the message')
    expect(seen[0].payload.toString()).toBe('hello')

    await client.publishAsync('to-link/b', 'to you', { qos: 1, properties: { userProperties: { k: 'v' } } })
    await waitFor(() => received.length === 1, 'the link to get the message')
    expect(received[0]).toMatchObject({ topic: 'to-link/b', qos: 1, retain: false })
    expect(received[0].payload.toString()).toBe('to you')
    expect(received[0].properties?.userProperties).toEqual({ k: 'v' })

    const info = tb.broker.listClients().find((c) => c.clientId === `${IN_PROCESS_CLIENT_ID_PREFIX}plain`)
    expect(info).toMatchObject({ connected: true, listener: 'in-process', address: 'test plain', protocolVersion: 5 })
    await client.endAsync()
  })

  it('No Local keeps its own publishes from coming back to it', async () => {
    tb = await startTestBroker()
    const { link, received } = openLink(tb.broker, 'nolocal')
    await link.connect({ cleanStart: true, sessionExpiry: 0, receiveMaximum: 10 })
    await link.subscribe([{ topic: 'loop/#', qos: 1, noLocal: true, retainAsPublished: true, retainHandling: 0 }])
    await link.publish({ topic: 'loop/x', payload: Buffer.from('mine'), qos: 1, retain: false, properties: undefined })
    const client = await connectClient(tb, 'tcp')
    await client.publishAsync('loop/y', 'theirs', { qos: 1 })
    await waitFor(() => received.length === 1, 'the other client’s message')
    expect(received.map((m) => m.topic)).toEqual(['loop/y'])
    await client.endAsync()
  })

  it('needs no password, even when anonymous clients are refused; the ACL applies to its user name', async () => {
    dir = tempDir()
    const file = dir.path('auth.json5')
    writeAuthFile(file, { alice: 'secret' }, [
      { user: 'bridge-user', topic: 'allowed/#', access: 'readwrite' },
      { user: 'alice', topic: '#', access: 'readwrite' }
    ])
    auth = await startAuthBroker({ authFile: file, allowAnonymous: false })
    const { link } = openLink(auth.broker, 'acl', undefined, 'bridge-user')
    await link.connect({ cleanStart: true, sessionExpiry: 0, receiveMaximum: 10 })
    expect(
      await link.publish({ topic: 'allowed/a', payload: Buffer.from('1'), qos: 1, retain: false, properties: undefined })
    ).toBeLessThan(0x80)
    // 0x87 not authorized (the v5 link is told; the message is dropped and counted).
    expect(await link.publish({ topic: 'other/a', payload: Buffer.from('1'), qos: 1, retain: false, properties: undefined })).toBe(0x87)
    expect(auth.broker.stats().droppedByReason['not-authorized']).toBe(1)
    expect(await link.subscribe([{ topic: 'other/#', qos: 1, noLocal: true, retainAsPublished: false, retainHandling: 0 }])).toEqual([0x87])
  })

  it('a network client may not use an in-process client id', async () => {
    tb = await startTestBroker()
    const refused = mqtt.connectAsync(`mqtt://127.0.0.1:${tb.tcpPort}`, {
      clientId: `${IN_PROCESS_CLIENT_ID_PREFIX}stolen`,
      protocolVersion: 5,
      reconnectPeriod: 0
    })
    await expect(refused).rejects.toMatchObject({ code: 0x85 })
    expect(tb.broker.listClients()).toEqual([])
  })

  it('an in-process client must use an in-process client id', async () => {
    tb = await startTestBroker()
    const link = new LocalLink(
      tb.broker,
      { clientId: 'ordinary-id', username: null, label: 'wrong id', queueLimits: undefined, backlogBytes: () => 0 },
      { message: () => {}, closed: () => {} }
    )
    await expect(link.connect({ cleanStart: true, sessionExpiry: 0, receiveMaximum: 10 })).rejects.toThrow(/the broker's own/)
  })

  describe('its own queue bound', () => {
    const limits = (maxMessages: number, maxBytes = 0): SessionQueueLimits => ({
      maxMessages,
      maxBytes,
      dropReason: 'bridge-queue-full',
      holdQos0: true
    })

    it('holds at most maxMessages while away; the rest is dropped as bridge-queue-full, not counted as a setting hit', async () => {
      tb = await startTestBroker({ maxQueuedMessages: 1000 })
      const state = openLink(tb.broker, 'bounded', limits(3))
      await state.link.connect({ cleanStart: false, sessionExpiry: NEVER, receiveMaximum: 10 })
      await state.link.subscribe([{ topic: 'q/#', qos: 1, noLocal: true, retainAsPublished: true, retainHandling: 0 }])
      state.link.disconnect()

      const client = await connectClient(tb, 'tcp')
      for (let i = 1; i <= 5; i++) await client.publishAsync('q/t', `m${i}`, { qos: 1 })
      const stats = tb.broker.stats()
      expect(stats.droppedByReason['bridge-queue-full']).toBe(2)
      expect(stats.droppedByReason['queue-full']).toBe(0)
      expect(stats.limitsHit.maxQueuedMessages).toBe(0)

      await state.link.connect({ cleanStart: false, sessionExpiry: NEVER, receiveMaximum: 10 })
      await waitFor(() => state.received.length === 3, 'the queued messages')
      expect(state.received.map((m) => m.payload.toString())).toEqual(['m1', 'm2', 'm3'])
      await client.endAsync()
    })

    it('holds at most maxBytes of payload', async () => {
      tb = await startTestBroker()
      const state = openLink(tb.broker, 'bytes', limits(100, 10))
      await state.link.connect({ cleanStart: false, sessionExpiry: NEVER, receiveMaximum: 10 })
      await state.link.subscribe([{ topic: 'b/#', qos: 1, noLocal: true, retainAsPublished: true, retainHandling: 0 }])
      state.link.disconnect()
      const client = await connectClient(tb, 'tcp')
      for (const payload of ['1234', '5678', '90']) await client.publishAsync('b/t', payload, { qos: 1 })
      // 4 + 4 = 8 bytes fit; 8 + 2 = 10 fits; one more byte would not.
      await client.publishAsync('b/t', 'x', { qos: 1 })
      expect(tb.broker.stats().droppedByReason['bridge-queue-full']).toBe(1)
      await client.endAsync()
    })

    it('holdQos0: QoS 0 waits (bounded) while the client is congested instead of being dropped, then goes in order', async () => {
      tb = await startTestBroker()
      let backlog = 10 * 1024 * 1024
      const received: LinkMessage[] = []
      const link = new LocalLink(
        tb.broker,
        {
          clientId: `${IN_PROCESS_CLIENT_ID_PREFIX}hold`,
          username: null,
          label: 'hold',
          queueLimits: { ...limits(3), holdQos0: true },
          backlogBytes: () => backlog
        },
        { message: (message) => received.push(message), closed: () => {} }
      )
      await link.connect({ cleanStart: true, sessionExpiry: 0, receiveMaximum: 10 })
      await link.subscribe([{ topic: 'h/#', qos: 0, noLocal: true, retainAsPublished: true, retainHandling: 0 }])
      const client = await connectClient(tb, 'tcp')
      for (let i = 1; i <= 5; i++) await client.publishAsync('h/t', `m${i}`, { qos: 0 })
      await waitFor(() => tb!.broker.stats().droppedByReason['bridge-queue-full'] === 2, 'the bound to refuse two')
      expect(tb.broker.stats().droppedByReason['slow-consumer']).toBe(0)
      expect(received).toEqual([])
      backlog = 0
      link.drained()
      await waitFor(() => received.length === 3, 'the three held')
      expect(received.map((m) => m.payload.toString())).toEqual(['m1', 'm2', 'm3'])
      await client.endAsync()
    })

    it('what was in flight and not acknowledged is resent first (DUP), then the queue, in order', async () => {
      tb = await startTestBroker()
      const state = openLink(tb.broker, 'order', limits(100))
      state.ack = false
      await state.link.connect({ cleanStart: false, sessionExpiry: NEVER, receiveMaximum: 2 })
      await state.link.subscribe([{ topic: 'o/#', qos: 1, noLocal: true, retainAsPublished: true, retainHandling: 0 }])
      const client = await connectClient(tb, 'tcp')
      for (let i = 1; i <= 5; i++) await client.publishAsync('o/t', `m${i}`, { qos: 1 })
      // Two in flight (its Receive Maximum), three queued.
      await waitFor(() => state.received.length === 2, 'two in flight')
      state.link.disconnect()
      state.received.length = 0
      state.ack = true
      await state.link.connect({ cleanStart: false, sessionExpiry: NEVER, receiveMaximum: 2 })
      await waitFor(() => state.received.length === 5, 'all five')
      expect(state.received.map((m) => `${m.payload}${m.dup ? '+dup' : ''}`)).toEqual(['m1+dup', 'm2+dup', 'm3', 'm4', 'm5'])
      await client.endAsync()
    })
  })
})
