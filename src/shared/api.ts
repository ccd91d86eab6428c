/**
 * The one typed API between the inspector UI and the main side. The Electron preload exposes it
 * over IPC; headless mode bridges the same calls and events over a WebSocket. Everything here is
 * JSON-safe (payload bytes travel as base64) so both transports carry it unchanged.
 */
import type {
  BrokerStats,
  ClientInfo,
  DropReason,
  ListenerInfo,
  MessageProperties,
  PacketDirection,
  QoS,
  SubscriptionInfo
} from './broker-types'
import type { BrokerSettings, SettingError } from './settings'

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
}

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

/** Commands: request → response. */
export interface InspectorCommands {
  snapshot(): InspectorSnapshot
  publish(command: PublishCommand): { recipients: number }
  disconnectClient(clientId: string): boolean
  deleteSession(clientId: string): boolean
  getRetained(topic: string): FullPayload | null
  deleteRetained(topic: string): boolean
  clearRetained(): number
  getTrafficPayload(id: number): FullPayload | null
  clearTraffic(): void
  setTrafficPaused(paused: boolean): void
  updateSettings(patch: Partial<BrokerSettings>): SettingsUpdateResult
  listSavedMessages(): SavedMessage[]
  saveMessage(message: SavedMessage): SavedMessage[]
  deleteSavedMessage(name: string): SavedMessage[]
}

export type CommandName = keyof InspectorCommands
export type CommandArgs<K extends CommandName> = Parameters<InspectorCommands[K]>
export type CommandResult<K extends CommandName> = ReturnType<InspectorCommands[K]>

export const COMMAND_NAMES: readonly CommandName[] = [
  'snapshot',
  'publish',
  'disconnectClient',
  'deleteSession',
  'getRetained',
  'deleteRetained',
  'clearRetained',
  'getTrafficPayload',
  'clearTraffic',
  'setTrafficPaused',
  'updateSettings',
  'listSavedMessages',
  'saveMessage',
  'deleteSavedMessage'
]

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
