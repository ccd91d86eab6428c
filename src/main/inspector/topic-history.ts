/**
 * The last N messages of each topic (N = inspectorHistoryPerTopic), bounded in total bytes
 * (inspectorHistoryBytes, counting payloads plus ENTRY_OVERHEAD_BYTES of bookkeeping per message):
 * when over, the oldest messages across all topics go first. Both kinds of loss are counted.
 *
 * Cost per message: a few field writes into a recycled slot, no allocation once a topic's ring is
 * full. A payload arrives as a view into the broker's socket chunk; it is copied only at settle()
 * (every batch window, or sooner when many are waiting), and only if the message is still in its
 * ring then, so a flood on one topic copies at most N payloads per window instead of every one.
 */
import type { FullPayload, HistoryEntry, HistoryUsage, TopicHistory as TopicHistoryRows } from '../../shared/api'
import type { MessageProperties, QoS } from '../../shared/broker-types'
import type { TopicEntry } from './topic-tree'
import { base64Preview, jsonMessageProperties } from './wire'

/**
 * What a kept message costs beyond its payload, for the byte bound: measured, not guessed (320,000
 * entries of 50-byte payloads over 4,000 topics took ~495 B each of heap and external memory: the
 * slot, its Buffer copy and header, its eviction-order record). It was 160, so the 64 MiB default
 * held ~150 MB in the churn soak.
 */
export const ENTRY_OVERHEAD_BYTES = 448
/** Messages waiting to be settled at most; more settle at once (bounds the socket chunks they pin). */
const MAX_UNSETTLED = 20_000

export interface TopicHistoryOptions {
  perTopic: number
  maxBytes: number
  previewBytes: number
}

/** A message in a ring. Slots are reused when a full ring wraps. */
interface Slot {
  /** Global id; -1 once the slot left its ring. */
  id: number
  ring: TopicRing | null
  /** In the unsettled list (a slot reused within one window is listed once). */
  queued: boolean
  time: number
  clientId: string | null
  qos: QoS
  retain: boolean
  size: number
  /** A view into the broker's buffer until settled, then our own copy; null when only the preview is kept. */
  payload: Uint8Array | null
  /** Set (and `payload` dropped) for a message larger than one entry may hold. */
  preview: Buffer | null
  settled: boolean
  properties: MessageProperties
}

/** One topic's ring of slots, oldest first. */
export class TopicRing {
  slots: Slot[] = []
  head = 0
  count = 0
  olderDropped = 0
  evictedForBytes = 0

  constructor(readonly topic: string) {}

  oldest(): Slot | undefined {
    return this.count === 0 ? undefined : this.slots[this.head]
  }

  at(index: number): Slot {
    return this.slots[(this.head + index) % this.slots.length]
  }
}

const NO_PROPERTIES: MessageProperties = Object.freeze({}) as MessageProperties

export class TopicHistory {
  private perTopic: number
  private maxBytes: number
  readonly previewBytes: number
  /** Largest payload kept whole (bigger ones keep their preview): one message may not take the whole budget. */
  private maxEntryPayload: number

  private nextId = 1
  private bytes = 0
  private entries = 0
  private rings = 0
  private evictedForBytes = 0
  private unsettled: Slot[] = []
  /** Settled slots in settle order (oldest first) with the id they had, for eviction by bytes. */
  private order: Array<{ ring: TopicRing; slot: Slot; id: number }> = []
  private orderHead = 0
  private readonly ringsByTopic = new Set<TopicRing>()

  constructor(options: TopicHistoryOptions) {
    this.perTopic = options.perTopic
    this.maxBytes = options.maxBytes
    this.previewBytes = options.previewBytes
    this.maxEntryPayload = Math.max(options.previewBytes, Math.floor(options.maxBytes / 16))
  }

  // ───────────────────────────── hot path ─────────────────────────────

