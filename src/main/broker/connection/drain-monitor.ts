import type { Connection } from './connection'

interface Watch {
  /** When the connection was first seen stalled (epoch ms), or null while it is not. */
  since: number | null
  /** session.messagesOut at the last check, to tell whether anything went out since. */
  messagesOut: number
}

/**
 * Slow-consumer detection for the drain timeout. A connected client is stalled when
 *  - its socket is congested: more than CONGESTION_BYTES written and not taken by the peer (see
 *    Connection.isCongested); QoS 0 messages to it are then dropped ('slow-consumer') and QoS 1/2
 *    wait in its bounded queue; or
 *  - messages wait in its queue and not one PUBLISH went out since the last check: its in-flight
 *    window is full and it acknowledges nothing (a client that stopped reading stops acknowledging
 *    long before its socket congests, because at most maxInflightMessages are written to it).
 * check() says when that has lasted for the whole drain timeout; the broker then disconnects the
 * client, which frees its socket buffer and, for a clean session, its queue.
 *
 * Kept beside the Connection rather than in it so the hot path stays untouched; the broker's
 * housekeeping timer calls check() for every connected client (every 250 ms).
 */
export class DrainMonitor {
  private readonly watches = new WeakMap<Connection, Watch>()

  /** True when `connection` has been stalled for at least `timeoutMs` (0 = never). */
  check(connection: Connection, now: number, timeoutMs: number): boolean {
    const session = connection.session
    const messagesOut = session === null ? 0 : session.messagesOut
    let watch = this.watches.get(connection)
    if (watch === undefined) {
      watch = { since: null, messagesOut }
      this.watches.set(connection, watch)
    }
    const waiting = session !== null && session.queuedCount > 0 && watch.messagesOut === messagesOut
    const stalled = waiting || connection.isCongested()
    watch.messagesOut = messagesOut
    if (!stalled) {
      watch.since = null
      return false
    }
    if (watch.since === null) watch.since = now
    return timeoutMs > 0 && now - watch.since >= timeoutMs
  }

  /** Since when the connection has been stalled (epoch ms), or null when it is not (as of the last check). */
  since(connection: Connection): number | null {
    return this.watches.get(connection)?.since ?? null
  }
}
