import type { Packet } from 'mqtt-packet'
import type { DropReason, PacketRecord, QoS } from '../../../shared/broker-types'
import type { BrokerSettings } from '../../../shared/settings'
import type { Logger } from '../../logger'
import { ReasonCode } from '../codec/reason-codes'
import type { BrokerEventBus } from '../events'
import type { Message } from '../message'
import type { Session } from '../session/session'
import type { Persistence } from '../persistence/persistence'
import type { SessionRegistry } from '../session/session-registry'
import type { BrokerCounters } from '../stats'
import { Connection } from './connection'
import type { ConnectionHost } from './connection-host'
import { DrainMonitor } from './drain-monitor'
import type { Transport } from './transport'

/** What the hub needs from the broker around it. */
export interface ConnectionHubContext {
  readonly settings: BrokerSettings
  readonly counters: BrokerCounters
  readonly events: BrokerEventBus
  readonly logger: Logger
  readonly sessions: SessionRegistry
  readonly persistence: Persistence
  now(): number
  /** Hand a decoded packet to the packet handlers. */
  dispatch(connection: Connection, packet: Packet): void
  drop(session: Session | null, message: Message, reason: DropReason): void
  /** Overrides settings.connectTimeout with a time in ms (tests). */
  readonly connectTimeoutMs: number | undefined
}

/**
 * Every open connection: accepted sockets, the batched writes at the end of each loop turn, the
 * connect / keep-alive / drain timeouts, and what happens when a socket closes. The connections'
 * side of the broker (ConnectionHost).
 */
export class ConnectionHub implements ConnectionHost {
  private readonly connections = new Set<Connection>()
  /** Connections past CONNACK; kept as a count because walking every connection on each CONNECT is quadratic. */
  private connectedClients = 0
  private readonly drainMonitor = new DrainMonitor()

  // Batched writes: connections with output this tick, flushed together once per loop turn.
  private dirty: Connection[] = []
  private pausedReaders: Connection[] = []
  private flushQueued = false

  // The output gate (see flushAll): store commits in flight and the connections waiting for each.
  private sealedEpoch = 0
  private durableEpoch = 0
  private waiting: Array<{ epoch: number; connections: Connection[] }> = []

  constructor(private readonly context: ConnectionHubContext) {
    // A turn that only changed durable state (no output) still ends in a commit.
    context.persistence.onFirstWrite = () => this.queueTurnEnd()
  }

  get settings(): BrokerSettings {
    return this.context.settings
  }

  get counters(): BrokerCounters {
    return this.context.counters
  }

  get events(): BrokerEventBus {
    return this.context.events
  }

  get logger(): Logger {
    return this.context.logger
  }

  now(): number {
    return this.context.now()
  }

  /** Hand a connected socket to the broker (listeners call this; tests may too). */
  accept(transport: Transport): Connection {
    this.context.counters.socketsTotal++
    const connection = new Connection(transport, this)
    this.connections.add(connection)
    return connection
  }

  connectedCount(): number {
    return this.connectedClients
  }

  handlePacket(connection: Connection, packet: Packet): void {
    this.context.dispatch(connection, packet)
  }

