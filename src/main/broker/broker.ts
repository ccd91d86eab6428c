import type {
  AdminSubscribeRequest,
  AdminSubscribeResult,
  BrokerStats,
  ClientDetails,
  ClientInfo,
  DropReason,
  LimitName,
  ListenerInfo,
  ListenerName,
  MessageProperties,
  PublishRequest,
  QoS,
  RetainedInfo,
  RetainedMessageFull,
  SettingsSource,
  StoreStatus,
  SubscriptionInfo,
  WillInfo
} from '../../shared/broker-types'
import { publishProblem } from '../../shared/mqtt-wire'
import { DEFAULT_SETTINGS, mergeSettings, showSettingValue, type BrokerSettings } from '../../shared/settings'
import { createLogger, type Logger } from '../logger'
import { Authenticator, type AuthReloadResult } from './auth/authenticator'
import { ReasonCode } from './codec/reason-codes'
import type { Connection } from './connection/connection'
import { ConnectionHub } from './connection/connection-hub'
import { InProcessTransport, type InProcessLink, type InProcessOptions } from './connection/in-process-transport'
import type { Transport } from './connection/transport'
import type { BrokerControl, SettingsChangeResult } from './control'
import { BrokerEventBus } from './events'
import { ConnectGate } from './handlers/connect/authenticate'
import type { HandlerContext } from './handlers/context'
import { dispatchPacket } from './handlers'
import { ListenerSet } from './listeners/listener-set'
import { OriginPolicy } from './listeners/origin-policy'
import { createMessage, isExpired, type Message } from './message'
import { MemoryRetainedStore, type RetainedStore } from './retained/retained-store'
import type { DeliveryContext } from './session/delivery-context'
import type { Session, Subscription } from './session/session'
import { describeClient } from './session/client-details'
import { SessionRegistry } from './session/session-registry'
import type { SessionStore } from './session/session-store'
import { BrokerCounters } from './stats'
import { SysTopics } from './sys/sys-topics'
import { checkFilterLimits } from './limits'
import { Router, type SubscriptionRequest } from './topics/router'
import { hasWildcard, isSysTopic, parseSharedFilter, validateTopicFilter, validateTopicName } from './topics/topic-validation'
import type { LoadedState } from './persistence/lmdb-persistence'
import { NO_PERSISTENCE, type Persistence } from './persistence/persistence'
import { toMessage } from './persistence/records'

export type { SubscriptionRequest } from './topics/router'

export interface BrokerOptions {
  logger?: Logger
  version?: string
  sessions?: SessionStore
  retained?: RetainedStore
  /**
   * Overrides settings.connectTimeout (seconds) with a time in ms, for tests that cannot wait a
   * whole second. Checked every 250 ms.
   */
  connectTimeoutMs?: number
  /** The durable store and what it held at start (see persistence/ and core.ts); none: in memory only. */
  store?: { persistence: Persistence; loaded: LoadedState | null }
}

const NO_PROPERTIES: MessageProperties = Object.freeze({})
const RETAINED_PREVIEW_BYTES = 256

/**
 * The MQTT broker, put together: the session registry, the router, the retained store, the
 * connection hub and the listeners. It serves each audience through its own interface: the
 * connections through ConnectionHub (ConnectionHost), the packet handlers through HandlerContext,
 * sessions through DeliveryContext, and the inspector and shells through BrokerControl.
 */
export class Broker implements BrokerControl, HandlerContext, DeliveryContext {
  settings: BrokerSettings
  readonly counters = new BrokerCounters()
  readonly events = new BrokerEventBus()
  /** Users, passwords and ACL rules from settings.authFile (see ./auth). */
  readonly auth: Authenticator
  readonly connectGate = new ConnectGate()
  readonly logger: Logger
  readonly version: string
  readonly sessions: SessionRegistry

  private readonly router: Router
  private readonly retained: RetainedStore
  private readonly connections: ConnectionHub
  private readonly listenerSet: ListenerSet
  private readonly originPolicy: OriginPolicy
  private readonly sys: SysTopics
  private housekeeping: NodeJS.Timeout | null = null
  /** Where retained messages and durable sessions are kept (NO_PERSISTENCE: memory only). */
  readonly journal: Persistence
  private loaded: LoadedState | null

