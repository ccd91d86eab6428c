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
  /** Seconds between $SYS updates; 0 disables $SYS. */
  sysInterval: number
}

export const DEFAULT_SETTINGS: Readonly<BrokerSettings> = Object.freeze({
  host: '127.0.0.1',
  tcpPort: 1883,
  wsPort: 8083,
  wsPath: '/mqtt',
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
  sysInterval: 10
})

/** The largest packet MQTT can express: 1 byte header + 4 length bytes + 268,435,455. */
export const PROTOCOL_MAX_PACKET_SIZE = 268435460

type FieldKind =
  | { kind: 'boolean' }
  | { kind: 'integer'; min: number; max: number; nullable?: boolean }
  | { kind: 'enum'; values: readonly (string | number)[] }
  | { kind: 'string'; check: (value: string) => string | null }

/** What each setting is and what it accepts; also drives the CLI flags and the settings form. */
export const SETTING_FIELDS: { readonly [K in keyof BrokerSettings]: FieldKind & { help: string } } = {
  host: { kind: 'string', check: checkHost, help: 'listen address (0.0.0.0 for every interface)' },
  tcpPort: { kind: 'integer', min: 0, max: 65535, help: 'TCP port, 0 = off' },
  wsPort: { kind: 'integer', min: 0, max: 65535, help: 'WebSocket port, 0 = off' },
  wsPath: { kind: 'string', check: checkPath, help: 'WebSocket path' },
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
  sessionExpiryOverride: { kind: 'integer', min: 0, max: 4294967295, nullable: true, help: 'session expiry used for every client, seconds (none = client value)' },
  maxConnections: { kind: 'integer', min: 0, max: 10_000_000, help: 'simultaneous connections, 0 = unlimited' },
  maxInflightMessages: { kind: 'integer', min: 1, max: 65535, help: 'outgoing QoS 1/2 in flight per client' },
  maxQueuedMessages: { kind: 'integer', min: 0, max: 10_000_000, help: 'messages queued per client' },
  sysInterval: { kind: 'integer', min: 0, max: 86400, help: '$SYS update interval, seconds, 0 = off' }
}

function checkHost(value: string): string | null {
  if (value.length === 0) return 'must not be empty'
  if (!/^[A-Za-z0-9.:\-[\]%]+$/.test(value)) return 'is not a host name or IP address'
  return null
}

function checkPath(value: string): string | null {
  return value.startsWith('/') ? null : 'must start with /'
}

export interface SettingError {
  key: string
  message: string
}

export type SettingsResult =
  | { ok: true; settings: BrokerSettings }
  | { ok: false; errors: SettingError[] }

/** Validate one value for one key; returns the typed value or an error message. */
export function validateSetting(
  key: string,
  value: unknown
): { ok: true; value: BrokerSettings[keyof BrokerSettings] } | { ok: false; message: string } {
  if (!Object.prototype.hasOwnProperty.call(SETTING_FIELDS, key)) {
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
      if (typeof value !== 'string') return { ok: false, message: `${key} must be a string` }
      const problem = field.check(value)
      return problem ? { ok: false, message: `${key} ${problem}` } : { ok: true, value }
    }
  }
}

/** Merge a partial, untrusted record over a base; every bad key is reported, none is applied. */
export function mergeSettings(base: BrokerSettings, patch: unknown): SettingsResult {
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
  return { ok: true, settings: next as unknown as BrokerSettings }
}
