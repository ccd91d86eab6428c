/**
 * The client panel (issue 15): clientDetails shows one client in full — its connection and what its
 * CONNECT and CONNACK announced, its will, subscriptions, and the messages it holds in flight and
 * queued — and the CONNECT row in the traffic log carries the will too.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Inspector } from '../../src/main/inspector/inspector'
import { MemorySavedMessageStore } from '../../src/main/inspector/saved-messages'
import { startTestBroker, waitFor, type TestBroker } from '../helpers/broker-harness'
import { RawClient } from '../helpers/raw-mqtt-client'

let target: TestBroker
let inspector: Inspector

beforeEach(async () => {
  target = await startTestBroker({ maxInflightMessages: 2, maximumQos: 1 })
  inspector = new Inspector(target.broker, { savedMessages: new MemorySavedMessageStore() })
})

afterEach(async () => {
  RawClient.destroyAll()
  inspector.dispose()
  await target.close()
})

const text = (base64: string): string => Buffer.from(base64, 'base64').toString()

describe('clientDetails', () => {
  it('connection, announced limits, will, subscriptions, in-flight and queued messages', async () => {
    // A v5 client that never acknowledges: 2 messages stay in flight (maxInflightMessages), the rest queue.
    const { raw } = await RawClient.connect(target.tcpPort, 5, {
      clientId: 'panel-device',
      keepalive: 30,
      clean: true,
      username: 'alice',
      properties: { receiveMaximum: 10, maximumPacketSize: 50_000, topicAliasMaximum: 4, sessionExpiryInterval: 120 },
      will: {
        topic: 'devices/panel/status',
        payload: Buffer.from('offline'),
        qos: 1,
        retain: true,
        properties: { willDelayInterval: 5, contentType: 'text/plain' }
      }
    })
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'cmd/#', qos: 1 }] })
    await raw.take('suback')
    for (let i = 0; i < 5; i++) {
      await inspector.handleCommand('publish', [{ topic: `cmd/${i}`, payload: `command ${i}`, qos: 1, retain: false }])
    }
    await waitFor(() => target.broker.listClients()[0]?.queued === 3, 'three queued behind the window')

    const details = await inspector.handleCommand('clientDetails', ['panel-device'])
    expect(details).not.toBeNull()
    const d = details!
    expect(d.client).toMatchObject({ clientId: 'panel-device', connected: true, username: 'alice', keepAlive: 30, protocolVersion: 5 })
    expect(d.client.listener).toBe('tcp')
    expect(d.client.sessionExpiryInterval).toBe(120)
    expect(d.announced).toEqual({ receiveMaximum: 10, maximumPacketSize: 50_000, topicAliasMaximum: 4 })
    expect(d.limits).toMatchObject({ maximumQos: 1, retainAvailable: true })
    expect(d.will).toMatchObject({ topic: 'devices/panel/status', qos: 1, retain: true, size: 7, delaySeconds: 5 })
    expect(text(d.will!.preview)).toBe('offline')
    expect(d.will!.properties).toMatchObject({ contentType: 'text/plain' })
    expect(d.subscriptions.map((s) => [s.filter, s.qos])).toEqual([['cmd/#', 1]])
    expect(d.inflight.map((m) => [m.topic, m.state, text(m.preview)])).toEqual([
      ['cmd/0', 'awaiting-puback', 'command 0'],
      ['cmd/1', 'awaiting-puback', 'command 1']
    ])
    expect(d.inflight.every((m) => typeof m.packetId === 'number')).toBe(true)
    expect(d.queued.map((m) => [m.topic, m.state, m.packetId])).toEqual([
      ['cmd/2', 'queued', null],
      ['cmd/3', 'queued', null],
      ['cmd/4', 'queued', null]
    ])
    expect([d.inflightNotListed, d.queuedNotListed]).toEqual([0, 0])
    expect(JSON.parse(JSON.stringify(d))).toEqual(d)

    // The CONNECT row shows the will too.
    const connect = inspector.snapshot().traffic.find((r) => r.type === 'connect' && r.clientId === 'panel-device')
    const will = connect?.properties?.will as { topic: string; qos: number; retain: boolean; payloadSize: number; payload: string }
    expect(will).toMatchObject({ topic: 'devices/panel/status', qos: 1, retain: true, payloadSize: 7 })
    expect(text(will.payload)).toBe('offline')
  })

  it('an offline session has no connection limits; an unknown id is null', async () => {
    const { raw } = await RawClient.connect(target.tcpPort, 5, {
      clientId: 'gone',
      clean: false,
      properties: { sessionExpiryInterval: 300 }
    })
    raw.send({ cmd: 'disconnect' })
    await waitFor(() => target.broker.listClients().some((c) => c.clientId === 'gone' && !c.connected), 'offline')
    const details = await inspector.handleCommand('clientDetails', ['gone'])
    expect(details).toMatchObject({ announced: null, limits: null, will: null })
    expect(details?.client.connected).toBe(false)
    expect(await inspector.handleCommand('clientDetails', ['nobody'])).toBeNull()
  })
})
