import { checkAllowedOrigins } from './ws-origins'

/**
 * Broker settings: one typed record, its defaults, and the single validator used at every edge
 * (command line, config file, IPC/WebSocket API, saved settings). Pure: no Node or DOM imports,
 * so the renderer can validate a field before sending it.
 */

export type LogLevel = 'error' | 'warn' | 'info' | 'debug'
export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug']

export interface BrokerSettings {
  /** Listen address for every listener. 127.0.0.1 by default; '0.0.0.0' (or '::') opens it to the LAN. */
  host: string
  /** TCP listener port; 0 turns the listener off. */
  tcpPort: number
  /** WebSocket listener port; 0 turns the listener off. */
  wsPort: number
  /** HTTP path the WebSocket listener accepts upgrades on. */
  wsPath: string
  /**
   * Web pages (by Origin) the ws/wss listeners serve besides loopback ones and clients that send no
   * Origin: origins separated by commas or spaces, '*' for any (see ws-origins.ts). Others get HTTP 403.
   */
  wsAllowedOrigins: string
  logLevel: LogLevel

  /** MQTT 5 "Retain Available". When false a PUBLISH with retain=1 is refused (v5 0x9A). */
  retainAvailable: boolean
  wildcardSubscriptionAvailable: boolean
  sharedSubscriptionAvailable: boolean
  subscriptionIdentifiersAvailable: boolean
  /** Highest QoS the broker grants and accepts (v5 "Maximum QoS"). */
  maximumQos: 0 | 1 | 2
  /** How many unacknowledged QoS 1/2 PUBLISH packets a client may have towards us (v5 "Receive Maximum"). */
  receiveMaximum: number
  /** Largest packet accepted, in bytes (whole packet). Announced to v5 clients, enforced for all. */
  maximumPacketSize: number
  /** Inbound topic aliases a v5 client may use (v5 "Topic Alias Maximum"); 0 = none. */
  topicAliasMaximum: number
  /** Assign topic aliases on outgoing PUBLISH packets when the client allows them. */
  autoTopicAlias: boolean
  /** Server keep alive in seconds, or null to use the client's. */
  serverKeepAlive: number | null
  /** 'cap': only lower a longer (or zero) client keep alive; 'override': always replace it (v5 clients). */
  serverKeepAliveMode: 'cap' | 'override'
  /** When set, replaces the session expiry interval every client asks for (seconds). */
  sessionExpiryOverride: number | null
  /** Maximum simultaneous connections; 0 = unlimited. */
  maxConnections: number
  /** Outgoing QoS 1/2 messages in flight per client (also capped by the client's Receive Maximum). */
  maxInflightMessages: number
  /** Messages queued per client beyond the in-flight window (online and offline). */
  maxQueuedMessages: number
  /** Payload bytes queued per client (online and offline); 0 = unlimited. Over it: dropped as 'queue-full'. */
  maxQueuedBytes: number
  /** Queue QoS 0 messages for offline persistent sessions too (mosquitto's queue_qos0_messages); else they are dropped and counted. */
  queueQos0Messages: boolean
  /**
   * Keep retained messages and persistent sessions in the data folder's store, so they survive a
   * restart or a crash; QoS 1/2 messages are acknowledged once stored. Takes effect at the next start.
   */
  persistence: boolean
  /** Seconds a new socket has to send CONNECT before it is closed. */
  connectTimeout: number
  /** Most levels in a PUBLISH topic or SUBSCRIBE filter; 0 = unlimited. */
  maxTopicLevels: number
  /** Longest PUBLISH topic or SUBSCRIBE filter, in UTF-8 bytes. */
  maxTopicLength: number
  /** Subscriptions one client may hold; 0 = unlimited. Over it: SUBACK 0x97 (v5) / 0x80 (3.1.1). */
  maxSubscriptionsPerClient: number
  /** Seconds a client may leave its socket congested (not reading) before it is disconnected; 0 = never. */
  drainTimeout: number
  /** Seconds between $SYS updates; 0 disables $SYS. */
  sysInterval: number

