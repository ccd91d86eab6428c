/**
 * The data the broker reports about itself: events on its stream and the rows its control API
 * returns. Plain JSON-friendly shapes (payloads as Uint8Array where they are bytes), shared by the
 * broker, the inspector and the renderer.
 */

import type { BrokerSettings } from './settings'

export type ProtocolVersion = 3 | 4 | 5
export type QoS = 0 | 1 | 2

/** Why a message did not reach a subscriber. Every drop is counted under one of these. */
export type DropReason =
  | 'queue-full'
  | 'packet-too-large'
  | 'expired'
  | 'slow-consumer'
  | 'qos0-offline'
  | 'not-authorized'
  | 'session-ended'
  /** Queued or in flight when the ACL changed, and no longer allowed to this client when it was to be sent. */
  | 'rights-withdrawn'
  /** The broker could not encode the PUBLISH for this client (a bug or a field nothing should have let in); logged. */
  | 'encoding-failed'
  /** A bridge's outgoing queue (its own bound, see SessionQueueLimits) was full while its remote was away. */
  | 'bridge-queue-full'

export const DROP_REASONS: readonly DropReason[] = [
  'queue-full',
  'packet-too-large',
  'expired',
  'slow-consumer',
  'qos0-offline',
  'not-authorized',
  'session-ended',
  'rights-withdrawn',
  'encoding-failed',
  'bridge-queue-full'
]

/** Why a connection attempt was refused before it could become a client (BrokerStats.refusedByReason). */
export type RefusalReason =
  /** A web page whose Origin is neither loopback nor in wsAllowedOrigins asked the ws/wss listener to upgrade (HTTP 403). */
  'ws-origin'

export const REFUSAL_REASONS: readonly RefusalReason[] = ['ws-origin']

/** A configurable limit (a BrokerSettings key). BrokerStats.limitsHit counts how often each was hit. */
export type LimitName =
  | 'maxConnections'
  | 'maximumPacketSize'
  | 'maxInflightMessages'
  | 'maxQueuedMessages'
  | 'maxQueuedBytes'
  | 'connectTimeout'
  | 'maxTopicLevels'
  | 'maxTopicLength'
  | 'maxSubscriptionsPerClient'
  | 'drainTimeout'
  | 'maxSettingFileSize'

export const LIMIT_NAMES: readonly LimitName[] = [
  'maxConnections',
  'maximumPacketSize',
  'maxInflightMessages',
  'maxQueuedMessages',
  'maxQueuedBytes',
  'connectTimeout',
  'maxTopicLevels',
  'maxTopicLength',
  'maxSubscriptionsPerClient',
  'drainTimeout',
  'maxSettingFileSize'
]

/** MQTT 5 PUBLISH properties the broker passes through unchanged. */
export interface MessageProperties {
  payloadFormatIndicator?: boolean
  messageExpiryInterval?: number
  contentType?: string
  responseTopic?: string
  correlationData?: Uint8Array
  userProperties?: Record<string, string | string[]>
  /** The same user properties as ordered pairs, when their wire order is known; forwarded in this order. */
  userPropertyList?: Array<[string, string]>
}

export interface PublishRequest {
  topic: string
  payload: string | Uint8Array
  qos?: QoS
  retain?: boolean
  properties?: MessageProperties
}

export interface ClientInfo {
  clientId: string
  connected: boolean
  address: string | null
  listener: string | null
  protocolVersion: ProtocolVersion
  username: string | null
  cleanStart: boolean
  sessionExpiryInterval: number
  keepAlive: number
  connectedAt: number | null
  disconnectedAt: number | null
  subscriptions: number
  inflight: number
  queued: number
  messagesIn: number
  messagesOut: number
}

/** What a CONNACK announced to a connection; it is held to these for its life (issue 15 bug 1). */
export interface AnnouncedLimits {
  maximumQos: QoS
  retainAvailable: boolean
  receiveMaximum: number
  maximumPacketSize: number
  topicAliasMaximum: number
  wildcardSubscriptionAvailable: boolean
  subscriptionIdentifiersAvailable: boolean
  sharedSubscriptionAvailable: boolean
}

