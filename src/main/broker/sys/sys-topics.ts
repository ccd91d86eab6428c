import type { BrokerStats } from '../../../shared/broker-types'

/**
 * The `$SYS/broker/...` tree, published the way mosquitto 2.0's `src/sys_tree.c` does it:
 *
 * - an initial publish of every topic (version, uptime, every counter, every load average at 0.00);
 * - then every `sys_interval` seconds: uptime and time always, counters only when their value changed
 *   since the last publish, load averages only when they moved by at least 0.01.
 *
 * Payloads are plain text: `brokerscope version <v>`, `"<n> seconds"`, integers, `%.2f` loads.
 * The broker publishes them retained (mosquitto uses QoS 2); this module only decides what and when.
 *
 * Differences from mosquitto 2.0.22, on purpose: `$SYS/broker/time` (ISO 8601 UTC, second precision)
 * and `$SYS/broker/messages/inflight` are published too (the latter is in mosquitto's man page but not
 * emitted by its sys_tree.c); load averages use the exact elapsed time in seconds rather than whole
 * seconds, and a counter that went down (stats reset) counts as rate 0 rather than a negative rate.
 */

export interface SysTopicsOptions {
  /** e.g. '0.1.0' → payload 'brokerscope version 0.1.0'. */
  version: string
  stats: () => BrokerStats
  /** The broker publishes it retained (QoS handled by the broker). */
  publish: (topic: string, payload: string) => void
  /** Epoch ms, injectable for tests. */
  now?: () => number
}

const P = '$SYS/broker/'

export const SYS_VERSION_TOPIC = `${P}version`
export const SYS_UPTIME_TOPIC = `${P}uptime`
export const SYS_TIME_TOPIC = `${P}time`

type NumericStat = Exclude<keyof BrokerStats, 'droppedByReason' | 'limitsHit' | 'refusedByReason' | 'startedAt'>

/** Counters: published on the initial publish and whenever the value changed (alias gets the same payload). */
const COUNTERS: readonly { topics: readonly string[]; stat: NumericStat }[] = [
  { topics: [`${P}clients/connected`, `${P}clients/active`], stat: 'clientsConnected' },
  { topics: [`${P}clients/disconnected`, `${P}clients/inactive`], stat: 'clientsDisconnected' },
  { topics: [`${P}clients/maximum`], stat: 'clientsMaximum' },
  { topics: [`${P}clients/total`], stat: 'clientsTotal' },
  { topics: [`${P}clients/expired`], stat: 'clientsExpired' },
  { topics: [`${P}messages/received`], stat: 'messagesReceived' },
  { topics: [`${P}messages/sent`], stat: 'messagesSent' },
  { topics: [`${P}messages/stored`, `${P}store/messages/count`], stat: 'storedMessages' },
  { topics: [`${P}store/messages/bytes`], stat: 'storedBytes' },
  { topics: [`${P}publish/messages/received`], stat: 'publishReceived' },
  { topics: [`${P}publish/messages/sent`], stat: 'publishSent' },
  { topics: [`${P}publish/messages/dropped`], stat: 'publishDropped' },
  { topics: [`${P}publish/bytes/received`], stat: 'publishBytesReceived' },
  { topics: [`${P}publish/bytes/sent`], stat: 'publishBytesSent' },
  { topics: [`${P}bytes/received`], stat: 'bytesReceived' },
  { topics: [`${P}bytes/sent`], stat: 'bytesSent' },
  { topics: [`${P}retained messages/count`], stat: 'retainedCount' },
  { topics: [`${P}subscriptions/count`], stat: 'subscriptionCount' },
  { topics: [`${P}shared_subscriptions/count`], stat: 'sharedSubscriptionCount' },
  { topics: [`${P}messages/inflight`], stat: 'inflight' }
]

/** Load averages: `$SYS/broker/load/<name>/{1min,5min,15min}` from the rate of a cumulative count. */
const LOAD_SOURCES: readonly { name: string; stat: NumericStat }[] = [
  { name: 'messages/received', stat: 'messagesReceived' },
  { name: 'messages/sent', stat: 'messagesSent' },
  { name: 'publish/received', stat: 'publishReceived' },
  { name: 'publish/sent', stat: 'publishSent' },
  { name: 'publish/dropped', stat: 'publishDropped' },
  { name: 'bytes/received', stat: 'bytesReceived' },
  { name: 'bytes/sent', stat: 'bytesSent' },
  { name: 'connections', stat: 'connectionsTotal' },
  { name: 'sockets', stat: 'socketsTotal' }
]

/** Averaging windows in seconds, with their topic suffixes. */
const LOAD_WINDOWS: readonly { suffix: string; seconds: number }[] = [
  { suffix: '1min', seconds: 60 },
  { suffix: '5min', seconds: 300 },
  { suffix: '15min', seconds: 900 }
]

interface LoadEntry {
  topic: string
  stat: NumericStat
  windowSeconds: number
}

const LOADS: readonly LoadEntry[] = LOAD_SOURCES.flatMap((source) =>
  LOAD_WINDOWS.map((w) => ({ topic: `${P}load/${source.name}/${w.suffix}`, stat: source.stat, windowSeconds: w.seconds }))
)

/** Every topic SysTopics can publish. */
export const SYS_TOPICS: readonly string[] = Object.freeze([
  SYS_VERSION_TOPIC,
  SYS_UPTIME_TOPIC,
  SYS_TIME_TOPIC,
  ...COUNTERS.flatMap((c) => c.topics),
  ...LOADS.map((l) => l.topic)
])

/** setInterval's delay is a signed 32-bit number of ms. */
const MAX_DELAY_MS = 2 ** 31 - 1

