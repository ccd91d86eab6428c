/**
 * The broker as its third audience sees it: the inspector, the Electron and headless shells, and
 * later the management API and bridges. They read state, run administrative commands and watch
 * the event stream through this interface only; connections and packet handlers have their own
 * narrower ones (connection/connection-host.ts, handlers/context.ts).
 */
import type {
  AdminSubscribeRequest,
  AdminSubscribeResult,
  BrokerEventOf,
  BrokerEventType,
  BrokerStats,
  ClientDetails,
  ClientInfo,
  ListenerInfo,
  ListenerName,
  PublishRequest,
  RetainedInfo,
  RetainedMessageFull,
  SettingsSource,
  StoreStatus,
  SubscriptionInfo,
  WillInfo
} from '../../shared/broker-types'
import type { BrokerSettings, SettingsResult } from '../../shared/settings'
import type { AuthReloadResult } from './auth/authenticator'
import type { InProcessLink, InProcessOptions } from './connection/in-process-transport'

/** The event stream, read side: subscribe, and pause the per-packet events while a consumer has enough. */
export interface BrokerEventSource {
  on<T extends BrokerEventType>(type: T, listener: (event: BrokerEventOf<T>) => void): () => void
  /** Stop building packet events for this consumer until resumePackets (see BrokerEventBus). */
  suspendPackets(consumer: object): void
  resumePackets(consumer: object): void
}

export type SettingsChangeResult = SettingsResult & { listeners?: ListenerInfo[] }

export interface BrokerControl {
  readonly version: string
  readonly events: BrokerEventSource

  /** Bind the listeners and start the housekeeping timers. */
  start(): Promise<ListenerInfo[]>
  /** Clean shutdown: v5 clients hear 0x8B, wills are not published, listeners close. */
  stop(): Promise<void>

  listeners(): ListenerInfo[]
  stats(): BrokerStats
  /** Packets of every type handled in and out so far (what a packet consumer missed is counted from it). */
  packetsHandled(): number

  listClients(): ClientInfo[]
  /**
   * One client in full (connection, what its CONNACK announced, will, subscriptions, and the first
   * `maxMessages` of its in-flight and of its queued messages); null when there is no such session.
   */
  clientDetails(clientId: string, maxMessages: number): ClientDetails | null
  listSubscriptions(): SubscriptionInfo[]
  listRetained(): RetainedInfo[]
  getRetained(topic: string): RetainedMessageFull | null
  deleteRetained(topic: string): boolean
  clearRetained(): number

  /** Publish as the broker itself. Throws on an invalid topic. Returns how many sessions it went to. */
  publish(request: PublishRequest): number
  /** Disconnect a client (v5: 0x98); its will is published. False when it is not connected. */
  disconnectClient(clientId: string): boolean
  /** Remove an offline session and what it holds. False when there is none, or it is online. */
  deleteSession(clientId: string): boolean

  /** A copy of the settings in force. */
  getSettings(): BrokerSettings
  /**
   * Validate and apply a settings patch while running; listeners are rebound when their fields
   * change. A change emits 'settings.changed' and is logged with its source.
   */
  updateSettings(patch: unknown, source?: SettingsSource): Promise<SettingsChangeResult>
  /** Re-read the auth file (SIGHUP, the UI); a file with errors keeps the rules in force. */
  reloadAuth(): Promise<AuthReloadResult>

  /** The durable store: where it is, what it holds, its last sync and failures. */
  storeStatus(): StoreStatus
  /** Remove every retained message (but $SYS) and every offline session, in memory and in the store. */
  clearStoredData(): { retained: number; sessions: number }

  // ── for the management API (src/main/api) ──

  /** One client's row (online or offline session), or null. */
  getClient(clientId: string): ClientInfo | null
  /**
   * Subscribe a client's session (online or offline) as if it had sent SUBSCRIBE: the same filter
   * checks, features and limits, retained messages per Retain Handling; the ACL is not asked (an
   * administrator's act). Null when there is no such session.
   */
  subscribeClient(clientId: string, requests: readonly AdminSubscribeRequest[]): AdminSubscribeResult[] | null
  /** Remove filters from a client's session; per filter whether it was there. Null when there is no such session. */
  unsubscribeClient(clientId: string, filters: readonly string[]): boolean[] | null
  /** The wills sessions hold (connected clients, and offline ones whose will is delayed). */
  listWills(): WillInfo[]
  /** Connected clients (past CONNACK) per listener. */
  connectionsByListener(): Record<ListenerName, number>
  /** True when the auth file in force has this user with this password (scrypt, off the event loop). */
  checkUserPassword(username: string, password: string): Promise<boolean>

  /**
   * Open a client connection with no socket, for the broker's own clients (a bridge's local side):
   * the caller speaks MQTT over the link, needs no password (its CONNECT's user name is the one the
   * ACL sees), and its client id must start with IN_PROCESS_CLIENT_ID_PREFIX.
   */
  connectInProcess(options: InProcessOptions): InProcessLink
}
