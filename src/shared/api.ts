/**
 * The one typed API between the inspector UI and the main side. The Electron preload exposes it
 * over IPC; headless mode bridges the same calls and events over a WebSocket. Everything here is
 * JSON-safe (payload bytes travel as base64) so both transports carry it unchanged.
 */
import type {
  BrokerStats,
  ClientDetails,
  ClientInfo,
  DropReason,
  ListenerInfo,
  MessageProperties,
  PacketDirection,
  PendingMessageInfo,
  QoS,
  StoreStatus,
  SubscriptionInfo,
  ClientWill
} from './broker-types'
import type { BridgeStatus, InspectRequest, SaveBridgeRequest } from './bridges'
import type { BrokerSettings, SettingError } from './settings'
import { TOOL_COMMANDS } from './tools-api'

/** One row of the traffic log. */
export interface TrafficRow {
  id: number
  time: number
  direction: PacketDirection
  clientId: string
  type: string
  size: number
  packetId?: number
  /** PUBLISH topic, or the filters of a (UN)SUBSCRIBE joined by ", "; cut to 1024 characters + "…" when longer. */
  topic?: string
  qos?: QoS
  retain?: boolean
  dup?: boolean
  reasonCode?: number
  /** Payload length in bytes (the preview may be shorter). */
  payloadSize?: number
  /** First bytes of the payload, base64. */
  payloadPreview?: string
  /** Packet properties, bytes as base64; `{ truncated: true, approximateChars }` when larger than about 2 KiB. */
  properties?: Record<string, unknown>
  /**
   * A message the broker published itself from the UI's Publish view (clientId BROKER_CLIENT_ID):
   * no client sent it, so it is logged as the broker's own PUBLISH, with how many sessions it went to.
   */
  fromBroker?: { recipients: number }
}

/** The client id the traffic log shows for messages the broker publishes itself (the UI's Publish view). */
export const BROKER_CLIENT_ID = 'BrokerScope'

export interface RetainedRow {
  topic: string
  qos: QoS
  size: number
  /** First bytes, base64. */
  preview: string
  updatedAt: number
  properties: JsonMessageProperties
}

/** MessageProperties with correlation data as base64, for the wire. */
export type JsonMessageProperties = Omit<MessageProperties, 'correlationData'> & { correlationData?: string }

/** ClientDetails for the wire: payload previews as base64. */
export interface ClientDetailsRow extends Omit<ClientDetails, 'will' | 'inflight' | 'queued'> {
  will: (Omit<ClientWill, 'preview' | 'properties'> & { preview: string; properties: JsonMessageProperties }) | null
  inflight: PendingMessageRow[]
  queued: PendingMessageRow[]
}

export type PendingMessageRow = Omit<PendingMessageInfo, 'preview'> & { preview: string }

/** In-flight and queued messages a clientDetails answer lists at most (each). */
export const CLIENT_DETAIL_MESSAGES = 100

export interface TopicNode {
  topic: string
  messages: number
  lastPayload: string
  lastSize: number
  lastUpdated: number
  retained: boolean
}

export interface InspectorSnapshot {
  stats: BrokerStats
  clients: ClientInfo[]
  subscriptions: SubscriptionInfo[]
  retained: RetainedRow[]
  listeners: ListenerInfo[]
  settings: BrokerSettings
  topics: TopicNode[]
  traffic: TrafficRow[]
  trafficCapacity: number
  trafficPaused: boolean
  /** Messages on topics the topic tree had no room for (it is bounded). */
  topicsNotTracked?: number
  history?: HistoryUsage
  /** The bridges and remote inspections, with their state and counters. */
  bridges?: BridgeStatus[]
}

/**
 * What changed since the last batch; at most ~20 batches a second, plus a heartbeat about once a
 * second when nothing changed (so stats and rates stay live). Optional fields are present only
 * when they changed; lists are then complete (replace), except `topics` (see below).
 */
