/**
 * The inspector: turns the broker's event stream into what the UI shows (traffic log, topic tree,
 * lists, stats and rates) and carries out the UI's commands. Shared by the Electron window (IPC)
 * and headless mode (WebSocket, ./../headless/ui-server.ts).
 *
 * Cost model: nothing is subscribed on the broker until a UI listener attaches, so an unwatched
 * broker pays nothing. While attached, per packet it does O(1) work and allocates two small
 * objects; previews (base64) are built lazily, only for rows that are actually sent.
 *
 * Memory bounds: traffic rows ≤ trafficCapacity; payload bytes held for traffic rows ≤
 * maxPayloadBytes (the oldest rows' payloads are dropped first; their preview stays); topics ≤
 * maxTopics and maxTopicChars; rows waiting for the next batch ≤ maxTrafficRowsPerBatch.
 */
import type {
  CommandArgs,
  CommandName,
  CommandResult,
  FullPayload,
  InspectorBatch,
  InspectorSnapshot,
  JsonMessageProperties,
  PublishCommand,
  RetainedRow,
  SettingsUpdateResult,
  TrafficRow
} from '../../shared/api'
import type { BrokerEventOf, BrokerStats, MessageProperties, PublishRequest, RetainedInfo } from '../../shared/broker-types'
import type { BrokerSettings } from '../../shared/settings'
import type { BrokerControl } from '../broker/control'
import { CommandError, validateCommand, type ValidCommand } from './command-validation'
import { RingBuffer } from './ring-buffer'
import type { SavedMessageStore } from './saved-messages'
import { TopicTree } from './topic-tree'

export interface InspectorOptions {
  /** Traffic rows kept (default 10 000). */
  trafficCapacity?: number
  /** Minimum time between batches (default 50 ms → at most 20 batches a second). */
  batchIntervalMs?: number
  /** Traffic rows per batch at most (default 500); the rest are counted in trafficNotShown. */
  maxTrafficRowsPerBatch?: number
  /** Payload bytes in each preview (default 256). */
  previewBytes?: number
  /** Payload bytes kept for traffic rows, in total (default 64 MiB). */
  maxPayloadBytes?: number
  /** Topics in the topic tree (default 20 000). */
  maxTopics?: number
  /** Characters of topic names in the topic tree (default 4 Mi). */
  maxTopicChars?: number
  /** Clients, subscriptions, retained and topics are sent at most this often (default 250 ms): they can be large. */
  listIntervalMs?: number
  savedMessages: SavedMessageStore
}

export type BatchListener = (batch: InspectorBatch) => void

/** Sizes of the inspector's bounded structures (tests and diagnostics). */
export interface InspectorUsage {
  attached: boolean
  listeners: number
  paused: boolean
  trafficRows: number
  trafficCapacity: number
  payloadBytes: number
  maxPayloadBytes: number
  pendingRows: number
  topics: number
  maxTopics: number
  topicChars: number
  topicsNotTracked: number
}

type Rates = InspectorBatch['rates']

interface TrafficEntry {
  readonly row: TrafficRow
  /** The full payload while the byte budget allows; null once dropped (the preview stays in `row`). */
  payload: Buffer | null
  /** Waiting for the next batch. */
  pending: boolean
}

interface RateBase {
  time: number
  publishReceived: number
  publishSent: number
  bytesReceived: number
  bytesSent: number
}

const DEFAULTS = {
  trafficCapacity: 10_000,
  batchIntervalMs: 50,
  maxTrafficRowsPerBatch: 500,
  previewBytes: 256,
  maxPayloadBytes: 64 * 1024 * 1024,
  maxTopics: 20_000,
  maxTopicChars: 4 * 1024 * 1024,
  listIntervalMs: 250
} as const

/** With no news, a batch still goes out this often so uptime and rates (falling to 0) stay live. */
const HEARTBEAT_MS = 1000
/** Client rows carry message counters; traffic alone refreshes them at most this often. */
const CLIENT_COUNTERS_MS = 1000
const ZERO_RATES: Rates = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 }
/**
 * Per-row text bounds: topics may be 64 KiB (and SUBSCRIBE rows join every filter), v5 user
 * properties can fill a packet. Without these a 10 000-row ring could hold gigabytes of text.
 */
