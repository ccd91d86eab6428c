import type { TopicNode } from '../../shared/api'
import type { SeriesSink } from './chart-series'
import type { TopicRing } from './topic-history'

export interface TopicTreeOptions {
  /** Topics tracked at most (default 20 000). */
  maxTopics?: number
  /** Total characters of tracked topic names (default 4 Mi): topic names may be up to 64 KiB each. */
  maxTopicChars?: number
  /** Payload bytes kept per topic for the preview (default 256). */
  previewBytes?: number
}

/** One topic's record. The history and chart modules hang their per-topic state on it, so a message costs one map lookup. */
export interface TopicEntry {
  readonly topic: string
  messages: number
  /** Payload bytes of every message so far (for activity rates). */
  bytes: number
  /** The activity second in which this topic was last touched (see takeTouched). */
  touchedMark: number
  /** The changes window in which this topic was last listed as changed (see takeChanges). */
  dirtyMark: number
  /** This topic's history ring (topic-history.ts), created on its first message. */
  history: TopicRing | null
  /** Chart series on this topic (chart-series.ts), or null. */
  series: SeriesSink[] | null
  /** Own copy of the first previewBytes bytes, never a view into a larger buffer. */
  preview: Buffer
  /**
   * The newest payload, not yet copied into `preview`: copying on every message costs an allocation
   * per PUBLISH under a flood; the copy is made once, when the topic is next sent to the UI.
   */
  latest: Uint8Array | null
  /** base64 of `preview`, computed when first asked for and dropped on every update. */
  previewText: string | null
  lastSize: number
  lastUpdated: number
  retained: boolean
}

export const DEFAULT_MAX_TOPICS = 20_000
export const DEFAULT_MAX_TOPIC_CHARS = 4 * 1024 * 1024

const EMPTY = Buffer.alloc(0)

/**
 * Per-topic statistics for the topic view: message count, last payload preview, size and time,
 * and whether the broker holds a retained message. A flat map keyed by the full topic; the UI
 * builds the hierarchy from the '/' levels. Bounded: once full, messages on new topics are only
 * counted (`notTracked`), existing topics keep updating.
 */
export class TopicTree {
  readonly maxTopicChars: number
  readonly previewBytes: number
  private readonly entries = new Map<string, TopicEntry>()
  /**
   * Topics changed since the last takeChanges, each listed once by its dirtyMark (a mark, not a
   * Set: this runs on every message, and a mark is one field compare instead of a hash insert).
   */
  private dirty: TopicEntry[] = []
  private dirtyMark = 1
  /**
   * The last topic looked up, and its record. Messages come in runs on one topic (a socket chunk
   * of one publisher's messages), and comparing with the last topic is cheaper than hashing a
   * freshly decoded topic string for the map.
   */
  private lastTopic: string | null = null
  private lastEntry: TopicEntry | null = null
  /** Topics whose `latest` still references a payload (copied out by settle()). */
  private unsettled: TopicEntry[] = []
  /** Topics with messages since the last takeTouched(). */
  private touched: TopicEntry[] = []
  private touchedMark = 1
  private topicChars = 0
  maxTopics: number
  /** Messages (and retained changes) on topics that did not fit. */
  notTracked = 0

  constructor(options: TopicTreeOptions = {}) {
    this.maxTopics = options.maxTopics ?? DEFAULT_MAX_TOPICS
    this.maxTopicChars = options.maxTopicChars ?? DEFAULT_MAX_TOPIC_CHARS
    this.previewBytes = options.previewBytes ?? 256
  }

  get size(): number {
    return this.entries.size
  }

  /** Characters of topic names held; with size × previewBytes this bounds the tree's memory. */
  get trackedTopicChars(): number {
    return this.topicChars
  }

  /**
   * An application message was published on `topic`. The payload is referenced until the topic is
   * next sent or settle() runs (every batch window), then copied; the broker never reuses a
   * payload's memory meanwhile. Returns the topic's record, or null when the tree is full.
   */
  recordMessage(topic: string, payload: Uint8Array, time: number): TopicEntry | null {
    const entry = this.entry(topic)
    if (entry === null) {
      this.notTracked++
      return null
    }
    entry.messages++
    entry.bytes += payload.length
    entry.lastSize = payload.length
    entry.lastUpdated = time
    if (entry.latest === null) this.unsettled.push(entry)
    entry.latest = payload
    entry.previewText = null
    if (entry.touchedMark !== this.touchedMark) {
      entry.touchedMark = this.touchedMark
      this.touched.push(entry)
    }
    this.markDirty(entry)
    return entry
  }

  /** Copy out every pending preview, so no payload view (a socket chunk) is held past one batch window. */
  settle(): void {
    const entries = this.unsettled
    if (entries.length === 0) return
    this.unsettled = []
    for (const entry of entries) this.takeLatest(entry)
  }

  /** The topics that had messages since the last call (for the activity rates). */
  takeTouched(): TopicEntry[] {
    const out = this.touched
    this.touched = []
    this.touchedMark++
    return out
  }