  constructor(settings: Partial<BrokerSettings> = {}, options: BrokerOptions = {}) {
    const merged = mergeSettings({ ...DEFAULT_SETTINGS }, settings)
    if (!merged.ok) throw new Error(`invalid broker settings: ${merged.errors.map((e) => e.message).join('; ')}`)
    this.settings = merged.settings
    this.logger = options.logger ?? createLogger(this.settings.logLevel)
    this.version = options.version ?? '0.1.0'
    this.retained = options.retained ?? new MemoryRetainedStore()
    this.journal = options.store?.persistence ?? NO_PERSISTENCE
    this.loaded = options.store?.loaded ?? null
    this.auth = new Authenticator(this.logger, (limit) => this.limitHit(limit))
    // Read off the event loop (a FIFO or device must not block it); start() waits for it.
    if (this.settings.authFile !== null) void this.auth.load(this.settings.authFile, this.settings.maxSettingFileSize)
    this.router = new Router(this.auth)
    const broker = this
    this.sessions = new SessionRegistry(
      {
        counters: this.counters,
        events: this.events,
        logger: this.logger,
        router: this.router,
        persistence: this.journal,
        now: () => this.now(),
        publishWill: (will, session) => this.publishWill(will, session)
      },
      this,
      options.sessions
    )
    this.connections = new ConnectionHub({
      get settings() {
        return broker.settings
      },
      counters: this.counters,
      events: this.events,
      logger: this.logger,
      sessions: this.sessions,
      persistence: this.journal,
      now: () => this.now(),
      dispatch: (connection, packet) => dispatchPacket(this, connection, packet),
      drop: (session, message, reason) => this.drop(session, message, reason),
      connectTimeoutMs: options.connectTimeoutMs
    })
    this.originPolicy = new OriginPolicy(this)
    this.listenerSet = new ListenerSet((transport) => this.accept(transport), this.logger, {
      upgrades: this.originPolicy,
      limitHit: (limit) => this.limitHit(limit)
    })
    this.sys = new SysTopics({
      version: this.version,
      stats: () => this.stats(),
      publish: (topic, payload) => this.publishSys(topic, payload)
    })
  }

  // ───────────────────────────── lifecycle ─────────────────────────────

  async start(): Promise<ListenerInfo[]> {
    // The first CONNECT must meet the auth file's rules (until it is loaded, every login is refused).
    await this.auth.settled()
    this.sessions.resume()
    if (this.loaded !== null) await this.restore(this.loaded)
    this.loaded = null
    const infos = await this.listenerSet.start(this.settings)
    for (const info of infos) {
      if (info.listening) this.logger.debug(`listening on ${info.name} ${info.host}:${info.port}`)
    }
    this.housekeeping = setInterval(() => this.connections.checkTimeouts(), 250)
    this.housekeeping.unref()
    this.sys.start(this.settings.sysInterval)
    this.events.emit({ type: 'listener.changed', listeners: infos })
    return infos
  }

  /** Clean shutdown: v5 clients are told 0x8B; wills are not published (the clients did nothing wrong). */
  async stop(): Promise<void> {
    this.sessions.shutdown()
    this.sys.stop()
    if (this.housekeeping) clearInterval(this.housekeeping)
    this.housekeeping = null
    this.connections.closeAll()
    await this.listenerSet.stop()
    this.connections.flushAll()
    // Sessions saved as they went offline; the store is marked as closed cleanly.
    await this.journal.close()
  }