export const MAX_ROW_TOPIC_CHARS = 1024
export const MAX_ROW_PROPERTY_CHARS = 2048

export class Inspector {
  readonly trafficCapacity: number
  readonly batchIntervalMs: number
  readonly maxTrafficRowsPerBatch: number
  readonly previewBytes: number
  readonly maxPayloadBytes: number
  readonly listIntervalMs: number

  private readonly broker: BrokerControl
  private readonly savedMessages: SavedMessageStore
  private readonly ring: RingBuffer<TrafficEntry>
  /** The newest rows not yet sent; overflow is counted in notShown (they stay in the ring). */
  private readonly pending: RingBuffer<TrafficEntry>
  private readonly topics: TopicTree
  private readonly listeners = new Set<BatchListener>()
  private unsubscribe: Array<() => void> = []
  private timer: NodeJS.Timeout | null = null

  private nextId = 1
  private notShown = 0
  /** Rows recorded since the last batch (see closePacketGate). */
  private rowsThisWindow = 0
  /** packetsSoFar() when the packet gate closed, or -1 while it is open. */
  private gateClosedAt = -1
  private paused = false
  private pausedChanged = false
  private payloadBytes = 0
  /** Id of the oldest row that may still hold a payload (ring ids are consecutive). */
  private payloadCursor = 1
  /** The last payload made our own, so a message fanned out to N subscribers is copied once. */
  private ownedSource: Uint8Array | null = null
  private ownedCopy: Buffer | null = null

  private seq = 0
  private lastBatchAt = 0
  private lastListsAt = 0
  private lastClientsAt = 0
  private rateBase: RateBase | null = null
  private lastRates: Rates = ZERO_RATES
  private dirtyClients = true
  private dirtySubscriptions = true
  private dirtyRetained = true
  private dirtyListeners = true
  /** Traffic moved client counters (messagesIn/Out, queued, inflight). */
  private countersMoved = false
  private dirtySettings = true

  constructor(broker: BrokerControl, options: InspectorOptions) {
    this.broker = broker
    this.savedMessages = options.savedMessages
    this.trafficCapacity = positiveInteger(options.trafficCapacity ?? DEFAULTS.trafficCapacity, 'trafficCapacity')
    this.batchIntervalMs = positiveInteger(options.batchIntervalMs ?? DEFAULTS.batchIntervalMs, 'batchIntervalMs')
    this.maxTrafficRowsPerBatch = positiveInteger(
      options.maxTrafficRowsPerBatch ?? DEFAULTS.maxTrafficRowsPerBatch,
      'maxTrafficRowsPerBatch'
    )
    this.previewBytes = positiveInteger(options.previewBytes ?? DEFAULTS.previewBytes, 'previewBytes')
    this.maxPayloadBytes = positiveInteger(options.maxPayloadBytes ?? DEFAULTS.maxPayloadBytes, 'maxPayloadBytes')
    this.listIntervalMs = positiveInteger(options.listIntervalMs ?? DEFAULTS.listIntervalMs, 'listIntervalMs')
    this.ring = new RingBuffer(this.trafficCapacity)
    this.pending = new RingBuffer(this.maxTrafficRowsPerBatch)
    this.topics = new TopicTree({
      maxTopics: positiveInteger(options.maxTopics ?? DEFAULTS.maxTopics, 'maxTopics'),
      maxTopicChars: positiveInteger(options.maxTopicChars ?? DEFAULTS.maxTopicChars, 'maxTopicChars'),
      previewBytes: this.previewBytes
    })
  }

  // ───────────────────────────── listeners ─────────────────────────────

  /** Receive batches; the first listener attaches the inspector to the broker, the last one to leave detaches it. */
  onBatch(listener: BatchListener): () => void {
    // Wrapped so the same function may be added twice and removed independently.
    const entry: BatchListener = (batch) => listener(batch)
    this.listeners.add(entry)
    if (this.listeners.size === 1) this.attach()
    let active = true
    return () => {
      if (!active) return
      active = false
      this.listeners.delete(entry)
      if (this.listeners.size === 0) this.detach()
    }
  }

