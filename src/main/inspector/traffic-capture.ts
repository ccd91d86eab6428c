/**
 * The traffic log: every packet the broker reports becomes a row in a bounded ring, with its
 * payload while the byte budget allows. Runs from the broker's start (whether or not a UI is
 * attached, unless the setting inspectorRecordWithoutUi turns that off).
 *
 * Cost on the broker: per packet O(1) work and two small objects. The packet gate: once the
 * current batch window has all the rows a batch can carry, the broker is told to stop building
 * packet events until the next window; what passes meanwhile is counted (from the broker's packet
 * counter), not recorded. So a flood costs the broker nothing per packet beyond its own counters.
 *
 * Bounds: rows ≤ capacity; payload bytes held ≤ maxPayloadBytes (the oldest rows' payloads go
 * first, their preview stays); rows waiting for the next batch ≤ maxRowsPerWindow.
 */
import { BROKER_CLIENT_ID, type FullPayload, type TrafficRow } from '../../shared/api'
import type { BrokerEventOf, PublishRequest } from '../../shared/broker-types'
import type { BrokerEventSource } from '../broker/control'
import { RingBuffer } from './ring-buffer'
import { base64Preview, trafficRow } from './wire'

/** The size of a PUBLISH carrying this (MQTT 3.1.1 framing; v5 properties not counted): for the broker's own rows. */
function publishPacketSize(topic: string, payloadBytes: number, qos: number): number {
  const remaining = 2 + Buffer.byteLength(topic) + (qos > 0 ? 2 : 0) + payloadBytes
  const lengthBytes = remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4
  return 1 + lengthBytes + remaining
}

export interface TrafficCaptureOptions {
  capacity: number
  maxRowsPerWindow: number
  previewBytes: number
  maxPayloadBytes: number
}

interface TrafficEntry {
  readonly row: TrafficRow
  /** The full payload while the byte budget allows; null once dropped (the preview stays in `row`). */
  payload: Buffer | null
  /** Waiting for the next batch. */
  pending: boolean
}

export class TrafficCapture {
  readonly capacity: number
  readonly maxRowsPerWindow: number
  readonly previewBytes: number
  readonly maxPayloadBytes: number

  private readonly ring: RingBuffer<TrafficEntry>
  /** The newest rows not yet sent; overflow is counted in notShown (they stay in the ring). */
  private readonly pending: RingBuffer<TrafficEntry>
  private off: (() => void) | null = null
  /** Rows go to `pending` only while someone receives batches. */
  private delivering = false

  private nextId = 1
  private notShown = 0
  /** Packets not logged (gate closed or paused) while nobody received batches: the next receiver is told. */
  private notShownUnattended = 0
  /** Packets never logged since start (gate closed or paused), whoever was watching. */
  private notRecorded = 0
  /** Rows recorded in this window (see closeGate). */
  private rowsThisWindow = 0
  /** packetsHandled() when the packet gate closed, or -1 while it is open. */
  private gateClosedAt = -1
  private paused = false
  private pausedChanged = false
  /** A PUBLISH went in or out since the last takePublishSeen (client message counters moved). */
  private publishSeen = false
  private payloadBytes = 0
  /** Id of the oldest row that may still hold a payload (ring ids are consecutive). */
  private payloadCursor = 1
  /** The last payload made our own, so a message fanned out to N subscribers is copied once. */
  private ownedSource: Uint8Array | null = null
  private ownedCopy: Buffer | null = null

  constructor(
    private readonly events: BrokerEventSource,
    /** The broker's count of packets handled in and out (what the gate's not-shown count comes from). */
    private readonly packetsHandled: () => number,
    options: TrafficCaptureOptions
  ) {
    this.capacity = options.capacity
    this.maxRowsPerWindow = options.maxRowsPerWindow
    this.previewBytes = options.previewBytes
    this.maxPayloadBytes = options.maxPayloadBytes
    this.ring = new RingBuffer(this.capacity)
    this.pending = new RingBuffer(this.maxRowsPerWindow)
  }

