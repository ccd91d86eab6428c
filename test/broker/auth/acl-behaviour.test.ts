import type { MqttClient } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { collectMessages, delay, waitFor } from '../../helpers/broker-harness'
import { startAuthBroker, tempDir, writeAuthFile, type AuthBroker } from './auth-helpers'

/** The SUBACK codes for one SUBSCRIBE (MQTT.js rejects when any is a failure, so read the packet). */
async function subackCodes(client: MqttClient, topics: string[] | Record<string, { qos: 0 | 1 | 2 }>): Promise<number[]> {
  let granted: number[] | null = null
  const onPacket = (packet: { cmd: string; granted?: number[] }): void => {
    if (packet.cmd === 'suback') granted = packet.granted ?? []
  }
  client.on('packetreceive', onPacket as never)
  await client.subscribeAsync(topics as never).catch(() => {})
  client.off('packetreceive', onPacket as never)
  if (granted === null) throw new Error('no SUBACK')
  return granted
}

/** The PUBACK/PUBREC reason code of a v5 publish (MQTT.js rejects on a failure code). */
async function publishCode(client: MqttClient, topic: string, qos: 1 | 2): Promise<number> {
  try {
    const packet = await client.publishAsync(topic, 'x', { qos })
    return (packet as { reasonCode?: number } | undefined)?.reasonCode ?? 0
  } catch (err) {
    return (err as { code?: number }).code ?? -1
  }
}

const RULES = [
  { topic: 'public/#', access: 'read' },
  { topic: 'public/secret', access: 'deny' },
  { user: 'alice', topic: '#', access: 'readwrite' },
  { user: 'alice', topic: 'hr/#', access: 'deny' },
  { user: 'bob', topic: 'bob/#', access: 'readwrite' },
  { user: 'bob', topic: 'feed/#', access: 'write' },
  { topic: 'users/%u/#', access: 'readwrite' },
  { topic: 'clients/%c/#', access: 'readwrite' },
  { anonymous: true, topic: 'guest/#', access: 'readwrite' }
]