  get attached(): boolean {
    return this.timer !== null
  }

  /** Remove every listener (and so detach from the broker). */
  dispose(): void {
    this.listeners.clear()
    this.detach()
  }

  private attach(): void {
    if (this.timer !== null) return
    const events = this.broker.events
    this.unsubscribe = [
      events.on('packet', (event) => this.onPacket(event)),
      events.on('message.published', (event) => this.onPublished(event)),
      events.on('retained.changed', (event) => {
        this.topics.setRetained(event.topic, !event.removed)
        this.dirtyRetained = true
      }),
      events.on('client.connected', () => this.clientsChanged()),
      events.on('client.disconnected', () => this.clientsChanged()),
      events.on('session.expired', () => this.clientsChanged()),
      events.on('subscribed', () => this.clientsChanged()),
      events.on('unsubscribed', () => this.clientsChanged()),
      events.on('listener.changed', () => {
        this.dirtyListeners = true
      }),
      events.on('settings.changed', () => {
        this.dirtySettings = true
      })
    ]
    // Whatever happened while detached was not seen: resend every list, re-read retained flags.
    this.topics.syncRetained(this.broker.listRetained())
    this.dirtyClients = this.dirtySubscriptions = this.dirtyRetained = this.dirtyListeners = true
    this.dirtySettings = true
    this.rateBase = rateBase(this.broker.stats(), Date.now())
    this.lastRates = ZERO_RATES
    this.timer = setInterval(() => this.tick(), this.batchIntervalMs)
    // The UI's timer must never keep a process alive on its own.
    this.timer.unref()
  }

  private detach(): void {
    for (const off of this.unsubscribe) off()
    this.unsubscribe = []
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
    // Rows nobody will receive live: they stay in the ring, but are no longer "pending".
    for (const entry of this.pending.clear()) entry.pending = false
    this.notShown = 0
    this.ownedSource = this.ownedCopy = null
    if (this.gateClosedAt >= 0) this.broker.events.resumePackets(this)
    this.gateClosedAt = -1
    this.topics.settle()
    this.rowsThisWindow = 0
  }

  private clientsChanged(): void {
    // Connects, disconnects and (un)subscribes change both lists (clients carry a subscription count).
    this.dirtyClients = true
    this.dirtySubscriptions = true
  }

  // ───────────────────────────── events (hot path) ─────────────────────────────

  private onPacket(event: BrokerEventOf<'packet'>): void {
    // Gate closed: another listener keeps events flowing; these are counted from the broker's counters.
    if (this.gateClosedAt >= 0) return
    if (this.paused) {
      this.notShown++
      this.closePacketGate()
      return
    }
    const packet = event.packet
    const row: TrafficRow = {
      id: this.nextId++,
      time: Date.now(),
      direction: packet.direction,
      clientId: packet.clientId,
      type: packet.type,
      size: packet.size
    }
    if (packet.packetId !== undefined) row.packetId = packet.packetId
    if (packet.topic !== undefined) {
      row.topic = packet.topic.length > MAX_ROW_TOPIC_CHARS ? `${packet.topic.slice(0, MAX_ROW_TOPIC_CHARS)}…` : packet.topic
    }
    if (packet.qos !== undefined) row.qos = packet.qos
    if (packet.retain !== undefined) row.retain = packet.retain
    if (packet.dup !== undefined) row.dup = packet.dup
    if (packet.reasonCode !== undefined) row.reasonCode = packet.reasonCode
    if (packet.properties !== undefined) row.properties = rowProperties(packet.properties)
    let payload: Buffer | null = null
    if (packet.payload !== undefined) {
      row.payloadSize = packet.payload.length
      if (packet.payload.length <= this.maxPayloadBytes) {
        payload = this.own(packet.payload)
        this.payloadBytes += payload.length
      } else {
        // Larger than the whole budget: keep only the preview.
        row.payloadPreview = base64Preview(packet.payload, this.previewBytes)
      }
    }
    const entry: TrafficEntry = { row, payload, pending: true }
    const evicted = this.ring.push(entry)
    if (evicted !== undefined) this.releasePayload(evicted)
    if (this.payloadBytes > this.maxPayloadBytes) this.enforcePayloadBudget()
    const overflow = this.pending.push(entry)
    if (overflow !== undefined) {
      overflow.pending = false
      this.notShown++
    }
    if (row.type === 'publish') this.countersMoved = true
    // This batch has all the rows it can carry: stop the broker building packet events until the
    // next batch, so a flood costs the broker nothing per packet (the rest are counted, not shown).
    if (++this.rowsThisWindow >= this.maxTrafficRowsPerBatch) this.closePacketGate()
  }

