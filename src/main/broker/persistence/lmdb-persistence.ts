/**
 * The durable store on LMDB (the `lmdb` package: Node-API, so the same prebuilt binary loads in
 * Node and in Electron without a rebuild). One environment in <data folder>/store with five
 * tables:
 *
 *   retained    topic               → MessageRecord
 *   sessions    client id           → SessionRecord (owner, expiry, will, subscriptions)
 *   messages    message id          → MessageRecord, shared by the sessions it is queued to
 *   deliveries  [client id, seq]    → DeliveryRecord (queued, or in flight with its packet id); a
 *                                     message queued to one session only is written inside it
 *                                     (`mi`) instead of in `messages`
 *   incoming    [client id, pid]    → incoming QoS 2 packet id awaiting PUBREL
 *   meta        'state'             → format version, clean shutdown flag
 *
 * Writes are collected as the broker makes them and applied in one LMDB transaction per commit
 * (group commit: one commit per turn of the event loop at most, more turns per commit under load
 * while the previous one is being synced). A commit resolves once LMDB reports it flushed to disk.
 *
 * Within a batch the writes of one delivery are coalesced (queued then sent in flight: one put; put
 * then acknowledged before the commit: nothing), and whether a new message gets a record of its own
 * is decided at the commit, once every session it went to is known: a QoS 1 message to one
 * persistent subscriber costs one put and, at its PUBACK, one removal.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { type Database, type RootDatabase, open } from 'lmdb'
import type { StoreRecovery, StoreStatus } from '../../../shared/broker-types'
import type { Logger } from '../../logger'
import type { Message } from '../message'
import type { Delivery, InflightEntry, Session } from '../session/session'
import type { Persistence } from './persistence'
import { noteStoreFailure } from './store-rejections'
import {
  checkDeliveryRecord,
  checkMessageRecord,
  checkSessionRecord,
  type DeliveryRecord,
  INLINE_STORE_ID,
  type MessageRecord,
  messageRecord,
  READABLE_STORE_FORMATS,
  STORE_FORMAT,
  type SessionRecord,
  sessionRecord,
  stateCode
} from './records'

type Key = string | number | Array<string | number>

interface Op {
  db: Database
  key: Key
  /** undefined: remove */
  value: unknown
}

/** A delivery's record as the next commit writes it (one per key and batch). */
interface PendingDelivery {
  key: [string, number]
  /** The delivery or in-flight entry whose state is written then; null: remove the record. */
  source: Delivery | InflightEntry | null
  /** Put in this batch by added(): nothing of it is on disk, so its removal writes nothing. */
  fresh: boolean
}

/**
 * A message written inside one delivery record (INLINE_STORE_ID) that another session takes too is
 * copied into that record as well, unless its payload is larger than this: then it gets a record of
 * its own.
 */
const INLINE_COPY_MAX_BYTES = 4096

/** What the store held at start, checked record by record. */
export interface LoadedState {
  retained: MessageRecord[]
  messages: Map<number, MessageRecord>
  sessions: Map<string, SessionRecord>
  /** In key order: per client id, by seq. */
  deliveries: Array<{ clientId: string; seq: number; record: DeliveryRecord }>
  incoming: Array<{ clientId: string; packetId: number }>
  /** False when the broker that wrote the store did not shut down cleanly (a crash, SIGKILL, power loss). */
  cleanShutdown: boolean
  /** Records that could not be read back and were skipped (and removed). */
  skipped: number
}

/** How often a failing store tries a write again. */
const PROBE_MS = 1000

export class LmdbPersistence implements Persistence {
  readonly enabled = true
  private ops: Op[] = []
  /** Delivery writes of this batch by `${seq} ${clientId}`. */
  private deliveryOps = new Map<string, PendingDelivery>()
  /** Messages given an id in this batch: shared record or inline, decided at the commit. */
  private newMessages: Message[] = []
  private nextMessageId = 1
  private readonly retainedDb: Database
  private readonly sessionsDb: Database
  private readonly messagesDb: Database
  private readonly deliveriesDb: Database
  private readonly incomingDb: Database
  private readonly metaDb: Database
  private failure: string | null = null
  private probe: NodeJS.Timeout | null = null
  private counts = { messages: 0, deliveries: 0 }
  private commits = 0
  private writeFailures = 0
  private lastSyncAt: number | null = null
  private lastSyncMs: number | null = null
  private closed = false
  recovery: StoreRecovery = { skippedRecords: 0, setAside: null, loadMs: 0 }

  private constructor(
    readonly path: string,
    private readonly root: RootDatabase,
    private readonly logger: Logger
  ) {
    this.retainedDb = root.openDB('retained', {})
    this.sessionsDb = root.openDB('sessions', {})
    this.messagesDb = root.openDB('messages', { keyEncoding: 'uint32' })
    this.deliveriesDb = root.openDB('deliveries', {})
    this.incomingDb = root.openDB('incoming', {})
    this.metaDb = root.openDB('meta', {})
  }