  record(
    topic: TopicEntry,
    clientId: string | null,
    qos: QoS,
    retain: boolean,
    payload: Uint8Array,
    properties: MessageProperties,
    time: number
  ): void {
    if (this.perTopic === 0) return
    let ring = topic.history
    if (ring === null) {
      ring = new TopicRing(topic.topic)
      topic.history = ring
      this.ringsByTopic.add(ring)
      this.rings++
    }
    let slot: Slot
    if (ring.count < this.perTopic) {
      slot = newSlot()
      // Grows until perTopic: a topic with few messages costs few slots.
      if (ring.count === ring.slots.length) {
        if (ring.head !== 0) {
          ring.slots = this.slotsOf(ring)
          ring.head = 0
        }
        ring.slots.push(slot)
      } else ring.slots[(ring.head + ring.count) % ring.slots.length] = slot
      ring.count++
      this.entries++
    } else {
      // Full: the oldest slot takes the new message.
      slot = ring.slots[ring.head]
      ring.head = (ring.head + 1) % ring.slots.length
      this.release(slot)
      ring.olderDropped++
    }
    slot.id = this.nextId++
    slot.time = time
    slot.clientId = clientId
    slot.qos = qos
    slot.retain = retain
    slot.size = payload.length
    slot.payload = payload
    slot.preview = null
    slot.settled = false
    slot.properties = properties
    slot.ring = ring
    if (!slot.queued) {
      slot.queued = true
      this.unsettled.push(slot)
      if (this.unsettled.length >= MAX_UNSETTLED) this.settle()
    }
  }

  /** Forget what a slot holds (its bytes leave the budget). */
  private release(slot: Slot): void {
    if (slot.settled) this.bytes -= (slot.payload?.length ?? slot.preview?.length ?? 0) + ENTRY_OVERHEAD_BYTES
    slot.payload = null
    slot.preview = null
    slot.settled = false
  }

  /** Copy the waiting messages that are still in their rings, then evict the oldest while over the byte bound. */
  settle(): void {
    const waiting = this.unsettled
    if (waiting.length === 0) return
    this.unsettled = []
    for (const slot of waiting) {
      slot.queued = false
      const ring = slot.ring
      if (ring === null || slot.settled || slot.id < 0 || slot.payload === null) continue
      const view = slot.payload
      if (view.length > this.maxEntryPayload) {
        slot.preview = Buffer.from(view.subarray(0, this.previewBytes))
        slot.payload = null
      } else {
        // A copy: the view belongs to the broker's read buffer.
        slot.payload = Buffer.from(view)
      }
      if (slot.properties !== NO_PROPERTIES && slot.properties.correlationData !== undefined) {
        slot.properties = { ...slot.properties, correlationData: Buffer.from(slot.properties.correlationData) }
      }
      slot.settled = true
      this.bytes += (slot.payload?.length ?? slot.preview?.length ?? 0) + ENTRY_OVERHEAD_BYTES
      this.order.push({ ring, slot, id: slot.id })
    }
    this.enforceBytes()
    this.compactOrder()
  }

  private enforceBytes(): void {
    while (this.bytes > this.maxBytes && this.orderHead < this.order.length) {
      const { ring, slot, id } = this.order[this.orderHead++]
      // Stale: the slot was reused by a newer message, or left its ring.
      if (slot.id !== id) continue
      // The globally oldest settled message is the oldest of its own ring.
      if (ring.oldest() !== slot) continue
      this.release(slot)
      slot.id = -1
      ring.head = (ring.head + 1) % ring.slots.length
      ring.count--
      ring.evictedForBytes++
      this.entries--
      this.evictedForBytes++
    }
  }

  /** Drop consumed and stale entries of the eviction order now and then, so it stays near the live count. */
  private compactOrder(): void {
    if (this.orderHead < 4096 && this.order.length < 2 * this.entries + 4096) return
    this.order = this.order.slice(this.orderHead).filter((item) => item.slot.id === item.id)
    this.orderHead = 0
  }

  // ───────────────────────────── settings ─────────────────────────────

  get limits(): { perTopic: number; maxBytes: number } {
    return { perTopic: this.perTopic, maxBytes: this.maxBytes }
  }