  /** Accept clients that send no user name. On by default: BrokerScope is a local developer tool. */
  allowAnonymous: boolean
  /**
   * Who may connect with a client id whose session exists: 'same-user' (the user that made it; all
   * anonymous clients count as one user) or 'any-user' (mosquitto's behaviour: anyone may take over,
   * wipe or read another user's session).
   */
  sessionTakeover: 'same-user' | 'any-user'
  /** JSON5 file with users (scrypt-hashed passwords) and ACL rules; null = no password check, no ACL. */
  authFile: string | null
  /** MQTT over TLS (mqtts) port; 0 turns the listener off (8883 is the usual one). Needs certFile and keyFile. */
  tlsPort: number
  /** MQTT over secure WebSocket (wss) port, on wsPath; 0 turns the listener off (8084 is usual). Needs certFile and keyFile. */
  wssPort: number
  /** Largest file a setting may name (authFile, certFile, keyFile, caFile), in bytes; a larger one is refused. */
  maxSettingFileSize: number
  /** PEM server certificate (chain) for the TLS and WSS listeners. */
  certFile: string | null
  /** PEM private key of certFile. */
  keyFile: string | null
  /** PEM CA certificate(s) that sign client certificates. */
  caFile: string | null
  /** TLS/WSS: refuse clients without a certificate signed by caFile. */
  requireClientCertificate: boolean
  /** TLS/WSS: the verified client certificate's CN is the user name (the CONNECT user name and password are ignored). */
  useIdentityAsUsername: boolean

  // The inspector's bounds (the broker itself ignores these; the inspector applies them live).
  /** Messages kept per topic in the inspector's history; 0 = no history. */
  inspectorHistoryPerTopic: number
  /** Payload bytes the inspector's history holds in total; the oldest messages go first. */
  inspectorHistoryBytes: number
  /** Topics the inspector tracks (tree, counts, history); messages on more are counted as not tracked. */
  inspectorMaxTopics: number
  /** Keep recording the traffic log while no inspector window or page is open (the topic tree and history always record). */
  inspectorRecordWithoutUi: boolean

  // The tools' bounds (src/main/tools; the broker itself ignores these).
  /** Recording (Traffic view, `brokerscope record`): bytes of the files together before it stops; 0 = no cap. */
  recordMaxBytes: number
  /** Recording: seconds before it stops; 0 = no cap. */
  recordMaxSeconds: number
  /** Recording: bytes waiting in memory for the disk, per file; a packet beyond it is not written (counted). */
  recordBufferBytes: number
  /** Simulate: simulated devices (MQTT connections) over all running generators. */
  simulateMaxDevices: number
  /** Simulate and replay: QoS 1/2 messages one connection may have unacknowledged; more are skipped (counted) or wait. */
  simulateMaxInflight: number

  /** MQTT over a Unix domain socket at this path (mqtt-broker-tokio's --unix-socket); null = off. */
  unixSocket: string | null
  /** TCP_NODELAY on TCP and TLS connections: small packets go out at once (Nagle off). */
  socketNoDelay: boolean
  /** SO_SNDBUF for TCP and TLS connections, bytes; 0 = the kernel's default (see README: Node cannot set it itself). */
  socketSendBufSize: number
  /** SO_RCVBUF for TCP and TLS connections, bytes; 0 = the kernel's default. */
  socketRecvBufSize: number
  /** TCP keepalive probes after this many idle seconds on TCP and TLS connections; 0 = off. */
  socketKeepaliveTime: number

  /** HTTP port of the management API (EMQX 5 shapes under /api/v5) and /metrics, on `host`; 0 = off. */
  apiPort: number
  /** Bearer key for the management API; generated when the API is first turned on. */
  apiKey: string | null
  /** Serve /metrics and /api/v5/prometheus/stats without credentials (for a scraper on a trusted network). */
  metricsPublic: boolean
  /** PMQ's configuration distribution: a YAML file answered on $CONFIG_MODULE/… topics; null = off. */
  clientConfigurationFile: string | null
}