/** A session's will as the client panel shows it (MQTT 5 §3.1.3.2): its first bytes only (see WillInfo for the API's whole one). */
export interface ClientWill {
  topic: string
  qos: QoS
  retain: boolean
  /** Payload length in bytes. */
  size: number
  /** The first bytes of the payload (at most a few KiB). */
  preview: Uint8Array
  /** Will Delay Interval, seconds (0: at once). */
  delaySeconds: number
  properties: MessageProperties
}

/** A message on its way to one client: sent and not yet acknowledged (in flight), or waiting in its queue. */
export interface PendingMessageInfo {
  topic: string
  qos: QoS
  retain: boolean
  size: number
  /** In flight: the packet id and where the QoS 1/2 flow stands. */
  packetId: number | null
  state: 'awaiting-puback' | 'awaiting-pubrec' | 'awaiting-pubcomp' | 'queued'
  /** When the broker received it (epoch ms). */
  createdAt: number
  preview: Uint8Array
}

/** One client in full, for the inspector's client panel (BrokerControl.clientDetails). */
export interface ClientDetails {
  client: ClientInfo
  /** What the client's CONNECT announced (MQTT 5; 3.1.x clients announce nothing: the protocol defaults). Null offline. */
  announced: { receiveMaximum: number; maximumPacketSize: number; topicAliasMaximum: number } | null
  /** What the CONNACK announced to this connection, which it is held to; null offline. */
  limits: AnnouncedLimits | null
  will: ClientWill | null
  subscriptions: SubscriptionInfo[]
  /** The first in-flight messages (send order) and queued ones (oldest first), at most the number asked for of each. */
  inflight: PendingMessageInfo[]
  queued: PendingMessageInfo[]
  /** How many of each are not in the lists. */
  inflightNotListed: number
  queuedNotListed: number
}

export interface SubscriptionOptions {
  qos: QoS
  noLocal: boolean
  retainAsPublished: boolean
  retainHandling: 0 | 1 | 2
}

export interface SubscriptionInfo extends SubscriptionOptions {
  clientId: string
  /** The filter as the client sent it (with any $share/group/ prefix). */
  filter: string
  /** The topic filter after the share prefix is removed. */
  topicFilter: string
  shareGroup: string | null
  subscriptionIdentifier: number | null
}

export interface RetainedInfo {
  topic: string
  qos: QoS
  size: number
  /** First bytes of the payload, for a preview. */
  preview: Uint8Array
  updatedAt: number
  properties: MessageProperties
}

export interface RetainedMessageFull extends RetainedInfo {
  payload: Uint8Array
}

export interface BrokerStats {
  startedAt: number
  clientsConnected: number
  clientsDisconnected: number
  clientsMaximum: number
  clientsTotal: number
  clientsExpired: number
  messagesReceived: number
  messagesSent: number
  publishReceived: number
  publishSent: number
  publishDropped: number
  bytesReceived: number
  bytesSent: number
  publishBytesReceived: number
  publishBytesSent: number
  retainedCount: number
  subscriptionCount: number
  sharedSubscriptionCount: number
  storedMessages: number
  storedBytes: number
  inflight: number
  connectionsTotal: number
  socketsTotal: number
  /** CONNECTs refused because the client id's session belongs to another user. */
  sessionTakeoversRefused: number
  /** QoS 1/2 PUBLISH refused because the store could not write (disk full, I/O error). */
  storeRefusals: number
  droppedByReason: Record<DropReason, number>
  /** How often each limit was hit (a connection refused or closed, a message or subscription refused, a delivery held back). */
  limitsHit: Record<LimitName, number>
  /** Connection attempts refused, by reason (see RefusalReason). */
  refusedByReason: Record<RefusalReason, number>
}

/** The listeners: plain TCP, WebSocket, their TLS forms (mqtts, wss), and a Unix domain socket (host = its path, port 0). */
export type ListenerName = 'tcp' | 'ws' | 'tls' | 'wss' | 'unix'

export interface ListenerInfo {
  name: ListenerName
  host: string
  port: number
  listening: boolean
  error: string | null
}

