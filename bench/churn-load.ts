/**
 * The churn load (issue 10), one process pinned to the generator's core by bench/churn.ts:
 * clients connect with a will, subscribe to three filters, publish five QoS 1 messages and leave
 * (half cleanly with DISCONNECT, half by dropping the socket, so the broker publishes the will),
 * `parallel` at a time over `ids` client ids, half of them with persistent sessions (3.1.1 clean
 * session 0; even ids), paced at `rate` cycles per second. Prints one JSON line (ChurnLoadResult).
 *
 *   node --import tsx bench/churn-load.ts '{"port":1883,"seconds":60,"rate":120,"parallel":20,"ids":2000,"seed":1}'
 *
 * Client id i is in group i % GROUPS; it subscribes to
 *   churn/c/<i>           messages for it alone,
 *   churn/g/<group>/#     its group's messages and wills (about ids / GROUPS clients),
 *   churn/all             everyone's,
 * and publishes 2 × churn/c/<random id>, 2 × churn/g/<random group>/m, 1 × churn/all, all QoS 1.
 * Its will is churn/g/<group>/will/<i>, QoS 1. So the persistent sessions that are offline (most of
 * them at any time) keep queues filling up to the broker's bound: the memory the soak watches.
 */
import { performance } from 'node:perf_hooks'
import { MiniClient } from './mini-client'

export interface ChurnLoadJob {
  host?: string
  port: number
  seconds: number
  rate: number
  parallel: number
  ids: number
  seed: number
}

export interface ChurnLoadResult {
  seconds: number
  cyclesStarted: number
  cyclesDone: number
  cyclesPerSecond: number
  /** Cycle starts skipped because `parallel` cycles were still running (the broker was slower than the pace). */
  behind: number
  leftCleanly: number
  dropped: number
  published: number
  acknowledged: number
  received: number
  /** Persistent ids seen before whose CONNACK said no session was present. */
  sessionsLost: number
  /** The load process's own CPU use over the run, % of one core (near 100: the load, not the broker, set the pace). */
  cpuPercent: number
  errors: Record<string, number>
  firstErrors: string[]
}

export const GROUPS = 20
const CYCLE_TIMEOUT_MS = 15_000

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

async function main(job: ChurnLoadJob): Promise<ChurnLoadResult> {
  const random = rng(job.seed)
  const result: ChurnLoadResult = {
    seconds: 0,
    cyclesStarted: 0,
    cyclesDone: 0,
    cyclesPerSecond: 0,
    behind: 0,
    leftCleanly: 0,
    dropped: 0,
    published: 0,
    acknowledged: 0,
    received: 0,
    sessionsLost: 0,
    cpuPercent: 0,
    errors: {},
    firstErrors: []
  }
  const error = (kind: string, detail: string): void => {
    result.errors[kind] = (result.errors[kind] ?? 0) + 1
    if (result.firstErrors.length < 10) result.firstErrors.push(`${kind}: ${detail}`)
  }
  // Ids not in use: a cycle takes one at random and gives it back when it ends (no takeovers).
  const free = Array.from({ length: job.ids }, (_, i) => i)
  const seen = new Uint8Array(job.ids)
  const payload = Buffer.alloc(100, 0x63)
  let running = 0

  const cycle = async (i: number): Promise<void> => {
    const persistent = i % 2 === 0
    const group = i % GROUPS
    let client: MiniClient | null = null
    const timer = setTimeout(() => {
      error('timeout', `churn-${i}: cycle not done within ${CYCLE_TIMEOUT_MS / 1000} s`)
      client?.destroy()
    }, CYCLE_TIMEOUT_MS)
    try {
      client = await MiniClient.connect({
        host: job.host,
        port: job.port,
        clientId: `churn-${i}`,
        clean: !persistent,
        will: { topic: `churn/g/${group}/will/${i}`, payload: Buffer.from(`churn-${i} gone`), qos: 1 },
        onMessage: () => void result.received++
      })
      if (persistent && seen[i] === 1 && !client.sessionPresent) result.sessionsLost++
      seen[i] = 1
      const granted = await client.subscribe([
        { topic: `churn/c/${i}`, qos: 1 },
        { topic: `churn/g/${group}/#`, qos: 1 },
        { topic: 'churn/all', qos: 1 }
      ])
      if (granted.some((g) => g !== 1)) error('suback', `churn-${i}: granted ${granted.join(',')}`)
      const topics = [
        `churn/c/${Math.floor(random() * job.ids)}`,
        `churn/c/${Math.floor(random() * job.ids)}`,
        `churn/g/${Math.floor(random() * GROUPS)}/m`,
        `churn/g/${Math.floor(random() * GROUPS)}/m`,
        'churn/all'
      ]
      result.published += topics.length
      await Promise.all(topics.map((topic) => client!.publish(topic, payload, 1).then(() => void result.acknowledged++)))
      if (random() < 0.5) {
        await client.disconnect()
        result.leftCleanly++
      } else {
        client.destroy()
        result.dropped++
      }
      result.cyclesDone++
    } catch (err) {
      error('cycle', err instanceof Error ? err.message : String(err))
      client?.destroy()
    } finally {
      clearTimeout(timer)
      free.push(i)
      running--
    }
  }

  const t0 = performance.now()
  const cpu0 = process.cpuUsage()
  const end = t0 + job.seconds * 1000
  // Start cycles on schedule: one every 1/rate s, unless `parallel` are still running.
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - t0) / 1000) * job.rate)
    while (result.cyclesStarted + result.behind < due) {
      if (running >= job.parallel || free.length === 0) {
        result.behind++
        continue
      }
      const pick = Math.floor(random() * free.length)
      const i = free[pick]
      free[pick] = free[free.length - 1]
      free.pop()
      running++
      result.cyclesStarted++
      void cycle(i)
    }
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  // Every cycle ends (done, failed or timed out) within CYCLE_TIMEOUT_MS.
  while (running > 0) await new Promise((resolve) => setTimeout(resolve, 10))
  result.seconds = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  result.cpuPercent = (100 * (cpu.user + cpu.system)) / 1e6 / result.seconds
  result.cyclesPerSecond = result.cyclesDone / result.seconds
  return result
}

const job = JSON.parse(process.argv[2] ?? '{}') as ChurnLoadJob
main(job).then(
  (result) => process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0)),
  (err: unknown) => {
    process.stderr.write(`churn-load: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exit(1)
  }
)
