import type { DropReason, QoS, ProtocolVersion } from '../../../shared/broker-types'
import { detachPayload, isExpired, keepForLater, type Message } from '../message'
import { DeliveryQueue } from './delivery-queue'
import type { Connection } from '../connection/connection'
import { SmallMap } from '../small-map'
import type { DeliveryContext } from './delivery-context'

/** A subscription as the session and the subscription trie hold it. */
export interface Subscription {
  readonly session: Session
  /** The filter as the client sent it, including any $share/group/ prefix. */
  readonly filter: string
  readonly topicFilter: string
  readonly shareGroup: string | null
  qos: QoS
  noLocal: boolean
  retainAsPublished: boolean
  retainHandling: 0 | 1 | 2
  subscriptionId: number | null
}

/** One message on its way to one session. */
export interface Delivery {
  readonly message: Message
  readonly qos: QoS
  readonly retain: boolean
  readonly subscriptionIds: readonly number[] | null
  /** The store's key for it within the session (durable sessions), else 0. */
  readonly seq: number
}

export type InflightState = 'awaiting-puback' | 'awaiting-pubrec' | 'awaiting-pubcomp'

export interface InflightEntry extends Delivery {
  readonly packetId: number
  state: InflightState
}

export interface Will {
  readonly message: Message
  readonly delaySeconds: number
}

/**
 * A session's own queue bound, in place of settings.maxQueuedMessages / maxQueuedBytes: a bridge's
 * outgoing queue has its own size and its refusals their own drop reason. Set when its connection
 * attaches (Transport.sessionQueueLimits); a session restored from the store uses the settings
 * until then.
 */
export interface SessionQueueLimits {
  readonly maxMessages: number
  /** Payload bytes; 0: no byte bound. */
  readonly maxBytes: number
  /** What a message the bound refuses is counted as. */
  readonly dropReason: DropReason
  /**
   * QoS 0 waits in the queue while the connection is congested, instead of being dropped as
   * slow-consumer: a bridge whose remote socket is busy for a moment should not lose messages it
   * can pass on a moment later (the bound still holds).
   */
  readonly holdQos0: boolean
}

// Shared empty arrays until a session first needs one: most sessions never queue anything, and
// with tens of thousands of idle clients every per-session allocation shows in memory.
const NO_RESENDS: InflightEntry[] = []

/** Session expiry that means "never" (MQTT 5 §3.1.2.11.2). */
export const NEVER_EXPIRES = 0xffffffff

/** setTimeout's largest delay; longer waits are re-armed in steps. */
const MAX_TIMER_MS = 2_147_483_647

/**
 * The state MQTT keeps for a client id across connections: subscriptions, the outgoing QoS 1/2
 * window, the queue behind it, and incoming QoS 2 ids [MQTT-4.1.0-1]. It outlives its connection
 * until it expires.
 */
export class Session {
  connection: Connection | null = null
  /** By the filter as sent (with any $share/group/ prefix). */
  readonly subscriptions = new SmallMap<Subscription>()
  /**
   * The session outlives its connection and is kept in the store (3.1.1 clean session 0, v5
   * session expiry > 0): its queue, in-flight window and incoming QoS 2 ids are journaled.
   */
  durable = false
  /** Next store key for a delivery (see Delivery.seq). */
  nextSeq = 1
  /** Seconds after disconnection before the session is discarded; NEVER_EXPIRES for never. */
  expiryInterval = 0
  will: Will | null = null
  /** Its own queue bound; null: the broker's settings (see SessionQueueLimits). */
  queueLimits: SessionQueueLimits | null = null
  /** The verified user that made the session; null: anonymous or unverified clients, who share one owner. */
  owner: string | null = null
  private willTimer: NodeJS.Timeout | null = null
  private expiryTimer: NodeJS.Timeout | null = null
  connectedAt: number | null = null
  disconnectedAt: number | null = null
  cleanStart = true
  keepAlive = 0
  username: string | null = null
  messagesIn = 0
  messagesOut = 0

  /** Outgoing QoS 1/2 messages sent and not yet acknowledged, in send order (Map keeps insertion order). */
  private inflightById: Map<number, InflightEntry> | null = null
  /** Messages waiting for room in the in-flight window (or for the client to come back). */
  /** Null while nothing is queued (most sessions, most of the time). */
  private queue: DeliveryQueue | null = null
  /** In-flight PUBLISH packets still to be resent (DUP) on this connection once its Receive Maximum allows. */
  private resendPending: InflightEntry[] = NO_RESENDS
  private nextPacketId = 1
  /** Incoming QoS 2 packet ids received and not yet released (exactly-once, method A) [MQTT-4.3.3-10]. */
  incomingQos2: Set<number> | null = null

