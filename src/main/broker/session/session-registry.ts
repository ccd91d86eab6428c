import type { ProtocolVersion } from '../../../shared/broker-types'
import type { Logger } from '../../logger'
import { ReasonCode } from '../codec/reason-codes'
import type { Connection } from '../connection/connection'
import type { BrokerEventBus } from '../events'
import type { Message } from '../message'
import type { BrokerCounters } from '../stats'
import type { Router } from '../topics/router'
import type { DeliveryContext } from './delivery-context'
import { NEVER_EXPIRES, Session, type SessionQueueLimits, type Will } from './session'
import { MemorySessionStore, type SessionStore } from './session-store'
import type { Persistence } from '../persistence/persistence'
import { type DeliveryRecord, inlineMessage, type SessionRecord, stateOf, toMessage } from '../persistence/records'

/** What the registry needs from the broker around it. */
export interface SessionRegistryContext {
  readonly counters: BrokerCounters
  readonly events: BrokerEventBus
  readonly logger: Logger
  readonly router: Router
  readonly persistence: Persistence
  now(): number
  /** Publish a session's will as an application message, if its user may still publish there. */
  publishWill(will: Message, session: Session): void
}

/** A CONNECT that passed validation and authentication, as the session needs it. */
export interface SessionRequest {
  clientId: string
  cleanStart: boolean
  protocolVersion: ProtocolVersion
  /** Seconds; NEVER_EXPIRES for never. */
  expiryInterval: number
  /** Who owns the session: the verified user name, or null (anonymous and unverified clients share it). */
  owner: string | null
  /** The user name the client gave (or its certificate's CN); null: none. */
  username: string | null
  will: Will | null
  keepAlive: number
  /** The session's own queue bound (an in-process bridge connection), or null for the settings'. */
  queueLimits: SessionQueueLimits | null
}

/**
 * Every session by client id, and their lifecycle: attach (new, resumed, taken over), detach
 * (the will, now or after its delay), expiry, and the end of a session. The will and expiry
 * timers live on the Session; the registry decides when to arm them.
 */
export class SessionRegistry {
  private readonly sessions: SessionStore
  private stopping = false

  constructor(
    private readonly context: SessionRegistryContext,
    private readonly delivery: DeliveryContext,
    store: SessionStore = new MemorySessionStore()
  ) {
    this.sessions = store
  }

  get(clientId: string): Session | undefined {
    return this.sessions.get(clientId)
  }

  values(): IterableIterator<Session> {
    return this.sessions.values()
  }

  get size(): number {
    return this.sessions.size
  }

  isConnected(clientId: string): boolean {
    return this.sessions.get(clientId)?.connection != null
  }

  /** Bind a connection to its session: take over, resume or start afresh [MQTT-3.1.2-4/-5, MQTT-3.1.4-3]. */
  attach(connection: Connection, request: SessionRequest): { session: Session; sessionPresent: boolean } {
    const { clientId } = request
    let session = this.sessions.get(clientId)
    if (session?.connection) {
      const previous = session.connection
      const willPublished = this.detach(previous)
      previous.disconnect(ReasonCode.SessionTakenOver, 'another connection took over the session')
      this.context.events.emit({ type: 'client.disconnected', clientId, reason: 'session taken over', willPublished })
      // Detaching may have ended the session (expiry 0); the new connection then starts afresh.
      session = this.sessions.get(clientId)
    }
    if (session && request.cleanStart) {
      this.end(session)
      session = undefined
    }
    const sessionPresent = session !== undefined
    if (!session) {
      session = new Session(clientId, request.protocolVersion, this.delivery)
      this.sessions.set(session)
    }
    // [MQTT-3.1.3-9] reconnecting before the will delay passes cancels the will.
    session.will = request.will
    session.owner = request.owner
    session.username = request.username
    session.protocolVersion = request.protocolVersion
    session.expiryInterval = request.expiryInterval
    session.cleanStart = request.cleanStart
    session.keepAlive = request.keepAlive
    session.queueLimits = request.queueLimits
    session.attach(connection, this.context.now())
    // A session that outlives its connection is kept in the store (a v5 client may also reconnect
    // with expiry 0 to a stored session: it then ends with this connection and leaves the store now).
    const wasDurable = session.durable
    session.durable = request.expiryInterval !== 0 && this.context.persistence.enabled
    if (session.durable) this.context.persistence.putSession(session)
    else if (wasDurable) this.context.persistence.deleteSession(session)
    return { session, sessionPresent }
  }

  /** A durable session's own record changed (subscriptions, will, expiry): save it. */
  saved(session: Session): void {
    if (session.durable) this.context.persistence.putSession(session)
  }

  /**
   * The connection is gone (closed, or taken over): the will goes out now or after its delay, and
   * the session ends at once (expiry 0) or when its expiry passes. Returns true if the will went out now.
   */
  detach(connection: Connection): boolean {
    const session = connection.session
    if (session === null || session.connection !== connection) return false
    session.detach(connection, this.context.now())
    let willPublished = false
    const will = session.will
    if (will && connection.publishWillOnClose && !this.stopping) {
      if (will.delaySeconds === 0 || session.expiryInterval === 0) {
        session.will = null
        this.context.publishWill(will.message, session)
        willPublished = true
      } else {
        this.armWill(session, Math.min(will.delaySeconds, session.expiryInterval) * 1000)
      }
    } else {
      session.will = null
    }
    if (session.expiryInterval === 0 && !this.stopping) {
      this.end(session)
      return willPublished
    }
    // Saved with its pending will (if any) and the time it went offline: a restart carries both on.
    this.saved(session)
    if (!this.stopping) this.armExpiry(session, session.expiryInterval)
    return willPublished
  }