  /** Apply new bounds now: rings longer than perTopic lose their oldest, then bytes are enforced. */
  setLimits(perTopic: number, maxBytes: number): void {
    this.settle()
    this.maxBytes = maxBytes
    this.maxEntryPayload = Math.max(this.previewBytes, Math.floor(maxBytes / 16))
    if (perTopic !== this.perTopic) {
      this.perTopic = perTopic
      for (const ring of this.ringsByTopic) {
        const kept = this.slotsOf(ring).slice(-perTopic || ring.count)
        const dropped = perTopic === 0 ? this.slotsOf(ring) : this.slotsOf(ring).slice(0, ring.count - kept.length)
        for (const slot of dropped) {
          this.release(slot)
          slot.id = -1
          ring.olderDropped++
          this.entries--
        }
        ring.slots = perTopic === 0 ? [] : kept
        ring.head = 0
        ring.count = ring.slots.length
      }
    }
    this.enforceBytes()
    this.compactOrder()
  }

  // ───────────────────────────── read side ─────────────────────────────

  private slotsOf(ring: TopicRing): Slot[] {
    const out: Slot[] = []
    for (let i = 0; i < ring.count; i++) out.push(ring.at(i))
    return out
  }

  /** The messages of one topic, oldest first. */
  rows(topic: TopicEntry | null, topicName: string): TopicHistoryRows {
    this.settle()
    const ring = topic?.history ?? null
    const entries: HistoryEntry[] = []
    if (ring !== null) for (const slot of this.slotsOf(ring)) entries.push(this.toEntry(slot))
    return {
      topic: topicName,
      entries,
      perTopic: this.perTopic,
      olderDropped: ring?.olderDropped ?? 0,
      evictedForBytes: ring?.evictedForBytes ?? 0
    }
  }

  payload(topic: TopicEntry | null, id: number): FullPayload | null {
    this.settle()
    const ring = topic?.history
    if (!ring) return null
    for (const slot of this.slotsOf(ring)) {
      if (slot.id === id && slot.payload !== null) {
        return { payload: Buffer.from(slot.payload).toString('base64'), size: slot.size }
      }
    }
    return null
  }

  /** The topic's newest message, when its whole payload is kept. */
  newestPayload(topic: TopicEntry): { payload: Uint8Array; time: number } | null {
    this.settle()
    const ring = topic.history
    if (!ring || ring.count === 0) return null
    const newest = ring.at(ring.count - 1)
    return newest.payload === null ? null : { payload: newest.payload, time: newest.time }
  }

  /** Visit a topic's kept payloads, oldest first (payload search, chart back-fill). */
  forEachPayload(topic: TopicEntry, visit: (payload: Uint8Array, time: number) => void): void {
    this.settle()
    const ring = topic.history
    if (!ring) return
    for (const slot of this.slotsOf(ring)) {
      const bytes = slot.payload ?? slot.preview
      if (bytes !== null) visit(bytes, slot.time)
    }
  }

  usage(topicsNotKept: number): HistoryUsage {
    return {
      topics: this.rings,
      entries: this.entries,
      bytes: this.bytes,
      maxBytes: this.maxBytes,
      perTopic: this.perTopic,
      evictedForBytes: this.evictedForBytes,
      topicsNotKept
    }
  }

  /** Bytes held now, counting unsettled messages as not yet held (tests). */
  get heldBytes(): number {
    return this.bytes
  }

  private toEntry(slot: Slot): HistoryEntry {
    const bytes = slot.payload ?? slot.preview ?? Buffer.alloc(0)
    return {
      id: slot.id,
      time: slot.time,
      clientId: slot.clientId,
      qos: slot.qos,
      retain: slot.retain,
      size: slot.size,
      preview: base64Preview(bytes, this.previewBytes),
      payloadKept: slot.payload !== null,
      properties: slot.properties === NO_PROPERTIES ? {} : jsonMessageProperties(slot.properties)
    }
  }
}

function newSlot(): Slot {
  return {
    id: -1,
    ring: null,
    queued: false,
    time: 0,
    clientId: null,
    qos: 0,
    retain: false,
    size: 0,
    payload: null,
    preview: null,
    settled: false,
    properties: NO_PROPERTIES
  }
}
