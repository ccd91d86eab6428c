/**
 * One bridge: a local side (LocalLink, a session in our own broker) and a remote side (RemoteLink,
 * an MQTT.js connection), and the messages between them as the topic rules say.
 *
 *   out: our broker → local session → remote; acknowledged to our broker once the remote has
 *        acknowledged it, so nothing is lost when the remote goes away mid-flight.
 *   in:  remote → published here by the local side; acknowledged to the remote once our broker
 *        has acknowledged it (stored, when persistence is on).
 *
 * The local side is connected only while the remote is: while the remote is away, what is for it
 * (QoS 1/2) waits in the local session's queue, bounded by the bridge's own limits (refusals are
 * counted as bridge-queue-full), and comes out in order when it is back, resent first what was in
 * flight. At its first start the bridge connects the local side once, to subscribe, so that it
 * queues even if the remote was never reachable.
 *
 * Loops: the local subscriptions use No Local, so a message that came in over this bridge never
 * goes back out over it; towards a v5 remote the subscriptions use No Local and Retain As
 * Published; towards a 3.1.1 remote CONNECT carries the bridge flag (mosquitto's try_private),
 * dropped for good once the remote refuses it.
 *
 * Reconnection: jittered exponential backoff (5 s to 30 s, as mosquitto 2.1); the state and the last
 * error in words are in status(), and $SYS/broker/connection/<name>/state says 1 or 0, as mosquitto's.
 */
import type { IPublishPacket } from 'mqtt'
import type { QoS } from '../../shared/broker-types'
import {
  type BridgeConfig,
  type BridgeCounters,
  type BridgeState,
  type BridgeStatus,
  NEVER_EXPIRES,
  topicRulesOf
} from '../../shared/bridges'
import type { BrokerControl } from '../broker/control'
import { IN_PROCESS_CLIENT_ID_PREFIX } from '../broker/connection/in-process-transport'
import type { Logger } from '../logger'
import { ReconnectBackoff } from './backoff'
import { isFailure, type LinkMessage, LocalLink, type PublishProperties } from './local-link'
import { type RemoteClose, RemoteLink, type RemoteLinkOptions, type RemoteSession } from './remote-link'
import { TopicMap } from './topic-map'

export type BridgeBroker = Pick<BrokerControl, 'connectInProcess' | 'publish' | 'listSubscriptions' | 'deleteRetained' | 'deleteSession'>

export interface BridgeEnvironment {
  broker: BridgeBroker
  logger: Logger
  /** This machine's name, for the default remote client id (`<name>.<hostname>`, as mosquitto). */
  hostname: string
  backoff: { baseMs: number; capMs: number; random?: () => number }
  connectTimeoutMs: number
  readFile(path: string): Buffer
  /** The bridge's state changed (the inspector sends the list again). */
  changed(): void
}

/** Problems kept per bridge (the newest). */
const MAX_PROBLEMS = 10

export function localClientIdOf(name: string): string {
  return `${IN_PROCESS_CLIENT_ID_PREFIX}${name}`
}

export function stateTopicOf(name: string): string {
  return `$SYS/broker/connection/${name}/state`
}

export class Bridge {
  readonly localClientId: string
  readonly counters: BridgeCounters = { messagesIn: 0, bytesIn: 0, messagesOut: 0, bytesOut: 0, dropped: {}, reconnects: 0 }

  private readonly map: TopicMap
  private readonly local: LocalLink
  private readonly backoff: ReconnectBackoff
  private state: BridgeState = 'stopped'
  /** Bumped by start and stop: continuations of an older run see it changed and give up. */
  private epoch = 0
  private remote: RemoteLink | null = null
  private remoteSession: RemoteSession | null = null
  /** Resolves once the local side is connected for the current remote connection. */
  private localReady: Promise<void> | null = null
  private timer: NodeJS.Timeout | null = null
  private attempts = 0
  private primed = false
  private bridgeFlagRefused = false
  private bridgeFlagAccepted: boolean | null = null
  private lastError: string | null = null
  private lastErrorAt: number | null = null
  private connectedSince: number | null = null
  private nextAttemptAt: number | null = null
  private problems: string[] = []

  constructor(
    readonly config: BridgeConfig,
    readonly source: 'config' | 'ui',
    private readonly env: BridgeEnvironment
  ) {
    this.localClientId = localClientIdOf(config.name)
    this.map = new TopicMap(topicRulesOf(config))
    this.backoff = new ReconnectBackoff(env.backoff.baseMs, env.backoff.capMs, env.backoff.random)
    this.local = new LocalLink(
      env.broker,
      {
        clientId: this.localClientId,
        username: config.localUsername,
        label: `bridge ${config.name}`,
        queueLimits: {
          maxMessages: config.maxQueuedMessages,
          maxBytes: config.maxQueuedBytes,
          dropReason: 'bridge-queue-full',
          holdQos0: true
        },
        backlogBytes: () => this.remote?.backlogBytes() ?? 0
      },
      {
        message: (message, ack) => this.fromLocal(message, ack),
        closed: (reason) => this.localClosed(reason)
      }
    )
  }