export const DEFAULT_SETTINGS: Readonly<BrokerSettings> = Object.freeze({
  host: '127.0.0.1',
  tcpPort: 1883,
  wsPort: 8083,
  wsPath: '/mqtt',
  wsAllowedOrigins: '',
  logLevel: 'info',
  retainAvailable: true,
  wildcardSubscriptionAvailable: true,
  sharedSubscriptionAvailable: true,
  subscriptionIdentifiersAvailable: true,
  maximumQos: 2,
  receiveMaximum: 65535,
  maximumPacketSize: 268435460,
  topicAliasMaximum: 65535,
  autoTopicAlias: true,
  serverKeepAlive: null,
  serverKeepAliveMode: 'cap',
  sessionExpiryOverride: null,
  maxConnections: 0,
  maxInflightMessages: 100,
  maxQueuedMessages: 1000,
  maxQueuedBytes: 0,
  queueQos0Messages: false,
  persistence: true,
  connectTimeout: 10,
  maxTopicLevels: 128,
  maxTopicLength: 65535,
  maxSubscriptionsPerClient: 0,
  drainTimeout: 60,
  sysInterval: 10,
  allowAnonymous: true,
  sessionTakeover: 'same-user',
  authFile: null,
  maxSettingFileSize: 16 * 1024 * 1024,
  tlsPort: 0,
  wssPort: 0,
  certFile: null,
  keyFile: null,
  caFile: null,
  requireClientCertificate: false,
  useIdentityAsUsername: false,
  inspectorHistoryPerTopic: 100,
  inspectorHistoryBytes: 64 * 1024 * 1024,
  inspectorMaxTopics: 20_000,
  inspectorRecordWithoutUi: true,
  recordMaxBytes: 1024 * 1024 * 1024,
  recordMaxSeconds: 0,
  recordBufferBytes: 8 * 1024 * 1024,
  simulateMaxDevices: 1000,
  simulateMaxInflight: 100,
  unixSocket: null,
  socketNoDelay: true,
  socketSendBufSize: 0,
  socketRecvBufSize: 0,
  socketKeepaliveTime: 0,
  apiPort: 0,
  apiKey: null,
  metricsPublic: false,
  clientConfigurationFile: null
})

/** The largest packet MQTT can express: 1 byte header + 4 length bytes + 268,435,455. */
export const PROTOCOL_MAX_PACKET_SIZE = 268435460

type FieldKind =
  | { kind: 'boolean' }
  | { kind: 'integer'; min: number; max: number; nullable?: boolean }
  | { kind: 'enum'; values: readonly (string | number)[] }
  | { kind: 'string'; check: (value: string) => string | null; nullable?: boolean; secret?: boolean }

