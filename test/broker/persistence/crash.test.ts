import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { afterAll, describe, expect, it } from 'vitest'
import { delay, freePort, waitFor } from '../../helpers/broker-harness'
import { type CliBroker, startCliBroker } from '../../helpers/cli-broker'

/**
 * The durability guarantee under SIGKILL (issue 10): a broker child process under QoS 1 and QoS 2
 * load to persistent subscribers, with retained updates, is killed at random points and restarted
 * on the same data folder. Every message whose PUBACK (QoS 1) or PUBREC→PUBCOMP (QoS 2) the
 * publisher received must reach every persistent subscriber (QoS 2 exactly once, QoS 1 at least
 * once), and every acknowledged retained value must be there.
 *
 * KILL_POINTS (default 50) sets how many kills; `npm run bench` runs it with 500.
 */
const KILL_POINTS = Number(process.env.CRASH_KILL_POINTS ?? 50)
const SEED = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000)

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Publisher {
  client: MqttClient
  acked: Set<number>
  sent: number
  stop(): Promise<void>
}

describe('durability under SIGKILL', () => {
  const dirs: string[] = []
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it(`loses nothing acknowledged over ${KILL_POINTS} kill -9 points (QoS 1, QoS 2, retained; seed ${SEED})`, {
    timeout: 60_000 + KILL_POINTS * 4000
  }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'brokerscope-crash-'))
    dirs.push(dataDir)
    const port = await freePort()
    const random = rng(SEED)
    let broker: CliBroker = await startCliBroker(dataDir, port)
    const url = `mqtt://127.0.0.1:${port}`
    const common: IClientOptions = { reconnectPeriod: 50, connectTimeout: 2000, resubscribe: false, clean: false }
    const clients: MqttClient[] = []
    const open = async (options: IClientOptions): Promise<MqttClient> => {
      const client = mqtt.connect(url, { ...common, ...options })
      client.on('error', () => {})
      clients.push(client)
      await new Promise<void>((resolve) => client.once('connect', () => resolve()))
      return client
    }

    // Persistent subscribers: v5 at QoS 2 on everything, 3.1.1 at QoS 1 on the QoS 1 topics.
    const q2Seen = new Map<number, number>()
    const q1SeenBy5 = new Set<number>()
    const q1SeenBy4 = new Set<number>()
    const sub5 = await open({ clientId: 'crash-sub5', protocolVersion: 5, properties: { sessionExpiryInterval: 3600 } })
    sub5.on('message', (topic, payload) => {
      const seq = Number(payload.toString())
      if (topic.startsWith('crash/q2/')) q2Seen.set(seq, (q2Seen.get(seq) ?? 0) + 1)
      else if (topic.startsWith('crash/q1/')) q1SeenBy5.add(seq)
    })
    await sub5.subscribeAsync({ 'crash/q2/#': { qos: 2 }, 'crash/q1/#': { qos: 2 } })
    const sub4 = await open({ clientId: 'crash-sub4', protocolVersion: 4 })
    sub4.on('message', (topic, payload) => {
      if (topic.startsWith('crash/q1/')) q1SeenBy4.add(Number(payload.toString()))
    })
    await sub4.subscribeAsync({ 'crash/q1/#': { qos: 1 } })

    // Publishers keep a window of messages outstanding; an acknowledgement is recorded when MQTT.js
    // reports it (PUBACK for QoS 1, PUBCOMP after PUBREC for QoS 2).
    const publisher = async (clientId: string, qos: 1 | 2, topic: (seq: number) => string, retain: boolean): Promise<Publisher> => {
      const client = await open({
        clientId,
        protocolVersion: qos === 2 ? 4 : 5,
        properties: qos === 2 ? undefined : { sessionExpiryInterval: 3600 }
      })
      const acked = new Set<number>()
      let running = true
      let sent = 0
      let outstanding = 0
      const pump = (): void => {
        while (running && outstanding < 16) {
          const seq = ++sent
          outstanding++
          client.publish(topic(seq), String(seq), { qos, retain }, (err) => {
            outstanding--
            if (!err) acked.add(seq)
            setImmediate(pump)
          })
        }
      }
      pump()
      return {
        client,
        acked,
        get sent() {
          return sent
        },
        stop: async () => {
          running = false
        }
      }
    }
    const p1 = await publisher('crash-pub1', 1, (seq) => `crash/q1/${seq % 7}`, false)
    const p2 = await publisher('crash-pub2', 2, (seq) => `crash/q2/${seq % 5}`, false)
    const retainedLastAcked = new Map<string, number>()
    const p3 = await publisher('crash-pub3', 1, (seq) => `crash/r/${seq % 4}`, true)

    // Retained values must never go back behind the last acknowledged one for their topic.
    const checkRetained = async (): Promise<void> => {
      for (const seq of p3.acked) {
        const topic = `crash/r/${seq % 4}`
        if ((retainedLastAcked.get(topic) ?? 0) < seq) retainedLastAcked.set(topic, seq)
      }
      if (retainedLastAcked.size === 0) return
      const probe = await mqtt.connectAsync(url, { reconnectPeriod: 0, clean: true, clientId: `crash-probe-${Math.random()}` })
      const values = new Map<string, number>()
      probe.on('message', (topic, payload) => values.set(topic, Number(payload.toString())))
      await probe.subscribeAsync('crash/r/#', { qos: 1 })
      await waitFor(() => values.size >= retainedLastAcked.size, 'the retained values', 5000)
      await probe.endAsync()
      for (const [topic, seq] of retainedLastAcked) {
        expect(values.get(topic), `retained ${topic} after a restart`).toBeGreaterThanOrEqual(seq)
      }
    }

    let restarts = 0
    for (let kill = 0; kill < KILL_POINTS; kill++) {
      await delay(20 + Math.floor(random() * 250))
      await broker.kill('SIGKILL')
      const before = [...p3.acked]
      broker = await startCliBroker(dataDir, port)
      restarts++
      expect(broker.output()).not.toMatch(/moved to .*unusable/)
      // The retained check needs the acknowledgements known before the kill only.
      p3.acked.clear()
      for (const seq of before) p3.acked.add(seq)
      await checkRetained()
    }

    await Promise.all([p1.stop(), p2.stop(), p3.stop()])
    const allAcked = (): boolean =>
      [...p1.acked].every((seq) => q1SeenBy5.has(seq) && q1SeenBy4.has(seq)) && [...p2.acked].every((seq) => q2Seen.has(seq))
    await waitFor(allAcked, 'every acknowledged message to reach the subscribers', 15_000).catch(() => {})

    const missing1 = [...p1.acked].filter((seq) => !q1SeenBy5.has(seq) || !q1SeenBy4.has(seq))
    const missing2 = [...p2.acked].filter((seq) => !q2Seen.has(seq))
    const duplicates2 = [...q2Seen].filter(([, count]) => count > 1).map(([seq]) => seq)
    console.log(
      `crash test (seed ${SEED}): ${restarts} kill -9 restarts; QoS 1 acknowledged ${p1.acked.size} of ${p1.sent} sent, ` +
        `QoS 2 acknowledged ${p2.acked.size} of ${p2.sent}, retained ${p3.acked.size} of ${p3.sent}; ` +
        `lost: ${missing1.length} QoS 1, ${missing2.length} QoS 2; QoS 2 duplicates: ${duplicates2.length}`
    )
    expect(restarts).toBe(KILL_POINTS)
    expect(p1.acked.size).toBeGreaterThan(KILL_POINTS)
    expect(p2.acked.size).toBeGreaterThan(KILL_POINTS)
    expect(missing1).toEqual([])
    expect(missing2).toEqual([])
    expect(duplicates2).toEqual([])
    await checkRetained()

    for (const client of clients) client.end(true)
    await broker.kill('SIGTERM')
  })
})