  get recording(): boolean {
    return this.off !== null
  }

  /** Subscribe to the broker's packet events (idempotent). */
  start(): void {
    if (this.off !== null) return
    this.off = this.events.on('packet', (event) => this.onPacket(event))
  }

  /** Unsubscribe; the ring keeps what it has. */
  stop(): void {
    if (this.off === null) return
    this.off()
    this.off = null
    if (this.gateClosedAt >= 0) {
      this.countNotLogged(this.packetsHandled() - this.gateClosedAt)
      this.events.resumePackets(this)
    }
    this.gateClosedAt = -1
    this.rowsThisWindow = 0
    this.ownedSource = this.ownedCopy = null
  }

  /** Batches are (or are no longer) received by anyone: rows are queued for them only meanwhile. */
  setDelivering(delivering: boolean): void {
    if (delivering === this.delivering) return
    this.delivering = delivering
    // Rows nobody will receive live: they stay in the ring, but are no longer "pending"; a new
    // receiver starts from a snapshot.
    for (const entry of this.pending.clear()) entry.pending = false
    // A receiver arriving gets, as its first not-shown count, what passed unlogged while nobody watched.
    this.notShown = delivering ? this.notShownUnattended : 0
    this.notShownUnattended = 0
  }

  /** A packet passed without a row (gate closed or paused): counted for whoever receives batches next. */
  private countNotLogged(packets: number): void {
    if (packets <= 0) return
    this.notRecorded += packets
    if (this.delivering) this.notShown += packets
    else this.notShownUnattended += packets
  }

  // ───────────────────────────── hot path ─────────────────────────────

  private onPacket(event: BrokerEventOf<'packet'>): void {
    // Gate closed: another listener keeps events flowing; these are counted from the broker's counters.
    if (this.gateClosedAt >= 0) return
    if (this.paused) {
      this.countNotLogged(1)
      this.closeGate()
      return
    }
    this.add(trafficRow(this.nextId++, Date.now(), event.packet), event.packet.payload)
    // This window has all the rows a batch can carry: stop the broker building packet events until
    // the next window, so a flood costs the broker nothing per packet (the rest are counted, not shown).
    if (++this.rowsThisWindow >= this.maxRowsPerWindow) this.closeGate()
  }

  /**
   * A message the broker published itself (the UI's Publish view): no client sent a PUBLISH, so no
   * packet event logs it; it is logged here as the broker's own, with its recipients. Recorded
   * whatever the gate (a person's action, not the flood), unless recording is off or paused.
   */
  recordBrokerPublish(request: PublishRequest, recipients: number): void {
    if (this.off === null) return
    if (this.paused) {
      this.countNotLogged(1)
      return
    }
    const payload = typeof request.payload === 'string' ? Buffer.from(request.payload) : request.payload
    const row = trafficRow(this.nextId++, Date.now(), {
      direction: 'in',
      clientId: BROKER_CLIENT_ID,
      type: 'publish',
      size: publishPacketSize(request.topic, payload.length, request.qos ?? 0),
      topic: request.topic,
      qos: request.qos ?? 0,
      retain: request.retain ?? false,
      dup: false,
      properties: request.properties ? { ...request.properties } : undefined
    })
    row.fromBroker = { recipients }
    this.add(row, payload)
    this.rowsThisWindow++
  }

  private add(row: TrafficRow, packetPayload: Uint8Array | undefined): void {
    let payload: Buffer | null = null
    if (packetPayload !== undefined) {
      row.payloadSize = packetPayload.length
      if (packetPayload.length <= this.maxPayloadBytes) {
        payload = this.own(packetPayload)
        this.payloadBytes += payload.length
      } else {
        // Larger than the whole budget: keep only the preview.
        row.payloadPreview = base64Preview(packetPayload, this.previewBytes)
      }
    }
    const entry: TrafficEntry = { row, payload, pending: this.delivering }
    const evicted = this.ring.push(entry)
    if (evicted !== undefined) this.releasePayload(evicted)
    if (this.payloadBytes > this.maxPayloadBytes) this.enforcePayloadBudget()
    if (this.delivering) {
      const overflow = this.pending.push(entry)
      if (overflow !== undefined) {
        overflow.pending = false
        this.notShown++
      }
    }
    if (row.type === 'publish') this.publishSeen = true
  }