  /** Packets the broker has handled in and out, all types: what the gate's not-shown count is taken from. */
  private packetsSoFar(): number {
    return this.broker.packetsHandled()
  }

  private closePacketGate(): void {
    if (this.gateClosedAt >= 0) return
    this.gateClosedAt = this.packetsSoFar()
    this.broker.events.suspendPackets(this)
  }

  /** At each batch: count what passed while the gate was closed, and open it again (unless paused). */
  private openPacketGate(): void {
    this.rowsThisWindow = 0
    if (this.gateClosedAt < 0) return
    this.notShown += this.packetsSoFar() - this.gateClosedAt
    this.gateClosedAt = -1
    if (this.paused) this.closePacketGate()
    else this.broker.events.resumePackets(this)
  }

  private onPublished(event: BrokerEventOf<'message.published'>): void {
    this.topics.recordMessage(event.topic, event.payload, event.time)
  }

  /**
   * A payload we may hold on to. A parsed payload can be a view into a 64 KiB socket chunk;
   * keeping the view would pin the chunk, so views into much larger buffers are copied.
   */
  private own(payload: Uint8Array): Buffer {
    if (payload === this.ownedSource && this.ownedCopy !== null) return this.ownedCopy
    const copy =
      payload.buffer.byteLength > payload.byteLength * 2 + 8192
        ? Buffer.from(payload)
        : Buffer.isBuffer(payload)
          ? payload
          : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)
    this.ownedSource = payload
    this.ownedCopy = copy
    return copy
  }

  /** Drop a row's payload (keeping its preview if the row may still be shown). */
  private releasePayload(entry: TrafficEntry, keepPreview = entry.pending): void {
    if (entry.payload === null) return
    if (keepPreview) this.materialize(entry)
    this.payloadBytes -= entry.payload.length
    entry.payload = null
  }

  /** Over budget: drop payloads from the oldest rows still holding one. Amortised O(1) per row. */
  private enforcePayloadBudget(): void {
    const oldest = this.ring.peekOldest()
    if (oldest === undefined) return
    const base = oldest.row.id
    if (this.payloadCursor < base) this.payloadCursor = base
    while (this.payloadBytes > this.maxPayloadBytes) {
      const entry = this.ring.get(this.payloadCursor - base)
      if (entry === undefined) break
      this.payloadCursor++
      // Still in the ring, so it may appear in a snapshot: keep its preview.
      this.releasePayload(entry, true)
    }
  }

  private materialize(entry: TrafficEntry): TrafficRow {
    if (entry.payload !== null && entry.row.payloadPreview === undefined) {
      entry.row.payloadPreview = base64Preview(entry.payload, this.previewBytes)
    }
    return entry.row
  }

  // ───────────────────────────── batches ─────────────────────────────

  private tick(): void {
    this.openPacketGate()
    const now = Date.now()
    const listsDue = now - this.lastListsAt >= this.listIntervalMs
    const clientCountersDue = this.countersMoved && now - this.lastClientsAt >= CLIENT_COUNTERS_MS
    const news =
      this.pending.size > 0 ||
      this.notShown > 0 ||
      this.pausedChanged ||
      this.dirtyListeners ||
      this.dirtySettings ||
      (listsDue && (this.dirtyClients || clientCountersDue || this.dirtySubscriptions || this.dirtyRetained || this.topics.hasChanges))
    if (!news && now - this.lastBatchAt < HEARTBEAT_MS) return
    this.emit(this.nextBatch(now, listsDue, clientCountersDue))
  }

  private nextBatch(now: number, listsDue: boolean, clientCountersDue: boolean): InspectorBatch {
    const stats = this.broker.stats()
    this.lastRates = this.rates(stats, now)
    const entries = this.pending.clear()
    const traffic = new Array<TrafficRow>(entries.length)
    for (let i = 0; i < entries.length; i++) {
      entries[i].pending = false
      traffic[i] = this.materialize(entries[i])
    }
    const batch: InspectorBatch = {
      seq: ++this.seq,
      time: now,
      stats,
      rates: this.lastRates,
      traffic,
      trafficNotShown: this.notShown
    }
    this.notShown = 0
    this.lastBatchAt = now
    if (listsDue) {
      if (this.dirtyClients || clientCountersDue) {
        batch.clients = this.broker.listClients()
        this.dirtyClients = this.countersMoved = false
        this.lastClientsAt = now
      }
      if (this.dirtySubscriptions) {
        batch.subscriptions = this.broker.listSubscriptions()
        this.dirtySubscriptions = false
      }
      if (this.dirtyRetained) {
        batch.retained = this.retainedRows()
        this.dirtyRetained = false
      }
      if (this.topics.hasChanges) {
        batch.topics = this.topics.takeChanges()
        batch.topicsNotTracked = this.topics.notTracked
      }
      this.lastListsAt = now
    }
    if (this.dirtyListeners) {
      batch.listeners = this.broker.listeners()
      this.dirtyListeners = false
    }
    if (this.dirtySettings) {
      this.dirtySettings = false
      batch.settings = this.broker.getSettings()
    }
    if (this.pausedChanged) {
      batch.trafficPaused = this.paused
      this.pausedChanged = false
    }
    return batch
  }

  /**
   * A batch that replaces a receiver's whole state (see InspectorBatch.full). For receivers that
   * missed batches; it does not consume anything the regular batches carry.
   */
  fullBatch(): InspectorBatch {
    const snapshot = this.snapshot()
    return {
      seq: this.seq,
      time: Date.now(),
      stats: snapshot.stats,
      rates: this.lastRates,
      traffic: snapshot.traffic,
      trafficNotShown: 0,
      clients: snapshot.clients,
      subscriptions: snapshot.subscriptions,
      retained: snapshot.retained,
      listeners: snapshot.listeners,
      settings: snapshot.settings,
      topics: snapshot.topics,
      topicsNotTracked: this.topics.notTracked,
      trafficPaused: this.paused,
      full: true
    }
  }

  private emit(batch: InspectorBatch): void {
    for (const listener of [...this.listeners]) {
      // One faulty UI listener must not starve the others or stop the timer.
      try {
        listener(batch)
      } catch {
        /* ignored on purpose */
      }
    }
  }

  private rates(stats: BrokerStats, now: number): Rates {
    const base = this.rateBase
    this.rateBase = rateBase(stats, now)
    if (base === null || now <= base.time) return ZERO_RATES
    const seconds = (now - base.time) / 1000
    const perSecond = (delta: number): number => Math.max(0, Math.round(delta / seconds))
    return {
      messagesIn: perSecond(stats.publishReceived - base.publishReceived),
      messagesOut: perSecond(stats.publishSent - base.publishSent),
      bytesIn: perSecond(stats.bytesReceived - base.bytesReceived),
      bytesOut: perSecond(stats.bytesSent - base.bytesSent)
    }
  }

  // ───────────────────────────── state ─────────────────────────────

  snapshot(): InspectorSnapshot {
    return {
      stats: this.broker.stats(),
      clients: this.broker.listClients(),
      subscriptions: this.broker.listSubscriptions(),
      retained: this.retainedRows(),
      listeners: this.broker.listeners(),
      settings: this.broker.getSettings(),
      topics: this.topics.all(),
      traffic: this.trafficRows(),
      trafficCapacity: this.trafficCapacity,
      trafficPaused: this.paused,
      topicsNotTracked: this.topics.notTracked
    }
  }

  /** The traffic ring, oldest first. */
  trafficRows(): TrafficRow[] {
    const rows = new Array<TrafficRow>(this.ring.size)
    this.ring.forEach((entry, index) => {
      rows[index] = this.materialize(entry)
    })
    return rows
  }

  getTrafficPayload(id: number): FullPayload | null {
    const oldest = this.ring.peekOldest()
    if (oldest === undefined) return null
    const entry = this.ring.get(id - oldest.row.id)
    if (entry === undefined || entry.row.id !== id || entry.payload === null) return null
    return { payload: entry.payload.toString('base64'), size: entry.payload.length }
  }

  clearTraffic(): void {
    this.ring.clear()
    for (const entry of this.pending.clear()) entry.pending = false
    this.payloadBytes = 0
    this.payloadCursor = this.nextId
    this.ownedSource = this.ownedCopy = null
  }

  setTrafficPaused(paused: boolean): void {
    if (paused !== this.paused) this.pausedChanged = true
    this.paused = paused
    // Resuming shows new packets at once, not from the next batch on.
    if (!paused) this.openPacketGate()
  }

  usage(): InspectorUsage {
    return {
      attached: this.attached,
      listeners: this.listeners.size,
      paused: this.paused,
      trafficRows: this.ring.size,
      trafficCapacity: this.ring.capacity,
      payloadBytes: this.payloadBytes,
      maxPayloadBytes: this.maxPayloadBytes,
      pendingRows: this.pending.size,
      topics: this.topics.size,
      maxTopics: this.topics.maxTopics,
      topicChars: this.topics.trackedTopicChars,
      topicsNotTracked: this.topics.notTracked
    }
  }

  private retainedRows(): RetainedRow[] {
    return this.broker.listRetained().map((info) => this.retainedRow(info))
  }

  private retainedRow(info: RetainedInfo): RetainedRow {
    return {
      topic: info.topic,
      qos: info.qos,
      size: info.size,
      preview: base64Preview(info.preview, this.previewBytes),
      updatedAt: info.updatedAt,
      properties: jsonMessageProperties(info.properties)
    }
  }

  // ───────────────────────────── commands ─────────────────────────────

  /**
   * Run a command from the UI. `name` and `args` are untrusted: both are checked at runtime and a
   * bad one is refused with a CommandError saying what was wrong. `args` may be omitted for
   * commands that take none.
   */
  handleCommand<K extends CommandName>(name: K, args: CommandArgs<K>): Promise<Awaited<CommandResult<K>>>
  handleCommand(name: unknown, args?: unknown): Promise<unknown>
  async handleCommand(name: unknown, args?: unknown): Promise<unknown> {
    return this.run(validateCommand(name, args))
  }

  private async run(command: ValidCommand): Promise<unknown> {
    switch (command.name) {
      case 'snapshot':
        return this.snapshot()
      case 'publish':
        return { recipients: this.publish(command.args[0]) }
      case 'disconnectClient':
        return this.broker.disconnectClient(command.args[0])
      case 'deleteSession': {
        const deleted = this.broker.deleteSession(command.args[0])
        // Ending a session emits no event; the lists must still update.
        if (deleted) this.clientsChanged()
        return deleted
      }
      case 'getRetained': {
        const message = this.broker.getRetained(command.args[0])
        if (message === null) return null
        return { payload: Buffer.from(message.payload).toString('base64'), size: message.payload.length } satisfies FullPayload
      }
      case 'deleteRetained':
        return this.broker.deleteRetained(command.args[0])
      case 'clearRetained':
        return this.broker.clearRetained()
      case 'getTrafficPayload':
        return this.getTrafficPayload(command.args[0])
      case 'clearTraffic':
        this.clearTraffic()
        return undefined
      case 'setTrafficPaused':
        this.setTrafficPaused(command.args[0])
        return undefined
      case 'updateSettings':
        return this.updateSettings(command.args[0])
      case 'listSavedMessages':
        return this.savedMessages.list()
      case 'saveMessage':
        return this.savedMessages.save(command.args[0])
      case 'deleteSavedMessage':
        return this.savedMessages.delete(command.args[0])
    }
  }

  private publish(command: PublishCommand): number {
    try {
      return this.broker.publish(toPublishRequest(command))
    } catch (error) {
      throw new CommandError(`publish: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  private async updateSettings(patch: Partial<BrokerSettings>): Promise<SettingsUpdateResult> {
    const result = await this.broker.updateSettings(patch, 'ui')
    if (!result.ok) return { ok: false, errors: result.errors }
    this.dirtyListeners = true
    return { ok: true, settings: result.settings, listeners: result.listeners ?? this.broker.listeners() }
  }
}

// ───────────────────────────── conversions ─────────────────────────────

export function toPublishRequest(command: PublishCommand): PublishRequest {
  const request: PublishRequest = {
    topic: command.topic,
    payload: Buffer.from(command.payload, command.payloadEncoding === 'base64' ? 'base64' : 'utf8'),
    qos: command.qos,
    retain: command.retain
  }
  if (command.properties !== undefined) {
    const { correlationData, ...rest } = command.properties
    const properties: MessageProperties = { ...rest }
    if (correlationData !== undefined) properties.correlationData = Buffer.from(correlationData, 'base64')
    request.properties = properties
  }
  return request
}

function jsonMessageProperties(properties: MessageProperties): JsonMessageProperties {
  const { correlationData, ...rest } = properties
  const out: JsonMessageProperties = { ...rest }
  if (correlationData !== undefined) out.correlationData = Buffer.from(correlationData).toString('base64')
  return out
}

/**
 * Packet properties as JSON (bytes such as correlation data become base64), or, past
 * MAX_ROW_PROPERTY_CHARS, a marker with their approximate size.
 */
function rowProperties(properties: Record<string, unknown>): Record<string, unknown> {
  const budget = { left: MAX_ROW_PROPERTY_CHARS }
  const converted = jsonRecord(properties, 0, budget)
  if (budget.left >= 0) return converted
  return { truncated: true, approximateChars: MAX_ROW_PROPERTY_CHARS - budget.left }
}

interface Budget {
  left: number
}

function jsonRecord(properties: Record<string, unknown>, depth: number, budget: Budget): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(properties)) {
    budget.left -= key.length
    const value = jsonValue(properties[key], depth + 1, budget)
    if (value !== undefined) out[key] = value
    // Over budget: the caller discards the result, so stop converting now.
    if (budget.left < 0) break
  }
  return out
}

function jsonValue(value: unknown, depth: number, budget: Budget): unknown {
  if (value === null || typeof value === 'boolean') {
    budget.left -= 5
    return value
  }
  if (typeof value === 'string') {
    budget.left -= value.length
    return value
  }
  if (typeof value === 'number') {
    budget.left -= 8
    return Number.isFinite(value) ? value : String(value)
  }
  if (typeof value === 'bigint') return jsonValue(value.toString(), depth, budget)
  if (value instanceof Uint8Array) {
    budget.left -= Math.ceil(value.byteLength / 3) * 4
    // Never encode a huge blob only to throw it away.
    if (budget.left < 0) return undefined
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')
  }
  // Properties are shallow (user properties are one level deeper); anything deeper is not MQTT data.
  if (depth > 4) return undefined
  if (Array.isArray(value)) {
    const out: unknown[] = []
    for (const item of value) {
      out.push(jsonValue(item, depth + 1, budget) ?? null)
      if (budget.left < 0) break
    }
    return out
  }
  if (typeof value === 'object') return jsonRecord(value as Record<string, unknown>, depth, budget)
  return undefined
}

function base64Preview(payload: Uint8Array, previewBytes: number): string {
  const view = Buffer.from(payload.buffer, payload.byteOffset, Math.min(payload.byteLength, previewBytes))
  return view.toString('base64')
}

function rateBase(stats: BrokerStats, time: number): RateBase {
  return {
    time,
    publishReceived: stats.publishReceived,
    publishSent: stats.publishSent,
    bytesReceived: stats.bytesReceived,
    bytesSent: stats.bytesSent
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`inspector option ${name} must be a positive integer, got ${value}`)
  return value
}
