import type { QoS } from '../../../shared/broker-types'
import type { Message } from '../message'

/** One queued delivery, as the queue hands it out (built on demand; the queue does not keep these objects). */
export interface QueuedDelivery {
  readonly message: Message
  readonly qos: QoS
  readonly retain: boolean
  readonly subscriptionIds: readonly number[] | null
  readonly seq: number
}

const NO_IDS: null = null
/** A queue's first allocation; it doubles as it fills (the session bounds how far). */
const INITIAL_CAPACITY = 8

/**
 * A session's queue of messages waiting for room in its in-flight window (or for the client to
 * come back), oldest first: a ring buffer of parallel arrays rather than an object per message.
 * A queued message then costs a message reference and a few bytes of flags (plus its store key
 * and subscription ids only when a session has them), not a 64-byte object: an offline session
 * may hold thousands, and a broker thousands of such sessions. A session holds one only while
 * something is queued (see Session), so idle sessions pay nothing for it.
 */
export class DeliveryQueue {
  private messages = new Array<Message | undefined>(INITIAL_CAPACITY)
  /** qos (2 bits) | retain (bit 2), per slot. */
  private flags = new Uint8Array(INITIAL_CAPACITY)
  /** Store keys (durable sessions), allocated on first use. */
  private seqs: Float64Array | null = null
  /** Subscription ids per slot, allocated on first use (most messages carry none). */
  private ids: Array<readonly number[] | null> | null = null
  private head = 0
  private count = 0
  private bytes = 0

  get size(): number {
    return this.count
  }

  /** Payload bytes queued (bounded by settings.maxQueuedBytes). */
  get payloadBytes(): number {
    return this.bytes
  }

  push(message: Message, qos: QoS, retain: boolean, subscriptionIds: readonly number[] | null, seq: number): void {
    if (this.count === this.messages.length) this.grow()
    const slot = (this.head + this.count) % this.messages.length
    this.messages[slot] = message
    this.flags[slot] = qos | (retain ? 4 : 0)
    if (seq !== 0) {
      if (this.seqs === null) this.seqs = new Float64Array(this.messages.length)
      this.seqs[slot] = seq
    } else if (this.seqs !== null) this.seqs[slot] = 0
    if (subscriptionIds !== null) {
      if (this.ids === null) this.ids = new Array<readonly number[] | null>(this.messages.length).fill(NO_IDS)
      this.ids[slot] = subscriptionIds
    } else if (this.ids !== null) this.ids[slot] = NO_IDS
    this.count++
    this.bytes += message.payload.length
  }

  /** The oldest delivery, removed. */
  shift(): QueuedDelivery | undefined {
    if (this.count === 0) return undefined
    const slot = this.head
    const delivery = this.at(slot)
    this.messages[slot] = undefined
    if (this.ids !== null) this.ids[slot] = NO_IDS
    this.head = (slot + 1) % this.messages.length
    this.count--
    this.bytes -= delivery.message.payload.length
    return delivery
  }

  /** Oldest first, without removing. */
  *entries(): IterableIterator<QueuedDelivery> {
    for (let i = 0; i < this.count; i++) yield this.at((this.head + i) % this.messages.length)
  }

  private at(slot: number): QueuedDelivery {
    const flags = this.flags[slot]
    return {
      message: this.messages[slot]!,
      qos: (flags & 3) as QoS,
      retain: (flags & 4) !== 0,
      subscriptionIds: this.ids === null ? null : this.ids[slot],
      seq: this.seqs === null ? 0 : this.seqs[slot]
    }
  }

  private grow(): void {
    const capacity = this.messages.length * 2
    const messages = new Array<Message | undefined>(capacity)
    const flags = new Uint8Array(capacity)
    const seqs = this.seqs === null ? null : new Float64Array(capacity)
    const ids = this.ids === null ? null : new Array<readonly number[] | null>(capacity).fill(NO_IDS)
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) % this.messages.length
      messages[i] = this.messages[from]
      flags[i] = this.flags[from]
      if (seqs !== null) seqs[i] = this.seqs![from]
      if (ids !== null) ids[i] = this.ids![from]
    }
    this.messages = messages
    this.flags = flags
    this.seqs = seqs
    this.ids = ids
    this.head = 0
  }
}
