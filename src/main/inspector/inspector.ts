/**
 * The inspector: turns the broker's event stream into what the UI shows (traffic log, topic tree
 * with per-topic history, activity rates, chart points, lists, stats and rates) and carries out the
 * UI's commands. Shared by the Electron window (IPC) and headless mode (WebSocket,
 * ../headless/ui-server.ts). It uses the broker only through BrokerControl.
 *
 * It records from the moment it is built (core.ts builds it with the broker), whether or not a UI
 * is attached: the topic tree, its counts, the history and the activity rates always; the traffic
 * log too unless the setting inspectorRecordWithoutUi is off (then only while a UI is attached).
 *
 * The pieces, one job each:
 *   traffic-capture.ts   packets → the bounded traffic ring, with the packet gate
 *   topic-tree.ts        per-topic counts, last value, retained flag (bounded)
 *   topic-history.ts     the last N messages per topic (bounded in count and bytes)
 *   activity.ts          msgs/s and bytes/s per topic and client, 10 s and 60 s
 *   chart-series.ts      live chart points for the watched (topic, JSON path) series
 *   batch-scheduler.ts   the timer: capture windows and batches to the listeners
 *   wire.ts              broker types → JSON rows
 *   command-table.ts     the commands, checked and dispatched
 */
import {
  CLIENT_DETAIL_MESSAGES,
  MAX_PAYLOADS_PER_CALL,
  type FullPayload,
  type InspectorBatch,
  type InspectorSnapshot,
  type RetainedRow,
  type SeriesPoints,
  type SettingsUpdateResult
} from '../../shared/api'
import type { BrokerEventOf } from '../../shared/broker-types'
import { DEFAULT_SETTINGS, type BrokerSettings } from '../../shared/settings'
import { isSysTopic } from '../../shared/topic-match'
import { type BridgeControl, NO_BRIDGES } from '../bridges/bridge-control'
import type { BrokerControl } from '../broker/control'
import { ActivityTracker } from './activity'
import { BatchScheduler, type BatchListener } from './batch-scheduler'
import { bridgeCommands } from './bridge-commands'
import { numberOf, type SeriesSink, ChartSeries } from './chart-series'
import type { ToolCommandName } from '../../shared/tools-api'
import { toolsUnavailable } from '../tools/tools-unavailable'
import { runCommand, type CommandTable, type CommandTablePart } from './command-table'
import {
  args,
  CommandError,
  findQuery,
  flag,
  integerList,
  MAX_ID_LENGTH,
  MAX_NAME_LENGTH,
  noArgs,
  nonNegativeInteger,
  publishCommand,
  savedMessage,
  schemaDecodeRequest,
  seriesSpecs,
  settingsPatch,
  text,
  textList
} from './command-validation'
import { networkAddresses } from './network-addresses'
import { findTopics } from './payload-search'
import type { SavedMessageStore } from './saved-messages'
import { decodeSchema } from './schema-decoders'
import { TopicHistory } from './topic-history'
import { TopicTree, type TopicEntry } from './topic-tree'
import { TrafficCapture } from './traffic-capture'
import { clientDetailsRow, retainedRow, toPublishRequest } from './wire'

export type { BatchListener } from './batch-scheduler'
export { MAX_ROW_PROPERTY_CHARS, MAX_ROW_TOPIC_CHARS, toPublishRequest } from './wire'

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
  /** Topics in the topic tree (default: the inspectorMaxTopics setting). */
  maxTopics?: number
  /** Characters of topic names in the topic tree (default 4 Mi). */
  maxTopicChars?: number
  /** Clients, subscriptions, retained and topics are sent at most this often (default 250 ms): they can be large. */
  listIntervalMs?: number
  /** False: subscribe to nothing at all (the benchmark's baseline for the capture's cost). Default true. */
  capture?: boolean
  savedMessages: SavedMessageStore
  /** The tools' part of the command table (src/main/tools/tool-commands.ts); without it they answer "not available". */
  toolCommands?: CommandTablePart<ToolCommandName>
  /** The bridges and remote inspections (core.ts's BridgeManager); none by default. */
  bridges?: BridgeControl
}

/** Sizes of the inspector's bounded structures (tests and diagnostics). */
export interface InspectorUsage {
  attached: boolean
  listeners: number
  recordingTraffic: boolean
  paused: boolean
  trafficRows: number
  trafficCapacity: number
  payloadBytes: number
  maxPayloadBytes: number
  pendingRows: number
  /** Packets the traffic log never recorded (its flood gate was closed, or it was paused), since start. */
  trafficNotRecorded: number
  topics: number
  maxTopics: number
  topicChars: number
  topicsNotTracked: number
  historyEntries: number
  historyBytes: number
  chartSeries: number
}