  get name(): string {
    return this.config.name
  }

  get running(): boolean {
    return this.state !== 'stopped'
  }

  start(): void {
    if (this.state !== 'stopped') return
    const epoch = ++this.epoch
    this.attempts = 0
    this.backoff.reset()
    this.publishState(0)
    void this.attempt(epoch)
  }

  /** Stop: a normal DISCONNECT to the remote; what is for it keeps queueing (bounded) in the local session. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return
    this.epoch++
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    this.nextAttemptAt = null
    const remote = this.remote
    this.remote = null
    this.remoteSession = null
    this.localReady = null
    this.connectedSince = null
    this.local.disconnect()
    this.setState('stopped')
    this.publishState(0)
    await remote?.end('stopped')
  }

  /** Stop and forget: the local session goes with what it queued (counted as session-ended), and the state topic. */
  async remove(): Promise<void> {
    await this.stop()
    this.env.broker.deleteSession(this.localClientId)
    this.env.broker.deleteRetained(stateTopicOf(this.name))
  }

  /** Our broker dropped a message for this bridge (see BridgeManager), or the bridge did. */
  countDrop(reason: string, count = 1): void {
    this.counters.dropped[reason] = (this.counters.dropped[reason] ?? 0) + count
  }

  status(session: { queued: number; inflight: number } | undefined): BridgeStatus {
    return {
      config: { ...this.config, password: null },
      passwordSet: this.config.password !== null,
      source: this.source,
      state: this.state,
      lastError: this.lastError,
      lastErrorAt: this.lastErrorAt,
      connectedSince: this.connectedSince,
      nextAttemptAt: this.nextAttemptAt,
      bridgeFlagAccepted: this.config.protocolVersion === 4 && this.config.tryPrivate ? this.bridgeFlagAccepted : null,
      queued: session?.queued ?? 0,
      inflight: session?.inflight ?? 0,
      problems: [...this.problems],
      counters: { ...this.counters, dropped: { ...this.counters.dropped } }
    }
  }

  // ───────────────────────────── connecting ─────────────────────────────

  private async attempt(epoch: number): Promise<void> {
    this.timer = null
    this.nextAttemptAt = null
    if (this.attempts++ > 0) this.counters.reconnects++
    this.setState('connecting')
    if (!this.primed && this.map.hasOutgoing) {
      try {
        await this.prime()
      } catch (error) {
        if (epoch === this.epoch) this.retryLater(epoch, `our broker refused the bridge: ${errorText(error)}`)
        return
      }
      if (epoch !== this.epoch) return
    }
    let options: RemoteLinkOptions
    try {
      options = this.remoteOptions()
    } catch (error) {
      this.retryLater(epoch, errorText(error))
      return
    }
    const remote: RemoteLink = new RemoteLink(options, {
      connected: (session) => void this.remoteConnected(epoch, remote, session),
      message: (packet, done) => this.fromRemote(epoch, packet, done),
      drained: () => this.local.drained(),
      closed: (close) => this.remoteClosed(epoch, remote, close)
    })
    this.remote = remote
    remote.connect()
  }

  /**
   * First start: subscribe the local session (not sending retained messages now: they go when the
   * remote is connected), so messages for the remote queue from now on, reachable or not.
   */
  private async prime(): Promise<void> {
    await this.local.connect({ cleanStart: false, sessionExpiry: NEVER_EXPIRES, receiveMaximum: 1 })
    await this.syncLocalSubscriptions(2)
    this.local.disconnect()
    this.primed = true
  }