  /**
   * Open (creating) the store in `path`. Throws a StoreOpenError naming the file when LMDB cannot
   * open it or it is damaged beyond reading (the caller sets it aside and starts afresh).
   */
  static open(path: string, logger: Logger): LmdbPersistence {
    // LMDB trusts its file: a foreign or overwritten one can crash the process inside it. Check the
    // meta page's magic number first.
    const problem = notAnLmdbFile(join(path, 'data.mdb'))
    if (problem !== null) throw new StoreOpenError(join(path, 'data.mdb'), problem)
    let root: RootDatabase
    try {
      root = open({ path, maxDbs: 8, compression: false })
    } catch (err) {
      throw new StoreOpenError(join(path, 'data.mdb'), errorText(err))
    }
    // A data file cut short (a copy interrupted, a disk error) would make LMDB read past its end.
    const stats = root.getStats() as { pageSize: number; lastPageNumber: number }
    const dataFile = join(path, 'data.mdb')
    const size = statSync(dataFile).size
    if (size < (stats.lastPageNumber + 1) * stats.pageSize) {
      root.close()
      throw new StoreOpenError(
        dataFile,
        `the file is truncated (${size} bytes; its pages need ${(stats.lastPageNumber + 1) * stats.pageSize})`
      )
    }
    const store = new LmdbPersistence(path, root, logger)
    const state = store.metaDb.get('state') as { format?: unknown } | undefined
    if (state !== undefined && !READABLE_STORE_FORMATS.includes(state.format as number)) {
      root.close()
      throw new StoreOpenError(dataFile, `it is in store format ${JSON.stringify(state.format)}; this version reads format ${STORE_FORMAT}`)
    }
    return store
  }

  /** Read everything back, checking each record; bad records are counted, logged and removed. */
  load(): LoadedState {
    const started = performance.now()
    let skipped = 0
    const skip = (table: string, key: unknown, why: string, db: Database): void => {
      skipped++
      if (skipped <= 20) this.logger.warn(`store: skipped ${table} record ${JSON.stringify(key)}: ${why}`)
      this.write(db, key as Key, undefined)
    }
    const state = this.metaDb.get('state') as { cleanShutdown?: unknown } | undefined
    const retained: MessageRecord[] = []
    for (const { key, value } of this.retainedDb.getRange({})) {
      const checked = checkMessageRecord(value)
      if (checked.ok && checked.value.t === key) retained.push(checked.value)
      else skip('retained', key, checked.ok ? 'topic does not match its key' : checked.why, this.retainedDb)
    }
    const messages = new Map<number, MessageRecord>()
    for (const { key, value } of this.messagesDb.getRange({})) {
      const checked = checkMessageRecord(value)
      if (checked.ok && typeof key === 'number') {
        messages.set(key, checked.value)
        if (key >= this.nextMessageId) this.nextMessageId = key + 1
      } else skip('messages', key, checked.ok ? 'bad key' : checked.why, this.messagesDb)
    }
    const sessions = new Map<string, SessionRecord>()
    for (const { key, value } of this.sessionsDb.getRange({})) {
      const checked = checkSessionRecord(value)
      if (checked.ok && typeof key === 'string') sessions.set(key, checked.value)
      else skip('sessions', key, checked.ok ? 'bad key' : checked.why, this.sessionsDb)
    }
    const deliveries: LoadedState['deliveries'] = []
    for (const { key, value } of this.deliveriesDb.getRange({})) {
      const checked = checkDeliveryRecord(value)
      const [clientId, seq] = Array.isArray(key) ? key : []
      if (!checked.ok || typeof clientId !== 'string' || typeof seq !== 'number') {
        skip('deliveries', key, checked.ok ? 'bad key' : checked.why, this.deliveriesDb)
      } else if (!sessions.has(clientId) || (checked.value.mi === undefined && !messages.has(checked.value.m))) {
        // Left behind by a session or message that is gone: not data anyone can receive.
        this.write(this.deliveriesDb, key as Key, undefined)
      } else deliveries.push({ clientId, seq, record: checked.value })
    }
    const incoming: LoadedState['incoming'] = []
    for (const { key } of this.incomingDb.getRange({})) {
      const [clientId, packetId] = Array.isArray(key) ? key : []
      if (typeof clientId === 'string' && typeof packetId === 'number' && sessions.has(clientId)) incoming.push({ clientId, packetId })
      else this.write(this.incomingDb, key as Key, undefined)
    }
    const inline = deliveries.reduce((n, d) => (d.record.mi !== undefined ? n + 1 : n), 0)
    this.counts = { messages: messages.size + inline, deliveries: deliveries.length }
    this.recovery = { ...this.recovery, skippedRecords: skipped, loadMs: Math.round(performance.now() - started) }
    // From now until a clean close, the store says a broker is running on it.
    this.write(this.metaDb, 'state', { format: STORE_FORMAT, cleanShutdown: false, startedAt: Date.now() })
    return { retained, messages, sessions, deliveries, incoming, cleanShutdown: state?.cleanShutdown !== false, skipped }
  }