  /** Look up a topic's record (null when not tracked). */
  record(topic: string): TopicEntry | null {
    return this.entries.get(topic) ?? null
  }

  /** The newest payload's first bytes, as kept for the preview. */
  latestPreview(entry: TopicEntry): Uint8Array | null {
    if (entry.latest !== null) return entry.latest.subarray(0, this.previewBytes)
    return entry.lastSize > 0 ? entry.preview : null
  }

  /** Every record, in first-seen order. */
  records(): IterableIterator<TopicEntry> {
    return this.entries.values()
  }

  private takeLatest(entry: TopicEntry): void {
    if (entry.latest === null) return
    entry.preview = this.copyPreview(entry.latest)
    entry.latest = null
  }

  /** The broker stored (retained = true) or removed the retained message for `topic`. */
  setRetained(topic: string, retained: boolean): void {
    const existing = this.entries.get(topic)
    if (existing !== undefined) {
      if (existing.retained !== retained) {
        existing.retained = retained
        this.markDirty(existing)
      }
      return
    }
    // A removal for a topic we do not know changes nothing we show.
    if (!retained) return
    const entry = this.entry(topic)
    if (entry === null) {
      this.notTracked++
      return
    }
    entry.retained = true
    this.markDirty(entry)
  }

  /**
   * Re-align the retained flags with the broker's store (after the inspector was detached and
   * missed events). Topics the broker retains are added with their stored preview if unknown.
   */
  syncRetained(retained: ReadonlyArray<{ topic: string; preview: Uint8Array; size: number; updatedAt: number }>): void {
    const held = new Set<string>()
    for (const info of retained) {
      held.add(info.topic)
      const known = this.entries.has(info.topic)
      const entry = this.entry(info.topic)
      if (entry === null) continue
      if (!known) {
        entry.lastSize = info.size
        entry.lastUpdated = info.updatedAt
        entry.preview = this.copyPreview(info.preview)
        entry.latest = null
        entry.previewText = null
      }
      if (!entry.retained || !known) {
        entry.retained = true
        this.markDirty(entry)
      }
    }
    for (const entry of this.entries.values()) {
      if (entry.retained && !held.has(entry.topic)) {
        entry.retained = false
        this.markDirty(entry)
      }
    }
  }

  get(topic: string): TopicNode | null {
    const entry = this.entries.get(topic)
    return entry === undefined ? null : this.toNode(entry)
  }

  /** Every tracked topic, in first-seen order. */
  all(): TopicNode[] {
    const out: TopicNode[] = []
    for (const entry of this.entries.values()) out.push(this.toNode(entry))
    return out
  }

  get hasChanges(): boolean {
    return this.dirty.length > 0
  }

  /** The topics changed since the last call (upserts, keyed by topic). */
  takeChanges(): TopicNode[] {
    const out: TopicNode[] = []
    for (const entry of this.takeDirty()) out.push(this.toNode(entry))
    return out
  }

  /** Forget pending changes (a full refresh is about to carry everything). */
  discardChanges(): void {
    this.takeDirty()
  }

  private markDirty(entry: TopicEntry): void {
    if (entry.dirtyMark === this.dirtyMark) return
    entry.dirtyMark = this.dirtyMark
    this.dirty.push(entry)
  }

  private takeDirty(): TopicEntry[] {
    const out = this.dirty
    this.dirty = []
    this.dirtyMark++
    return out
  }

  clear(): void {
    this.entries.clear()
    this.takeDirty()
    this.lastTopic = this.lastEntry = null
    this.unsettled = []
    this.touched = []
    this.topicChars = 0
    this.notTracked = 0
  }

  private entry(topic: string): TopicEntry | null {
    if (topic === this.lastTopic) return this.lastEntry
    const existing = this.entries.get(topic)
    if (existing !== undefined) {
      this.lastTopic = topic
      this.lastEntry = existing
      return existing
    }
    if (this.entries.size >= this.maxTopics || this.topicChars + topic.length > this.maxTopicChars) return null
    const entry: TopicEntry = {
      topic,
      messages: 0,
      bytes: 0,
      touchedMark: 0,
      dirtyMark: 0,
      history: null,
      series: null,
      preview: EMPTY,
      latest: null,
      previewText: '',
      lastSize: 0,
      lastUpdated: 0,
      retained: false
    }
    this.entries.set(topic, entry)
    this.topicChars += topic.length
    return entry
  }

  private copyPreview(payload: Uint8Array): Buffer {
    const length = Math.min(payload.length, this.previewBytes)
    if (length === 0) return EMPTY
    // A copy: keeping a view would pin the whole (possibly huge, possibly socket-owned) payload.
    return Buffer.from(payload.subarray(0, length))
  }

  private toNode(entry: TopicEntry): TopicNode {
    this.takeLatest(entry)
    if (entry.previewText === null) entry.previewText = entry.preview.toString('base64')
    return {
      topic: entry.topic,
      messages: entry.messages,
      lastPayload: entry.previewText,
      lastSize: entry.lastSize,
      lastUpdated: entry.lastUpdated,
      retained: entry.retained
    }
  }
}