  /**
   * What the store held at start, back in memory before any client can connect: retained
   * messages (expired ones dropped), then the durable sessions (see SessionRegistry.restore).
   */
  private async restore(loaded: LoadedState): Promise<void> {
    const started = performance.now()
    const now = this.now()
    let retained = 0
    for (const record of loaded.retained) {
      const message = toMessage(record)
      if (isExpired(message, now)) this.journal.deleteRetained(message.topic)
      else {
        this.retained.set(message)
        retained++
      }
    }
    const messages = new Map<number, Message>()
    for (const [id, record] of loaded.messages) {
      const message = toMessage(record)
      message.storeId = id
      messages.set(id, message)
    }
    const sessions = this.sessions.restore({ ...loaded, messages })
    this.journal.restored(messages.values())
    // The store's "running" mark and any clean-up are on disk before a client is served.
    await this.journal.commit()
    const ms = Math.round(performance.now() - started)
    this.logger.info(
      `store: restored ${retained} retained message${retained === 1 ? '' : 's'} and ${sessions.restored} session${sessions.restored === 1 ? '' : 's'}` +
        `${sessions.expired > 0 ? ` (${sessions.expired} expired while the broker was down)` : ''}` +
        `${loaded.skipped > 0 ? `; ${loaded.skipped} damaged record${loaded.skipped === 1 ? '' : 's'} skipped` : ''}` +
        `${loaded.cleanShutdown ? '' : '; the broker had not shut down cleanly'} in ${ms} ms`
    )
  }

  listeners(): ListenerInfo[] {
    return this.listenerSet.infos()
  }

  /** Hand a connected socket to the broker (listeners call this; tests may too). */
  accept(transport: Transport): Connection {
    return this.connections.accept(transport)
  }

  /** A client connection with no socket (see BrokerControl.connectInProcess). */
  connectInProcess(options: InProcessOptions): InProcessLink {
    const transport = new InProcessTransport(options)
    this.accept(transport)
    return transport.link
  }

  now(): number {
    return Date.now()
  }

  // ───────────────────────────── handler context ─────────────────────────────

  connectedCount(): number {
    return this.connections.connectedCount()
  }

  storeFailing(): boolean {
    return this.journal.failing
  }

  clientConnected(connection: Connection, session: Session, sessionPresent: boolean): void {
    this.connections.clientConnected(connection, session, sessionPresent)
  }

  limitHit(limit: LimitName): void {
    this.counters.countLimit(limit)
  }

  drop(session: Session | null, message: Message, reason: DropReason): void {
    this.counters.countDrop(reason)
    if (this.events.wantsDropped && session) {
      this.events.emit({ type: 'message.dropped', clientId: session.clientId, topic: message.topic, reason })
    }
  }

  subscribe(session: Session, requests: readonly SubscriptionRequest[]): boolean[] {
    const added: boolean[] = []
    const infos: SubscriptionInfo[] = []
    for (const request of requests) {
      const result = this.router.subscribe(session, request)
      added.push(result.added)
      infos.push(subscriptionInfo(result.subscription))
    }
    if (infos.length > 0) this.sessions.saved(session)
    if (infos.length > 0 && this.events.wants('subscribed')) {
      this.events.emit({ type: 'subscribed', clientId: session.clientId, subscriptions: infos })
    }
    return added
  }

  unsubscribe(session: Session, filters: readonly string[]): boolean[] {
    const removed = filters.map((filter) => this.router.unsubscribe(session, filter))
    if (removed.includes(true)) this.sessions.saved(session)
    if (this.events.wants('unsubscribed')) this.events.emit({ type: 'unsubscribed', clientId: session.clientId, filters: [...filters] })
    return removed
  }

  /** After SUBACK: retained messages per Retain Handling; none for shared subscriptions [MQTT-3.8.4-?]. */
  sendRetainedFor(session: Session, requests: readonly SubscriptionRequest[], added: readonly boolean[]): void {
    const now = this.now()
    requests.forEach((request, index) => {
      if (request.shareGroup !== null) return
      if (request.retainHandling === 2 || (request.retainHandling === 1 && !added[index])) return
      const ids = request.subscriptionId !== null ? [request.subscriptionId] : null
      this.retained.match(request.topicFilter, (message) => {
        if (isExpired(message, now)) {
          this.removeRetained(message.topic)
          return
        }
        if (this.auth.aclActive && !this.auth.canReceive(session, message.topic)) return
        // [MQTT-3.3.1-8] retained messages sent on subscribe keep RETAIN = 1.
        session.deliver(message, Math.min(message.qos, request.qos) as QoS, true, ids)
      })
    })
  }

