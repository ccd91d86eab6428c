/**
 * Batch scheduling: one timer (every batchIntervalMs, unref'd) closes each capture window and,
 * while anyone listens, sends what changed as one InspectorBatch: traffic rows at once, lists
 * (clients, subscriptions, retained, topics) at most every listIntervalMs, client counters at
 * most once a second, and a heartbeat about once a second when nothing changed so rates stay live.
 */
import type { HistoryUsage, InspectorBatch, RetainedRow, SeriesPoints } from '../../shared/api'
import type { BrokerStats } from '../../shared/broker-types'
import type { BridgeControl } from '../bridges/bridge-control'
import type { BrokerControl } from '../broker/control'
import type { TopicTree } from './topic-tree'
import type { TrafficCapture } from './traffic-capture'
import { rateBase, type RateBase } from './wire'

export type BatchListener = (batch: InspectorBatch) => void

/** With no news, a batch still goes out this often so uptime and rates (falling to 0) stay live. */
const HEARTBEAT_MS = 1000
/** Client rows carry message counters; traffic alone refreshes them at most this often. */
const CLIENT_COUNTERS_MS = 1000
/** Bridge rows carry counters too: sent this often while there are bridges, and at once on a state change. */
const BRIDGE_COUNTERS_MS = 1000

type Rates = InspectorBatch['rates']
export const ZERO_RATES: Rates = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 }

/** What a batch is made of; the scheduler reads, the inspector's parts own the data. */
export interface BatchSources {
  readonly broker: BrokerControl
  readonly traffic: TrafficCapture
  readonly topics: TopicTree
  historyUsage(): HistoryUsage
  retainedRows(): RetainedRow[]
  readonly bridges: Pick<BridgeControl, 'list'>
  /** Close the capture window (settle payload views, open the packet gate, sample activity…); returns new chart points. */
  closeWindow(now: number): SeriesPoints[]
}

export interface BatchSchedulerOptions {
  batchIntervalMs: number
  listIntervalMs: number
}

export class BatchScheduler {
  private readonly listeners = new Set<BatchListener>()
  private timer: NodeJS.Timeout | null = null
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
  private dirtySettings = true
  private dirtyBridges = true
  private lastBridgesAt = 0
  /** Traffic moved client counters (messagesIn/Out, queued, inflight). */
  private countersMoved = false

  constructor(
    private readonly sources: BatchSources,
    private readonly options: BatchSchedulerOptions,
    /** Called when the first listener arrives and when the last one leaves. */
    private readonly onAttachedChange: (attached: boolean) => void
  ) {}

  start(): void {
    if (this.timer !== null) return
    this.timer = setInterval(() => this.tick(), this.options.batchIntervalMs)
    // The inspector's timer must never keep a process alive on its own.
    this.timer.unref()
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }

  get listenerCount(): number {
    return this.listeners.size
  }

  add(listener: BatchListener): () => void {
    // Wrapped so the same function may be added twice and removed independently.
    const entry: BatchListener = (batch) => listener(batch)
    this.listeners.add(entry)
    if (this.listeners.size === 1) {
      this.resync()
      this.onAttachedChange(true)
    }
    let active = true
    return () => {
      if (!active) return
      active = false
      this.listeners.delete(entry)
      if (this.listeners.size === 0) this.onAttachedChange(false)
    }
  }

  clear(): void {
    const had = this.listeners.size > 0
    this.listeners.clear()
    if (had) this.onAttachedChange(false)
  }

  /** A new receiver starts from a snapshot: every list is due again, rates start over. */
  private resync(): void {
    this.dirtyClients = this.dirtySubscriptions = this.dirtyRetained = this.dirtyListeners = this.dirtySettings = this.dirtyBridges = true
    this.rateBase = rateBase(this.sources.broker.stats(), Date.now())
    this.lastRates = ZERO_RATES
    this.sources.topics.discardChanges()
  }

  markClients(): void {
    // Connects, disconnects and (un)subscribes change both lists (clients carry a subscription count).
    this.dirtyClients = true
    this.dirtySubscriptions = true
  }

  markRetained(): void {
    this.dirtyRetained = true
  }

  markListeners(): void {
    this.dirtyListeners = true
  }

  markSettings(): void {
    this.dirtySettings = true
  }

  markBridges(): void {
    this.dirtyBridges = true
  }

  get rates(): Rates {
    return this.lastRates
  }

  get lastSeq(): number {
    return this.seq
  }

  /** Exposed for tests with fake timers; the timer calls it. */
  tick(): void {
    const now = Date.now()
    const chartPoints = this.sources.closeWindow(now)
    if (this.listeners.size === 0) return
    if (this.sources.traffic.takePublishSeen()) this.countersMoved = true
    const listsDue = now - this.lastListsAt >= this.options.listIntervalMs
    const clientCountersDue = this.countersMoved && now - this.lastClientsAt >= CLIENT_COUNTERS_MS
    const bridgesDue = this.dirtyBridges || now - this.lastBridgesAt >= BRIDGE_COUNTERS_MS
    const news =
      this.sources.traffic.hasNews ||
      this.dirtyBridges ||
      chartPoints.length > 0 ||
      this.dirtyListeners ||
      this.dirtySettings ||
      (listsDue &&
        (this.dirtyClients || clientCountersDue || this.dirtySubscriptions || this.dirtyRetained || this.sources.topics.hasChanges))
    if (!news && now - this.lastBatchAt < HEARTBEAT_MS) return
    this.emit(this.nextBatch(now, listsDue, clientCountersDue, bridgesDue, chartPoints))
  }

  private nextBatch(
    now: number,
    listsDue: boolean,
    clientCountersDue: boolean,
    bridgesDue: boolean,
    chartPoints: SeriesPoints[]
  ): InspectorBatch {
    const { broker, traffic, topics } = this.sources
    const stats = broker.stats()
    this.lastRates = this.computeRates(stats, now)
    const pending = traffic.takePending()
    const batch: InspectorBatch = {
      seq: ++this.seq,
      time: now,
      stats,
      rates: this.lastRates,
      traffic: pending.rows,
      trafficNotShown: pending.notShown
    }
    this.lastBatchAt = now
    if (listsDue) {
      if (this.dirtyClients || clientCountersDue) {
        batch.clients = broker.listClients()
        this.dirtyClients = this.countersMoved = false
        this.lastClientsAt = now
      }
      if (this.dirtySubscriptions) {
        batch.subscriptions = broker.listSubscriptions()
        this.dirtySubscriptions = false
      }
      if (this.dirtyRetained) {
        batch.retained = this.sources.retainedRows()
        this.dirtyRetained = false
      }
      if (topics.hasChanges) {
        batch.topics = topics.takeChanges()
        batch.topicsNotTracked = topics.notTracked
        batch.history = this.sources.historyUsage()
      }
      this.lastListsAt = now
    }
    if (this.dirtyListeners) {
      batch.listeners = broker.listeners()
      this.dirtyListeners = false
    }
    if (this.dirtySettings) {
      this.dirtySettings = false
      batch.settings = broker.getSettings()
    }
    if (bridgesDue) {
      const bridges = this.sources.bridges.list()
      // With no bridges, the empty list goes once (after a change), not every second.
      if (bridges.length > 0 || this.dirtyBridges) batch.bridges = bridges
      this.dirtyBridges = false
      this.lastBridgesAt = now
    }
    const paused = traffic.takePausedChange()
    if (paused !== undefined) batch.trafficPaused = paused
    if (chartPoints.length > 0) batch.chartPoints = chartPoints
    return batch
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

  private computeRates(stats: BrokerStats, now: number): Rates {
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
}