/** What each setting is and what it accepts; also drives the CLI flags and the settings form. */
export const SETTING_FIELDS: { readonly [K in keyof BrokerSettings]: FieldKind & { help: string } } = {
  host: { kind: 'string', check: checkHost, help: 'listen address (0.0.0.0 for every interface)' },
  tcpPort: { kind: 'integer', min: 0, max: 65535, help: 'TCP port, 0 = off' },
  wsPort: { kind: 'integer', min: 0, max: 65535, help: 'WebSocket port, 0 = off' },
  wsPath: { kind: 'string', check: checkPath, help: 'WebSocket path' },
  wsAllowedOrigins: {
    kind: 'string',
    check: checkAllowedOrigins,
    help: "web page origins the WebSocket listeners serve besides localhost ones, comma-separated; '*' = any web page (unsafe with anonymous access)"
  },
  logLevel: { kind: 'enum', values: LOG_LEVELS, help: 'error | warn | info | debug' },
  retainAvailable: { kind: 'boolean', help: 'accept retained messages' },
  wildcardSubscriptionAvailable: { kind: 'boolean', help: 'accept + and # in subscriptions' },
  sharedSubscriptionAvailable: { kind: 'boolean', help: 'accept $share/group/filter subscriptions' },
  subscriptionIdentifiersAvailable: { kind: 'boolean', help: 'accept MQTT 5 subscription identifiers' },
  maximumQos: { kind: 'enum', values: [0, 1, 2], help: 'highest QoS granted: 0, 1 or 2' },
  receiveMaximum: { kind: 'integer', min: 1, max: 65535, help: 'inbound QoS 1/2 messages in flight per client' },
  maximumPacketSize: { kind: 'integer', min: 16, max: PROTOCOL_MAX_PACKET_SIZE, help: 'largest packet accepted, bytes' },
  topicAliasMaximum: { kind: 'integer', min: 0, max: 65535, help: 'inbound topic aliases per client' },
  autoTopicAlias: { kind: 'boolean', help: 'use topic aliases on outgoing messages when allowed' },
  serverKeepAlive: { kind: 'integer', min: 0, max: 65535, nullable: true, help: 'server keep alive, seconds (none = client value)' },
  serverKeepAliveMode: { kind: 'enum', values: ['cap', 'override'], help: 'cap | override' },
  sessionExpiryOverride: {
    kind: 'integer',
    min: 0,
    max: 4294967295,
    nullable: true,
    help: 'session expiry used for every client, seconds (none = client value)'
  },
  maxConnections: { kind: 'integer', min: 0, max: 10_000_000, help: 'simultaneous connections, 0 = unlimited' },
  maxInflightMessages: { kind: 'integer', min: 1, max: 65535, help: 'outgoing QoS 1/2 in flight per client' },
  maxQueuedMessages: { kind: 'integer', min: 0, max: 10_000_000, help: 'messages queued per client' },
  maxQueuedBytes: { kind: 'integer', min: 0, max: 1_000_000_000_000, help: 'payload bytes queued per client, 0 = unlimited' },
  queueQos0Messages: { kind: 'boolean', help: 'queue QoS 0 messages for offline persistent sessions (else dropped and counted)' },
  persistence: {
    kind: 'boolean',
    help: 'keep retained messages and persistent sessions on disk (data folder); QoS 1/2 acknowledged once stored; at the next start'
  },
  connectTimeout: { kind: 'integer', min: 1, max: 3600, help: 'seconds a new connection has to send CONNECT' },
  maxTopicLevels: { kind: 'integer', min: 0, max: 65535, help: 'levels in a topic or topic filter, 0 = unlimited' },
  maxTopicLength: { kind: 'integer', min: 1, max: 65535, help: 'bytes in a topic or topic filter' },
  maxSubscriptionsPerClient: { kind: 'integer', min: 0, max: 10_000_000, help: 'subscriptions per client, 0 = unlimited' },
  drainTimeout: { kind: 'integer', min: 0, max: 86400, help: 'seconds a client may stop reading before it is disconnected, 0 = never' },
  sysInterval: { kind: 'integer', min: 0, max: 86400, help: '$SYS update interval, seconds, 0 = off' },
  allowAnonymous: { kind: 'boolean', help: 'accept clients without a user name (on by default: a local developer tool)' },
  sessionTakeover: {
    kind: 'enum',
    values: ['same-user', 'any-user'],
    help: "same-user | any-user: who may use an existing session's client id (any-user lets one user read or wipe another's session)"
  },
  authFile: {
    kind: 'string',
    check: checkFilePath,
    nullable: true,
    help: 'JSON5 file of users (hashed passwords) and ACL rules (none = no authentication)'
  },
  maxSettingFileSize: {
    kind: 'integer',
    min: 1024,
    max: 1024 * 1024 * 1024,
    help: 'largest auth, certificate, key or CA file accepted, bytes'
  },
  tlsPort: { kind: 'integer', min: 0, max: 65535, help: 'MQTT over TLS port (8883 is usual), 0 = off; needs certFile and keyFile' },
  wssPort: { kind: 'integer', min: 0, max: 65535, help: 'secure WebSocket port (8084 is usual), 0 = off; needs certFile and keyFile' },
  certFile: { kind: 'string', check: checkFilePath, nullable: true, help: 'PEM certificate for the TLS listeners' },
  keyFile: { kind: 'string', check: checkFilePath, nullable: true, help: 'PEM private key for the TLS listeners' },
  caFile: { kind: 'string', check: checkFilePath, nullable: true, help: 'PEM CA that signs client certificates' },
  requireClientCertificate: { kind: 'boolean', help: 'TLS: clients must present a certificate signed by caFile' },
  useIdentityAsUsername: { kind: 'boolean', help: "TLS: the client certificate's CN is the user name" },
  inspectorHistoryPerTopic: { kind: 'integer', min: 0, max: 10_000, help: 'messages kept per topic in the inspector history, 0 = none' },
  inspectorHistoryBytes: {
    kind: 'integer',
    min: 1024 * 1024,
    max: 4 * 1024 * 1024 * 1024,
    help: 'payload bytes of the whole inspector history; the oldest messages go first'
  },
  inspectorMaxTopics: { kind: 'integer', min: 1, max: 1_000_000, help: 'topics the inspector tracks (tree, counts, history)' },
  inspectorRecordWithoutUi: { kind: 'boolean', help: 'record the traffic log while no inspector window or page is open' },
  recordMaxBytes: { kind: 'integer', min: 0, max: 1_000_000_000_000, help: 'recording: bytes of its files before it stops, 0 = no cap' },
  recordMaxSeconds: { kind: 'integer', min: 0, max: 31_536_000, help: 'recording: seconds before it stops, 0 = no cap' },
  recordBufferBytes: {
    kind: 'integer',
    min: 65_536,
    max: 1_073_741_824,
    help: 'recording: bytes waiting for the disk per file; packets beyond it are not written (counted)'
  },
  simulateMaxDevices: { kind: 'integer', min: 1, max: 100_000, help: 'simulated devices over all running generators' },
  simulateMaxInflight: { kind: 'integer', min: 1, max: 65535, help: 'simulate / replay: unacknowledged QoS 1/2 messages per connection' },
  unixSocket: { kind: 'string', check: checkSocketPath, nullable: true, help: 'MQTT on a Unix domain socket at this path (none = off)' },
  socketNoDelay: { kind: 'boolean', help: 'TCP_NODELAY on TCP and TLS connections' },
  socketSendBufSize: { kind: 'integer', min: 0, max: 2_147_483_647, help: 'SO_SNDBUF of TCP and TLS connections, bytes, 0 = OS default' },
  socketRecvBufSize: { kind: 'integer', min: 0, max: 2_147_483_647, help: 'SO_RCVBUF of TCP and TLS connections, bytes, 0 = OS default' },
  socketKeepaliveTime: { kind: 'integer', min: 0, max: 2_147_483, help: 'TCP keepalive idle time, seconds, 0 = off' },
  apiPort: { kind: 'integer', min: 0, max: 65535, help: 'management API and /metrics HTTP port, 0 = off' },
  apiKey: {
    kind: 'string',
    check: checkApiKey,
    nullable: true,
    secret: true,
    help: 'management API bearer key (made when the API is first turned on)'
  },
  metricsPublic: { kind: 'boolean', help: '/metrics without credentials' },
  clientConfigurationFile: {
    kind: 'string',
    check: checkFilePath,
    nullable: true,
    help: 'YAML file distributed on $CONFIG_MODULE/... topics (none = off)'
  }
}