  /**
   * Store (if retained) and deliver an application message. Returns how many sessions it went to
   * (see Router.route).
   */
  publish(message: Message): number
  /** Publish as the broker (the UI's publish form). Throws on an invalid topic. */
  publish(request: PublishRequest): number
  publish(input: Message | PublishRequest): number {
    return isMessage(input) ? this.publishMessage(input) : this.publishRequest(input)
  }

  private publishMessage(message: Message): number {
    if (message.retain) this.storeRetained(message)
    if (this.events.wantsPublished) {
      this.events.emit({
        type: 'message.published',
        clientId: message.origin,
        topic: message.topic,
        qos: message.qos,
        retain: message.retain,
        payload: message.payload,
        properties: message.properties ?? NO_PROPERTIES,
        time: message.createdAt
      })
    }
    return this.router.route(message)
  }

  /**
   * A will goes out under the rules in force when it is published, not when it was accepted: a
   * reload that withdrew the right drops it (counted). Its Message Expiry Interval starts now, not at
   * CONNECT (MQTT 5 §3.1.3.2.4: "sent as the Publication Expiry Interval when the Server publishes
   * the Will Message").
   */
  private publishWill(will: Message, session: Session): void {
    if (this.auth.aclActive && !this.auth.canPublish(session, will.topic)) {
      this.counters.countDrop('not-authorized')
      this.logger.info(`will of ${session.clientId} to ${will.topic} dropped: no longer authorized to publish there`)
      return
    }
    this.publishMessage(
      createMessage({
        topic: will.topic,
        payload: will.payload,
        qos: will.qos,
        retain: will.retain,
        properties: will.properties,
        origin: will.origin,
        now: this.now()
      })
    )
  }

  private storeRetained(message: Message): void {
    // [MQTT-3.3.1-10/-11] an empty retained message clears the topic and is not stored.
    if (message.payload.length === 0) {
      if (this.removeRetained(message.topic)) this.retainedChanged(message.topic, true)
      return
    }
    // Keep our own copy: the parsed payload may be a view into a large socket buffer.
    const copy: Message = { ...message, payload: Buffer.from(message.payload), templates: undefined, storeId: 0, storeRefs: 0 }
    this.retained.set(copy)
    // $SYS is regenerated at every start: not worth a write every few seconds.
    if (!isSysTopic(copy.topic)) this.journal.putRetained(copy)
    this.retainedChanged(message.topic, false)
  }

  private removeRetained(topic: string): boolean {
    const removed = this.retained.delete(topic)
    if (removed && !isSysTopic(topic)) this.journal.deleteRetained(topic)
    return removed
  }

  private retainedChanged(topic: string, removed: boolean): void {
    if (this.events.wants('retained.changed')) this.events.emit({ type: 'retained.changed', topic, removed })
  }

  /** $SYS updates go out retained at QoS 2, as mosquitto sends them (sys_tree.c SYS_TREE_QOS). */
  private publishSys(topic: string, payload: string): void {
    this.publishMessage(createMessage({ topic, payload: Buffer.from(payload), qos: 2, retain: true, origin: null, now: this.now() }))
  }

  // ───────────────────────────── control API ─────────────────────────────

  private publishRequest(request: PublishRequest): number {
    const problem = validateTopicName(request.topic)
    if (problem) throw new Error(`topic ${problem}`)
    const payload = typeof request.payload === 'string' ? Buffer.from(request.payload) : Buffer.from(request.payload)
    // Nothing that cannot be encoded for every subscriber gets in (src/shared/mqtt-wire.ts).
    const wireProblem = publishProblem({ ...request, qos: request.qos ?? 0, payloadBytes: payload.length }, this.settings)
    if (wireProblem) throw new Error(wireProblem)
    const message = createMessage({
      topic: request.topic,
      payload,
      qos: request.qos ?? 0,
      retain: request.retain ?? false,
      properties: request.properties,
      origin: null,
      now: this.now()
    })
    return this.publishMessage(message)
  }

  /** Disconnect a client (v5: 0x98 administrative action); its will is published. Returns false if it is not connected. */
  disconnectClient(clientId: string): boolean {
    const connection = this.sessions.get(clientId)?.connection
    if (!connection) return false
    connection.disconnect(ReasonCode.AdministrativeAction, 'disconnected by the broker administrator')
    return true
  }