function formatInteger(value: number): string {
  return Number.isFinite(value) ? String(Math.trunc(value)) : '0'
}

/** ISO 8601 UTC with second precision: 2024-05-06T07:08:09Z. */
function formatTime(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function normaliseInterval(seconds: number): number {
  return Number.isFinite(seconds) && seconds > 0 ? seconds : 0
}

export class SysTopics {
  private readonly options: SysTopicsOptions
  private readonly now: () => number

  private started = false
  private intervalSeconds = 0
  private timer: ReturnType<typeof setInterval> | null = null

  /** False until the initial publish (every topic) has been made since construction/start(). */
  private initialised = false
  /** Last published payload per counter topic. */
  private readonly lastCounter = new Map<string, string>()
  /** Current moving average per load topic. */
  private readonly loadValue = new Map<string, number>()
  /** Cumulative counts the loads were last computed from. */
  private readonly lastCounts = new Map<NumericStat, number>()
  /** Epoch ms of the last load computation. */
  private lastUpdate = 0

  constructor(options: SysTopicsOptions) {
    this.options = options
    this.now = options.now ?? Date.now
  }

  /** 0 = off; otherwise publishes every topic immediately, then an update every interval. */
  start(intervalSeconds: number): void {
    this.clearTimer()
    this.started = true
    this.initialised = false
    this.intervalSeconds = normaliseInterval(intervalSeconds)
    if (this.intervalSeconds > 0) {
      this.safeTick()
      this.armTimer()
    }
  }

  /**
   * Change the interval while running. 0 stops publishing; turning it back on publishes an update
   * at once (the initial publish if none was made yet). Before start() it only records the value.
   */
  setInterval(intervalSeconds: number): void {
    const next = normaliseInterval(intervalSeconds)
    const wasOn = this.intervalSeconds > 0
    this.intervalSeconds = next
    if (!this.started) return
    this.clearTimer()
    if (next === 0) return
    if (!wasOn) this.safeTick()
    this.armTimer()
  }

  stop(): void {
    this.clearTimer()
    this.started = false
  }

  /** One update now: the initial publish the first time, then only what changed (plus uptime/time). */
  tick(): void {
    const stats = this.options.stats()
    const now = this.now()
    if (!this.initialised) this.publishInitial(stats, now)
    else this.publishUpdate(stats, now)
  }

  private publishInitial(stats: BrokerStats, now: number): void {
    this.initialised = true
    this.lastCounter.clear()
    this.loadValue.clear()
    this.lastCounts.clear()
    this.lastUpdate = now

    this.send(SYS_VERSION_TOPIC, `brokerscope version ${this.options.version}`)
    this.publishClock(stats, now)
    for (const counter of COUNTERS) {
      const payload = formatInteger(stats[counter.stat])
      for (const topic of counter.topics) {
        this.lastCounter.set(topic, payload)
        this.send(topic, payload)
      }
    }
    for (const source of LOAD_SOURCES) this.lastCounts.set(source.stat, stats[source.stat])
    // mosquitto forces every load to 0.00 at start (sys_tree__init).
    for (const load of LOADS) {
      this.loadValue.set(load.topic, 0)
      this.send(load.topic, (0).toFixed(2))
    }
  }

  private publishUpdate(stats: BrokerStats, now: number): void {
    this.publishClock(stats, now)

    // Loads first, as mosquitto does. Only when time moved on; otherwise the counts carry over.
    const elapsed = (now - this.lastUpdate) / 1000
    if (elapsed > 0) {
      const rates = new Map<NumericStat, number>()
      for (const source of LOAD_SOURCES) {
        const count = stats[source.stat]
        const delta = count - (this.lastCounts.get(source.stat) ?? count)
        rates.set(source.stat, Number.isFinite(delta) && delta > 0 ? (delta * 60) / elapsed : 0)
        this.lastCounts.set(source.stat, count)
      }
      for (const load of LOADS) {
        const old = this.loadValue.get(load.topic) ?? 0
        const rate = rates.get(load.stat) ?? 0
        const exponent = Math.exp(-elapsed / load.windowSeconds)
        const value = exponent * old + (1 - exponent) * rate
        if (Math.abs(value - old) >= 0.01) this.send(load.topic, value.toFixed(2))
        this.loadValue.set(load.topic, value)
      }
      this.lastUpdate = now
    }

    for (const counter of COUNTERS) {
      const payload = formatInteger(stats[counter.stat])
      for (const topic of counter.topics) {
        if (this.lastCounter.get(topic) === payload) continue
        this.lastCounter.set(topic, payload)
        this.send(topic, payload)
      }
    }
  }

  private publishClock(stats: BrokerStats, now: number): void {
    const uptime = Math.max(0, Math.floor((now - stats.startedAt) / 1000))
    this.send(SYS_UPTIME_TOPIC, `${Number.isFinite(uptime) ? uptime : 0} seconds`)
    this.send(SYS_TIME_TOPIC, formatTime(now))
  }

  /** A failing publish must not stop the others (nor escape the timer). */
  private send(topic: string, payload: string): void {
    try {
      this.options.publish(topic, payload)
    } catch {
      // ignored: $SYS is best effort
    }
  }

  private safeTick(): void {
    try {
      this.tick()
    } catch {
      // ignored: never throw out of the timer (a failing stats() is retried next time)
    }
  }

  private armTimer(): void {
    const ms = Math.min(Math.max(1, Math.round(this.intervalSeconds * 1000)), MAX_DELAY_MS)
    const timer = setInterval(() => this.safeTick(), ms)
    timer.unref?.()
    this.timer = timer
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearInterval(this.timer)
      this.timer = null
    }
  }
}