/** Settings never written to logs or printed (`brokerscope config print` leaves them out). */
export function isSecretSetting(key: keyof BrokerSettings): boolean {
  const field = SETTING_FIELDS[key]
  return field.kind === 'string' && field.secret === true
}

/** Settings that accept null ("none"). */
export function isNullableSetting(key: keyof BrokerSettings): boolean {
  const field = SETTING_FIELDS[key]
  return (field.kind === 'integer' || field.kind === 'string') && field.nullable === true
}

/** A value as logs may show it: secrets as "(hidden)". */
export function showSettingValue(key: keyof BrokerSettings, value: unknown): string {
  if (isSecretSetting(key) && value !== null) return '(hidden)'
  return JSON.stringify(value)
}

/**
 * When a changed setting takes effect while the broker runs:
 * - live: at once, for every client (the next packet, delivery or timer check);
 * - new-connections: for clients that connect after the change; connected clients keep what they
 *   were told or held to at CONNECT (their CONNACK's limits, keep alive, session expiry);
 * - listener-restart: applying it restarts the listeners: TCP, TLS and Unix-socket clients stay
 *   connected, WebSocket clients are disconnected (their clients reconnect);
 * - new-runs: recordings and simulations started after the change; a running one keeps its limits;
 * - next-start: only when the broker starts again.
 */