  private async remoteConnected(epoch: number, remote: RemoteLink, session: RemoteSession): Promise<void> {
    if (epoch !== this.epoch || this.remote !== remote) return
    this.remoteSession = session
    if (this.config.protocolVersion === 4 && this.config.tryPrivate && !this.bridgeFlagRefused) this.bridgeFlagAccepted = true
    const inspect = this.config.kind === 'inspect'
    const ready = this.local.connect({
      // An inspection queues nothing (it has no outgoing rules): its local session ends with it.
      cleanStart: inspect,
      sessionExpiry: inspect ? 0 : NEVER_EXPIRES,
      receiveMaximum: Math.max(1, Math.min(this.config.maxInflight, session.receiveMaximum))
    })
    const localReady = ready.then(() => {})
    localReady.catch(() => {})
    this.localReady = localReady
    try {
      await ready
      if (epoch !== this.epoch || this.remote !== remote) return
      // Every connection, as mosquitto does: the subscriptions (with the retained messages they carry) here, then there.
      await this.syncLocalSubscriptions(0)
      const granted = await remote.subscribe(this.map.remoteSubscriptions)
      for (const g of granted)
        if (g.qos >= 0x80) this.problem(`the remote refused the subscription to ${g.filter} (code 0x${g.qos.toString(16)})`)
    } catch (error) {
      if (epoch !== this.epoch || this.remote !== remote) return
      remote.end(`our broker refused the bridge: ${errorText(error)}`)
      return
    }
    if (epoch !== this.epoch || this.remote !== remote) return
    this.primed = true
    this.connectedSince = Date.now()
    this.backoff.reset()
    this.setState('connected')
    this.publishState(1)
    this.env.logger.info(`bridge ${this.name}: connected to ${this.config.url}${session.sessionPresent ? ' (session resumed)' : ''}`)
  }

  private remoteClosed(epoch: number, remote: RemoteLink, close: RemoteClose): void {
    if (this.remote !== remote) return
    this.remote = null
    this.remoteSession = null
    this.localReady = null
    const wasConnected = this.state === 'connected'
    // What the local side had not had acknowledged stays in its session, resent next time.
    this.local.disconnect()
    this.connectedSince = null
    if (wasConnected) this.publishState(0)
    if (epoch !== this.epoch) return
    const v3Flag = this.config.protocolVersion === 4 && this.config.tryPrivate && !this.bridgeFlagRefused
    const refusedFlag =
      v3Flag &&
      !close.wasConnected &&
      (close.connackCode === 1 || (close.socketConnected && close.connackCode === null && !/timed out/.test(close.reason)))
    if (refusedFlag) {
      // A broker that does not know the bridge flag refuses the level (0x81 / 0x84) or just hangs up.
      this.bridgeFlagRefused = true
      this.bridgeFlagAccepted = false
      this.recordError(`${close.reason}; the remote does not take the bridge flag (try_private): connecting as a plain MQTT 3.1.1 client`)
      this.schedule(epoch, 0)
      return
    }
    this.retryLater(epoch, close.reason)
  }

  private localClosed(reason: string): void {
    // Our broker closed the local side (an administrator, a store failure): start over.
    const remote = this.remote
    if (remote !== null) remote.end(`our broker closed the bridge's local side: ${reason}`)
  }

  private retryLater(epoch: number, reason: string): void {
    this.recordError(reason)
    this.schedule(epoch, this.backoff.next())
  }

  private schedule(epoch: number, waitMs: number): void {
    if (epoch !== this.epoch) return
    this.nextAttemptAt = Date.now() + waitMs
    this.setState('waiting')
    this.timer = setTimeout(() => void this.attempt(epoch), waitMs)
    this.timer.unref()
  }