  // Scratch fields the router uses to merge overlapping subscriptions without allocating.
  matchGeneration = 0
  matchQos: QoS = 0
  matchRetainAsPublished = false
  matchSubscriptionIds: number[] | null = null

  constructor(
    readonly clientId: string,
    public protocolVersion: ProtocolVersion,
    private readonly context: DeliveryContext
  ) {}

  /** Bind the session to the connection that now carries it. */
  attach(connection: Connection, now: number): void {
    this.cancelTimers()
    this.connection = connection
    this.connectedAt = now
    this.disconnectedAt = null
    connection.session = this
  }

  /** The connection is gone; the session stays until it expires. */
  detach(connection: Connection, now: number): void {
    connection.session = null
    this.connection = null
    this.disconnectedAt = now
  }

  /** Run `fire` after `ms` unless the client comes back first (the will delay). */
  armWillDelay(ms: number, fire: () => void): void {
    if (this.willTimer) clearTimeout(this.willTimer)
    this.willTimer = setTimeout(
      () => {
        this.willTimer = null
        fire()
      },
      Math.min(ms, MAX_TIMER_MS)
    )
    this.willTimer.unref()
  }

  /** Run `fire` once the session has been offline for `ms` (re-armed in steps past setTimeout's limit). */
  armExpiry(ms: number, fire: () => void): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer)
    const step = Math.min(ms, MAX_TIMER_MS)
    this.expiryTimer = setTimeout(() => {
      this.expiryTimer = null
      if (ms > step) this.armExpiry(ms - step, fire)
      else fire()
    }, step)
    this.expiryTimer.unref()
  }

  cancelTimers(): void {
    if (this.willTimer) clearTimeout(this.willTimer)
    if (this.expiryTimer) clearTimeout(this.expiryTimer)
    this.willTimer = this.expiryTimer = null
  }

  get inflightCount(): number {
    return this.inflightById ? this.inflightById.size : 0
  }

  get queuedCount(): number {
    return this.queue === null ? 0 : this.queue.size
  }

  queuedBytes(): number {
    return this.queue === null ? 0 : this.queue.payloadBytes
  }

  /** The queue behind the window, oldest first. */
  *queuedDeliveries(): IterableIterator<Delivery> {
    if (this.queue !== null) yield* this.queue.entries()
  }

  inflightEntries(): IterableIterator<InflightEntry> {
    return (this.inflightById ?? new Map<number, InflightEntry>()).values()
  }

  private get window(): number {
    const connection = this.connection
    const clientMax = connection ? connection.clientReceiveMaximum : 65535
    return Math.min(this.context.settings.maxInflightMessages, clientMax)
  }

  /** Hand one message to this session: send it now, queue it, or drop it and say why. */
  deliver(message: Message, qos: QoS, retain: boolean, subscriptionIds: readonly number[] | null): void {
    const connection = this.connection
    if (qos === 0) {
      if (connection === null || !connection.isReady) {
        // mosquitto's queue_qos0_messages: a durable session may keep QoS 0 while its client is away.
        if (this.durable && this.context.settings.queueQos0Messages) {
          this.enqueue({ message, qos: 0, retain, subscriptionIds, seq: this.nextSeq++ })
        } else this.context.drop(this, message, 'qos0-offline')
      } else if (this.queueLimits?.holdQos0 === true && (this.queuedCount > 0 || connection.isCongested())) {
        // Behind what already waits, in order (see SessionQueueLimits.holdQos0).
        this.enqueue({ message, qos: 0, retain, subscriptionIds, seq: this.durable ? this.nextSeq++ : 0 })
      } else if (connection.isCongested()) {
        this.context.drop(this, message, 'slow-consumer')
      } else {
        connection.sendPublish(message, 0, retain, subscriptionIds, 0, false)
      }
      return
    }
    const delivery: Delivery = { message, qos, retain, subscriptionIds, seq: this.durable ? this.nextSeq++ : 0 }
    if (connection?.isReady && this.queuedCount === 0 && this.inflightCount < this.window && !connection.isCongested()) {
      this.sendInflight(delivery, connection, false)
    } else {
      if (connection !== null && this.inflightCount >= this.context.settings.maxInflightMessages) {
        this.context.limitHit('maxInflightMessages')
      }
      this.enqueue(delivery)
    }
  }

  private enqueue(delivery: Delivery): void {
    const size = delivery.message.payload.length
    const own = this.queueLimits
    if (own !== null) {
      // The session's own bound is not a broker setting: its refusals have their own reason, not a limit hit.
      if (this.queuedCount >= own.maxMessages || (own.maxBytes > 0 && this.queuedBytes() + size > own.maxBytes)) {
        this.context.drop(this, delivery.message, own.dropReason)
        return
      }
    } else {
      const settings = this.context.settings
      if (this.queuedCount >= settings.maxQueuedMessages) {
        this.context.limitHit('maxQueuedMessages')
        this.context.drop(this, delivery.message, 'queue-full')
        return
      }
      if (settings.maxQueuedBytes > 0 && this.queuedBytes() + size > settings.maxQueuedBytes) {
        this.context.limitHit('maxQueuedBytes')
        this.context.drop(this, delivery.message, 'queue-full')
        return
      }
    }
    // Kept for later: it must not pin the socket chunk or encoder slab it came from.
    keepForLater(delivery.message)
    if (this.queue === null) this.queue = new DeliveryQueue()
    this.queue.push(delivery.message, delivery.qos, delivery.retain, delivery.subscriptionIds, delivery.seq)
    if (this.durable) this.context.journal.added(this, delivery)
  }

  private shiftQueue(): Delivery | undefined {
    const queue = this.queue
    if (queue === null) return undefined
    const delivery = queue.shift()
    // An emptied queue gives its memory back: most queues fill only while a client is away.
    if (queue.size === 0) this.queue = null
    return delivery
  }

  private allocatePacketId(): number {
    const inflight = this.inflightById
    for (let tries = 0; tries < 65535; tries++) {
      const id = this.nextPacketId
      this.nextPacketId = id === 65535 ? 1 : id + 1
      if (!inflight?.has(id)) return id
    }
    throw new Error('no free packet identifier')
  }

  /** `queued`: the delivery was journaled as queued (it now becomes in flight); else it is new to the journal. */
  private sendInflight(delivery: Delivery, connection: Connection, queued: boolean): void {
    if (delivery.qos === 0) {
      // A QoS 0 message kept for an offline client (queueQos0Messages) goes out once, with no window.
      if (this.durable) this.context.journal.removed(this, delivery)
      connection.sendPublish(delivery.message, 0, delivery.retain, delivery.subscriptionIds, 0, false)
      return
    }
    const packetId = this.allocatePacketId()
    const entry: InflightEntry = {
      message: delivery.message,
      qos: delivery.qos,
      retain: delivery.retain,
      subscriptionIds: delivery.subscriptionIds,
      seq: delivery.seq,
      packetId,
      state: delivery.qos === 1 ? 'awaiting-puback' : 'awaiting-pubrec'
    }
    if (!this.inflightById) this.inflightById = new Map()
    detachPayload(delivery.message)
    this.inflightById.set(packetId, entry)
    const sent = connection.sendPublish(delivery.message, delivery.qos, delivery.retain, delivery.subscriptionIds, packetId, false)
    if (!sent) {
      // Too large for the client: dropped (and counted) by the connection; the flow is over.
      this.inflightById.delete(packetId)
      if (this.durable && queued) this.context.journal.removed(this, delivery)
      return
    }
    if (!this.durable) return
    if (queued) this.context.journal.updated(this, entry)
    else this.context.journal.added(this, entry)
  }

  /** Move queued messages into the window while there is room and the socket keeps up. */
  pump(): void {
    const connection = this.connection
    if (connection === null || !connection.isReady) return
    // Resends first, within the window: they count against the client's Receive Maximum [MQTT-3.3.4-9].
    const resend = this.resendPending
    while (resend.length > 0 && this.inflightCount - resend.length < this.window && !connection.isCongested()) {
      const entry = resend.shift()!
      // Skip what the client acknowledged on this connection before we got to resend it.
      if (this.inflightById?.get(entry.packetId) !== entry || entry.state === 'awaiting-pubcomp') continue
      if (!this.mayStillReceive(entry.message)) {
        this.inflightById!.delete(entry.packetId)
        this.context.drop(this, entry.message, 'rights-withdrawn')
        if (this.durable) this.context.journal.removed(this, entry)
        continue
      }
      if (!connection.sendPublish(entry.message, entry.qos, entry.retain, entry.subscriptionIds, entry.packetId, true)) {
        this.inflightById!.delete(entry.packetId)
        if (this.durable) this.context.journal.removed(this, entry)
      }
    }
    const now = this.context.now()
    while (this.queuedCount > 0 && this.inflightCount < this.window && !connection.isCongested()) {
      const delivery = this.shiftQueue()!
      if (isExpired(delivery.message, now)) {
        this.context.drop(this, delivery.message, 'expired')
        if (this.durable) this.context.journal.removed(this, delivery)
        continue
      }
      if (!this.mayStillReceive(delivery.message)) {
        this.context.drop(this, delivery.message, 'rights-withdrawn')
        if (this.durable) this.context.journal.removed(this, delivery)
        continue
      }
      this.sendInflight(delivery, connection, true)
    }
  }

  /**
   * Defence in depth: a message that waited (queued, or in flight across a reconnection) is checked
   * against the rules in force now, which a reload may have changed since it was routed.
   */
  private mayStillReceive(message: Message): boolean {
    const auth = this.context.auth
    return !auth.aclActive || auth.canReceive(this, message.topic)
  }

  /** PUBACK for a QoS 1 message we sent. */
  acknowledge(packetId: number): void {
    const entry = this.inflightById?.get(packetId)
    if (entry === undefined || entry.state !== 'awaiting-puback') return
    this.inflightById!.delete(packetId)
    if (this.durable) this.context.journal.removed(this, entry)
    this.pump()
  }

  /** PUBREC for a QoS 2 message we sent; returns false when the id is unknown. */
  received(packetId: number, failed: boolean): boolean {
    const entry = this.inflightById?.get(packetId)
    if (entry === undefined || entry.qos !== 2) return false
    if (failed) {
      // v5: a PUBREC with a failure reason code ends the flow [MQTT-4.3.3-?]; no PUBREL follows.
      this.inflightById!.delete(packetId)
      if (this.durable) this.context.journal.removed(this, entry)
      this.pump()
      return true
    }
    if (entry.state !== 'awaiting-pubcomp') {
      entry.state = 'awaiting-pubcomp'
      if (this.durable) this.context.journal.updated(this, entry)
    }
    return true
  }

  /** PUBCOMP for a QoS 2 message we sent. */
  complete(packetId: number): void {
    const entry = this.inflightById?.get(packetId)
    if (entry === undefined || entry.state !== 'awaiting-pubcomp') return
    this.inflightById!.delete(packetId)
    if (this.durable) this.context.journal.removed(this, entry)
    this.pump()
  }

  /** On reconnection with the session kept: resend unacknowledged PUBLISH (DUP) and PUBREL, in order [MQTT-4.4.0-1]. */
  resume(connection: Connection): void {
    // The send quota starts afresh with each connection (MQTT 5 §4.9): PUBLISH resends go out via pump().
    this.resendPending = NO_RESENDS
    if (this.inflightById) {
      for (const entry of [...this.inflightById.values()]) {
        if (entry.state === 'awaiting-pubcomp') connection.sendPubrel(entry.packetId)
        else {
          if (this.resendPending === NO_RESENDS) this.resendPending = []
          this.resendPending.push(entry)
        }
      }
    }
    this.pump()
  }

  /** Incoming QoS 2: a new packet id awaiting PUBREL [MQTT-4.3.3-10]. False when it is already there (a resend). */
  addIncoming(packetId: number): boolean {
    if (this.incomingQos2 === null) this.incomingQos2 = new Set()
    if (this.incomingQos2.has(packetId)) return false
    this.incomingQos2.add(packetId)
    if (this.durable) this.context.journal.incomingAdded(this, packetId)
    return true
  }

  /** PUBREL: the packet id is released. False when it was not known. */
  releaseIncoming(packetId: number): boolean {
    if (this.incomingQos2 === null || !this.incomingQos2.delete(packetId)) return false
    if (this.durable) this.context.journal.incomingRemoved(this, packetId)
    return true
  }

  /** Restore (from the store) a delivery that was queued or in flight when the broker stopped, in seq order. */
  restoreDelivery(delivery: Delivery, inflight: { packetId: number; state: InflightState } | null): void {
    if (delivery.seq >= this.nextSeq) this.nextSeq = delivery.seq + 1
    if (inflight === null) {
      if (this.queue === null) this.queue = new DeliveryQueue()
      this.queue.push(delivery.message, delivery.qos, delivery.retain, delivery.subscriptionIds, delivery.seq)
      return
    }
    if (!this.inflightById) this.inflightById = new Map()
    this.inflightById.set(inflight.packetId, { ...delivery, packetId: inflight.packetId, state: inflight.state })
    if (inflight.packetId >= this.nextPacketId) this.nextPacketId = inflight.packetId === 65535 ? 1 : inflight.packetId + 1
  }

  /** Everything still owed to the client is lost with the session; count it. */
  discardMessages(): void {
    for (const entry of this.inflightEntries()) this.context.drop(this, entry.message, 'session-ended')
    let delivery: Delivery | undefined
    for (delivery = this.shiftQueue(); delivery !== undefined; delivery = this.shiftQueue())
      this.context.drop(this, delivery.message, 'session-ended')
    this.inflightById = null
    this.queue = null
    this.resendPending = NO_RESENDS
    this.incomingQos2 = null
  }
}