export type SettingApplies = 'live' | 'new-connections' | 'listener-restart' | 'new-runs' | 'next-start'

export const SETTING_APPLIES: { readonly [K in keyof BrokerSettings]: SettingApplies } = {
  host: 'listener-restart',
  tcpPort: 'listener-restart',
  wsPort: 'listener-restart',
  wsPath: 'listener-restart',
  // Checked at each WebSocket upgrade: pages already connected stay.
  wsAllowedOrigins: 'new-connections',
  // The TLS files are read again under the new bound (TLS_CONFIG_KEYS).
  maxSettingFileSize: 'listener-restart',
  logLevel: 'live',
  retainAvailable: 'new-connections',
  wildcardSubscriptionAvailable: 'new-connections',
  sharedSubscriptionAvailable: 'new-connections',
  subscriptionIdentifiersAvailable: 'new-connections',
  maximumQos: 'new-connections',
  receiveMaximum: 'new-connections',
  maximumPacketSize: 'new-connections',
  topicAliasMaximum: 'new-connections',
  autoTopicAlias: 'live',
  serverKeepAlive: 'new-connections',
  serverKeepAliveMode: 'new-connections',
  sessionExpiryOverride: 'new-connections',
  maxConnections: 'new-connections',
  maxInflightMessages: 'live',
  maxQueuedMessages: 'live',
  maxQueuedBytes: 'live',
  queueQos0Messages: 'live',
  persistence: 'next-start',
  connectTimeout: 'live',
  maxTopicLevels: 'live',
  maxTopicLength: 'live',
  maxSubscriptionsPerClient: 'live',
  drainTimeout: 'live',
  sysInterval: 'live',
  allowAnonymous: 'new-connections',
  sessionTakeover: 'new-connections',
  authFile: 'live',
  tlsPort: 'listener-restart',
  wssPort: 'listener-restart',
  certFile: 'listener-restart',
  keyFile: 'listener-restart',
  caFile: 'listener-restart',
  requireClientCertificate: 'listener-restart',
  useIdentityAsUsername: 'listener-restart',
  inspectorHistoryPerTopic: 'live',
  inspectorHistoryBytes: 'live',
  inspectorMaxTopics: 'live',
  inspectorRecordWithoutUi: 'live',
  recordMaxBytes: 'new-runs',
  recordMaxSeconds: 'new-runs',
  recordBufferBytes: 'new-runs',
  simulateMaxDevices: 'new-runs',
  simulateMaxInflight: 'new-runs',
  unixSocket: 'listener-restart',
  socketNoDelay: 'listener-restart',
  socketSendBufSize: 'listener-restart',
  socketRecvBufSize: 'listener-restart',
  socketKeepaliveTime: 'listener-restart',
  // The management API restarts its own HTTP server on these (api/api-service.ts), not the MQTT listeners.
  apiPort: 'live',
  apiKey: 'live',
  metricsPublic: 'live',
  clientConfigurationFile: 'live'
}

/** SettingApplies in words, for the Settings view and the docs. */
export const APPLIES_TEXT: { readonly [A in SettingApplies]: string } = {
  live: 'applies at once',
  'new-connections': 'new connections only: connected clients keep what they were told at CONNECT',
  'listener-restart': 'restarts the listeners: WebSocket clients are disconnected, TCP, TLS and Unix-socket clients stay',
  'new-runs': 'recordings and simulations started afterwards; a running one keeps its limits',
  'next-start': 'at the next start'
}

function checkHost(value: string): string | null {
  if (value.length === 0) return 'must not be empty'
  if (!/^[A-Za-z0-9.:\-[\]%]+$/.test(value)) return 'is not a host name or IP address'
  return null
}

function checkPath(value: string): string | null {
  return value.startsWith('/') ? null : 'must start with /'
}

function checkFilePath(value: string): string | null {
  if (value.trim().length === 0) return 'must be a file path (or none)'
  if (value.includes('\0')) return 'must not contain a NUL character'
  return null
}

function checkSocketPath(value: string): string | null {
  const problem = checkFilePath(value)
  if (problem) return problem
  // sockaddr_un.sun_path is 108 bytes on Linux (104 on macOS), the terminating NUL included.
  if (new TextEncoder().encode(value).length > 103) return 'must be at most 103 bytes long (a Unix socket path limit)'
  return null
}