  /** Remove an offline session (and its queued messages). */
  deleteSession(clientId: string): boolean {
    return this.sessions.delete(clientId)
  }

  listClients(): ClientInfo[] {
    return [...this.sessions.values()].map((session) => {
      const connection = session.connection
      return {
        clientId: session.clientId,
        connected: connection !== null,
        address: connection?.address ?? null,
        listener: connection?.transport.kind ?? null,
        protocolVersion: session.protocolVersion,
        username: session.username,
        cleanStart: session.cleanStart,
        sessionExpiryInterval: session.expiryInterval,
        keepAlive: session.keepAlive,
        connectedAt: session.connectedAt,
        disconnectedAt: session.disconnectedAt,
        subscriptions: session.subscriptions.size,
        inflight: session.inflightCount,
        queued: session.queuedCount,
        messagesIn: session.messagesIn,
        messagesOut: session.messagesOut
      }
    })
  }

  // ─────── client details: the inspector's client panel (issue 15; self-contained, see session/client-details.ts) ───────

  clientDetails(clientId: string, maxMessages: number): ClientDetails | null {
    const session = this.sessions.get(clientId)
    if (session === undefined) return null
    const client = this.listClients().find((c) => c.clientId === clientId)
    if (client === undefined) return null
    return describeClient(session, client, session.subscriptions.values().map(subscriptionInfo), maxMessages)
  }

  // ───────────────────────────── end of client details ─────────────────────────────

  listSubscriptions(): SubscriptionInfo[] {
    const out: SubscriptionInfo[] = []
    for (const session of this.sessions.values()) {
      for (const subscription of session.subscriptions.values()) out.push(subscriptionInfo(subscription))
    }
    return out
  }

  listRetained(): RetainedInfo[] {
    return [...this.retained.all()].map((message) => retainedInfo(message))
  }

  getRetained(topic: string): RetainedMessageFull | null {
    const message = this.retained.get(topic)
    return message ? { ...retainedInfo(message), payload: message.payload } : null
  }

  deleteRetained(topic: string): boolean {
    const removed = this.removeRetained(topic)
    if (removed) this.retainedChanged(topic, true)
    return removed
  }

  clearRetained(): number {
    const topics = [...this.retained.all()].map((message) => message.topic)
    for (const topic of topics) this.deleteRetained(topic)
    return topics.length
  }

  storeStatus(): StoreStatus {
    let sessions = 0
    for (const session of this.sessions.values()) if (session.durable) sessions++
    let retained = 0
    for (const message of this.retained.all()) if (!isSysTopic(message.topic)) retained++
    return this.journal.status({ retained, sessions })
  }

  /**
   * "Clear stored data": every retained message (but $SYS) and every offline session with what it
   * holds, in memory and in the store. Connected clients keep their sessions. Returns what went.
   */
  clearStoredData(): { retained: number; sessions: number } {
    let retained = 0
    for (const message of [...this.retained.all()]) {
      if (!isSysTopic(message.topic) && this.deleteRetained(message.topic)) retained++
    }
    let sessions = 0
    for (const session of [...this.sessions.values()]) {
      if (session.connection === null && this.sessions.delete(session.clientId)) sessions++
    }
    this.logger.info(`store: cleared ${retained} retained messages and ${sessions} offline sessions`)
    return { retained, sessions }
  }

  getSettings(): BrokerSettings {
    return { ...this.settings }
  }

  /**
   * Re-read settings.authFile (SIGHUP, the UI). Connections stay; the new rules apply to their next
   * PUBLISH, SUBSCRIBE and delivery. A file with errors keeps the rules in force and says why.
   */
  reloadAuth(): Promise<AuthReloadResult> {
    return this.auth.load(this.settings.authFile, this.settings.maxSettingFileSize)
  }

