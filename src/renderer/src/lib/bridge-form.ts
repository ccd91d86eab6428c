/**
 * The Bridges view's form: strings where the user types, to and from the bridge config, checked
 * with the same validator the main side uses (validateBridgeConfig) before anything is sent.
 */
import {
  BRIDGE_DEFAULTS,
  type BridgeConfigError,
  type BridgeStatus,
  type SaveBridgeRequest,
  topicRuleProblem,
  parseTopicRule,
  validateBridgeConfig
} from '../../../shared/bridges'

export interface BridgeForm {
  name: string
  url: string
  protocolVersion: '4' | '5'
  username: string
  /** Empty while editing: keep the stored one. */
  password: string
  clientId: string
  /** One rule per line. */
  topics: string
  cleanStart: boolean
  sessionExpiry: string
  keepAlive: string
  tryPrivate: boolean
  caFile: string
  certFile: string
  keyFile: string
  insecure: boolean
  maxQueuedMessages: string
  maxQueuedBytes: string
  maxInflight: string
  localUsername: string
  enabled: boolean
}

export const EMPTY_BRIDGE_FORM: BridgeForm = {
  name: '',
  url: 'mqtt://',
  protocolVersion: String(BRIDGE_DEFAULTS.protocolVersion) as '4' | '5',
  username: '',
  password: '',
  clientId: '',
  topics: '# both 1',
  cleanStart: BRIDGE_DEFAULTS.cleanStart,
  sessionExpiry: String(BRIDGE_DEFAULTS.sessionExpiry),
  keepAlive: String(BRIDGE_DEFAULTS.keepAlive),
  tryPrivate: BRIDGE_DEFAULTS.tryPrivate,
  caFile: '',
  certFile: '',
  keyFile: '',
  insecure: false,
  maxQueuedMessages: String(BRIDGE_DEFAULTS.maxQueuedMessages),
  maxQueuedBytes: String(BRIDGE_DEFAULTS.maxQueuedBytes),
  maxInflight: String(BRIDGE_DEFAULTS.maxInflight),
  localUsername: '',
  enabled: true
}

/** The form for an existing bridge (its password is never sent to the UI). */
export function formOf(status: BridgeStatus): BridgeForm {
  const c = status.config
  return {
    name: c.name,
    url: c.url,
    protocolVersion: String(c.protocolVersion) as '4' | '5',
    username: c.username ?? '',
    password: '',
    clientId: c.clientId ?? '',
    topics: c.topics.join('\n'),
    cleanStart: c.cleanStart,
    sessionExpiry: String(c.sessionExpiry),
    keepAlive: String(c.keepAlive),
    tryPrivate: c.tryPrivate,
    caFile: c.caFile ?? '',
    certFile: c.certFile ?? '',
    keyFile: c.keyFile ?? '',
    insecure: c.insecure,
    maxQueuedMessages: String(c.maxQueuedMessages),
    maxQueuedBytes: String(c.maxQueuedBytes),
    maxInflight: String(c.maxInflight),
    localUsername: c.localUsername ?? '',
    enabled: c.enabled
  }
}

const orNull = (text: string): string | null => (text.trim() === '' ? null : text.trim())
const integer = (text: string): number | string => (/^\d+$/.test(text.trim()) ? Number(text.trim()) : text)

export type BridgeFormErrors = Partial<Record<keyof BridgeForm, string>>

/**
 * The request for the form, or the problems by field. `editing`: the bridge's current name (a
 * password left empty then keeps the stored one).
 */
export function bridgeRequest(
  form: BridgeForm,
  editing: string | null,
  kind: 'bridge' | 'inspect' = 'bridge'
): { ok: true; request: SaveBridgeRequest } | { ok: false; errors: BridgeFormErrors } {
  const topics = form.topics
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
  const config = {
    name: form.name.trim(),
    kind,
    url: form.url.trim(),
    protocolVersion: Number(form.protocolVersion) as 4 | 5,
    username: orNull(form.username),
    password: form.password === '' ? null : form.password,
    clientId: orNull(form.clientId),
    topics,
    cleanStart: form.cleanStart,
    sessionExpiry: integer(form.sessionExpiry),
    keepAlive: integer(form.keepAlive),
    tryPrivate: form.tryPrivate,
    caFile: orNull(form.caFile),
    certFile: orNull(form.certFile),
    keyFile: orNull(form.keyFile),
    insecure: form.insecure,
    maxQueuedMessages: integer(form.maxQueuedMessages),
    maxQueuedBytes: integer(form.maxQueuedBytes),
    maxInflight: integer(form.maxInflight),
    localUsername: orNull(form.localUsername),
    enabled: form.enabled
  }
  const keepPassword = editing !== null && form.password === ''
  // A kept password is checked on the main side; here one is pretended so "needs a user name" holds.
  const checked = validateBridgeConfig(keepPassword && config.username !== null ? { ...config, password: 'kept' } : config)
  if (!checked.ok) return { ok: false, errors: errorsByField(checked.errors) }
  return {
    ok: true,
    request: {
      config: config as SaveBridgeRequest['config'],
      previousName: editing ?? undefined,
      keepPassword
    }
  }
}

function errorsByField(errors: readonly BridgeConfigError[]): BridgeFormErrors {
  const out: BridgeFormErrors = {}
  for (const error of errors) {
    const field = (error.path[0] ?? 'name') as keyof BridgeForm
    const text =
      error.path[0] === 'topics' && typeof error.path[1] === 'number' ? `line ${error.path[1] + 1}: ${error.message}` : error.message
    out[field] = out[field] ? `${out[field]}; ${text}` : text
  }
  return out
}

/** A line of the rules box, explained: "local a/# → remote b/a/#" (or why it is wrong). */
export function explainRule(line: string): string {
  const parsed = parseTopicRule(line)
  if (!parsed.ok) return parsed.error
  const r = parsed.rule
  const problem = topicRuleProblem(r)
  if (problem) return problem
  const local = r.pattern === '' ? r.localPrefix : r.localPrefix + r.pattern
  const remote = r.pattern === '' ? r.remotePrefix : r.remotePrefix + r.pattern
  const arrow = r.direction === 'out' ? '→' : r.direction === 'in' ? '←' : '↔'
  return `here ${local} ${arrow} there ${remote} · QoS ${r.qos}`
}
