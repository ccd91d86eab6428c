import type { Packet } from 'mqtt-packet'
import type {
  BrokerStats,
  ClientInfo,
  DropReason,
  LimitName,
  ListenerInfo,
  MessageProperties,
  PacketRecord,
  ProtocolVersion,
  PublishRequest,
  QoS,
  RetainedInfo,
  RetainedMessageFull,
  SettingsSource,
  SubscriptionInfo
} from '../../shared/broker-types'
import { DEFAULT_SETTINGS, mergeSettings, type BrokerSettings } from '../../shared/settings'
import type { BrokerControl, SettingsChangeResult } from './control'
import { createLogger, type Logger } from '../logger'
import { ReasonCode } from './codec/reason-codes'
import { Connection } from './connection/connection'
import type { ConnectionHost } from './connection/connection-host'
import { DrainMonitor } from './connection/drain-monitor'
import type { Transport } from './connection/transport'
import { BrokerEventBus } from './events'
import { handlePubcomp, handlePuback, handlePubrec, handlePubrel } from './handlers/acknowledgements'
import { handleConnect } from './handlers/connect'
import { handleDisconnect } from './handlers/disconnect'
import { handlePublish } from './handlers/publish'
import { handleSubscribe, handleUnsubscribe } from './handlers/subscribe'
import { ListenerSet } from './listeners/listener-set'
import { createMessage, isExpired, type Message } from './message'
import { MemoryRetainedStore, type RetainedStore } from './retained/retained-store'
import type { DeliveryContext } from './session/delivery-context'
import { MemorySessionStore, type SessionStore } from './session/session-store'
import { NEVER_EXPIRES, Session, type Subscription } from './session/session'
import { BrokerCounters } from './stats'
import { SysTopics } from './sys/sys-topics'
import { Authenticator, type AuthReloadResult } from './auth/authenticator'
import { ConnectGate } from './auth/connect-gate'
import { validateTopicName } from './topics/topic-validation'
import { SubscriptionTrie } from './topics/subscription-trie'

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
}

/** What SUBSCRIBE asks for, after validation. */
export interface SubscriptionRequest {
  filter: string
  topicFilter: string
  shareGroup: string | null
  qos: QoS
  noLocal: boolean
  retainAsPublished: boolean
  retainHandling: 0 | 1 | 2
  subscriptionId: number | null
}

/** The members of one shared subscription group on one filter, served round-robin. */
interface ShareGroup {
  readonly members: Subscription[]
  next: number
}

const NO_PROPERTIES: MessageProperties = Object.freeze({})

/** Placeholder for the routing scratch array's free slots. */
const NO_SESSION = null as unknown as Session

/** setTimeout's largest delay; longer expiries are re-armed in steps. */
const MAX_TIMER_MS = 2_147_483_647
const RETAINED_PREVIEW_BYTES = 256

/**
 * The MQTT broker: it owns the sessions, the subscription index, the retained store and the
 * listeners, routes every message, and offers a typed control API and event stream to the
 * inspector. Packet-level rules live in ./handlers; per-socket state in ./connection.
 */
export class Broker implements BrokerControl, ConnectionHost, DeliveryContext {
  settings: BrokerSettings
  readonly counters = new BrokerCounters()
  readonly events = new BrokerEventBus()
  /** Users, passwords and ACL rules from settings.authFile (see ./auth). */
  readonly auth: Authenticator
  private readonly connectGate: ConnectGate
  readonly logger: Logger
  readonly version: string

  private readonly sessions: SessionStore
  private readonly retained: RetainedStore
  private readonly subscriptions = new SubscriptionTrie<Subscription>()
  private readonly shared = new SubscriptionTrie<ShareGroup>()
  private readonly connections = new Set<Connection>()
  private readonly listenerSet: ListenerSet
  private readonly sys: SysTopics
  private housekeeping: NodeJS.Timeout | null = null
  private stopping = false
  private readonly connectTimeoutOverrideMs: number | undefined
  private readonly drainMonitor = new DrainMonitor()