export interface InspectorBatch {
  seq: number
  time: number
  stats: BrokerStats
  /**
   * Per second over the window since the previous batch: messages = PUBLISH packets received /
   * sent, bytes = every byte received / sent on client connections.
   */
  rates: { messagesIn: number; messagesOut: number; bytesIn: number; bytesOut: number }
  /** New rows, oldest first, ids increasing. At most the per-batch limit: the newest of the window. */
  traffic: TrafficRow[]
  /**
   * Packets in this window that are not in `traffic`: beyond the per-batch limit (those are still
   * in the traffic ring: snapshot() and getTrafficPayload() reach them while they last) or while
   * traffic was paused (those are not kept anywhere).
   */
  trafficNotShown: number
  clients?: ClientInfo[]
  subscriptions?: SubscriptionInfo[]
  retained?: RetainedRow[]
  listeners?: ListenerInfo[]
  settings?: BrokerSettings
  /** Topics that changed since the previous batch: upsert by `topic` (on a full batch: every topic). */
  topics?: TopicNode[]
  /** Sent with `topics`: messages on topics the topic tree had no room for. */
  topicsNotTracked?: number
  /** Present when it changed (and on a full batch). */
  trafficPaused?: boolean
  /** Sent with `topics`: the per-topic history's bounds and evictions. */
  history?: HistoryUsage
  /** The bridges (whole list) when one changed state, and about once a second while there are any (counters). */
  bridges?: BridgeStatus[]
  /** New points of the watched chart series (see watchSeries), per series that has any. */
  chartPoints?: SeriesPoints[]
  /**
   * This batch replaces the receiver's state instead of extending it: `traffic` is the whole
   * ring, `topics` the whole tree, and every optional field is present. Sent to a receiver that
   * missed batches (a slow WebSocket), so nothing goes silently missing.
   */
  full?: boolean
  /** On a full batch: how many batches this receiver missed before it. */
  batchesSkipped?: number
}

export interface PublishCommand {
  topic: string
  payload: string
  payloadEncoding?: 'utf8' | 'base64'
  qos: QoS
  retain: boolean
  properties?: JsonMessageProperties
}

export interface SavedMessage extends PublishCommand {
  name: string
}

export type SettingsUpdateResult = { ok: true; settings: BrokerSettings; listeners: ListenerInfo[] } | { ok: false; errors: SettingError[] }

export interface FullPayload {
  payload: string
  size: number
}

/** This machine as devices on the network see it. */
export interface NetworkAddresses {
  hostname: string
  /** Non-loopback addresses, IPv4 first. */
  addresses: Array<{ address: string; family: 'IPv4' | 'IPv6'; interface: string }>
}

/** A command's argument and result types. A marker: the value carries nothing at run time. */
export interface CommandSpec<Args extends unknown[], Result> {
  readonly args?: Args
  readonly result?: Result
}

function command<Args extends unknown[] = [], Result = void>(): CommandSpec<Args, Result> {
  return {}
}

/**
 * Every command the UI can send, request → response: the one list. Names, argument and result
 * types are derived from it (CommandName, InspectorCommands, COMMAND_NAMES); the main side's
 * handler table (src/main/inspector/command-table.ts) is a mapped type over it, so a command
 * added here and not handled there (or the other way round) does not compile.
 */