  restored(messages: Iterable<Message>): void {
    for (const message of messages) {
      if (message.storeRefs === 0 && message.storeId !== 0) {
        this.write(this.messagesDb, message.storeId, undefined)
        message.storeId = 0
        this.counts.messages--
      }
    }
  }

  // ───────────────────────────── writes ─────────────────────────────

  get pending(): boolean {
    return this.ops.length > 0 || this.deliveryOps.size > 0 || this.newMessages.length > 0
  }

  get failing(): boolean {
    return this.failure !== null
  }

  onFirstWrite: () => void = () => {}

  private write(db: Database, key: Key, value: unknown): void {
    if (!this.pending) this.onFirstWrite()
    this.ops.push({ db, key, value })
  }

  private writeDelivery(clientId: string, source: Delivery | InflightEntry, fresh: boolean): void {
    const id = `${source.seq} ${clientId}`
    const pending = this.deliveryOps.get(id)
    if (pending !== undefined) {
      // Keeps its fresh flag: put by added() in this batch, it is still not on disk.
      pending.source = source
      return
    }
    if (!this.pending) this.onFirstWrite()
    this.deliveryOps.set(id, { key: [clientId, source.seq], source, fresh })
  }

  putRetained(message: Message): void {
    this.write(this.retainedDb, message.topic, messageRecord(message))
  }

  deleteRetained(topic: string): void {
    this.write(this.retainedDb, topic, undefined)
  }

  putSession(session: Session): void {
    this.write(this.sessionsDb, session.clientId, sessionRecord(session))
  }

  deleteSession(session: Session): void {
    const clientId = session.clientId
    this.write(this.sessionsDb, clientId, undefined)
    // The session's own deliveries, from memory (what memory holds includes writes not committed yet).
    for (const entry of session.inflightEntries()) this.removed(session, entry)
    for (const delivery of session.queuedDeliveries()) this.removed(session, delivery)
    if (session.incomingQos2 !== null) for (const packetId of session.incomingQos2) this.incomingRemoved(session, packetId)
  }

  added(session: Session, delivery: Delivery): void {
    const message = delivery.message
    if (message.storeId === 0) {
      message.storeId = this.nextMessageId++
      this.newMessages.push(message)
      this.counts.messages++
    } else if (message.storeId < 0 && message.payload.length > INLINE_COPY_MAX_BYTES) {
      // Written inside another session's record already: a large payload gets one record of its own
      // instead of a copy per session (the earlier record keeps its copy).
      message.storeId = this.nextMessageId++
      this.newMessages.push(message)
    }
    message.storeRefs++
    this.counts.deliveries++
    this.writeDelivery(session.clientId, delivery, true)
  }

  updated(session: Session, entry: InflightEntry): void {
    this.writeDelivery(session.clientId, entry, false)
  }

  removed(session: Session, delivery: Delivery): void {
    const id = `${delivery.seq} ${session.clientId}`
    const pending = this.deliveryOps.get(id)
    if (pending?.fresh) this.deliveryOps.delete(id)
    else if (pending !== undefined) pending.source = null
    else {
      if (!this.pending) this.onFirstWrite()
      this.deliveryOps.set(id, { key: [session.clientId, delivery.seq], source: null, fresh: false })
    }
    this.counts.deliveries--
    const message = delivery.message
    if (--message.storeRefs === 0 && message.storeId !== 0) {
      // A record of its own not written yet (in newMessages) is skipped at the commit; removing a
      // key that is not there is harmless.
      if (message.storeId > 0) this.write(this.messagesDb, message.storeId, undefined)
      message.storeId = 0
      this.counts.messages--
    }
  }

  incomingAdded(session: Session, packetId: number): void {
    this.write(this.incomingDb, [session.clientId, packetId], 1)
  }

  incomingRemoved(session: Session, packetId: number): void {
    this.write(this.incomingDb, [session.clientId, packetId], undefined)
  }