  private armWill(session: Session, delayMs: number): void {
    session.armWillDelay(delayMs, () => {
      const pending = session.will
      session.will = null
      if (pending) this.context.publishWill(pending.message, session)
      this.saved(session)
    })
  }

  private armExpiry(session: Session, expirySeconds: number, elapsedMs = 0): void {
    if (expirySeconds === NEVER_EXPIRES) return
    session.armExpiry(Math.max(0, expirySeconds * 1000 - elapsedMs), () => {
      this.context.counters.clientsExpired++
      this.context.logger.info(`session ${session.clientId} expired`)
      this.end(session)
      this.context.events.emit({ type: 'session.expired', clientId: session.clientId })
    })
  }

  /** Remove an offline session (and its queued messages). False when there is none, or it is online. */
  delete(clientId: string): boolean {
    const session = this.sessions.get(clientId)
    if (!session || session.connection) return false
    this.end(session)
    return true
  }

  /** The session is over: its pending will goes out, its subscriptions and messages go away. */
  private end(session: Session): void {
    session.cancelTimers()
    if (session.will && !this.stopping) {
      const message = session.will.message
      session.will = null
      this.context.publishWill(message, session)
    }
    this.context.router.removeAll(session)
    if (session.durable) {
      this.context.persistence.deleteSession(session)
      session.durable = false
    }
    session.discardMessages()
    if (this.sessions.get(session.clientId) === session) this.sessions.delete(session.clientId)
  }

  /**
   * Rebuild the durable sessions the store held: subscriptions, queue, in-flight window, incoming
   * QoS 2 ids, owner. Time moved on while the broker was down: a session whose expiry passed ends
   * now (its will goes out), a pending will whose delay passed goes out, the rest are re-armed for
   * what is left. Sessions that were online when a broker crashed lost their connection then: their
   * wills are handled as after any abnormal close. Returns how many sessions expired.
   */
  restore(loaded: {
    sessions: Map<string, SessionRecord>
    deliveries: ReadonlyArray<{ clientId: string; seq: number; record: DeliveryRecord }>
    incoming: ReadonlyArray<{ clientId: string; packetId: number }>
    messages: ReadonlyMap<number, Message>
    cleanShutdown: boolean
  }): { restored: number; expired: number } {
    const now = this.context.now()
    const restored: Array<{ session: Session; record: SessionRecord }> = []
    for (const [clientId, record] of loaded.sessions) {
      const session = new Session(clientId, record.pv, this.delivery)
      session.owner = record.ow
      session.username = record.u
      session.expiryInterval = record.ex
      session.cleanStart = record.cs
      session.keepAlive = record.ka
      session.durable = true
      session.disconnectedAt = record.on ? now : (record.dc ?? now)
      for (const [filter, topicFilter, shareGroup, qos, noLocal, retainAsPublished, retainHandling, subscriptionId] of record.s) {
        this.context.router.subscribe(session, {
          filter,
          topicFilter,
          shareGroup,
          qos,
          noLocal,
          retainAsPublished,
          retainHandling,
          subscriptionId
        })
      }
      // After a clean shutdown no will is pending (wills are not published when the broker stops).
      if (record.w !== null && !(record.on && loaded.cleanShutdown)) {
        session.will = { message: toMessage(record.w.m), delaySeconds: record.w.d }
      }
      this.sessions.set(session)
      restored.push({ session, record })
    }
    for (const { clientId, seq, record } of loaded.deliveries) {
      const session = this.sessions.get(clientId)
      const message = record.mi !== undefined ? inlineMessage(record.mi) : loaded.messages.get(record.m)
      if (session === undefined || message === undefined) continue
      message.storeRefs++
      const delivery = { message, qos: record.q, retain: record.r, subscriptionIds: record.s, seq }
      session.restoreDelivery(
        delivery,
        record.pid !== undefined && record.st !== undefined ? { packetId: record.pid, state: stateOf(record.st) } : null
      )
    }
    for (const { clientId, packetId } of loaded.incoming) {
      const session = this.sessions.get(clientId)
      if (session === undefined) continue
      if (session.incomingQos2 === null) session.incomingQos2 = new Set()
      session.incomingQos2.add(packetId)
    }
    // Second pass, once every session is back: wills and expiry may publish to the others.
    let expired = 0
    for (const { session, record } of restored) {
      const offlineMs = now - (session.disconnectedAt ?? now)
      if (session.expiryInterval !== NEVER_EXPIRES && offlineMs >= session.expiryInterval * 1000) {
        expired++
        this.context.counters.clientsExpired++
        this.context.logger.info(`session ${session.clientId} expired while the broker was down`)
        this.end(session)
        continue
      }
      const will = session.will
      if (will !== null) {
        const delayMs = Math.min(will.delaySeconds, session.expiryInterval) * 1000
        if (delayMs - offlineMs <= 0) {
          session.will = null
          this.context.publishWill(will.message, session)
        } else this.armWill(session, delayMs - offlineMs)
      }
      this.armExpiry(session, session.expiryInterval, offlineMs)
      if (record.on || will !== null) this.saved(session)
    }
    return { restored: restored.length - expired, expired }
  }

  /** Broker shutdown: sessions stay as they are (no wills, no expiry), their timers stop. */
  shutdown(): void {
    this.stopping = true
    for (const session of this.sessions.values()) session.cancelTimers()
  }

  /** The broker starts (again): detaching ends or expires sessions as usual. */
  resume(): void {
    this.stopping = false
  }
}
