/**
 * Why a connection to a remote broker failed, in words a person acts on: "connection refused",
 * "not authorized", "TLS: unknown CA". From Node's socket and TLS error codes and MQTT's CONNACK and
 * DISCONNECT reason codes (3.1.1 return codes 1-5, MQTT 5 reason codes 0x80 and up).
 */

const SOCKET_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the remote',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found (DNS did not answer)',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'the remote closed the connection',
  // TLS: the remote's certificate chain does not lead to a CA we trust.
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS: unknown CA',
  UNABLE_TO_GET_ISSUER_CERT: 'TLS: unknown CA',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'TLS: unknown CA',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS: unknown CA',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS: unknown CA (the certificate is self-signed)',
  CERT_HAS_EXPIRED: 'TLS: the remote’s certificate has expired',
  CERT_NOT_YET_VALID: 'TLS: the remote’s certificate is not valid yet',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS: the certificate is not for this host name',
  ERR_SSL_WRONG_VERSION_NUMBER: 'TLS: the remote does not speak TLS on this port'
}

/** 3.1.1 CONNACK return codes [MQTT-3.2.2-?]. */
const CONNACK_V3_WORDS: Record<number, string> = {
  1: 'the remote refused the protocol version',
  2: 'the remote refused the client id',
  3: 'server unavailable',
  4: 'not authorized: bad user name or password',
  5: 'not authorized'
}

/** MQTT 5 reason codes in CONNACK and DISCONNECT. */
const REASON_WORDS: Record<number, string> = {
  128: 'unspecified error',
  129: 'malformed packet',
  130: 'protocol error',
  131: 'implementation specific error',
  132: 'the remote refused the protocol version',
  133: 'the remote refused the client id',
  134: 'not authorized: bad user name or password',
  135: 'not authorized',
  136: 'server unavailable',
  137: 'server busy',
  138: 'not authorized: banned',
  139: 'the remote is shutting down',
  140: 'bad authentication method',
  141: 'keep alive timeout',
  142: 'session taken over by another connection with the same client id',
  147: 'receive maximum exceeded',
  149: 'packet too large',
  151: 'quota exceeded',
  152: 'administrative action',
  156: 'use another server',
  157: 'server moved',
  159: 'connection rate exceeded'
}

export function connackWords(code: number, protocolVersion: number): string {
  const words = protocolVersion === 5 ? REASON_WORDS[code] : CONNACK_V3_WORDS[code]
  return words ?? `refused (code ${code})`
}

export function disconnectWords(code: number, reasonString?: string): string {
  const words = REASON_WORDS[code] ?? (code === 0 ? 'normal disconnection' : `code 0x${code.toString(16)}`)
  return `the remote disconnected the bridge: ${words}${reasonString ? ` (${reasonString})` : ''}`
}

/** A socket, TLS or MQTT.js error in words. `connack`: the CONNACK refusal code, when that is what it was. */
export function errorWords(error: unknown, protocolVersion: number): string {
  const e = error as { code?: unknown; message?: unknown } | null
  const code = e?.code
  if (typeof code === 'number') return connackWords(code, protocolVersion)
  if (typeof code === 'string' && SOCKET_WORDS[code] !== undefined) return SOCKET_WORDS[code]
  const message = typeof e?.message === 'string' ? e.message : String(error)
  if (/keepalive timeout/i.test(message)) return 'the remote stopped answering (keep alive timeout)'
  if (/connack timeout|connect timeout/i.test(message)) return 'timed out waiting for the remote to accept the connection'
  if (typeof code === 'string' && (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || code === 'EPROTO')) return `TLS: ${message}`
  return message
}
