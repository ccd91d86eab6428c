import type { TopicNode } from '../../shared/api'

export interface TopicTreeOptions {
  /** Topics tracked at most (default 20 000). */
  maxTopics?: number
  /** Total characters of tracked topic names (default 4 Mi): topic names may be up to 64 KiB each. */
  maxTopicChars?: number
  /** Payload bytes kept per topic for the preview (default 256). */
  previewBytes?: number
}

interface TopicEntry {
  topic: string
  messages: number
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
  readonly maxTopics: number
  readonly maxTopicChars: number
  readonly previewBytes: number
  private readonly entries = new Map<string, TopicEntry>()
  private readonly dirty = new Set<TopicEntry>()
  private topicChars = 0
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
   * next sent or settle() runs, then copied; the broker never reuses a payload's memory meanwhile.
   */
  recordMessage(topic: string, payload: Uint8Array, time: number): void {
    const entry = this.entry(topic)
    if (entry === null) {
      this.notTracked++
      return
    }
    entry.messages++
    entry.lastSize = payload.length
    entry.lastUpdated = time
    entry.latest = payload
    entry.previewText = null
    this.dirty.add(entry)
  }

  /** Copy out every pending preview, so no payload view outlives the inspector's attachment. */
  settle(): void {
    for (const entry of this.dirty) this.takeLatest(entry)
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
        this.dirty.add(existing)
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
    this.dirty.add(entry)
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
        this.dirty.add(entry)
      }
    }
    for (const entry of this.entries.values()) {
      if (entry.retained && !held.has(entry.topic)) {
        entry.retained = false
        this.dirty.add(entry)
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
    return this.dirty.size > 0
  }

  /** The topics changed since the last call (upserts, keyed by topic). */
  takeChanges(): TopicNode[] {
    const out: TopicNode[] = []
    for (const entry of this.dirty) out.push(this.toNode(entry))
    this.dirty.clear()
    return out
  }

  /** Forget pending changes (a full refresh is about to carry everything). */
  discardChanges(): void {
    this.dirty.clear()
  }

  clear(): void {
    this.entries.clear()
    this.dirty.clear()
    this.topicChars = 0
    this.notTracked = 0
  }

  private entry(topic: string): TopicEntry | null {
    const existing = this.entries.get(topic)
    if (existing !== undefined) return existing
    if (this.entries.size >= this.maxTopics || this.topicChars + topic.length > this.maxTopicChars) return null
    const entry: TopicEntry = {
      topic,
      messages: 0,
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
