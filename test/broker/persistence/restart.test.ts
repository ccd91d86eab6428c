import type { Packet } from 'mqtt-packet'
import { afterEach, describe, expect, it } from 'vitest'
import { collectMessages, delay, waitFor } from '../../helpers/broker-harness'
import { startDurable, tempDataDir, type DurableBroker } from '../../helpers/durable-broker'
import { RawClient } from '../../helpers/raw-mqtt-client'

/**
 * What survives a clean restart (issue 10, step 2): retained messages with their properties and
 * expiry, and every session that outlives its connection, with its subscriptions, queue, in-flight
 * window, incoming QoS 2 ids, pending will, expiry deadline and owner.
 */
describe('a restart keeps what the store holds', () => {
  let data: ReturnType<typeof tempDataDir>
  let running: DurableBroker | null = null
  const clients: Array<{ endAsync(force?: boolean): Promise<void> }> = []

  afterEach(async () => {
    for (const client of clients.splice(0)) await client.endAsync(true).catch(() => {})
    await running?.stop()
    running = null
    data?.cleanup()
  })

  async function start(settings = {}, port?: number): Promise<DurableBroker> {
    running = await startDurable(data.dir, settings, port)
    return running
  }
  async function restart(settings = {}): Promise<DurableBroker> {
    const port = running!.port
    await running!.stop()
    running = null
    return start(settings, port)
  }
  function track<T extends { endAsync(force?: boolean): Promise<void> }>(client: T): T {
    clients.push(client)
    return client
  }

  it('retained messages, with properties and their expiry deadline', async () => {
    data = tempDataDir()
    const tb = await start()
    const pub = track(await tb.connect({ protocolVersion: 5 }))
    await pub.publishAsync('config/a', 'A', {
      qos: 1,
      retain: true,
      properties: { contentType: 'text/plain', userProperties: { k: 'v' }, messageExpiryInterval: 3600 }
    })
    await pub.publishAsync('config/short', 'S', { qos: 1, retain: true, properties: { messageExpiryInterval: 1 } })
    await pub.publishAsync('config/gone', 'G', { qos: 1, retain: true })
    await pub.publishAsync('config/gone', '', { qos: 1, retain: true })
    await pub.endAsync()
    await delay(1100)
    const again = await restart()
    const sub = track(await again.connect({ protocolVersion: 5 }))
    const received = collectMessages(sub)
    await sub.subscribeAsync('config/#', { qos: 1 })
    await waitFor(() => received.length >= 1, 'the retained message')
    await delay(100)
    expect(received.map((m) => m.topic)).toEqual(['config/a'])
    const props = received[0].packet.properties
    expect(props?.contentType).toBe('text/plain')
    expect(props?.userProperties).toEqual({ k: 'v' })
    // The expiry deadline was kept, not restarted: less than the full hour is left.
    expect(props?.messageExpiryInterval).toBeLessThanOrEqual(3599)
    expect(received[0].packet.retain).toBe(true)
  })

  it('a persistent session: subscriptions with their options, and its queued QoS 1 and 2 messages (3.1.1 and 5)', async () => {
    data = tempDataDir()
    const tb = await start()
    const v4 = track(await tb.connect({ clientId: 'keeper-4', clean: false }))
    await v4.subscribeAsync({ 'q4/#': { qos: 2 } })
    await v4.endAsync()
    const v5 = track(
      await tb.connect({ clientId: 'keeper-5', protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 600 } })
    )
    await v5.subscribeAsync({ 'q5/#': { qos: 1, nl: true, rap: true } }, { properties: { subscriptionIdentifier: 42 } })
    await v5.subscribeAsync('$share/g/shared/#', { qos: 1 })
    await v5.endAsync()
    const pub = track(await tb.connect())
    await pub.publishAsync('q4/a', 'one', { qos: 1 })
    await pub.publishAsync('q4/b', 'two', { qos: 2 })
    await pub.publishAsync('q5/a', 'three', { qos: 1, retain: true })
    await pub.publishAsync('shared/x', 'four', { qos: 1 })
    await pub.endAsync()

    const again = await restart()
    expect(
      again.broker.listSubscriptions().map((s) => [s.clientId, s.filter, s.qos, s.noLocal, s.retainAsPublished, s.subscriptionIdentifier])
    ).toEqual(
      expect.arrayContaining([
        ['keeper-4', 'q4/#', 2, false, false, null],
        ['keeper-5', 'q5/#', 1, true, true, 42],
        ['keeper-5', '$share/g/shared/#', 1, false, false, null]
      ])
    )
    const { client: back4, received: got4 } = await again.connectCollecting({ clientId: 'keeper-4', clean: false })
    track(back4)
    const { client: back5, received: got5 } = await again.connectCollecting({
      clientId: 'keeper-5',
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: 600 }
    })
    track(back5)
    await waitFor(() => got4.length === 2 && got5.length === 2, 'the queued messages')
    expect(got4.map((m) => [m.topic, m.payload.toString(), m.packet.qos])).toEqual([
      ['q4/a', 'one', 1],
      ['q4/b', 'two', 2]
    ])
    expect(got5.map((m) => [m.topic, m.payload.toString()]).sort()).toEqual([
      ['q5/a', 'three'],
      ['shared/x', 'four']
    ])
    const q5 = got5.find((m) => m.topic === 'q5/a')!
    expect(q5.packet.retain).toBe(true) // Retain As Published, kept across the restart
    expect(q5.packet.properties?.subscriptionIdentifier).toEqual(42)
  })

  it('resends an unacknowledged in-flight message with DUP after the restart', async () => {
    data = tempDataDir()
    const tb = await start()
    const { raw } = await RawClient.connect(tb.port, 4, { clientId: 'slowack', clean: false })
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'inflight/#', qos: 1 }] } as Packet)
    await raw.take('suback')
    const pub = track(await tb.connect())
    await pub.publishAsync('inflight/1', 'unacked', { qos: 1 })
    const first = await raw.take('publish')
    expect(first.dup).toBe(false)
    raw.destroy() // never sends PUBACK

    const again = await restart()
    const { raw: back, connack } = await RawClient.connect(again.port, 4, { clientId: 'slowack', clean: false })
    expect(connack.sessionPresent).toBe(true)
    const resent = await back.take('publish')
    expect(resent.dup).toBe(true)
    expect(resent.messageId).toBe(first.messageId)
    expect(resent.payload.toString()).toBe('unacked')
    back.send({ cmd: 'puback', messageId: resent.messageId } as Packet)
    await delay(50)
    expect(again.broker.listClients().find((c) => c.clientId === 'slowack')?.inflight).toBe(0)
    back.destroy()
  })

  it('remembers an incoming QoS 2 packet id awaiting PUBREL: a resent PUBLISH after the restart is not delivered twice', async () => {
    data = tempDataDir()
    const tb = await start()
    const watcher = track(await tb.connect({ clientId: 'watcher', clean: false }))
    await watcher.subscribeAsync('once/#', { qos: 2 })
    await watcher.endAsync()
    const { raw } = await RawClient.connect(tb.port, 4, { clientId: 'q2pub', clean: false })
    raw.send({
      cmd: 'publish',
      topic: 'once/x',
      payload: Buffer.from('exactly once'),
      qos: 2,
      messageId: 7,
      dup: false,
      retain: false
    } as Packet)
    await raw.take('pubrec')
    raw.destroy() // restart before PUBREL

    const again = await restart()
    const { raw: back } = await RawClient.connect(again.port, 4, { clientId: 'q2pub', clean: false })
    back.send({
      cmd: 'publish',
      topic: 'once/x',
      payload: Buffer.from('exactly once'),
      qos: 2,
      messageId: 7,
      dup: true,
      retain: false
    } as Packet)
    await back.take('pubrec')
    back.send({ cmd: 'pubrel', messageId: 7 } as Packet)
    await back.take('pubcomp')
    back.destroy()

    const { client: w, received: got } = await again.connectCollecting({ clientId: 'watcher', clean: false })
    track(w)
    await waitFor(() => got.length >= 1, 'the message')
    await delay(200)
    expect(got.map((m) => m.payload.toString())).toEqual(['exactly once'])
  })

  it('a pending will survives the restart and goes out when its delay passes', async () => {
    data = tempDataDir()
    const tb = await start()
    const dying = track(
      await tb.connect({
        clientId: 'dying',
        protocolVersion: 5,
        properties: { sessionExpiryInterval: 60 },
        will: { topic: 'wills/dying', payload: Buffer.from('gone'), qos: 1, retain: true, properties: { willDelayInterval: 2 } }
      })
    )
    dying.stream.destroy()
    await waitFor(() => !tb.broker.listClients().find((c) => c.clientId === 'dying')?.connected, 'the client gone')
    const again = await restart()
    expect(again.broker.getRetained('wills/dying')).toBeNull()
    await waitFor(() => again.broker.getRetained('wills/dying') !== null, 'the will after its delay', 4000)
    expect(Buffer.from(again.broker.getRetained('wills/dying')!.payload).toString()).toBe('gone')
  })

  it('a session that expired while the broker was down is gone at start, its will sent', async () => {
    data = tempDataDir()
    const tb = await start()
    const shortLived = track(
      await tb.connect({
        clientId: 'short',
        protocolVersion: 5,
        properties: { sessionExpiryInterval: 1 },
        will: { topic: 'wills/short', payload: Buffer.from('expired'), qos: 1, retain: true, properties: { willDelayInterval: 30 } }
      })
    )
    await shortLived.subscribeAsync('short/#', { qos: 1 })
    shortLived.stream.destroy()
    await waitFor(() => !tb.broker.listClients().find((c) => c.clientId === 'short')?.connected, 'the client gone')
    await tb.stop()
    running = null
    await delay(1200)
    const again = await start()
    expect(again.broker.listClients().find((c) => c.clientId === 'short')).toBeUndefined()
    expect(Buffer.from(again.broker.getRetained('wills/short')!.payload).toString()).toBe('expired')
    expect(again.log.join('\n')).toContain('session short expired while the broker was down')
  })

  it('keeps the owner: another user cannot take the session after a restart', async () => {
    data = tempDataDir()
    const tb = await start()
    const anon = track(await tb.connect({ clientId: 'owned', clean: false }))
    await anon.subscribeAsync('owned/#', { qos: 1 })
    await anon.endAsync()
    const again = await restart()
    const session = again.broker.listClients().find((c) => c.clientId === 'owned')
    expect(session).toMatchObject({ connected: false, subscriptions: 1 })
    expect(again.broker['sessions'].get('owned')?.owner).toBeNull()
  })

  it('does not keep clean sessions, nor QoS 0 for offline sessions unless queueQos0Messages', async () => {
    data = tempDataDir()
    const tb = await start()
    const clean = track(await tb.connect({ clientId: 'clean-one', clean: true }))
    await clean.subscribeAsync('c/#', { qos: 1 })
    await clean.endAsync()
    const keep = track(await tb.connect({ clientId: 'keep-q0', clean: false }))
    await keep.subscribeAsync('z/#', { qos: 0 })
    await keep.endAsync()
    const pub = track(await tb.connect())
    await pub.publishAsync('z/dropped', 'x', { qos: 0 })
    await delay(50)
    expect(tb.broker.stats().droppedByReason['qos0-offline']).toBe(1)
    await tb.broker.updateSettings({ queueQos0Messages: true })
    await pub.publishAsync('z/kept', 'y', { qos: 0 })
    await pub.endAsync()
    await delay(50)
    const again = await restart({ queueQos0Messages: true })
    expect(again.broker.listClients().map((c) => c.clientId)).toEqual(['keep-q0'])
    const { client: back, received: got } = await again.connectCollecting({ clientId: 'keep-q0', clean: false })
    track(back)
    await waitFor(() => got.length === 1, 'the kept QoS 0 message')
    expect(got[0].topic).toBe('z/kept')
  })
})