/** A subscription made for a client by an administrator (the management API), as SUBSCRIBE would ask it. */
export interface AdminSubscribeRequest {
  /** Topic filter, $share/group/ prefix allowed. */
  topic: string
  qos: QoS
  noLocal?: boolean
  retainAsPublished?: boolean
  retainHandling?: 0 | 1 | 2
}

/** Per filter: granted (with the QoS after maximumQos), or refused and why. */
export type AdminSubscribeResult = { topic: string; ok: true; qos: QoS } | { topic: string; ok: false; reason: string }

/** A will a session holds (sent if the client goes away without DISCONNECT). */
export interface WillInfo {
  clientId: string
  connected: boolean
  topic: string
  payload: Uint8Array
  qos: QoS
  retain: boolean
  /** v5 Will Delay Interval, seconds. */
  delayInterval: number
  properties: MessageProperties
}

export type PacketDirection = 'in' | 'out'

/** Who changed the settings: the inspector UI, the management API, a config reload, or code (tests, the shells). */
export type SettingsSource = 'ui' | 'api' | 'reload' | 'program'

/** A packet as the event stream reports it: the decoded fields the inspector shows. */
export interface PacketRecord {
  direction: PacketDirection
  clientId: string
  type: string
  size: number
  packetId?: number
  topic?: string
  qos?: QoS
  retain?: boolean
  dup?: boolean
  payload?: Uint8Array
  reasonCode?: number
  properties?: Record<string, unknown>
}

/** The durable store, as the inspector shows it. */
export type StoreStatus =
  | { enabled: false }
  | {
      enabled: true
      /** The store's folder. */
      path: string
      /** Bytes on disk. */
      sizeBytes: number
      retained: number
      sessions: number
      /** Distinct messages held for sessions (one record however many sessions it is queued to). */
      messages: number
      /** Queued and in-flight messages across sessions. */
      deliveries: number
      commits: number
      /** When the last commit reached the disk (epoch ms). */
      lastSyncAt: number | null
      /** How long that commit took to be durable (ms). */
      lastSyncMs: number | null
      writeFailures: number
      /** Writes are failing now: QoS 1/2 PUBLISH is refused until one succeeds. */
      failing: boolean
      lastError: string | null
      recovery: StoreRecovery
    }

/** What the last start recovered: records that could not be read and were skipped, or a store set aside. */
export interface StoreRecovery {
  skippedRecords: number
  /** Where an unusable store was moved (never deleted), or null. */
  setAside: string | null
  /** How long reading the store took at start (ms). */
  loadMs: number
}

export type BrokerEvent =
  | {
      type: 'client.connected'
      clientId: string
      address: string
      listener: string
      protocolVersion: ProtocolVersion
      cleanStart: boolean
      sessionPresent: boolean
      keepAlive: number
      username: string | null
    }
  | { type: 'client.disconnected'; clientId: string; reason: string; willPublished: boolean }
  | { type: 'session.expired'; clientId: string }
  | { type: 'subscribed'; clientId: string; subscriptions: SubscriptionInfo[] }
  | { type: 'unsubscribed'; clientId: string; filters: string[] }
  | {
      type: 'message.published'
      clientId: string | null
      topic: string
      qos: QoS
      retain: boolean
      payload: Uint8Array
      properties: MessageProperties
      /** When the broker received it (epoch ms). */
      time: number
    }
  | { type: 'message.delivered'; clientId: string; topic: string; qos: QoS }
  | { type: 'message.dropped'; clientId: string; topic: string; reason: DropReason }
  | { type: 'retained.changed'; topic: string; removed: boolean }
  | { type: 'packet'; packet: PacketRecord }
  | { type: 'listener.changed'; listeners: ListenerInfo[] }
  | {
      type: 'settings.changed'
      /** The settings now in force (a new object on every change). */
      settings: BrokerSettings
      /** The keys whose values changed. */
      changed: Array<keyof BrokerSettings>
      source: SettingsSource
    }

export type BrokerEventType = BrokerEvent['type']
export type BrokerEventOf<T extends BrokerEventType> = Extract<BrokerEvent, { type: T }>