const DEFAULTS = {
  trafficCapacity: 10_000,
  batchIntervalMs: 50,
  maxTrafficRowsPerBatch: 500,
  previewBytes: 256,
  maxPayloadBytes: 64 * 1024 * 1024,
  maxTopicChars: 4 * 1024 * 1024,
  listIntervalMs: 250
} as const

/** Topics one deleteRetainedTopics may name (the page sends what it shows, in chunks if more). */
const MAX_LISTED_TOPICS = 100_000

const INSPECTOR_SETTING_KEYS = [
  'inspectorHistoryPerTopic',
  'inspectorHistoryBytes',
  'inspectorMaxTopics',
  'inspectorRecordWithoutUi'
] as const satisfies ReadonlyArray<keyof BrokerSettings>

export class Inspector {
  readonly trafficCapacity: number
  readonly batchIntervalMs: number
  readonly maxTrafficRowsPerBatch: number
  readonly previewBytes: number
  readonly maxPayloadBytes: number
  readonly listIntervalMs: number

  private readonly broker: BrokerControl
  private readonly bridges: BridgeControl
  private readonly savedMessages: SavedMessageStore
  private readonly traffic: TrafficCapture
  private readonly topics: TopicTree
  private readonly history: TopicHistory
  private readonly activity: ActivityTracker
  private readonly charts = new ChartSeries()
  private readonly scheduler: BatchScheduler
  private readonly commands: CommandTable
  private readonly toolCommands: CommandTablePart<ToolCommandName> | undefined
  private readonly maxTopicsFixed: boolean
  private recordWithoutUi: boolean
  private unsubscribe: Array<() => void> = []

  constructor(broker: BrokerControl, options: InspectorOptions) {
    this.broker = broker
    this.bridges = options.bridges ?? NO_BRIDGES
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
    const settings = { ...DEFAULT_SETTINGS, ...broker.getSettings() }
    this.recordWithoutUi = settings.inspectorRecordWithoutUi
    this.maxTopicsFixed = options.maxTopics !== undefined
    this.traffic = new TrafficCapture(broker.events, () => broker.packetsHandled(), {
      capacity: this.trafficCapacity,
      maxRowsPerWindow: this.maxTrafficRowsPerBatch,
      previewBytes: this.previewBytes,
      maxPayloadBytes: this.maxPayloadBytes
    })
    this.topics = new TopicTree({
      maxTopics: positiveInteger(options.maxTopics ?? settings.inspectorMaxTopics, 'maxTopics'),
      maxTopicChars: positiveInteger(options.maxTopicChars ?? DEFAULTS.maxTopicChars, 'maxTopicChars'),
      previewBytes: this.previewBytes
    })
    this.history = new TopicHistory({
      perTopic: settings.inspectorHistoryPerTopic,
      maxBytes: settings.inspectorHistoryBytes,
      previewBytes: this.previewBytes
    })
    this.activity = new ActivityTracker(Date.now())
    this.scheduler = new BatchScheduler(
      {
        broker,
        traffic: this.traffic,
        topics: this.topics,
        historyUsage: () => this.history.usage(this.topics.notTracked),
        retainedRows: () => this.retainedRows(),
        bridges: this.bridges,
        closeWindow: (now) => this.closeWindow(now)
      },
      { batchIntervalMs: this.batchIntervalMs, listIntervalMs: this.listIntervalMs },
      (attached) => this.onAttachedChange(attached)
    )
    this.toolCommands = options.toolCommands
    this.commands = this.commandTable()
    if (options.capture !== false) this.start()
  }

  // ───────────────────────────── lifecycle ─────────────────────────────

  /** Subscribe to the broker's events and start the capture windows. */
  private start(): void {
    const events = this.broker.events
    this.unsubscribe = [
      events.on('message.published', (event) => this.onPublished(event)),
      events.on('retained.changed', (event) => {
        this.topics.setRetained(event.topic, !event.removed)
        this.scheduler.markRetained()
      }),
      events.on('client.connected', () => this.scheduler.markClients()),
      events.on('client.disconnected', () => this.scheduler.markClients()),
      events.on('session.expired', () => this.scheduler.markClients()),
      events.on('subscribed', () => this.scheduler.markClients()),
      events.on('unsubscribed', () => this.scheduler.markClients()),
      events.on('listener.changed', () => this.scheduler.markListeners()),
      this.bridges.onChange(() => this.scheduler.markBridges()),
      events.on('settings.changed', (event) => {
        this.scheduler.markSettings()
        if (event.changed.some((key) => (INSPECTOR_SETTING_KEYS as readonly string[]).includes(key))) this.applySettings(event.settings)
      })
    ]
    // Retained messages stored before we started (none in core.ts, where we start with the broker).
    this.topics.syncRetained(this.broker.listRetained())
    if (this.recordWithoutUi) this.traffic.start()
    this.scheduler.start()
  }

