/**
 * The durability crash run (issue 10), shared by test/broker/persistence/crash.test.ts (50 kill
 * points in `npm test`) and bench/crash.ts (500 in `npm run bench`): a broker child process
 * under QoS 1 and QoS 2 load to persistent subscribers, with retained updates, is killed with
 * SIGKILL at random points and restarted on the same data folder. It records what the publishers
 * had acknowledged (PUBACK for QoS 1, PUBREC→PUBCOMP for QoS 2) and what the subscribers and the
 * retained store gave back; the caller judges the result. No test-runner import: bench/ runs it.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { type CliBroker, startCliBroker } from './cli-broker'
import { delay, waitFor } from './wait'

export interface CrashRunOptions {
  dataDir: string
  port: number
  killPoints: number
  seed: number
  /** Called after each restart (progress for long runs). */
  onRestart?: (restarts: number, restartMs: number) => void
}

export interface CrashRunResult {
  seed: number
  killPoints: number
  restarts: number
  sent: { qos1: number; qos2: number; retained: number }
  acknowledged: { qos1: number; qos2: number; retained: number }
  /** Acknowledged messages a persistent subscriber never received (QoS 1: either subscriber). */
  lost: { qos1: number[]; qos2: number[] }
  /** QoS 2 messages delivered more than once (must be none); QoS 1 duplicates are allowed and counted. */
  qos2Duplicates: number[]
  qos1Duplicates: number
  /** Retained values found behind the last acknowledged one (or missing) after a restart. */
  retainedProblems: string[]
  /** Restarts whose output said the store was moved aside as unusable. */
  storeSetAside: number
  restartMs: number[]
  seconds: number
}

/** mulberry32: the kill points follow from the seed. */
export function rng(seed: number): () => number {
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
  acked: Set<number>
  readonly sent: number
  stop(): void
}