function checkApiKey(value: string): string | null {
  return /^[A-Za-z0-9._~-]{16,128}$/.test(value) ? null : 'must be 16 to 128 letters, digits, -, _, . or ~'
}

export interface SettingError {
  key: string
  message: string
}

export type SettingsResult = { ok: true; settings: BrokerSettings } | { ok: false; errors: SettingError[] }

/** Validate one value for one key; returns the typed value or an error message. */
export function validateSetting(
  key: string,
  value: unknown
): { ok: true; value: BrokerSettings[keyof BrokerSettings] } | { ok: false; message: string } {
  if (!Object.hasOwn(SETTING_FIELDS, key)) {
    return { ok: false, message: `unknown setting "${key}"` }
  }
  const field = SETTING_FIELDS[key as keyof BrokerSettings]
  switch (field.kind) {
    case 'boolean':
      if (typeof value !== 'boolean') return { ok: false, message: `${key} must be true or false` }
      return { ok: true, value }
    case 'integer':
      if (value === null && field.nullable) return { ok: true, value: null }
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        return { ok: false, message: `${key} must be a whole number${field.nullable ? ' or null' : ''}` }
      }
      if (value < field.min || value > field.max) {
        return { ok: false, message: `${key} must be between ${field.min} and ${field.max}` }
      }
      return { ok: true, value }
    case 'enum':
      if (!field.values.includes(value as string | number)) {
        return { ok: false, message: `${key} must be one of ${field.values.join(', ')}` }
      }
      return { ok: true, value: value as BrokerSettings[keyof BrokerSettings] }
    case 'string': {
      if (value === null && field.nullable) return { ok: true, value: null }
      if (typeof value !== 'string') return { ok: false, message: `${key} must be a string${field.nullable ? ' or null' : ''}` }
      const problem = field.check(value)
      return problem ? { ok: false, message: `${key} ${problem}` } : { ok: true, value }
    }
  }
}

/**
 * Merge a partial, untrusted record over a base; every bad key is reported, none is applied.
 * `combinations: false` skips the checks that span settings (checkSettingCombinations), for a
 * caller that merges one key at a time and checks the combinations once at the end.
 */
export function mergeSettings(base: BrokerSettings, patch: unknown, options: { combinations?: boolean } = {}): SettingsResult {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    return { ok: false, errors: [{ key: '', message: 'settings must be an object' }] }
  }
  const next: Record<string, unknown> = { ...base }
  const errors: SettingError[] = []
  for (const [key, value] of Object.entries(patch)) {
    const checked = validateSetting(key, value)
    if (checked.ok) next[key] = checked.value
    else errors.push({ key, message: checked.message })
  }
  if (errors.length > 0) return { ok: false, errors }
  const crossErrors = options.combinations === false ? [] : checkSettingCombinations(next as unknown as BrokerSettings)
  if (crossErrors.length > 0) return { ok: false, errors: crossErrors }
  return { ok: true, settings: next as unknown as BrokerSettings }
}

/** Rules that involve more than one setting (each setting alone was valid). */
export function checkSettingCombinations(settings: BrokerSettings): SettingError[] {
  const errors: SettingError[] = []
  const tls = settings.tlsPort > 0 || settings.wssPort > 0
  if (tls && (settings.certFile === null || settings.keyFile === null)) {
    const on = [settings.tlsPort > 0 ? `tlsPort ${settings.tlsPort}` : '', settings.wssPort > 0 ? `wssPort ${settings.wssPort}` : '']
      .filter(Boolean)
      .join(' and ')
    errors.push({
      key: settings.certFile === null ? 'certFile' : 'keyFile',
      message: `${on} needs certFile and keyFile (PEM files); \`brokerscope gen-cert\` makes a development certificate`
    })
  }
  if (tls && settings.requireClientCertificate && settings.caFile === null) {
    errors.push({ key: 'caFile', message: 'requireClientCertificate needs caFile: the CA certificate that signs the client certificates' })
  }
  return errors
}
