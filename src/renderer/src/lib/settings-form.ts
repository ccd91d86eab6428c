import { SETTING_FIELDS, validateSetting, type BrokerSettings } from '../../../shared/settings'

export type SettingKey = keyof BrokerSettings

/** Settings that describe the listeners; shown in their own group. */
export const LISTENER_KEYS: readonly SettingKey[] = [
  'host',
  'tcpPort',
  'wsPort',
  'wsPath',
  'wsAllowedOrigins',
  'tlsPort',
  'wssPort',
  'certFile',
  'keyFile',
  'caFile',
  'requireClientCertificate',
  'useIdentityAsUsername',
  'unixSocket',
  'socketNoDelay',
  'socketSendBufSize',
  'socketRecvBufSize',
  'socketKeepaliveTime'
]

/** The management API and metrics; their own group. */
export const API_KEYS: readonly SettingKey[] = ['apiPort', 'apiKey', 'metricsPublic']

export const SETTING_KEYS = Object.keys(SETTING_FIELDS) as SettingKey[]

export const FEATURE_KEYS: readonly SettingKey[] = SETTING_KEYS.filter((key) => !LISTENER_KEYS.includes(key) && !API_KEYS.includes(key))

const LABELS: Partial<Record<SettingKey, string>> = {
  host: 'Host',
  tcpPort: 'TCP port',
  wsPort: 'WebSocket port',
  wsPath: 'WebSocket path',
  wsAllowedOrigins: 'WebSocket allowed origins',
  tlsPort: 'TLS port',
  wssPort: 'Secure WebSocket port',
  certFile: 'Certificate file',
  keyFile: 'Key file',
  caFile: 'CA file',
  authFile: 'Auth file',
  logLevel: 'Log level',
  maximumQos: 'Maximum QoS',
  sysInterval: '$SYS interval',
  unixSocket: 'Unix socket',
  socketNoDelay: 'TCP no delay',
  socketSendBufSize: 'Socket send buffer',
  socketRecvBufSize: 'Socket receive buffer',
  socketKeepaliveTime: 'TCP keepalive time',
  apiPort: 'API port',
  apiKey: 'API key',
  metricsPublic: 'Public /metrics',
  clientConfigurationFile: 'Client configuration file'
}

/** "retainAvailable" → "Retain available" unless a label is set above. */
export function settingLabel(key: string): string {
  const known = LABELS[key as SettingKey]
  if (known) return known
  const words = key
    .replace(/([A-Z])/g, ' $1')
    .trim()
    .toLowerCase()
  return words.charAt(0).toUpperCase() + words.slice(1)
}

/** A field as the form holds it: text for numbers and strings (the user types), booleans as is, null for "none". */
export type DraftValue = string | boolean | null

export function toDraft(key: SettingKey, value: BrokerSettings[SettingKey]): DraftValue {
  const field = SETTING_FIELDS[key]
  if (field.kind === 'boolean') return Boolean(value)
  if (value === null) return null
  return String(value)
}

/** Turn a draft back into the value the API takes (not validated: that is validateSetting's job). */
export function fromDraft(key: SettingKey, draft: DraftValue): unknown {
  const field = SETTING_FIELDS[key]
  switch (field.kind) {
    case 'boolean':
      return draft
    case 'integer': {
      if (draft === null) return null
      const text = String(draft).trim()
      return text === '' ? Number.NaN : Number(text)
    }
    case 'enum': {
      const match = field.values.find((v) => String(v) === String(draft))
      return match === undefined ? draft : match
    }
    case 'string':
      // An empty nullable field (a file path) means "none".
      if (field.nullable && (draft === null || String(draft).trim() === '')) return null
      return draft === null ? '' : String(draft)
  }
}

/** Strip "tcpPort " from "tcpPort must be between 0 and 65535" so the message reads well next to its field. */
export function fieldMessage(key: string, message: string): string {
  return message.startsWith(`${key} `) ? message.slice(key.length + 1) : message
}

export type DraftCheck = {
  patch: Partial<BrokerSettings>
  errors: Partial<Record<SettingKey, string>>
}

/**
 * Validate the edited fields with the shared validator and build the patch of the values that
 * differ from the current settings.
 */
export function checkDrafts(drafts: Partial<Record<SettingKey, DraftValue>>, current: BrokerSettings): DraftCheck {
  const patch: Record<string, unknown> = {}
  const errors: Partial<Record<SettingKey, string>> = {}
  for (const key of Object.keys(drafts) as SettingKey[]) {
    const draft = drafts[key]
    if (draft === undefined) continue
    const checked = validateSetting(key, fromDraft(key, draft))
    if (!checked.ok) errors[key] = fieldMessage(key, checked.message)
    else if (checked.value !== current[key]) patch[key] = checked.value
  }
  return { patch: patch as Partial<BrokerSettings>, errors }
}