export async function runCrashLoad(options: CrashRunOptions): Promise<CrashRunResult> {
  const { dataDir, port, killPoints, seed } = options
  const started = performance.now()
  const random = rng(seed)
  let broker: CliBroker = await startCliBroker(dataDir, port)
  const url = `mqtt://127.0.0.1:${port}`
  const common: IClientOptions = { reconnectPeriod: 50, connectTimeout: 2000, resubscribe: false, clean: false }
  const clients: MqttClient[] = []
  const open = async (clientOptions: IClientOptions): Promise<MqttClient> => {
    const client = mqtt.connect(url, { ...common, ...clientOptions })
    client.on('error', () => {})
    clients.push(client)
    await new Promise<void>((resolve) => client.once('connect', () => resolve()))
    return client
  }
  const result: CrashRunResult = {
    seed,
    killPoints,
    restarts: 0,
    sent: { qos1: 0, qos2: 0, retained: 0 },
    acknowledged: { qos1: 0, qos2: 0, retained: 0 },
    lost: { qos1: [], qos2: [] },
    qos2Duplicates: [],
    qos1Duplicates: 0,
    retainedProblems: [],
    storeSetAside: 0,
    restartMs: [],
    seconds: 0
  }

  try {
    // Persistent subscribers: v5 at QoS 2 on everything, 3.1.1 at QoS 1 on the QoS 1 topics.
    const q2Seen = new Map<number, number>()
    const q1SeenBy5 = new Set<number>()
    const q1SeenBy4 = new Set<number>()
    const sub5 = await open({ clientId: 'crash-sub5', protocolVersion: 5, properties: { sessionExpiryInterval: 3600 } })
    sub5.on('message', (topic, payload) => {
      const seq = Number(payload.toString())
      if (topic.startsWith('crash/q2/')) q2Seen.set(seq, (q2Seen.get(seq) ?? 0) + 1)
      else if (topic.startsWith('crash/q1/')) {
        if (q1SeenBy5.has(seq)) result.qos1Duplicates++
        q1SeenBy5.add(seq)
      }
    })
    await sub5.subscribeAsync({ 'crash/q2/#': { qos: 2 }, 'crash/q1/#': { qos: 2 } })
    const sub4 = await open({ clientId: 'crash-sub4', protocolVersion: 4 })
    sub4.on('message', (topic, payload) => {
      if (!topic.startsWith('crash/q1/')) return
      const seq = Number(payload.toString())
      if (q1SeenBy4.has(seq)) result.qos1Duplicates++
      q1SeenBy4.add(seq)
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
        acked,
        get sent() {
          return sent
        },
        stop: () => {
          running = false
        }
      }
    }
    const p1 = await publisher('crash-pub1', 1, (seq) => `crash/q1/${seq % 7}`, false)
    const p2 = await publisher('crash-pub2', 2, (seq) => `crash/q2/${seq % 5}`, false)
    const retainedLastAcked = new Map<string, number>()
    const p3 = await publisher('crash-pub3', 1, (seq) => `crash/r/${seq % 4}`, true)

    // Retained values must never go back behind the last acknowledged one for their topic.
    const checkRetained = async (when: string): Promise<void> => {
      for (const seq of p3.acked) {
        const topic = `crash/r/${seq % 4}`
        if ((retainedLastAcked.get(topic) ?? 0) < seq) retainedLastAcked.set(topic, seq)
      }
      if (retainedLastAcked.size === 0) return
      const probe = await mqtt.connectAsync(url, { reconnectPeriod: 0, clean: true, clientId: `crash-probe-${Math.random()}` })
      const values = new Map<string, number>()
      probe.on('message', (topic, payload) => values.set(topic, Number(payload.toString())))
      await probe.subscribeAsync('crash/r/#', { qos: 1 })
      await waitFor(() => values.size >= retainedLastAcked.size, 'the retained values', 5000).catch(() => {})
      await probe.endAsync()
      for (const [topic, seq] of retainedLastAcked) {
        const value = values.get(topic)
        if (value === undefined || value < seq)
          result.retainedProblems.push(`${when}: ${topic} is ${value ?? 'missing'}, acknowledged ${seq}`)
      }
    }

    for (let kill = 0; kill < killPoints; kill++) {
      await delay(20 + Math.floor(random() * 250))
      await broker.kill('SIGKILL')
      const before = [...p3.acked]
      const t0 = performance.now()
      broker = await startCliBroker(dataDir, port)
      const restartMs = performance.now() - t0
      result.restarts++
      result.restartMs.push(restartMs)
      if (/moved to .*unusable/.test(broker.output())) result.storeSetAside++
      // The retained check needs the acknowledgements known before the kill only.
      p3.acked.clear()
      for (const seq of before) p3.acked.add(seq)
      await checkRetained(`after restart ${result.restarts}`)
      options.onRestart?.(result.restarts, restartMs)
    }

    p1.stop()
    p2.stop()
    p3.stop()
    const allAcked = (): boolean =>
      [...p1.acked].every((seq) => q1SeenBy5.has(seq) && q1SeenBy4.has(seq)) && [...p2.acked].every((seq) => q2Seen.has(seq))
    await waitFor(allAcked, 'every acknowledged message to reach the subscribers', 15_000).catch(() => {})

    result.lost.qos1 = [...p1.acked].filter((seq) => !q1SeenBy5.has(seq) || !q1SeenBy4.has(seq))
    result.lost.qos2 = [...p2.acked].filter((seq) => !q2Seen.has(seq))
    result.qos2Duplicates = [...q2Seen].filter(([, count]) => count > 1).map(([seq]) => seq)
    result.sent = { qos1: p1.sent, qos2: p2.sent, retained: p3.sent }
    result.acknowledged = { qos1: p1.acked.size, qos2: p2.acked.size, retained: p3.acked.size }
    await checkRetained('at the end')
  } finally {
    for (const client of clients) client.end(true)
    await broker.kill('SIGTERM')
    result.seconds = (performance.now() - started) / 1000
  }
  return result
}

/** One line for logs: the counts the bench reports. */
export function crashSummary(r: CrashRunResult): string {
  return (
    `${r.restarts} kill -9 restarts (seed ${r.seed}); QoS 1 acknowledged ${r.acknowledged.qos1} of ${r.sent.qos1} sent, ` +
    `QoS 2 acknowledged ${r.acknowledged.qos2} of ${r.sent.qos2}, retained ${r.acknowledged.retained} of ${r.sent.retained}; ` +
    `lost: ${r.lost.qos1.length} QoS 1, ${r.lost.qos2.length} QoS 2; QoS 2 duplicates: ${r.qos2Duplicates.length}; ` +
    `QoS 1 duplicates (allowed): ${r.qos1Duplicates}; retained problems: ${r.retainedProblems.length}`
  )
}