  private remoteOptions(): RemoteLinkOptions {
    const c = this.config
    const read = (what: string, path: string | null): Buffer | undefined => {
      if (path === null) return undefined
      try {
        return this.env.readFile(path)
      } catch (error) {
        throw new Error(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? errorText(error)}`)
      }
    }
    return {
      url: c.url,
      clientId: c.clientId ?? `${c.name}.${this.env.hostname}`,
      username: c.username,
      password: c.password,
      protocolVersion: c.protocolVersion,
      bridgeFlag: c.protocolVersion === 4 && c.tryPrivate && !this.bridgeFlagRefused,
      cleanStart: c.cleanStart,
      sessionExpiry: c.sessionExpiry,
      keepAlive: c.keepAlive,
      ca: read('caFile', c.caFile),
      cert: read('certFile', c.certFile),
      key: read('keyFile', c.keyFile),
      rejectUnauthorized: !c.insecure,
      connectTimeoutMs: this.env.connectTimeoutMs
    }
  }

  /** The local session holds exactly the outgoing rules' filters, with No Local and Retain As Published. */
  private async syncLocalSubscriptions(retainHandling: 0 | 2): Promise<void> {
    const held = new Map(
      this.env.broker
        .listSubscriptions()
        .filter((s) => s.clientId === this.localClientId)
        .map((s) => [s.filter, s.qos])
    )
    const wanted = this.map.localSubscriptions
    await this.local.unsubscribe([...held.keys()].filter((filter) => !wanted.some((w) => w.filter === filter)))
    const subscribe = retainHandling === 0 ? wanted : wanted.filter((w) => held.get(w.filter) !== w.qos)
    const codes = await this.local.subscribe(
      subscribe.map((w) => ({ topic: w.filter, qos: w.qos, noLocal: true, retainAsPublished: true, retainHandling }))
    )
    codes.forEach((code, index) => {
      if (isFailure(code)) this.problem(`our broker refused the subscription to ${subscribe[index].filter} (code 0x${code.toString(16)})`)
    })
  }

  // ───────────────────────────── messages ─────────────────────────────

  /** Our broker → the remote. Acknowledged here once the remote acknowledged it. */
  private fromLocal(message: LinkMessage, ack: () => void): void {
    const remote = this.remote
    const session = this.remoteSession
    // From the remote's CONNACK on (the local side resumes, then subscribes, before the state says connected).
    if (remote === null || session === null || !remote.connected) {
      // QoS 1/2 stay unacknowledged in the local session and are resent when the bridge is back.
      if (message.qos === 0) this.countDrop('remote-offline')
      return
    }
    const targets = this.map.toRemote(message.topic)
    if (targets.length === 0) {
      this.countDrop('no-matching-rule')
      ack()
      return
    }
    const qos = Math.min(message.qos, session.maximumQos) as QoS
    // A remote without retained messages (v5 Retain Available 0) would close the connection for one.
    const retain = message.retain && session.retainAvailable
    if (qos === 0) {
      // Nothing to acknowledge: written to the remote's socket (or dropped by our broker when it is congested).
      for (const topic of targets) void remote.publish(topic, message.payload, 0, retain, message.properties)
      this.counters.messagesOut += targets.length
      this.counters.bytesOut += targets.length * message.payload.length
      return
    }
    const sends = targets.map((topic) => remote.publish(topic, message.payload, qos, retain, message.properties))
    void Promise.allSettled(sends).then((results) => {
      if (this.remote !== remote) return
      let refused = 0
      for (const result of results) {
        if (result.status === 'fulfilled') continue
        // A refusal carries the remote's reason code; anything else is the connection going away,
        // and then the message stays unacknowledged here, to be resent.
        if (typeof (result.reason as { code?: unknown }).code !== 'number') return
        refused++
        this.problem(`the remote refused a message: ${errorText(result.reason)}`)
      }
      if (refused > 0) this.countDrop('remote-refused', refused)
      this.counters.messagesOut += results.length - refused
      this.counters.bytesOut += (results.length - refused) * message.payload.length
      ack()
    })
  }

  /** The remote → our broker. `done` acknowledges it to the remote (MQTT.js then reads the next one). */
  private fromRemote(epoch: number, packet: IPublishPacket, done: () => void): void {
    void this.publishHere(epoch, packet).then((handled) => {
      // Not handled: the local side went away; the remote sends it again after we reconnect.
      if (handled) done()
    })
  }

  private async publishHere(epoch: number, packet: IPublishPacket): Promise<boolean> {
    try {
      await this.localReady
    } catch {
      return false
    }
    if (epoch !== this.epoch || this.localReady === null) return false
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload
    const targets = this.map.toLocal(packet.topic)
    if (targets.length === 0) {
      this.countDrop('no-matching-rule')
      return true
    }
    const { topicAlias: _alias, subscriptionIdentifier: _ids, ...rest } = packet.properties ?? {}
    const properties: PublishProperties | undefined = Object.keys(rest).length > 0 ? rest : undefined
    for (const topic of targets) {
      let code: number
      try {
        code = await this.local.publish({ topic, payload, qos: packet.qos, retain: packet.retain, properties })
      } catch {
        return false
      }
      if (isFailure(code)) {
        this.countDrop('refused-here')
        this.problem(`our broker refused a message on ${topic} (code 0x${code.toString(16)})`)
      }
    }
    this.counters.messagesIn++
    this.counters.bytesIn += payload.length
    return true
  }

  // ───────────────────────────── state ─────────────────────────────

  private setState(state: BridgeState): void {
    if (this.state === state) return
    this.state = state
    this.env.changed()
  }

  private recordError(reason: string): void {
    const changed = reason !== this.lastError
    this.lastError = reason
    this.lastErrorAt = Date.now()
    const text = `bridge ${this.name}: ${reason}`
    if (changed) this.env.logger.warn(text)
    else this.env.logger.debug(text)
    this.env.changed()
  }

  private problem(text: string): void {
    this.env.logger.warn(`bridge ${this.name}: ${text}`)
    this.problems.push(`${new Date().toISOString()} ${text}`)
    if (this.problems.length > MAX_PROBLEMS) this.problems.shift()
    this.env.changed()
  }

  /** $SYS/broker/connection/<name>/state: 1 connected, 0 not (retained, as mosquitto's notifications). */
  private publishState(value: 0 | 1): void {
    try {
      this.env.broker.publish({ topic: stateTopicOf(this.name), payload: String(value), qos: 1, retain: true })
    } catch (error) {
      this.env.logger.warn(`bridge ${this.name}: could not publish its state: ${errorText(error)}`)
    }
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
