import {
  DROP_REASONS,
  LIMIT_NAMES,
  REFUSAL_REASONS,
  type BrokerStats,
  type DropReason,
  type LimitName,
  type RefusalReason
} from '../../shared/broker-types'

/** Counters the broker bumps as it works; $SYS and the dashboard read snapshots of them. */
export class BrokerCounters {
  readonly startedAt = Date.now()
  clientsMaximum = 0
  clientsExpired = 0
  messagesReceived = 0
  messagesSent = 0
  publishReceived = 0
  publishSent = 0
  publishDropped = 0
  bytesReceived = 0
  bytesSent = 0
  publishBytesReceived = 0
  publishBytesSent = 0
  connectionsTotal = 0
  socketsTotal = 0
  /** CONNECTs refused because the client id's session belongs to another user (sessionTakeover 'same-user'). */
  sessionTakeoversRefused = 0
  /** QoS 1/2 PUBLISH refused because the store could not write. */
  storeRefusals = 0
  readonly droppedByReason: Record<DropReason, number> = Object.fromEntries(DROP_REASONS.map((reason) => [reason, 0])) as Record<
    DropReason,
    number
  >

  countDrop(reason: DropReason): void {
    this.publishDropped++
    this.droppedByReason[reason]++
  }

  readonly limitsHit: Record<LimitName, number> = Object.fromEntries(LIMIT_NAMES.map((name) => [name, 0])) as Record<LimitName, number>

  /** A configured limit was hit (see LimitName). */
  countLimit(limit: LimitName): void {
    this.limitsHit[limit]++
  }

  readonly refusedByReason: Record<RefusalReason, number> = Object.fromEntries(REFUSAL_REASONS.map((reason) => [reason, 0])) as Record<
    RefusalReason,
    number
  >

  /** A connection attempt was refused before it became a client (see RefusalReason). */
  countRefusal(reason: RefusalReason): void {
    this.refusedByReason[reason]++
  }

  snapshot(live: {
    clientsConnected: number
    clientsDisconnected: number
    retainedCount: number
    subscriptionCount: number
    sharedSubscriptionCount: number
    storedMessages: number
    storedBytes: number
    inflight: number
  }): BrokerStats {
    return {
      startedAt: this.startedAt,
      clientsConnected: live.clientsConnected,
      clientsDisconnected: live.clientsDisconnected,
      clientsMaximum: this.clientsMaximum,
      clientsTotal: live.clientsConnected + live.clientsDisconnected,
      clientsExpired: this.clientsExpired,
      messagesReceived: this.messagesReceived,
      messagesSent: this.messagesSent,
      publishReceived: this.publishReceived,
      publishSent: this.publishSent,
      publishDropped: this.publishDropped,
      bytesReceived: this.bytesReceived,
      bytesSent: this.bytesSent,
      publishBytesReceived: this.publishBytesReceived,
      publishBytesSent: this.publishBytesSent,
      retainedCount: live.retainedCount,
      subscriptionCount: live.subscriptionCount,
      sharedSubscriptionCount: live.sharedSubscriptionCount,
      storedMessages: live.storedMessages,
      storedBytes: live.storedBytes,
      inflight: live.inflight,
      connectionsTotal: this.connectionsTotal,
      socketsTotal: this.socketsTotal,
      sessionTakeoversRefused: this.sessionTakeoversRefused,
      storeRefusals: this.storeRefusals,
      droppedByReason: { ...this.droppedByReason },
      limitsHit: { ...this.limitsHit },
      refusedByReason: { ...this.refusedByReason }
    }
  }
}