  private closeGate(): void {
    if (this.gateClosedAt >= 0) return
    this.gateClosedAt = this.packetsHandled()
    this.events.suspendPackets(this)
  }

  /** At each batch window: count what passed while the gate was closed, and open it again (unless paused). */
  openGate(): void {
    this.rowsThisWindow = 0
    if (this.gateClosedAt < 0) return
    this.countNotLogged(this.packetsHandled() - this.gateClosedAt)
    this.gateClosedAt = -1
    if (this.paused) this.closeGate()
    else this.events.resumePackets(this)
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

  // ───────────────────────────── read side ─────────────────────────────

  get hasNews(): boolean {
    return this.pending.size > 0 || this.notShown > 0 || this.pausedChanged
  }

  /** The rows for the next batch, oldest first, and how many packets of the window they leave out. */
  takePending(): { rows: TrafficRow[]; notShown: number } {
    const entries = this.pending.clear()
    const rows = new Array<TrafficRow>(entries.length)
    for (let i = 0; i < entries.length; i++) {
      entries[i].pending = false
      rows[i] = this.materialize(entries[i])
    }
    const notShown = this.notShown
    this.notShown = 0
    return { rows, notShown }
  }

  takePublishSeen(): boolean {
    const seen = this.publishSeen
    this.publishSeen = false
    return seen
  }

  /** The pause state when it changed since the last call, else undefined. */
  takePausedChange(): boolean | undefined {
    if (!this.pausedChanged) return undefined
    this.pausedChanged = false
    return this.paused
  }

  /** The ring, oldest first. */
  rows(): TrafficRow[] {
    const rows = new Array<TrafficRow>(this.ring.size)
    this.ring.forEach((entry, index) => {
      rows[index] = this.materialize(entry)
    })
    return rows
  }

  payload(id: number): FullPayload | null {
    const oldest = this.ring.peekOldest()
    if (oldest === undefined) return null
    const entry = this.ring.get(id - oldest.row.id)
    if (entry === undefined || entry.row.id !== id || entry.payload === null) return null
    return { payload: entry.payload.toString('base64'), size: entry.payload.length }
  }

  /**
   * The newest PUBLISH received on `topic` whose payload the ring still holds, searched from the
   * newest row back (an on-demand lookup: at most `capacity` rows).
   */
  latestPublishPayload(topic: string): Buffer | null {
    for (let i = this.ring.size - 1; i >= 0; i--) {
      const entry = this.ring.get(i)!
      const row = entry.row
      if (row.type === 'publish' && row.direction === 'in' && row.topic === topic) return entry.payload
    }
    return null
  }

  clear(): void {
    this.ring.clear()
    for (const entry of this.pending.clear()) entry.pending = false
    this.payloadBytes = 0
    this.payloadCursor = this.nextId
    this.ownedSource = this.ownedCopy = null
  }

  get isPaused(): boolean {
    return this.paused
  }

  setPaused(paused: boolean): void {
    if (paused !== this.paused) this.pausedChanged = true
    this.paused = paused
    // Resuming shows new packets at once, not from the next window on.
    if (!paused) this.openGate()
  }

  usage(): { rows: number; capacity: number; payloadBytes: number; pendingRows: number; notRecorded: number } {
    return {
      rows: this.ring.size,
      capacity: this.ring.capacity,
      payloadBytes: this.payloadBytes,
      pendingRows: this.pending.size,
      notRecorded: this.notRecorded
    }
  }
}