  /** Validate and apply settings while running; listeners are rebound when their fields change. */
  async updateSettings(patch: unknown, source: SettingsSource = 'program'): Promise<SettingsChangeResult> {
    const result = mergeSettings(this.settings, patch)
    if (!result.ok) return result
    if (
      result.settings.authFile !== this.settings.authFile ||
      (typeof patch === 'object' && patch !== null && Object.hasOwn(patch, 'authFile'))
    ) {
      // The auth file is (re)loaded first, even when the path is the same: one with errors is refused and changes nothing.
      const loaded = await this.auth.load(result.settings.authFile, result.settings.maxSettingFileSize)
      if (!loaded.ok) return { ok: false, errors: loaded.errors.map((message) => ({ key: 'authFile', message: `authFile: ${message}` })) }
    }
    const previous = this.settings
    const changed = changedKeys(previous, result.settings)
    if (changed.length === 0) return { ok: true, settings: { ...previous } }
    this.settings = result.settings
    this.logger.setLevel(result.settings.logLevel)
    this.originPolicy.settingsChanged()
    for (const key of changed) {
      this.logger.info(
        `settings (${source}): ${key} ${showSettingValue(key, previous[key])} → ${showSettingValue(key, result.settings[key])}`
      )
    }
    if (previous.sysInterval !== result.settings.sysInterval) this.sys.setInterval(result.settings.sysInterval)
    this.events.emit({ type: 'settings.changed', settings: result.settings, changed, source })
    let listeners: ListenerInfo[] | undefined
    if (this.housekeeping !== null && !this.listenerSet.sameAs(result.settings)) {
      listeners = await this.listenerSet.start(result.settings)
      this.events.emit({ type: 'listener.changed', listeners })
    }
    return { ok: true, settings: { ...result.settings }, listeners }
  }

  packetsHandled(): number {
    return this.counters.messagesReceived + this.counters.messagesSent
  }

  stats(): BrokerStats {
    let connected = 0
    let storedMessages = this.retained.size
    let storedBytes = this.retained.payloadBytes
    let inflight = 0
    for (const session of this.sessions.values()) {
      if (session.connection) connected++
      storedMessages += session.queuedCount
      storedBytes += session.queuedBytes()
      inflight += session.inflightCount
    }
    return this.counters.snapshot({
      clientsConnected: connected,
      clientsDisconnected: this.sessions.size - connected,
      retainedCount: this.retained.size,
      subscriptionCount: this.router.size,
      sharedSubscriptionCount: this.router.sharedSize,
      storedMessages,
      storedBytes,
      inflight
    })
  }

  // ───────────────────── management API (issue 13): BrokerControl additions ─────────────────────
  // One block on purpose: it only calls what the Broker already has (sessions, subscribe,
  // sendRetainedFor, auth), so it can move as a whole when the broker is restructured.

  getClient(clientId: string): ClientInfo | null {
    const session = this.sessions.get(clientId)
    if (!session) return null
    return this.listClients().find((client) => client.clientId === clientId) ?? null
  }

  subscribeClient(clientId: string, requests: readonly AdminSubscribeRequest[]): AdminSubscribeResult[] | null {
    const session = this.sessions.get(clientId)
    if (!session) return null
    const settings = this.settings
    const results: AdminSubscribeResult[] = []
    const accepted: SubscriptionRequest[] = []
    const adding = new Set<string>()
    for (const request of requests) {
      const refuse = (reason: string): void => void results.push({ topic: request.topic, ok: false, reason })
      const shared = parseSharedFilter(request.topic)
      if (shared !== null && 'error' in shared) {
        refuse(shared.error)
        continue
      }
      const topicFilter = shared === null ? request.topic : shared.topicFilter
      const invalid = validateTopicFilter(topicFilter)
      if (invalid !== null) {
        refuse(`topic filter ${invalid}`)
        continue
      }
      if (shared !== null && !settings.sharedSubscriptionAvailable) {
        refuse('shared subscriptions are not available (sharedSubscriptionAvailable)')
        continue
      }
      // [MQTT-3.8.3-4] No Local on a shared subscription is a protocol error.
      if (shared !== null && request.noLocal) {
        refuse('noLocal is not allowed on a shared subscription')
        continue
      }
      if (!settings.wildcardSubscriptionAvailable && hasWildcard(topicFilter)) {
        refuse('wildcard subscriptions are not available (wildcardSubscriptionAvailable)')
        continue
      }
      const overLimit = checkFilterLimits(request.topic, topicFilter, settings)
      if (overLimit !== null) {
        this.counters.countLimit(overLimit)
        refuse(`over ${overLimit}`)
        continue
      }
      const max = settings.maxSubscriptionsPerClient
      if (max > 0 && !session.subscriptions.has(request.topic) && !adding.has(request.topic)) {
        if (session.subscriptions.size + adding.size >= max) {
          this.counters.countLimit('maxSubscriptionsPerClient')
          refuse('over maxSubscriptionsPerClient')
          continue
        }
        adding.add(request.topic)
      }
      const qos = Math.min(request.qos, settings.maximumQos) as QoS
      const v5 = session.protocolVersion === 5
      accepted.push({
        filter: request.topic,
        topicFilter,
        shareGroup: shared === null ? null : shared.group,
        qos,
        // 3.1.1 sessions cannot have the v5 options (their SUBSCRIBE could not carry them).
        noLocal: v5 ? (request.noLocal ?? false) : false,
        retainAsPublished: v5 ? (request.retainAsPublished ?? false) : false,
        retainHandling: v5 ? (request.retainHandling ?? 0) : 0,
        subscriptionId: null
      })
      results.push({ topic: request.topic, ok: true, qos })
    }
    const added = this.subscribe(session, accepted)
    this.sendRetainedFor(session, accepted, added)
    return results
  }

