import type { BrokerSettings } from '../../../shared/settings'
import type { Logger } from '../../logger'
import type { Authenticator } from '../auth/authenticator'
import type { Connection } from '../connection/connection'
import type { Message } from '../message'
import type { Session } from '../session/session'
import type { SessionRegistry } from '../session/session-registry'
import type { BrokerCounters } from '../stats'
import type { SubscriptionRequest } from '../topics/router'
import type { ConnectGate } from './connect/authenticate'

/** What the packet handlers need from the broker, and nothing more. */
export interface HandlerContext {
  /** The settings in force (a connection's announced limits are on Connection.limits). */
  readonly settings: BrokerSettings
  readonly counters: BrokerCounters
  readonly logger: Logger
  readonly auth: Authenticator
  readonly sessions: SessionRegistry
  /** Holds a connection's packets while its CONNECT is being authenticated. */
  readonly connectGate: ConnectGate
  now(): number
  /** The store could not write lately: QoS 1/2 PUBLISH is refused rather than acknowledged (see Persistence.failing). */
  storeFailing(): boolean

  /** Connections past CONNACK. */
  connectedCount(): number
  /** The CONNACK is sent: count the connection, tell the event stream, resume what the session owes. */
  clientConnected(connection: Connection, session: Session, sessionPresent: boolean): void

  /** Store (if retained) and deliver an application message; returns how many sessions it went to. */
  publish(message: Message): number
  /** Store subscriptions; per request, whether it was new (Retain Handling 1 needs it). */
  subscribe(session: Session, requests: readonly SubscriptionRequest[]): boolean[]
  /** Remove subscriptions; per filter, whether it existed. */
  unsubscribe(session: Session, filters: readonly string[]): boolean[]
  /** After SUBACK: the retained messages the new subscriptions should receive. */
  sendRetainedFor(session: Session, requests: readonly SubscriptionRequest[], added: readonly boolean[]): void
}