export const COMMANDS = {
  snapshot: command<[], InspectorSnapshot>(),
  publish: command<[command: PublishCommand], { recipients: number }>(),
  disconnectClient: command<[clientId: string], boolean>(),
  /** One client in full: connection, announced limits, will, subscriptions, in-flight and queued messages; null when unknown. */
  clientDetails: command<[clientId: string], ClientDetailsRow | null>(),
  deleteSession: command<[clientId: string], boolean>(),
  getRetained: command<[topic: string], FullPayload | null>(),
  deleteRetained: command<[topic: string], boolean>(),
  /** Delete every retained message but the $SYS ones; returns how many were deleted. */
  clearRetained: command<[], number>(),
  /** Delete the retained messages of `topic` and every topic below it (never $SYS); returns how many were deleted. */
  deleteRetainedSubtree: command<[topic: string], number>(),
  /** Delete the retained messages of these topics (what the page shows; never $SYS); returns how many were deleted. */
  deleteRetainedTopics: command<[topics: string[]], number>(),
  getTrafficPayload: command<[id: number], FullPayload | null>(),
  /** The whole payloads of these traffic rows (for exports), in order; null for one the ring no longer keeps. At most MAX_PAYLOADS_PER_CALL ids. */
  trafficPayloads: command<[ids: number[]], Array<FullPayload | null>>(),
  clearTraffic: command<[], void>(),
  setTrafficPaused: command<[paused: boolean], void>(),
  updateSettings: command<[patch: Partial<BrokerSettings>], SettingsUpdateResult>(),
  listSavedMessages: command<[], SavedMessage[]>(),
  saveMessage: command<[message: SavedMessage], SavedMessage[]>(),
  deleteSavedMessage: command<[name: string], SavedMessage[]>(),
  /** The history kept for one topic, oldest first (payload previews; full payloads by historyPayload). */
  topicHistory: command<[topic: string], TopicHistory>(),
  historyPayload: command<[topic: string, id: number], FullPayload | null>(),
  /**
   * The whole payload of the topic's latest message, from wherever the inspector or the broker
   * still holds it (the history, the traffic log, the retained message); null when none does.
   */
  latestPayload: command<[topic: string], FullPayload | null>(),
  /** Messages/s and bytes/s per topic and per publishing client over the last 10 s and 60 s. */
  activity: command<[], ActivityReport>(),
  /** Search topics and payloads (latest values and history). */
  findTopics: command<[query: FindQuery], FindResult>(),
  /**
   * Ask for live chart points of these series (a lease: series not asked for again within
   * CHART_LEASE_MS stop). Returns the points the history already holds for each.
   */
  watchSeries: command<[series: SeriesSpec[]], SeriesPoints[]>(),
  /** This machine's name and network addresses (for the connect help: what devices on the LAN would use). */
  networkAddresses: command<[], NetworkAddresses>(),
  /** Decode a payload with a schema-based decoder (protobuf with a .proto, Sparkplug B). */
  decodeSchema: command<[request: SchemaDecodeRequest], SchemaDecodeResult>(),
  /** The durable store (data folder/store): location, size, records, last sync, failures. */
  storeStatus: command<[], StoreStatus>(),
  /** Remove every retained message (but $SYS) and every offline session, in memory and in the store. */
  clearStoredData: command<[], { retained: number; sessions: number }>(),
  /** Simulated devices, recording and replay: src/shared/tools-api.ts. */
  ...TOOL_COMMANDS,
  /** The bridges and remote inspections. */
  listBridges: command<[], BridgeStatus[]>(),
  /** Add a bridge, or change one made in the UI (kept in bridges.json); refused with the reasons. */
  saveBridge: command<[request: SaveBridgeRequest], BridgeStatus>(),
  /** Stop and delete a bridge made in the UI (an inspection also takes its retained copies with it). */
  deleteBridge: command<[name: string], boolean>(),
  setBridgeRunning: command<[name: string, running: boolean], BridgeStatus>(),
  /** "Connect to a broker…": inspect a remote broker, read-only, under its own prefix. */
  connectRemote: command<[request: InspectRequest], BridgeStatus>()
}

type Commands = typeof COMMANDS
export type CommandName = keyof Commands
export type CommandArgs<K extends CommandName> = Commands[K] extends CommandSpec<infer A, infer _R> ? A : never
export type CommandResult<K extends CommandName> = Commands[K] extends CommandSpec<infer _A, infer R> ? R : never
/** Commands as methods: request → response. */
export type InspectorCommands = { [K in CommandName]: (...args: CommandArgs<K>) => CommandResult<K> }

export const COMMAND_NAMES: readonly CommandName[] = Object.freeze(Object.keys(COMMANDS) as CommandName[])

// ───────────────────────────── topic history, activity, find, charts ─────────────────────────────

/** Ids one trafficPayloads call may name. */
export const MAX_PAYLOADS_PER_CALL = 1000

/** A chart series stops this long after the last watchSeries that named it. */
export const CHART_LEASE_MS = 15_000
/** Points per series per batch at most; more in one window are counted as skipped. */
export const CHART_POINTS_PER_BATCH = 250
/** Series watched at once at most (across every page). */
export const MAX_CHART_SERIES = 32
/** Rows in each activity list at most. */
export const ACTIVITY_ROWS = 500

/** One message kept in a topic's history. */
export interface HistoryEntry {
  /** Increasing across all topics (newer is larger). */
  id: number
  time: number
  /** Who published it; null for the broker itself (the UI's Publish view, $SYS, wills have their client). */
  clientId: string | null
  qos: QoS
  retain: boolean
  size: number
  /** First bytes of the payload, base64 (historyPayload gives the whole payload while it is kept). */
  preview: string
  /** False when only the preview is kept (the payload was larger than a history entry may hold). */
  payloadKept: boolean
  properties: JsonMessageProperties
}