  unsubscribeClient(clientId: string, filters: readonly string[]): boolean[] | null {
    const session = this.sessions.get(clientId)
    if (!session) return null
    return this.unsubscribe(session, filters)
  }

  listWills(): WillInfo[] {
    const wills: WillInfo[] = []
    for (const session of this.sessions.values()) {
      const will = session.will
      if (!will) continue
      wills.push({
        clientId: session.clientId,
        connected: session.connection !== null,
        topic: will.message.topic,
        payload: will.message.payload,
        qos: will.message.qos,
        retain: will.message.retain,
        delayInterval: will.delaySeconds,
        properties: will.message.properties ?? {}
      })
    }
    return wills
  }

  connectionsByListener(): Record<ListenerName, number> {
    const counts: Record<ListenerName, number> = { tcp: 0, ws: 0, tls: 0, wss: 0, unix: 0 }
    // A session holds its connection from CONNACK to close: exactly the connected clients.
    // In-process connections (bridges) are on no listener.
    for (const session of this.sessions.values()) {
      const kind = session.connection?.transport.kind
      if (kind !== undefined && kind !== 'in-process') counts[kind]++
    }
    return counts
  }

  async checkUserPassword(username: string, password: string): Promise<boolean> {
    if (this.settings.authFile === null) return false
    // The same check as a CONNECT's user name and password; certificates and anonymity play no part.
    const settings = { ...this.settings, allowAnonymous: false, useIdentityAsUsername: false }
    const decision = await this.auth.authenticate(settings, PASSWORD_ONLY, username, password)
    return decision.ok && decision.username === username
  }
}

/** authenticate() looks at the transport only for certificate identities, which checkUserPassword turns off. */
const PASSWORD_ONLY = { kind: 'tcp', remoteAddress: 'management API', certificateIdentity: null } as unknown as Transport

function changedKeys(before: BrokerSettings, after: BrokerSettings): Array<keyof BrokerSettings> {
  return (Object.keys(after) as Array<keyof BrokerSettings>).filter((key) => before[key] !== after[key])
}

function isMessage(input: Message | PublishRequest): input is Message {
  return 'createdAt' in input
}

function subscriptionInfo(subscription: Subscription): SubscriptionInfo {
  return {
    clientId: subscription.session.clientId,
    filter: subscription.filter,
    topicFilter: subscription.topicFilter,
    shareGroup: subscription.shareGroup,
    qos: subscription.qos,
    noLocal: subscription.noLocal,
    retainAsPublished: subscription.retainAsPublished,
    retainHandling: subscription.retainHandling,
    subscriptionIdentifier: subscription.subscriptionId
  }
}

function retainedInfo(message: Message): RetainedInfo {
  return {
    topic: message.topic,
    qos: message.qos,
    size: message.payload.length,
    preview: message.payload.subarray(0, RETAINED_PREVIEW_BYTES),
    updatedAt: message.createdAt,
    properties: message.properties ?? {}
  }
}
