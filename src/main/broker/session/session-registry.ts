import type { ProtocolVersion } from '../../../shared/broker-types'
import type { Logger } from '../../logger'
import { ReasonCode } from '../codec/reason-codes'
import type { Connection } from '../connection/connection'
import type { BrokerEventBus } from '../events'
import type { Message } from '../message'
import type { BrokerCounters } from '../stats'
import type { Router } from '../topics/router'
import type { DeliveryContext } from './delivery-context'
import { NEVER_EXPIRES, Session, type Will } from './session'
import { MemorySessionStore, type SessionStore } from './session-store'

/** What the registry needs from the broker around it. */
export interface SessionRegistryContext {
  readonly counters: BrokerCounters
  readonly events: BrokerEventBus
  readonly logger: Logger
  readonly router: Router
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
    session.attach(connection, this.context.now())
    return { session, sessionPresent }
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
        session.armWillDelay(Math.min(will.delaySeconds, session.expiryInterval) * 1000, () => {
          const pending = session.will
          session.will = null
          if (pending) this.context.publishWill(pending.message, session)
        })
      }
    } else {
      session.will = null
    }
    if (this.stopping) return willPublished
    if (session.expiryInterval === 0) this.end(session)
    else if (session.expiryInterval !== NEVER_EXPIRES) {
      session.armExpiry(session.expiryInterval * 1000, () => {
        this.context.counters.clientsExpired++
        this.context.logger.info(`session ${session.clientId} expired`)
        this.end(session)
        this.context.events.emit({ type: 'session.expired', clientId: session.clientId })
      })
    }
    return willPublished
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
    session.discardMessages()
    if (this.sessions.get(session.clientId) === session) this.sessions.delete(session.clientId)
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