export interface TopicHistory {
  topic: string
  entries: HistoryEntry[]
  /** The per-topic bound in force (setting inspectorHistoryPerTopic). */
  perTopic: number
  /** Messages on this topic pushed out because the topic had perTopic newer ones. */
  olderDropped: number
  /** Messages on this topic evicted to keep the whole history within inspectorHistoryBytes. */
  evictedForBytes: number
}

/** The history's bounds and what hitting them cost, for the Topics view. */
export interface HistoryUsage {
  topics: number
  entries: number
  bytes: number
  maxBytes: number
  perTopic: number
  /** Messages evicted (across all topics) to stay within maxBytes. */
  evictedForBytes: number
  /** Messages on topics the history had no room for (inspectorMaxTopics). */
  topicsNotKept: number
}

export interface ActivityRow {
  /** A topic, or a publishing client id ('' for the broker itself). */
  key: string
  messages10s: number
  bytes10s: number
  messages60s: number
  bytes60s: number
}

export interface ActivityReport {
  time: number
  /** Per second over the last 10 s and 60 s (the whole windows, even when the broker is younger). */
  topics: ActivityRow[]
  clients: ActivityRow[]
  /** Active topics / clients not in the lists (they are cut to the busiest ACTIVITY_ROWS by 60 s messages). */
  topicsNotListed: number
  clientsNotListed: number
}

export interface FindQuery {
  /** Topic: an MQTT filter (with + or #) or a substring; '' = every topic. */
  topic: string
  /** Payload text to find; '' = no payload condition. */
  payload: string
  mode: 'substring' | 'regex'
  caseSensitive: boolean
  /** Also search the history, not only each topic's latest value. */
  history: boolean
}

export interface FindMatch {
  topic: string
  /** The latest value matches. */
  latest: boolean
  /** Messages in the history that match. */
  historyMatches: number
}

export interface FindResult {
  matches: FindMatch[]
  /** Topics and messages looked at. */
  topicsScanned: number
  messagesScanned: number
  /** Matching topics beyond the returned list. */
  notListed: number
  /** The search stopped at its time budget; the counts cover what was scanned. */
  stoppedEarly: boolean
  /** Why the query could not run (a bad regex); then nothing else is set. */
  error?: string
}

/** A chart series: a topic, and a path into its JSON payload ('' = the payload is the number). */
export interface SeriesSpec {
  topic: string
  path: string
}

export interface SeriesPoints extends SeriesSpec {
  /** Times (ms) and values, oldest first. */
  times: number[]
  values: number[]
  /** Messages on the topic whose payload held no number at the path. */
  notNumeric: number
  /** Points not sent because one batch window had more than CHART_POINTS_PER_BATCH for this series. */
  skipped: number
}

export type SchemaDecodeRequest =
  | { kind: 'protobuf'; proto: string; messageType: string; payload: string }
  | { kind: 'sparkplug'; payload: string }

export type SchemaDecodeResult =
  | { ok: true; value: unknown; messageTypes?: string[] }
  | { ok: false; error: string; messageTypes?: string[] }

/** The API the renderer sees, whatever the transport. */
export interface BrokerScopeApi {
  call<K extends CommandName>(name: K, ...args: CommandArgs<K>): Promise<Awaited<CommandResult<K>>>
  onBatch(listener: (batch: InspectorBatch) => void): () => void
  /** 'electron' or 'headless'. */
  readonly transport: string
}

/** Headless mode, WebSocket /api, page → server. `args` as the command's parameters, in order. */
export interface WsRequest {
  id: number | string
  command: CommandName
  args?: unknown[]
}

/** Server → page: the answer to one request (`id` is null when the request could not be read). */
export type WsResponse =
  | { id: number | string | null; ok: true; result: unknown }
  | { id: number | string | null; ok: false; error: string }

/** Server → page, unprompted. */
export interface WsBatchEvent {
  event: 'batch'
  batch: InspectorBatch
}

export type WsServerMessage = WsResponse | WsBatchEvent

export type { DropReason }