  // Batched writes: connections with output this tick, flushed together once per loop turn.
  private dirty: Connection[] = []
  private pausedReaders: Connection[] = []
  private flushQueued = false

  // Routing scratch space (see publishMessage).
  private matchGeneration = 0
  private matched: Session[] = []
  private matchedCount = 0
  private routing: Message | null = null

  constructor(settings: Partial<BrokerSettings> = {}, options: BrokerOptions = {}) {
    const merged = mergeSettings({ ...DEFAULT_SETTINGS }, settings)
    if (!merged.ok) throw new Error(`invalid broker settings: ${merged.errors.map((e) => e.message).join('; ')}`)
    this.settings = merged.settings
    this.logger = options.logger ?? createLogger(this.settings.logLevel)
    this.version = options.version ?? '0.1.0'
    this.sessions = options.sessions ?? new MemorySessionStore()
    this.retained = options.retained ?? new MemoryRetainedStore()
    this.connectTimeoutOverrideMs = options.connectTimeoutMs
    this.listenerSet = new ListenerSet((transport) => this.accept(transport), this.logger)
    this.auth = new Authenticator(this.logger)
    if (this.settings.authFile !== null) this.auth.load(this.settings.authFile)
    this.connectGate = new ConnectGate(this)
    this.sys = new SysTopics({
      version: this.version,
      stats: () => this.stats(),
      publish: (topic, payload) => this.publishSys(topic, payload)
    })
  }

  // ───────────────────────────── lifecycle ─────────────────────────────

  async start(): Promise<ListenerInfo[]> {
    this.stopping = false
    const infos = await this.listenerSet.start(this.settings)
    for (const info of infos) {
      if (info.listening) this.logger.debug(`listening on ${info.name} ${info.host}:${info.port}`)
    }
    this.housekeeping = setInterval(() => this.checkTimeouts(), 250)
    this.housekeeping.unref()
    this.sys.start(this.settings.sysInterval)
    this.events.emit({ type: 'listener.changed', listeners: infos })
    return infos
  }

  /** Clean shutdown: v5 clients are told 0x8B; wills are not published (the clients did nothing wrong). */
  async stop(): Promise<void> {
    this.stopping = true
    this.sys.stop()
    if (this.housekeeping) clearInterval(this.housekeeping)
    this.housekeeping = null
    for (const connection of [...this.connections]) {
      connection.publishWillOnClose = false
      connection.disconnect(ReasonCode.ServerShuttingDown, 'server shutting down')
    }
    await this.listenerSet.stop()
    for (const session of this.sessions.values()) {
      if (session.willTimer) clearTimeout(session.willTimer)
      if (session.expiryTimer) clearTimeout(session.expiryTimer)
    }
    this.flushAll()
  }

  listeners(): ListenerInfo[] {
    return this.listenerSet.infos()
  }

  /** Hand a connected socket to the broker (listeners call this; tests may too). */
  accept(transport: Transport): Connection {
    this.counters.socketsTotal++
    const connection = new Connection(transport, this)
    this.connections.add(connection)
    return connection
  }

  now(): number {
    return Date.now()
  }

  isConnected(clientId: string): boolean {
    return this.sessions.get(clientId)?.connection != null
  }

  /** Connections past CONNACK; kept as a count because walking every connection on each CONNECT is quadratic. */
  connectedCount(): number {
    return this.connectedClients
  }

  private connectedClients = 0

  // ───────────────────────────── packets ─────────────────────────────