  private applySettings(settings: BrokerSettings): void {
    this.history.setLimits(settings.inspectorHistoryPerTopic, settings.inspectorHistoryBytes)
    if (!this.maxTopicsFixed) this.topics.maxTopics = settings.inspectorMaxTopics
    this.recordWithoutUi = settings.inspectorRecordWithoutUi
    this.updateTrafficRecording()
  }

  private onAttachedChange(attached: boolean): void {
    this.traffic.setDelivering(attached)
    this.updateTrafficRecording()
  }

  private updateTrafficRecording(): void {
    if (this.scheduler.listenerCount > 0 || this.recordWithoutUi) this.traffic.start()
    else this.traffic.stop()
  }

  /** Receive batches (at most one per batchIntervalMs). */
  onBatch(listener: BatchListener): () => void {
    return this.scheduler.add(listener)
  }

  /** A UI (window or page) is receiving batches. */
  get attached(): boolean {
    return this.scheduler.listenerCount > 0
  }

  /** Stop everything: listeners, the timer, the broker subscriptions (core.ts calls this at shutdown). */
  dispose(): void {
    this.scheduler.clear()
    this.scheduler.stop()
    this.traffic.stop()
    for (const off of this.unsubscribe) off()
    this.unsubscribe = []
    this.topics.settle()
    this.history.settle()
  }

  /** The end of a capture window (every batchIntervalMs, UI or not). */
  private closeWindow(now: number): SeriesPoints[] {
    this.traffic.openGate()
    this.topics.settle()
    this.history.settle()
    if (this.activity.due(now)) this.activity.sample(now, this.topics.takeTouched())
    if (this.charts.size === 0) return []
    return this.charts.take(now, (topic) => this.topics.record(topic))
  }

  // ───────────────────────────── events (hot path) ─────────────────────────────

