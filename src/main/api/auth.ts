/**
 * Who may use the management API. Checked on every request before its body is read, so a request
 * without valid credentials gets 401 and changes nothing:
 *
 *   Authorization: Bearer <apiKey>          the key in settings.apiKey (Settings view, settings.json)
 *   Authorization: Basic base64(user:pass)  a user of the auth file, checked like an MQTT CONNECT
 *
 * and, as the inspector UI does, a request carrying an Origin other than the API's own is refused
 * (403): a web page in the user's browser must not drive the broker. Scripts and curl send no Origin.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { networkInterfaces } from 'node:os'
import type { BrokerControl } from '../broker/control'

export type AuthOutcome = { ok: true; principal: string } | { ok: false; message: string }

export async function checkCredentials(authorization: string | undefined, broker: BrokerControl): Promise<AuthOutcome> {
  if (authorization === undefined || authorization.length === 0) {
    return { ok: false, message: 'credentials required: Authorization: Bearer <API key>, or Basic with a user of the auth file' }
  }
  const space = authorization.indexOf(' ')
  const scheme = (space < 0 ? authorization : authorization.slice(0, space)).toLowerCase()
  const value = space < 0 ? '' : authorization.slice(space + 1).trim()
  if (scheme === 'bearer') {
    const key = broker.getSettings().apiKey
    if (key !== null && sameSecret(value, key)) return { ok: true, principal: 'api key' }
    return { ok: false, message: 'wrong API key' }
  }
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon <= 0) return { ok: false, message: 'basic credentials must be base64 of user:password' }
    const username = decoded.slice(0, colon)
    if (await broker.checkUserPassword(username, decoded.slice(colon + 1))) return { ok: true, principal: `user ${username}` }
    return { ok: false, message: 'bad user name or password' }
  }
  return { ok: false, message: `unsupported authorization scheme "${scheme}" (Bearer or Basic)` }
}

/** Compare digests, so neither the length nor the content of the key leaks through timing. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', ''])

/** The origins a page served from this API's own address would have. */
export function ownOrigins(host: string, port: number): Set<string> {
  const hosts = new Set(['127.0.0.1', 'localhost', '[::1]'])
  if (WILDCARD_HOSTS.has(host)) {
    for (const addresses of Object.values(networkInterfaces())) {
      for (const address of addresses ?? []) hosts.add(address.family === 'IPv6' ? `[${address.address}]` : address.address)
    }
  } else {
    hosts.add(host.includes(':') && !host.startsWith('[') ? `[${host}]` : host)
  }
  return new Set([...hosts].map((h) => `http://${h}:${port}`))
}