  handlePacket(connection: Connection, packet: Packet): void {
    if (connection.state === 'awaiting-connect') {
      // Authentication (when configured) decides before handleConnect runs; see auth/connect-gate.ts.
      if (this.connectGate.intercept(connection, packet)) return
      // [MQTT-3.1.0-1] the first packet must be CONNECT.
      if (packet.cmd !== 'connect') return connection.close(`${packet.cmd} before CONNECT`)
      return handleConnect(this, connection, packet)
    }
    switch (packet.cmd) {
      case 'publish':
        return handlePublish(this, connection, packet)
      case 'puback':
        return handlePuback(connection, packet)
      case 'pubrec':
        return handlePubrec(connection, packet)
      case 'pubrel':
        return handlePubrel(connection, packet)
      case 'pubcomp':
        return handlePubcomp(connection, packet)
      case 'subscribe':
        return handleSubscribe(this, connection, packet)
      case 'unsubscribe':
        return handleUnsubscribe(this, connection, packet)
      case 'pingreq':
        return connection.send({ cmd: 'pingresp' })
      case 'disconnect':
        return handleDisconnect(this, connection, packet)
      case 'connect':
        // [MQTT-3.1.0-2] a second CONNECT is a protocol violation.
        return connection.protocolClose(ReasonCode.ProtocolError, 'second CONNECT')
      case 'auth':
        // A CONNECT with an Authentication Method is refused (CONNACK 0x8C), so a connected client set
        // none and must not send AUTH (MQTT 5 §4.12): a protocol error. 0x8C is not a DISCONNECT
        // reason code (§3.14.2.1), so it cannot be the answer here (found by the fuzzer).
        return connection.protocolClose(ReasonCode.ProtocolError, 'AUTH without an authentication method in CONNECT')
      default:
        // CONNACK, SUBACK, UNSUBACK, PINGRESP only flow from server to client.
        return connection.protocolClose(ReasonCode.ProtocolError, `a client must not send ${packet.cmd}`)
    }
  }

  scheduleFlush(connection: Connection): void {
    this.dirty.push(connection)
    this.queueTurnEnd()
  }

  scheduleResume(connection: Connection): void {
    this.pausedReaders.push(connection)
    this.queueTurnEnd()
  }

  private queueTurnEnd(): void {
    if (!this.flushQueued) {
      this.flushQueued = true
      setImmediate(this.flushAll)
    }
  }

  /** End of a loop turn: write what each connection queued, then let paused readers read again. */
  private readonly flushAll = (): void => {
    this.flushQueued = false
    const dirty = this.dirty
    this.dirty = []
    for (const connection of dirty) connection.flush()
    const paused = this.pausedReaders
    this.pausedReaders = []
    for (const connection of paused) connection.resumeReading()
  }

  emitPacket(record: PacketRecord): void {
    this.events.emit({ type: 'packet', packet: record })
  }