  private onPublished(event: BrokerEventOf<'message.published'>): void {
    const payload = event.payload
    const entry = this.topics.recordMessage(event.topic, payload, event.time)
    this.activity.recordClient(event.clientId, payload.length)
    if (entry === null) return
    this.history.record(entry, event.clientId, event.qos, event.retain, payload, event.properties, event.time)
    if (this.charts.hasWaiting) this.charts.attachWaiting(entry)
    const series = entry.series
    if (series !== null) for (const sink of series) sink.add(payload, event.time)
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
      traffic: this.traffic.rows(),
      trafficCapacity: this.trafficCapacity,
      trafficPaused: this.traffic.isPaused,
      topicsNotTracked: this.topics.notTracked,
      history: this.history.usage(this.topics.notTracked),
      bridges: this.bridges.list()
    }
  }

  /**
   * A batch that replaces a receiver's whole state (see InspectorBatch.full). For receivers that
   * missed batches; it does not consume anything the regular batches carry.
   */
  fullBatch(): InspectorBatch {
    const snapshot = this.snapshot()
    return {
      seq: this.scheduler.lastSeq,
      time: Date.now(),
      stats: snapshot.stats,
      rates: this.scheduler.rates,
      traffic: snapshot.traffic,
      trafficNotShown: 0,
      clients: snapshot.clients,
      subscriptions: snapshot.subscriptions,
      retained: snapshot.retained,
      listeners: snapshot.listeners,
      settings: snapshot.settings,
      topics: snapshot.topics,
      topicsNotTracked: this.topics.notTracked,
      history: snapshot.history,
      bridges: snapshot.bridges,
      trafficPaused: this.traffic.isPaused,
      full: true
    }
  }

  /** The traffic ring, oldest first. */
  trafficRows(): ReturnType<TrafficCapture['rows']> {
    return this.traffic.rows()
  }

  getTrafficPayload(id: number): FullPayload | null {
    return this.traffic.payload(id)
  }

  clearTraffic(): void {
    this.traffic.clear()
  }

  setTrafficPaused(paused: boolean): void {
    this.traffic.setPaused(paused)
  }

  usage(): InspectorUsage {
    const traffic = this.traffic.usage()
    const history = this.history.usage(this.topics.notTracked)
    return {
      attached: this.attached,
      listeners: this.scheduler.listenerCount,
      recordingTraffic: this.traffic.recording,
      paused: this.traffic.isPaused,
      trafficRows: traffic.rows,
      trafficCapacity: traffic.capacity,
      payloadBytes: traffic.payloadBytes,
      maxPayloadBytes: this.maxPayloadBytes,
      pendingRows: traffic.pendingRows,
      trafficNotRecorded: traffic.notRecorded,
      topics: this.topics.size,
      maxTopics: this.topics.maxTopics,
      topicChars: this.topics.trackedTopicChars,
      topicsNotTracked: this.topics.notTracked,
      historyEntries: history.entries,
      historyBytes: history.bytes,
      chartSeries: this.charts.size
    }
  }

  private retainedRows(): RetainedRow[] {
    return this.broker.listRetained().map((info) => retainedRow(info, this.previewBytes))
  }

  /** The newest payload kept for a topic: its history's newest, else the tree's preview. */
  private latestPayload(entry: TopicEntry): Uint8Array | null {
    let newest: Uint8Array | null = null
    this.history.forEachPayload(entry, (payload) => {
      newest = payload
    })
    return newest ?? this.topics.latestPreview(entry)
  }

  private backfill(entry: TopicEntry, sink: SeriesSink): SeriesPoints {
    const out: SeriesPoints = { topic: sink.spec.topic, path: sink.spec.path, times: [], values: [], notNumeric: 0, skipped: 0 }
    this.history.forEachPayload(entry, (payload, time) => {
      const value = numberOf(payload, sink.steps)
      if (value === null) out.notNumeric++
      else {
        out.times.push(time)
        out.values.push(value)
      }
    })
    return out
  }

  // ───────────────────────────── commands ─────────────────────────────

  /**
   * Run a command from the UI. `name` and `args` are untrusted: both are checked at runtime and a
   * bad one is refused with a CommandError saying what was wrong. `args` may be omitted for
   * commands that take none.
   */
  handleCommand<K extends keyof CommandTable>(
    name: K,
    args: Parameters<CommandTable[K]['run']>
  ): Promise<Awaited<ReturnType<CommandTable[K]['run']>>>
  handleCommand(name: unknown, args?: unknown): Promise<unknown>
  async handleCommand(name: unknown, args?: unknown): Promise<unknown> {
    return runCommand(this.commands, name, args)
  }

  private commandTable(): CommandTable {
    const broker = this.broker
    const topic = text(MAX_ID_LENGTH)
    return {
      snapshot: { args: noArgs(), run: () => this.snapshot() },
      publish: {
        args: args(['command', publishCommand]),
        run: (command) => {
          try {
            const request = toPublishRequest(command)
            const recipients = broker.publish(request)
            this.traffic.recordBrokerPublish(request, recipients)
            return { recipients }
          } catch (error) {
            throw new CommandError(`publish: ${error instanceof Error ? error.message : String(error)}`)
          }
        }
      },
      disconnectClient: { args: args(['clientId', text(MAX_ID_LENGTH)]), run: (clientId) => broker.disconnectClient(clientId) },
      clientDetails: {
        args: args(['clientId', text(MAX_ID_LENGTH)]),
        run: (clientId) => {
          const details = broker.clientDetails(clientId, CLIENT_DETAIL_MESSAGES)
          return details === null ? null : clientDetailsRow(details)
        }
      },
      deleteSession: {
        args: args(['clientId', text(MAX_ID_LENGTH)]),
        run: (clientId) => {
          const deleted = broker.deleteSession(clientId)
          // Ending a session emits no event; the lists must still update.
          if (deleted) this.scheduler.markClients()
          return deleted
        }
      },
      getRetained: {
        args: args(['topic', topic]),
        run: (name) => {
          const message = broker.getRetained(name)
          if (message === null) return null
          return { payload: Buffer.from(message.payload).toString('base64'), size: message.payload.length }
        }
      },
      deleteRetained: { args: args(['topic', topic]), run: (name) => broker.deleteRetained(name) },
      clearRetained: { args: noArgs(), run: () => this.deleteRetainedWhere(() => true) },
      storeStatus: { args: noArgs(), run: () => broker.storeStatus() },
      clearStoredData: {
        args: noArgs(),
        run: () => {
          const cleared = broker.clearStoredData()
          // Deleting sessions emits no event; the lists must still update.
          this.scheduler.markClients()
          return cleared
        }
      },
      deleteRetainedSubtree: { args: args(['topic', topic]), run: (name) => this.deleteRetainedSubtree(name) },
      deleteRetainedTopics: {
        args: args(['topics', textList(MAX_LISTED_TOPICS, MAX_ID_LENGTH)]),
        run: (topics) => {
          const named = new Set(topics)
          return this.deleteRetainedWhere((name) => named.has(name))
        }
      },
      getTrafficPayload: { args: args(['id', nonNegativeInteger]), run: (id) => this.traffic.payload(id) },
      trafficPayloads: {
        args: args(['ids', integerList(MAX_PAYLOADS_PER_CALL)]),
        run: (ids) => ids.map((id) => this.traffic.payload(id))
      },
      clearTraffic: { args: noArgs(), run: () => this.traffic.clear() },
      setTrafficPaused: { args: args(['paused', flag]), run: (paused) => this.traffic.setPaused(paused) },
      updateSettings: { args: args(['patch', settingsPatch]), run: (patch) => this.updateSettings(patch) },
      listSavedMessages: { args: noArgs(), run: () => this.savedMessages.list() },
      saveMessage: { args: args(['message', savedMessage]), run: (message) => this.savedMessages.save(message) },
      deleteSavedMessage: { args: args(['name', text(MAX_NAME_LENGTH)]), run: (name) => this.savedMessages.delete(name) },
      topicHistory: { args: args(['topic', topic]), run: (name) => this.history.rows(this.topics.record(name), name) },
      historyPayload: {
        args: args(['topic', topic], ['id', nonNegativeInteger]),
        run: (name, id) => this.history.payload(this.topics.record(name), id)
      },
      latestPayload: { args: args(['topic', topic]), run: (name) => this.latestWholePayload(name) },
      activity: { args: noArgs(), run: () => this.activity.report(Date.now()) },
      findTopics: {
        args: args(['query', findQuery]),
        run: (query) =>
          findTopics(query, { records: () => this.topics.records(), latest: (entry) => this.latestPayload(entry), history: this.history })
      },
      watchSeries: {
        args: args(['series', seriesSpecs]),
        run: (specs) => {
          try {
            return this.charts.watch(
              specs,
              Date.now(),
              (name) => this.topics.record(name),
              (entry, sink) => this.backfill(entry, sink)
            )
          } catch (error) {
            throw new CommandError(`watchSeries: ${error instanceof Error ? error.message : String(error)}`)
          }
        }
      },
      networkAddresses: { args: noArgs(), run: () => networkAddresses() },
      decodeSchema: { args: args(['request', schemaDecodeRequest]), run: (request) => decodeSchema(request) },
      ...(this.toolCommands ?? toolsUnavailable()),
      ...bridgeCommands(this.bridges)
    }
  }

  /**
   * The whole payload of a topic's latest message: the history's newest when it kept it, else the
   * traffic log's newest PUBLISH on the topic, else the retained message, each only when it is
   * that latest message (same size; the history by time too).
   */
  private latestWholePayload(topic: string): FullPayload | null {
    const entry = this.topics.record(topic)
    if (entry === null || entry.lastSize === 0) return null
    const whole = (payload: Uint8Array): FullPayload => ({ payload: Buffer.from(payload).toString('base64'), size: payload.length })
    const kept = this.history.newestPayload(entry)
    if (kept !== null && kept.time === entry.lastUpdated && kept.payload.length === entry.lastSize) return whole(kept.payload)
    const logged = this.traffic.latestPublishPayload(topic)
    if (logged !== null && logged.length === entry.lastSize) return whole(logged)
    const retained = this.broker.getRetained(topic)
    if (retained !== null && retained.payload.length === entry.lastSize) return whole(retained.payload)
    return null
  }

  /** Delete the retained message of `topic` and of every topic below it. */
  private deleteRetainedSubtree(topic: string): number {
    const prefix = `${topic}/`
    return this.deleteRetainedWhere((name) => name === topic || name.startsWith(prefix))
  }

  /** Delete the retained messages whose topic passes `wanted`, never a $SYS one; returns how many went. */
  private deleteRetainedWhere(wanted: (topic: string) => boolean): number {
    let deleted = 0
    for (const info of this.broker.listRetained()) {
      if (isSysTopic(info.topic) || !wanted(info.topic)) continue
      if (this.broker.deleteRetained(info.topic)) deleted++
    }
    return deleted
  }

  private async updateSettings(patch: Partial<BrokerSettings>): Promise<SettingsUpdateResult> {
    const result = await this.broker.updateSettings(patch, 'ui')
    if (!result.ok) return { ok: false, errors: result.errors }
    this.scheduler.markListeners()
    return { ok: true, settings: result.settings, listeners: result.listeners ?? this.broker.listeners() }
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`inspector option ${name} must be a positive integer, got ${value}`)
  return value
}