  /** The CONNACK is out: count the connection, log it, tell the event stream, resume the session. */
  clientConnected(connection: Connection, session: Session, sessionPresent: boolean): void {
    connection.state = 'connected'
    connection.countedAsConnected = true
    const counters = this.context.counters
    counters.connectionsTotal++
    const connected = ++this.connectedClients
    if (connected > counters.clientsMaximum) counters.clientsMaximum = connected
    const logger = this.context.logger
    if (logger.isEnabled('info')) {
      logger.info(
        `client ${connection.clientId} connected from ${connection.address} (${connection.transport.kind}, MQTT ${versionName(connection.protocolVersion)}, ${sessionPresent ? 'session resumed' : 'new session'})`
      )
    }
    const events = this.context.events
    if (events.wants('client.connected')) {
      events.emit({
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
    }
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
    const willPublished = this.context.sessions.detach(connection)
    this.context.logger.info(`client ${connection.clientId} disconnected: ${connection.closeReason}`)
    this.context.events.emit({ type: 'client.disconnected', clientId: connection.clientId, reason: connection.closeReason, willPublished })
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

  /**
   * End of a loop turn: write what each connection queued, then let paused readers read again.
   *
   * The output gate: when this turn changed durable state (the store has writes pending), the
   * store commits them and this turn's output waits until the commit is on disk; so does the output
   * of later turns while a commit is still on its way (each connection's bytes stay in order). A
   * turn that changed nothing durable, with no commit outstanding, writes at once as before.
   */
  readonly flushAll = (): void => {
    this.flushQueued = false
    const dirty = this.dirty
    this.dirty = []
    const persistence = this.context.persistence
    if (persistence.pending) {
      const epoch = ++this.sealedEpoch
      this.holdFor(epoch, dirty)
      persistence.commit().then(
        () => this.released(epoch),
        (err: unknown) => this.commitFailed(epoch, err)
      )
    } else if (this.sealedEpoch > this.durableEpoch) {
      this.holdFor(this.sealedEpoch, dirty)
    } else {
      for (const connection of dirty) connection.flush()
    }
    const paused = this.pausedReaders
    this.pausedReaders = []
    for (const connection of paused) connection.resumeReading()
  }

  holdingOutput(): boolean {
    return this.context.persistence.pending || this.sealedEpoch > this.durableEpoch
  }

  private holdFor(epoch: number, connections: Connection[]): void {
    for (const connection of connections) connection.hold(epoch)
    const last = this.waiting[this.waiting.length - 1]
    if (last !== undefined && last.epoch === epoch) last.connections.push(...connections)
    else this.waiting.push({ epoch, connections })
  }

  private released(epoch: number): void {
    if (epoch > this.durableEpoch) this.durableEpoch = epoch
    while (this.waiting.length > 0 && this.waiting[0].epoch <= epoch) {
      for (const connection of this.waiting.shift()!.connections) connection.release(epoch)
    }
  }

  private commitFailed(epoch: number, err: unknown): void {
    const reason = `the broker could not store messages (${err instanceof Error ? err.message : String(err)})`
    if (epoch > this.durableEpoch) this.durableEpoch = epoch
    while (this.waiting.length > 0 && this.waiting[0].epoch <= epoch) {
      for (const connection of this.waiting.shift()!.connections) connection.storeFailed(reason)
    }
  }

  drop(session: Session | null, message: Message, reason: DropReason): void {
    this.context.drop(session, message, reason)
  }

  emitPacket(record: PacketRecord): void {
    this.context.events.emit({ type: 'packet', packet: record })
  }

  messageDelivered(clientId: string, message: Message, qos: QoS): void {
    this.context.events.emit({ type: 'message.delivered', clientId, topic: message.topic, qos })
  }

  /** Shutdown: every connection is told (v5: 0x8B) and closed; wills are not published. */
  closeAll(): void {
    for (const connection of [...this.connections]) {
      connection.publishWillOnClose = false
      connection.disconnect(ReasonCode.ServerShuttingDown, 'server shutting down')
    }
  }

  /** Every 250 ms: connect timeout, drain timeout, keep alive. */
  checkTimeouts(): void {
    const now = this.context.now()
    const settings = this.context.settings
    const connectTimeoutMs = this.context.connectTimeoutMs ?? settings.connectTimeout * 1000
    const drainTimeoutMs = settings.drainTimeout * 1000
    for (const connection of this.connections) {
      if (connection.state === 'awaiting-connect' && now - connection.openedAt > connectTimeoutMs) {
        this.context.counters.countLimit('connectTimeout')
        connection.close('no CONNECT within the connect timeout')
      } else if (connection.isReady && this.drainMonitor.check(connection, now, drainTimeoutMs)) {
        // A slow consumer: it left its socket congested for the whole drain timeout (see DrainMonitor).
        this.context.counters.countLimit('drainTimeout')
        this.context.logger.info(
          `client ${connection.clientId} stopped reading: disconnected after the ${settings.drainTimeout} s drain timeout`
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

  /** For tests and diagnostics: when a connection was first seen stalled (see DrainMonitor). */
  stalledSince(connection: Connection): number | null {
    return this.drainMonitor.since(connection)
  }
}

function versionName(version: number): string {
  return version === 5 ? '5.0' : version === 4 ? '3.1.1' : '3.1'
}