  messageDelivered(clientId: string, message: Message, qos: QoS): void {
    this.events.emit({ type: 'message.delivered', clientId, topic: message.topic, qos })
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

  // ───────────────────────────── sessions ─────────────────────────────

  /** Bind a connection to its session: take over, resume or start afresh [MQTT-3.1.2-4/-5, MQTT-3.1.4-3]. */
  attachSession(
    connection: Connection,
    clientId: string,
    cleanStart: boolean,
    protocolVersion: ProtocolVersion,
    expiryInterval: number
  ): { session: Session; sessionPresent: boolean } {
    let session = this.sessions.get(clientId)
    if (session?.connection) {
      const previous = session.connection
      const willPublished = this.detach(previous, session)
      previous.disconnect(ReasonCode.SessionTakenOver, 'another connection took over the session')
      this.events.emit({ type: 'client.disconnected', clientId, reason: 'session taken over', willPublished })
      // Detaching may have ended the session (expiry 0); the new connection then starts afresh.
      session = this.sessions.get(clientId)
    }
    if (session && cleanStart) {
      this.endSession(session)
      session = undefined
    }
    const sessionPresent = session !== undefined
    if (!session) {
      session = new Session(clientId, protocolVersion, this)
      this.sessions.set(session)
    }
    // [MQTT-3.1.3-9] reconnecting before the will delay passes cancels the will.
    if (session.willTimer) clearTimeout(session.willTimer)
    if (session.expiryTimer) clearTimeout(session.expiryTimer)
    session.willTimer = session.expiryTimer = null
    session.will = null
    session.protocolVersion = protocolVersion
    session.expiryInterval = expiryInterval
    session.cleanStart = cleanStart
    session.connection = connection
    session.connectedAt = this.now()
    session.disconnectedAt = null
    connection.session = session
    return { session, sessionPresent }
  }

  clientConnected(connection: Connection, session: Session, sessionPresent: boolean): void {
    connection.state = 'connected'
    connection.countedAsConnected = true
    this.counters.connectionsTotal++
    const connected = ++this.connectedClients
    if (connected > this.counters.clientsMaximum) this.counters.clientsMaximum = connected
    if (this.logger.isEnabled('info')) {
      this.logger.info(
        `client ${connection.clientId} connected from ${connection.address} (${connection.transport.kind}, MQTT ${versionName(connection.protocolVersion)}, ${sessionPresent ? 'session resumed' : 'new session'})`
      )
    }
    if (this.events.wants('client.connected'))
      this.events.emit({
        type: 'client.connected',
        clientId: connection.clientId,
        address: connection.address,
        listener: connection.transport.kind,
        protocolVersion: connection.protocolVersion,
        cleanStart: session.cleanStart,
        sessionPresent,
        keepAlive: connection.keepAlive,
        username: session.username
      })
    if (sessionPresent) session.resume(connection)
  }

  connectionClosed(connection: Connection): void {
    this.connections.delete(connection)
    if (connection.countedAsConnected) {
      connection.countedAsConnected = false
      this.connectedClients--
    }
    const session = connection.session
    if (session === null || session.connection !== connection) return
    const willPublished = this.detach(connection, session)
    this.logger.info(`client ${connection.clientId} disconnected: ${connection.closeReason}`)
    this.events.emit({ type: 'client.disconnected', clientId: connection.clientId, reason: connection.closeReason, willPublished })
  }

  /** The connection is gone: deal with the will and the session's lifetime. Returns true if the will went out now. */
  private detach(connection: Connection, session: Session): boolean {
    connection.session = null
    session.connection = null
    session.disconnectedAt = this.now()
    let willPublished = false
    const will = session.will
    if (will && connection.publishWillOnClose && !this.stopping) {
      if (will.delaySeconds === 0 || session.expiryInterval === 0) {
        session.will = null
        this.publishWill(will.message)
        willPublished = true
      } else {
        const delay = Math.min(will.delaySeconds, session.expiryInterval)
        session.willTimer = setTimeout(
          () => {
            session.willTimer = null
            if (session.will) {
              const message = session.will.message
              session.will = null
              this.publishWill(message)
            }
          },
          Math.min(delay * 1000, MAX_TIMER_MS)
        )
        session.willTimer.unref()
      }
    } else {
      session.will = null
    }
    if (this.stopping) return willPublished
    if (session.expiryInterval === 0) this.endSession(session)
    else if (session.expiryInterval !== NEVER_EXPIRES) this.armExpiry(session, session.expiryInterval * 1000)
    return willPublished
  }

  /**
   * The will's Message Expiry Interval starts when the will is published, not at CONNECT (MQTT 5
   * §3.1.3.2.4: "sent as the Publication Expiry Interval when the Server publishes the Will Message").
   */
  private publishWill(will: Message): void {
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

  private armExpiry(session: Session, remainingMs: number): void {
    const step = Math.min(remainingMs, MAX_TIMER_MS)
    session.expiryTimer = setTimeout(() => {
      session.expiryTimer = null
      if (remainingMs > step) return this.armExpiry(session, remainingMs - step)
      this.counters.clientsExpired++
      this.logger.info(`session ${session.clientId} expired`)
      this.endSession(session)
      this.events.emit({ type: 'session.expired', clientId: session.clientId })
    }, step)
    session.expiryTimer.unref()
  }

  /** The session is over: its pending will goes out, its subscriptions and messages go away. */
  private endSession(session: Session): void {
    if (session.willTimer) clearTimeout(session.willTimer)
    if (session.expiryTimer) clearTimeout(session.expiryTimer)
    session.willTimer = session.expiryTimer = null
    if (session.will && !this.stopping) {
      const message = session.will.message
      session.will = null
      this.publishWill(message)
    }
    for (const subscription of session.subscriptions.values()) this.removeSubscription(subscription)
    session.discardMessages()
    if (this.sessions.get(session.clientId) === session) this.sessions.delete(session.clientId)
  }

  private checkTimeouts(): void {
    const now = this.now()
    const connectTimeoutMs = this.connectTimeoutOverrideMs ?? this.settings.connectTimeout * 1000
    const drainTimeoutMs = this.settings.drainTimeout * 1000
    for (const connection of this.connections) {
      if (connection.state === 'awaiting-connect' && now - connection.openedAt > connectTimeoutMs) {
        this.counters.countLimit('connectTimeout')
        connection.close('no CONNECT within the connect timeout')
      } else if (connection.isReady && this.drainMonitor.check(connection, now, drainTimeoutMs)) {
        // A slow consumer: it left its socket congested for the whole drain timeout (see DrainMonitor).
        this.counters.countLimit('drainTimeout')
        this.logger.info(
          `client ${connection.clientId} stopped reading: disconnected after the ${this.settings.drainTimeout} s drain timeout`
        )
        connection.disconnect(ReasonCode.QuotaExceeded, 'drain timeout: the client stopped reading')
        // What is buffered will never be read; free it now rather than after the close grace period.
        connection.destroy()
      } else if (connection.isReady && connection.keepAlive > 0 && now - connection.lastActivity > connection.keepAlive * 1500) {
        // [MQTT-3.1.2-24] silent for 1.5 × keep alive: disconnect, and the will goes out.
        connection.disconnect(ReasonCode.KeepAliveTimeout, 'keep alive timeout')
      }
    }
  }

  // ───────────────────────────── subscriptions ─────────────────────────────

  /** Store subscriptions; returns, per request, whether it was new (Retain Handling 1 needs it). */
  subscribe(session: Session, requests: readonly SubscriptionRequest[]): boolean[] {
    const added: boolean[] = []
    const infos: SubscriptionInfo[] = []
    for (const request of requests) {
      const existing = session.subscriptions.get(request.filter)
      if (existing) this.removeSubscription(existing)
      const subscription: Subscription = { session, ...request }
      session.subscriptions.set(request.filter, subscription)
      if (request.shareGroup === null) {
        this.subscriptions.add(request.topicFilter, session.clientId, subscription)
      } else {
        let group = this.shared.get(request.topicFilter, request.shareGroup)
        if (!group) {
          group = { members: [], next: 0 }
          this.shared.add(request.topicFilter, request.shareGroup, group)
        }
        group.members.push(subscription)
      }
      added.push(existing === undefined)
      infos.push(subscriptionInfo(subscription))
    }
    if (infos.length > 0 && this.events.wants('subscribed')) {
      this.events.emit({ type: 'subscribed', clientId: session.clientId, subscriptions: infos })
    }
    return added
  }

  unsubscribe(session: Session, filters: readonly string[]): boolean[] {
    const removed = filters.map((filter) => {
      const subscription = session.subscriptions.get(filter)
      if (!subscription) return false
      this.removeSubscription(subscription)
      return true
    })
    if (this.events.wants('unsubscribed')) this.events.emit({ type: 'unsubscribed', clientId: session.clientId, filters: [...filters] })
    return removed
  }

  private removeSubscription(subscription: Subscription): void {
    const session = subscription.session
    if (session.subscriptions.get(subscription.filter) === subscription) session.subscriptions.delete(subscription.filter)
    if (subscription.shareGroup === null) {
      if (this.subscriptions.get(subscription.topicFilter, session.clientId) === subscription) {
        this.subscriptions.remove(subscription.topicFilter, session.clientId)
      }
      return
    }
    const group = this.shared.get(subscription.topicFilter, subscription.shareGroup)
    if (!group) return
    const index = group.members.indexOf(subscription)
    if (index >= 0) group.members.splice(index, 1)
    if (group.members.length === 0) this.shared.remove(subscription.topicFilter, subscription.shareGroup)
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
          this.retained.delete(message.topic)
          return
        }
        if (this.auth.aclActive && !this.auth.canReceive(session, message.topic)) return
        // [MQTT-3.3.1-8] retained messages sent on subscribe keep RETAIN = 1.
        session.deliver(message, Math.min(message.qos, request.qos) as QoS, true, ids)
      })
    })
  }

  // ───────────────────────────── routing ─────────────────────────────

  /**
   * Store (if retained) and deliver an application message. Returns how many sessions it went to.
   * One copy per session at the highest matching QoS, carrying every matching subscription id
   * [MQTT-3.3.4-2..-5]; shared groups get one copy per group.
   */
  publishMessage(message: Message): number {
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
    this.matchGeneration++
    this.routing = message
    const matched = this.matched
    this.matchedCount = 0
    this.subscriptions.match(message.topic, this.collectSubscription)
    let recipients = this.matchedCount
    for (let i = 0; i < recipients; i++) {
      const session = matched[i]
      // Cleared as we go (a scratch array must not keep ended sessions alive), without resizing it.
      matched[i] = NO_SESSION
      const ids = session.matchSubscriptionIds
      session.matchSubscriptionIds = null
      session.deliver(message, session.matchQos, session.matchRetainAsPublished && message.retain, ids)
    }
    if (this.shared.size > 0) {
      this.sharedDeliveries = 0
      this.shared.match(message.topic, this.deliverToShareGroup)
      recipients += this.sharedDeliveries
    }
    this.routing = null
    return recipients
  }

  private sharedDeliveries = 0

  private readonly collectSubscription = (subscription: Subscription): void => {
    const message = this.routing!
    const session = subscription.session
    // [MQTT-3.8.3-3] No Local: not back to the client that published it.
    if (subscription.noLocal && session.clientId === message.origin) return
    // A filter may be granted and still cover topics the ACL keeps from this client.
    if (this.auth.aclActive && !this.auth.canReceive(session, message.topic)) return
    const qos = Math.min(subscription.qos, message.qos) as QoS
    if (session.matchGeneration !== this.matchGeneration) {
      session.matchGeneration = this.matchGeneration
      session.matchQos = qos
      session.matchRetainAsPublished = subscription.retainAsPublished
      session.matchSubscriptionIds = subscription.subscriptionId !== null ? [subscription.subscriptionId] : null
      this.matched[this.matchedCount++] = session
      return
    }
    if (qos > session.matchQos) session.matchQos = qos
    if (subscription.retainAsPublished) session.matchRetainAsPublished = true
    if (subscription.subscriptionId !== null) {
      if (session.matchSubscriptionIds === null) session.matchSubscriptionIds = [subscription.subscriptionId]
      else session.matchSubscriptionIds.push(subscription.subscriptionId)
    }
  }

  /** One member per message, round-robin, preferring members that are online [MQTT-4.8.2-?]. */
  private readonly deliverToShareGroup = (group: ShareGroup): void => {
    const message = this.routing!
    const members = group.members
    if (members.length === 0) return
    let chosen: Subscription | null = null
    for (let tries = 0; tries < members.length; tries++) {
      const candidate = members[group.next % members.length]
      group.next = (group.next + 1) % members.length
      if (this.auth.aclActive && !this.auth.canReceive(candidate.session, message.topic)) continue
      const connection = candidate.session.connection
      if (connection?.isReady) {
        chosen = candidate
        break
      }
      if (chosen === null) chosen = candidate
    }
    if (chosen === null) return
    this.sharedDeliveries++
    const qos = Math.min(chosen.qos, message.qos) as QoS
    const retain = chosen.retainAsPublished && message.retain
    chosen.session.deliver(message, qos, retain, chosen.subscriptionId !== null ? [chosen.subscriptionId] : null)
  }

  private storeRetained(message: Message): void {
    // [MQTT-3.3.1-10/-11] an empty retained message clears the topic and is not stored.
    if (message.payload.length === 0) {
      if (this.retained.delete(message.topic)) this.retainedChanged(message.topic, true)
      return
    }
    // Keep our own copy: the parsed payload may be a view into a large socket buffer.
    this.retained.set({ ...message, payload: Buffer.from(message.payload), templates: undefined })
    this.retainedChanged(message.topic, false)
  }

  private retainedChanged(topic: string, removed: boolean): void {
    if (this.events.wants('retained.changed')) this.events.emit({ type: 'retained.changed', topic, removed })
  }

  /** $SYS updates go out retained at QoS 2, as mosquitto sends them (sys_tree.c SYS_TREE_QOS). */
  private publishSys(topic: string, payload: string): void {
    this.publishMessage(createMessage({ topic, payload: Buffer.from(payload), qos: 2, retain: true, origin: null, now: this.now() }))
  }

  // ───────────────────────────── control API ─────────────────────────────

  /** Publish as the broker (the UI's publish form). Throws on an invalid topic. */
  publish(request: PublishRequest): number {
    const problem = validateTopicName(request.topic)
    if (problem) throw new Error(`topic ${problem}`)
    const payload = typeof request.payload === 'string' ? Buffer.from(request.payload) : Buffer.from(request.payload)
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
    const session = this.sessions.get(clientId)
    if (!session || session.connection) return false
    this.endSession(session)
    return true
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
    const removed = this.retained.delete(topic)
    if (removed) this.retainedChanged(topic, true)
    return removed
  }

  clearRetained(): number {
    const topics = [...this.retained.all()].map((message) => message.topic)
    this.retained.clear()
    for (const topic of topics) this.retainedChanged(topic, true)
    return topics.length
  }

  getSettings(): BrokerSettings {
    return { ...this.settings }
  }

  /**
   * Re-read settings.authFile (SIGHUP, the UI). Connections stay; the new rules apply to their next
   * PUBLISH, SUBSCRIBE and delivery. A file with errors keeps the rules in force and says why.
   */
  reloadAuth(): AuthReloadResult {
    return this.auth.load(this.settings.authFile)
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
      const loaded = this.auth.load(result.settings.authFile)
      if (!loaded.ok) return { ok: false, errors: loaded.errors.map((message) => ({ key: 'authFile', message })) }
    }
    const previous = this.settings
    const changed = changedKeys(previous, result.settings)
    if (changed.length === 0) return { ok: true, settings: { ...previous } }
    this.settings = result.settings
    this.logger.setLevel(result.settings.logLevel)
    for (const key of changed) {
      this.logger.info(`settings (${source}): ${key} ${JSON.stringify(previous[key])} → ${JSON.stringify(result.settings[key])}`)
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
    let sharedCount = 0
    for (const session of this.sessions.values()) {
      for (const subscription of session.subscriptions.values()) if (subscription.shareGroup !== null) sharedCount++
    }
    return this.counters.snapshot({
      clientsConnected: connected,
      clientsDisconnected: this.sessions.size - connected,
      retainedCount: this.retained.size,
      subscriptionCount: this.subscriptions.size + sharedCount,
      sharedSubscriptionCount: sharedCount,
      storedMessages,
      storedBytes,
      inflight
    })
  }
}

function changedKeys(before: BrokerSettings, after: BrokerSettings): Array<keyof BrokerSettings> {
  return (Object.keys(after) as Array<keyof BrokerSettings>).filter((key) => before[key] !== after[key])
}

function versionName(version: ProtocolVersion): string {
  return version === 5 ? '5.0' : version === 4 ? '3.1.1' : '3.1'
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