  commit(): Promise<void> {
    const ops = this.ops
    const newMessages = this.newMessages
    const deliveries = this.deliveryOps
    this.ops = []
    this.newMessages = []
    this.deliveryOps = new Map()
    if ((ops.length === 0 && deliveries.size === 0 && newMessages.length === 0) || this.closed) return Promise.resolve()
    const started = performance.now()
    // Every session a new message went to is known now: one session keeps it inside its record.
    for (const message of newMessages) {
      if (message.storeRefs === 0 || message.storeId <= 0) continue
      if (message.storeRefs === 1) message.storeId = INLINE_STORE_ID
      else ops.push({ db: this.messagesDb, key: message.storeId, value: messageRecord(message) })
    }
    for (const { key, source } of deliveries.values()) {
      ops.push({ db: this.deliveriesDb, key, value: source === null ? undefined : deliveryRecord(source) })
    }
    return this.root
      .transaction(() => {
        for (const op of ops) {
          if (op.value === undefined) op.db.removeSync(op.key)
          else op.db.putSync(op.key, op.value)
        }
      })
      .then(() => this.root.flushed)
      .then(
        () => {
          this.commits++
          this.lastSyncAt = Date.now()
          this.lastSyncMs = Math.round((performance.now() - started) * 10) / 10
          if (this.failure !== null) {
            this.logger.info('store: writes succeed again')
            this.failure = null
          }
        },
        (err: unknown) => {
          this.writeFailures++
          noteStoreFailure()
          // lmdb rejects with "Commit failed" and rejects `commitError` later with the cause (ENOSPC,
          // EFBIG, EIO): that one must be handled too, or it is an unhandled rejection.
          const cause = (err as { commitError?: Promise<unknown> }).commitError
          cause?.catch((real: unknown) => {
            this.failure = errorText(real)
            this.logger.error(`store: the cause: ${this.failure}`)
          })
          const text = errorText(err)
          if (this.failure === null)
            this.logger.error(`store: a write to ${this.path} failed, QoS 1/2 messages are refused until one succeeds: ${text}`)
          this.failure = text
          this.scheduleProbe()
          throw err
        }
      )
  }

  /** While failing: try a tiny write every second, so the broker notices when there is room again. */
  private scheduleProbe(): void {
    if (this.probe !== null || this.closed) return
    this.probe = setTimeout(() => {
      this.probe = null
      if (this.failure === null || this.closed) return
      this.write(this.metaDb, 'probe', Date.now())
      this.commit().catch(() => {})
    }, PROBE_MS)
    this.probe.unref()
  }

  status(held: { retained: number; sessions: number }): StoreStatus {
    let sizeBytes = 0
    try {
      sizeBytes = statSync(join(this.path, 'data.mdb')).size
    } catch {
      // gone or unreadable: shown as 0
    }
    return {
      enabled: true,
      path: this.path,
      sizeBytes,
      retained: held.retained,
      sessions: held.sessions,
      ...this.counts,
      commits: this.commits,
      lastSyncAt: this.lastSyncAt,
      lastSyncMs: this.lastSyncMs,
      writeFailures: this.writeFailures,
      failing: this.failure !== null,
      lastError: this.failure,
      recovery: this.recovery
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    if (this.probe !== null) clearTimeout(this.probe)
    this.write(this.metaDb, 'state', { format: STORE_FORMAT, cleanShutdown: true, stoppedAt: Date.now() })
    await this.commit().catch((err: unknown) => this.logger.error(`store: the last write before closing failed: ${errorText(err)}`))
    this.closed = true
    await this.root.close()
  }
}

/** LMDB's meta pages (page 0 and page 1) start their MDB_meta with this magic number, after a 24-byte page header. */
const LMDB_MAGIC = 0xbeefc0de
const META_MAGIC_OFFSET = 24

/** Null when `file` is absent (a new store) or looks like an LMDB data file; else what is wrong. */
function notAnLmdbFile(file: string): string | null {
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? null : `cannot read it (${errorText(err)})`
  }
  try {
    const size = fstatSync(fd).size
    if (size === 0) return null
    const header = Buffer.alloc(META_MAGIC_OFFSET + 4)
    // Page 0 is the first meta page; page 1 (at one page size) the second. Either one is enough for LMDB.
    for (const offset of [0, 4096, 8192, 16384, 32768, 65536]) {
      if (offset + header.length > size) break
      readSync(fd, header, 0, header.length, offset)
      if (header.readUInt32LE(META_MAGIC_OFFSET) === LMDB_MAGIC) return null
    }
    return 'it is not an LMDB data file (no valid meta page)'
  } finally {
    closeSync(fd)
  }
}

function deliveryRecord(delivery: Delivery | InflightEntry): DeliveryRecord {
  const message = delivery.message
  const record: DeliveryRecord = {
    m: Math.max(message.storeId, 0),
    q: delivery.qos,
    r: delivery.retain,
    s: delivery.subscriptionIds as number[] | null
  }
  if (message.storeId < 0) record.mi = messageRecord(message)
  if ('packetId' in delivery) {
    record.pid = delivery.packetId
    record.st = stateCode(delivery.state)
  }
  return record
}

/** The store cannot be used as it is: the caller sets it aside (never deletes it) and starts afresh. */
export class StoreOpenError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string
  ) {
    super(`the store ${file} cannot be used: ${reason}`)
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