describe('ACL', () => {
  let tb: AuthBroker | null = null
  let tmp: ReturnType<typeof tempDir> | null = null
  const clients: MqttClient[] = []
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync().catch(() => {})))
    await tb?.close()
    tb = null
    tmp?.cleanup()
    tmp = null
  })

  async function start(): Promise<AuthBroker> {
    tmp = tempDir()
    const authFile = tmp.path('auth.json5')
    writeAuthFile(authFile, { alice: 'a', bob: 'b', hr: 'h' }, RULES)
    tb = await startAuthBroker({ authFile })
    return tb
  }
  async function as(user: 'alice' | 'bob' | 'hr' | null, options: Record<string, unknown> = {}): Promise<MqttClient> {
    const client = await tb!.connect({ ...(user ? { username: user, password: user[0] } : {}), ...options })
    clients.push(client)
    return client
  }

  it('SUBACK: a filter needs a read rule covering it; refused filters get 0x80 (3.1.1) and 0x87 (5)', async () => {
    await start()
    const bob = await as('bob')
    const granted = await subackCodes(bob, {
      'bob/#': { qos: 1 },
      'bob/+/x': { qos: 1 }, // covered by bob/#
      'public/+': { qos: 0 },
      'public/secret': { qos: 0 }, // denied
      'feed/#': { qos: 0 }, // write only
      'alice/#': { qos: 0 }, // someone else's
      '#': { qos: 0 } // not covered by any read rule of bob
    })
    expect(granted).toEqual([1, 1, 0, 0x80, 0x80, 0x80, 0x80])

    const bob5 = await as('bob', { protocolVersion: 5 })
    expect(await subackCodes(bob5, ['bob/x', 'alice/#', '$share/g/bob/#', '$share/g/alice/#'])).toEqual([0, 0x87, 0, 0x87])
  })

  it("a '#' subscriber does not receive topics it may not read, retained or live", async () => {
    const b = await start()
    b.broker.publish({ topic: 'hr/salaries', payload: 'retained secret', retain: true })
    b.broker.publish({ topic: 'general/news', payload: 'retained news', retain: true })
    const alice = await as('alice')
    const received = collectMessages(alice)
    expect(await subackCodes(alice, ['#'])).toEqual([0])
    const hr = await as('hr')
    await hr.publishAsync('hr/salaries', 'live secret') // hr may not write there either: dropped
    b.broker.publish({ topic: 'hr/raises', payload: 'live secret' })
    b.broker.publish({ topic: 'general/update', payload: 'live news' })
    await waitFor(() => received.length >= 2, 'the news')
    await delay(150)
    expect(received.map((m) => `${m.topic}=${m.payload}`).sort()).toEqual(['general/news=retained news', 'general/update=live news'])
  })

  it('PUBLISH without write access: v5 PUBACK 0x87, 3.1.1 a silent drop; both counted as not-authorized', async () => {
    const b = await start()
    const alice = await as('alice')
    await alice.subscribeAsync('#')
    const received = collectMessages(alice)
    const dropsBefore = b.broker.stats().droppedByReason['not-authorized']

    const bob5 = await as('bob', { protocolVersion: 5 })
    expect(await publishCode(bob5, 'alice/inbox', 1)).toBe(0x87)
    expect(await publishCode(bob5, 'alice/inbox', 2)).toBe(0x87)
    expect(await publishCode(bob5, 'feed/ok', 1)).toBe(0)

    const bob = await as('bob')
    await bob.publishAsync('alice/inbox', 'qos1 from bob', { qos: 1 }) // acknowledged as usual
    await bob.publishAsync('alice/inbox', 'qos0 from bob', { qos: 0 })
    await bob.publishAsync('feed/bob', 'allowed', { qos: 1 })
    await waitFor(() => received.length === 2, 'the allowed messages')
    await delay(100)
    expect(received.map((m) => m.topic)).toEqual(['feed/ok', 'feed/bob'])
    expect(b.broker.stats().droppedByReason['not-authorized'] - dropsBefore).toBe(4)
    // Still connected: a refused PUBLISH is not a protocol error.
    expect(bob.connected && bob5.connected).toBe(true)
  })

  it('substitutes %u and %c, and applies anonymous rules only to clients without a user name', async () => {
    await start()
    const bob = await as('bob', { clientId: 'bobs-phone' })
    expect(await subackCodes(bob, ['users/bob/#', 'users/alice/#', 'clients/bobs-phone/#', 'clients/other/#', 'guest/#'])).toEqual([
      0, 0x80, 0, 0x80, 0x80
    ])
    const guest = await as(null, { clientId: 'visitor' })
    expect(await subackCodes(guest, ['guest/#', 'users/+/#', 'clients/visitor/x', 'public/#'])).toEqual([0, 0x80, 0, 0])
    const received = collectMessages(guest)
    await bob.publishAsync('guest/hello', 'no', { qos: 1 }) // bob may not write guest/#
    await guest.publishAsync('guest/hello', 'yes', { qos: 1 })
    await waitFor(() => received.length === 1, 'the guest message')
    await delay(100)
    expect(received.map((m) => m.payload.toString())).toEqual(['yes'])
  })

  it('refuses a CONNECT whose will topic the client may not publish to (3.1.1: 5)', async () => {
    await start()
    await expect(as('bob', { will: { topic: 'alice/will', payload: Buffer.from('x'), qos: 0, retain: false } })).rejects.toMatchObject({
      code: 5
    })
    const ok = await as('bob', { will: { topic: 'bob/will', payload: Buffer.from('x'), qos: 0, retain: false } })
    expect(ok.connected).toBe(true)
  })

  it('new rules apply to connected clients after a reload', async () => {
    const b = await start()
    const bob = await as('bob')
    const alice = await as('alice')
    await alice.subscribeAsync('#')
    const received = collectMessages(alice)
    await bob.publishAsync('open/1', 'before', { qos: 1 })
    writeAuthFile(tmp!.path('auth.json5'), { alice: 'a', bob: 'b' }, [...RULES, { user: 'bob', topic: 'open/#', access: 'write' }])
    expect((await b.broker.reloadAuth()).ok).toBe(true)
    await bob.publishAsync('open/2', 'after', { qos: 1 })
    await waitFor(() => received.length === 1, 'the message published after the reload')
    expect(received[0].topic).toBe('open/2')
  })

  it('with no ACL rules everything is allowed, except publishing to $SYS', async () => {
    tmp = tempDir()
    const authFile = tmp.path('auth.json5')
    writeAuthFile(authFile, { alice: 'a' })
    tb = await startAuthBroker({ authFile })
    expect(tb.broker.auth.aclActive).toBe(false)
    const alice = await as('alice', { protocolVersion: 5 })
    expect(await subackCodes(alice, ['#', 'anything/+'])).toEqual([0, 0])
    expect(await publishCode(alice, '$SYS/fake', 1)).toBe(0x87)
    expect(await publishCode(alice, 'anything/at/all', 1)).toBe(0)
  })
})
