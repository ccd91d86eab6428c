/**
 * "What is flooding my broker": messages/s and bytes/s per topic and per publishing client over
 * the last 10 s and 60 s. Per message the broker pays two increments on a client counter (the
 * topic's counts are the topic tree's own); once a second the counters touched in that second
 * are turned into deltas, kept for 60 s in one-second buckets, and summed as sliding windows.
 * Memory: one small record per key active in the last minute, bounded by the topic tree's bound
 * for topics and by ACTIVITY_MAX_CLIENTS for clients (more are folded into one "other" row).
 */
import { ACTIVITY_ROWS, type ActivityReport, type ActivityRow } from '../../shared/api'
import type { TopicEntry } from './topic-tree'

const WINDOW_LONG = 60
const WINDOW_SHORT = 10
/** Publishing clients tracked at once; beyond it their messages count under OTHER_CLIENTS. */
export const ACTIVITY_MAX_CLIENTS = 10_000
export const OTHER_CLIENTS = '(other clients)'

interface Counter {
  key: string
  /** Running totals (clients: ours; topics: copied from the topic record at each sample). */
  messages: number
  bytes: number
  lastMessages: number
  lastBytes: number
  m10: number
  b10: number
  m60: number
  b60: number
  mark: number
}

interface Delta {
  counter: Counter
  messages: number
  bytes: number
}

class Windows {
  readonly counters = new Map<string, Counter>()

  /**
   * `forget`: drop a counter idle for the whole long window. Only for counters that own their
   * totals (clients); a topic's totals live in its record, so its counter stays (bounded by topics).
   */
  constructor(private readonly forget: boolean) {}

  private readonly buckets: Delta[][] = Array.from({ length: WINDOW_LONG }, () => [])

  counter(key: string): Counter {
    let counter = this.counters.get(key)
    if (counter === undefined) {
      counter = { key, messages: 0, bytes: 0, lastMessages: 0, lastBytes: 0, m10: 0, b10: 0, m60: 0, b60: 0, mark: 0 }
      this.counters.set(key, counter)
    }
    return counter
  }

  /** Second `second` ends: its deltas enter both windows, the ones 10 s and 60 s old leave. */
  advance(second: number, touched: readonly Counter[], touchedMark: number): void {
    const slot = second % WINDOW_LONG
    for (const old of this.buckets[slot]) {
      old.counter.m60 -= old.messages
      old.counter.b60 -= old.bytes
      if (this.forget && old.counter.m60 <= 0 && old.counter.mark !== touchedMark) {
        this.counters.delete(old.counter.key)
      }
    }
    for (const old of this.buckets[(second - WINDOW_SHORT + WINDOW_LONG) % WINDOW_LONG]) {
      old.counter.m10 -= old.messages
      old.counter.b10 -= old.bytes
    }
    const deltas: Delta[] = []
    for (const counter of touched) {
      const messages = counter.messages - counter.lastMessages
      const bytes = counter.bytes - counter.lastBytes
      counter.lastMessages = counter.messages
      counter.lastBytes = counter.bytes
      if (messages === 0) continue
      counter.m10 += messages
      counter.b10 += bytes
      counter.m60 += messages
      counter.b60 += bytes
      deltas.push({ counter, messages, bytes })
    }
    this.buckets[slot] = deltas
  }

  rows(): { rows: ActivityRow[]; notListed: number } {
    const active: Counter[] = []
    for (const counter of this.counters.values()) if (counter.m60 > 0) active.push(counter)
    active.sort((a, b) => b.m60 - a.m60 || b.b60 - a.b60)
    const rows = active.slice(0, ACTIVITY_ROWS).map((c) => ({
      key: c.key,
      messages10s: c.m10 / WINDOW_SHORT,
      bytes10s: c.b10 / WINDOW_SHORT,
      messages60s: c.m60 / WINDOW_LONG,
      bytes60s: c.b60 / WINDOW_LONG
    }))
    return { rows, notListed: Math.max(0, active.length - ACTIVITY_ROWS) }
  }
}

export class ActivityTracker {
  private readonly topics = new Windows(false)
  private readonly clients = new Windows(true)
  private touchedClients: Counter[] = []
  /** The last client's counter (see recordClient); forgotten at each sample, which may drop idle counters. */
  private lastClientKey: string | null = null
  private lastClientCounter: Counter | undefined = undefined
  private mark = 1
  private second = 0
  private lastSampleAt: number

  constructor(now: number) {
    this.lastSampleAt = now
  }

  /** Hot path: a message from `clientId` (null: the broker itself). */
  recordClient(clientId: string | null, bytes: number): void {
    const key = clientId ?? ''
    // Messages come in runs from one client, whose id is the same string every time: a pointer compare.
    let counter = key === this.lastClientKey ? this.lastClientCounter : this.clients.counters.get(key)
    if (counter === undefined) {
      counter = this.clients.counters.size < ACTIVITY_MAX_CLIENTS ? this.clients.counter(key) : this.clients.counter(OTHER_CLIENTS)
    }
    this.lastClientKey = key
    this.lastClientCounter = counter
    counter.messages++
    counter.bytes += bytes
    if (counter.mark !== this.mark) {
      counter.mark = this.mark
      this.touchedClients.push(counter)
    }
  }

  /** Whether a second has passed since the last sample. */
  due(now: number): boolean {
    return now - this.lastSampleAt >= 1000
  }

  /** Close the current second with the topics the tree saw touched in it. */
  sample(now: number, touchedTopics: readonly TopicEntry[]): void {
    this.lastSampleAt = now
    this.lastClientKey = null
    this.lastClientCounter = undefined
    this.second++
    const topicCounters: Counter[] = []
    for (const entry of touchedTopics) {
      const counter = this.topics.counter(entry.topic)
      counter.messages = entry.messages
      counter.bytes = entry.bytes
      topicCounters.push(counter)
    }
    this.topics.advance(this.second, topicCounters, -1)
    this.clients.advance(this.second, this.touchedClients, this.mark)
    this.touchedClients = []
    this.mark++
  }

  report(now: number): ActivityReport {
    const topics = this.topics.rows()
    const clients = this.clients.rows()
    return {
      time: now,
      topics: topics.rows,
      clients: clients.rows,
      topicsNotListed: topics.notListed,
      clientsNotListed: clients.notListed
    }
  }
}
