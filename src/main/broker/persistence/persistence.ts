/**
 * What the broker core tells its durable store, and when it may speak again.
 *
 * Every change to state that must survive a restart (retained messages; sessions that outlive
 * their connection, with their subscriptions, queued and in-flight messages and incoming QoS 2
 * packet ids) is handed to the store as it happens, synchronously and cheaply; the store batches
 * what one turn of the event loop wrote. At the end of the turn the connection hub asks it to
 * commit, and holds every byte those connections were to send until the commit is on disk (see
 * connection/output-gate.ts). So a PUBACK, a PUBREC, a SUBACK or a delivered PUBLISH never leaves
 * the broker before the state it reports is durable: what was acknowledged survives SIGKILL and
 * power loss.
 */
import type { StoreStatus } from '../../../shared/broker-types'
import type { Message } from '../message'
import type { Delivery, InflightEntry, Session } from '../session/session'

/** The session calls these for its queue, in-flight window and incoming QoS 2 ids (durable sessions only). */
export interface DeliveryJournal {
  /** A message joined the session's queue or in-flight window (a new record). */
  added(session: Session, delivery: Delivery): void
  /** A queued message went out (now in flight with a packet id), or a QoS 2 one moved to awaiting PUBCOMP. */
  updated(session: Session, entry: InflightEntry): void
  /** Acknowledged, dropped or expired: the record goes. */
  removed(session: Session, delivery: Delivery): void
  incomingAdded(session: Session, packetId: number): void
  incomingRemoved(session: Session, packetId: number): void
}

export interface Persistence extends DeliveryJournal {
  /** False for the in-memory broker: then nothing is written and the output gate never holds. */
  readonly enabled: boolean
  /** True after a write failed (disk full, I/O error) until one succeeds again: QoS 1/2 PUBLISH is then refused. */
  readonly failing: boolean

  putRetained(message: Message): void
  deleteRetained(topic: string): void
  /** Save a session's own record (owner, expiry, will, subscriptions); called on every change to them. */
  putSession(session: Session): void
  /** The session is over: its record and everything it held. */
  deleteSession(session: Session): void

  /** After a restore: the stored messages, their references counted; those no delivery refers to are removed. */
  restored(messages: Iterable<Message>): void

  /** Writes since the last commit(). */
  readonly pending: boolean
  /**
   * Called when the first write after a commit arrives, so the broker schedules the end-of-turn
   * commit even in a turn that produces no output (a PUBACK that only removes a delivery).
   */
  onFirstWrite: () => void
  /** Commit what was written so far; resolves once it is on disk, rejects when it could not be stored. */
  commit(): Promise<void>
  /** `held`: what the broker keeps durable now (retained messages, durable sessions), counted in memory. */
  status(held: { retained: number; sessions: number }): StoreStatus
  /** Clean shutdown: the last writes are committed and the store is marked as closed cleanly. */
  close(): Promise<void>
}

/** The in-memory broker's store: writes nothing, never holds output. */
export const NO_PERSISTENCE: Persistence = {
  enabled: false,
  failing: false,
  pending: false,
  onFirstWrite() {},
  added() {},
  updated() {},
  removed() {},
  incomingAdded() {},
  incomingRemoved() {},
  putRetained() {},
  deleteRetained() {},
  putSession() {},
  deleteSession() {},
  restored() {},
  commit: () => Promise.resolve(),
  status: () => ({ enabled: false }),
  close: () => Promise.resolve()
}
