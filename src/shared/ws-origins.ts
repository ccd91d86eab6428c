/**
 * Which web pages may use the MQTT WebSocket listeners (ws and wss), by the Origin header a browser
 * sends with the upgrade. A browser always sends it, and a page cannot forge it; clients that are
 * not browsers (devices, MQTT.js in Node, mosquitto's tools) send none.
 *
 *   no Origin header                                  served
 *   http(s)://localhost, 127.0.0.1 or [::1], any port served (a dashboard on a local dev server)
 *   listed in the wsAllowedOrigins setting            served
 *   wsAllowedOrigins '*'                              everything served
 *   anything else, 'null' included                    HTTP 403 before the upgrade
 *
 * wsAllowedOrigins is one string: origins separated by commas or spaces
 * ('https://dash.example.com, http://10.0.0.5:3000'), '*' for any, '' for none beyond loopback.
 * Pure: the settings validator and the Settings view use it too.
 */

export interface AllowedOrigins {
  /** '*': every origin is served. */
  readonly any: boolean
  /** Normalised origins (lowercase scheme and host, no default port). */
  readonly origins: ReadonlySet<string>
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])
const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' }

/** scheme://host[:port], nothing after: what an Origin header holds (RFC 6454). */
const ORIGIN_SHAPE = /^([a-z][a-z0-9+.-]*):\/\/(\[[0-9a-f:.]+\]|[a-z0-9._~%-]+)(?::(\d{1,5}))?$/

/** The normalised form of an origin, or null when `text` is not one. */
export function normalizeOrigin(text: string): string | null {
  const match = ORIGIN_SHAPE.exec(text.trim().toLowerCase())
  if (match === null) return null
  const [, scheme, host, port] = match
  if (port !== undefined && Number(port) > 65535) return null
  const keepPort = port !== undefined && DEFAULT_PORTS[`${scheme}:`] !== port
  return `${scheme}://${host}${keepPort ? `:${Number(port)}` : ''}`
}

/** A page on this machine: http or https, host localhost / 127.0.0.1 / [::1], any port. */
export function isLoopbackOrigin(origin: string): boolean {
  const normal = normalizeOrigin(origin)
  if (normal === null) return false
  const match = ORIGIN_SHAPE.exec(normal)!
  return (match[1] === 'http' || match[1] === 'https') && LOOPBACK_HOSTS.has(match[2])
}

function entries(value: string): string[] {
  return value.split(/[\s,]+/).filter((entry) => entry.length > 0)
}

/** The settings validator's check: null when `value` is a valid wsAllowedOrigins, else why not. */
export function checkAllowedOrigins(value: string): string | null {
  const list = entries(value)
  if (list.includes('*') && list.length > 1) return "must be '*' alone, or a list of origins"
  for (const entry of list) {
    if (entry === '*') continue
    if (normalizeOrigin(entry) === null) {
      return `"${entry.slice(0, 80)}" is not an origin like https://dash.example.com or http://10.0.0.5:3000 (scheme://host[:port], no path)`
    }
  }
  return null
}

/** Parse a (valid) wsAllowedOrigins value. */
export function parseAllowedOrigins(value: string): AllowedOrigins {
  const list = entries(value)
  if (list.includes('*')) return { any: true, origins: new Set() }
  const origins = new Set<string>()
  for (const entry of list) {
    const normal = normalizeOrigin(entry)
    if (normal !== null) origins.add(normal)
  }
  return { any: false, origins }
}

/** Is an upgrade with this Origin header (undefined when absent) served? */
export function originAllowed(origin: string | undefined, allowed: AllowedOrigins): boolean {
  if (origin === undefined) return true
  if (allowed.any) return true
  if (isLoopbackOrigin(origin)) return true
  const normal = normalizeOrigin(origin)
  return normal !== null && allowed.origins.has(normal)
}
