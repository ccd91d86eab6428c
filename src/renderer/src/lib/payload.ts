/**
 * Payload bytes → something a person can read: text when the bytes are printable UTF-8, pretty
 * JSON when they parse, a hex dump otherwise. Pure (no DOM), so it is unit-tested under Node.
 * Payloads travel as base64 over the API; the decoder here is our own so it behaves the same in
 * the renderer and in tests.
 */

export type PayloadMode = 'text' | 'json' | 'hex'

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const B64_LOOKUP: Int16Array = (() => {
  const table = new Int16Array(128).fill(-1)
  for (let i = 0; i < B64.length; i++) table[B64.charCodeAt(i)] = i
  // Accept the URL-safe alphabet too.
  table['-'.charCodeAt(0)] = 62
  table['_'.charCodeAt(0)] = 63
  return table
})()

/** Decode base64 (standard or URL-safe, padding optional, whitespace ignored). Throws on bad input. */
export function base64ToBytes(base64: string): Uint8Array {
  const clean = base64.replace(/[\s=]+/g, '')
  if (clean.length % 4 === 1) throw new Error('invalid base64 length')
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4))
  let buffer = 0
  let bits = 0
  let o = 0
  for (let i = 0; i < clean.length; i++) {
    const code = clean.charCodeAt(i)
    const value = code < 128 ? B64_LOOKUP[code] : -1
    if (value < 0) throw new Error(`invalid base64 character "${clean[i]}"`)
    buffer = (buffer << 6) | value
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = (buffer >> bits) & 0xff
    }
  }
  return out.subarray(0, o)
}

/** Standard alphabet, padding optional, no whitespace: what the API accepts for base64 fields. */
export function isStrictBase64(text: string): boolean {
  return text.length % 4 !== 1 && /^[A-Za-z0-9+/]*={0,2}$/.test(text)
}

/** base64ToBytes that returns null instead of throwing. */
export function base64ToBytesSafe(base64: string): Uint8Array | null {
  try {
    return base64ToBytes(base64)
  } catch {
    return null
  }
}

export function bytesToBase64(bytes: Uint8Array): string {
  let out = ''
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2]
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63]
  }
  const rest = bytes.length - i
  if (rest === 1) {
    const n = bytes[i] << 16
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63] + '=='
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8)
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + '='
  }
  return out
}

export function utf8ToBytes(text: string): Uint8Array {
  return new TextEncoder().encode(text)
}

export function utf8ToBase64(text: string): string {
  return bytesToBase64(utf8ToBytes(text))
}

/**
 * Strict UTF-8 decode; null when the bytes are not valid UTF-8. With `truncated` (a preview cut
 * at an arbitrary byte), an incomplete multi-byte sequence at the very end is dropped instead of
 * failing the whole decode.
 */
export function decodeUtf8(bytes: Uint8Array, truncated = false): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes, { stream: truncated })
  } catch {
    return null
  }
}

/** True when the text has no control characters other than tab, line feed and carriage return. */
export function isPrintableText(text: string): boolean {
  // C0 controls except \t \n \r, DEL, and C1 controls.
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    // C0 controls but tab, LF and CR; DEL and the C1 controls.
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || (code >= 0x7f && code <= 0x9f)) return false
  }
  return true
}

/** The bytes as printable text, or null when they are not printable UTF-8. */
export function bytesAsText(bytes: Uint8Array, truncated = false): string | null {
  const text = decodeUtf8(bytes, truncated)
  return text !== null && isPrintableText(text) ? text : null
}

export function toHex(bytes: Uint8Array, separator = ' '): string {
  const parts: string[] = new Array(bytes.length)
  for (let i = 0; i < bytes.length; i++) parts[i] = bytes[i].toString(16).padStart(2, '0')
  return parts.join(separator)
}

/** Bytes per hex dump line. */
export const HEX_ROW_BYTES = 16

/** Characters in one hex dump line (offset, hex, ASCII), for sizing a view of it. */
export const HEX_LINE_CHARS = 8 + 2 + HEX_ROW_BYTES * 3 + 1 + 1 + 1 + HEX_ROW_BYTES + 1

/** One line of the hex dump: the `width` bytes from `offset`. */
export function hexDumpLine(bytes: Uint8Array, offset: number, width = HEX_ROW_BYTES): string {
  const chunk = bytes.subarray(offset, offset + width)
  let hex = ''
  let ascii = ''
  for (let i = 0; i < width; i++) {
    if (i < chunk.length) {
      hex += chunk[i].toString(16).padStart(2, '0') + ' '
      ascii += chunk[i] >= 0x20 && chunk[i] < 0x7f ? String.fromCharCode(chunk[i]) : '.'
    } else {
      hex += '   '
    }
    if (i === 7) hex += ' '
  }
  return `${offset.toString(16).padStart(8, '0')}  ${hex} |${ascii}|`
}

/** Classic hex dump: offset, 16 bytes in hex, and their printable ASCII. */
export function hexDump(bytes: Uint8Array, width = HEX_ROW_BYTES): string {
  const lines: string[] = []
  for (let offset = 0; offset < bytes.length; offset += width) lines.push(hexDumpLine(bytes, offset, width))
  return lines.join('\n')
}

export type JsonResult = { ok: true; value: unknown; text: string } | { ok: false; error: string }

/** Parse and pretty-print JSON with two-space indentation. */
export function prettyJson(text: string): JsonResult {
  try {
    const value: unknown = JSON.parse(text)
    return { ok: true, value, text: JSON.stringify(value, null, 2) }
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) }
  }
}

export interface FormattedPayload {
  text: string
  /** Set when the requested mode could not be used (e.g. not JSON); the text is then a fallback. */
  problem?: string
}

/** Render payload bytes in one mode; falls back to hex when text/JSON is impossible. */
export function formatPayload(bytes: Uint8Array, mode: PayloadMode, truncated = false): FormattedPayload {
  if (mode === 'hex') return { text: hexDump(bytes) }
  const text = bytesAsText(bytes, truncated)
  if (text === null) return { text: hexDump(bytes), problem: 'not printable UTF-8 text; shown as hex' }
  if (mode === 'text') return { text }
  const json = prettyJson(text)
  if (!json.ok) return { text, problem: `not valid JSON${truncated ? ' (payload truncated)' : ''}: ${json.error}` }
  return { text: json.text }
}

/** The mode a viewer should open in: JSON for objects/arrays, text when printable, hex otherwise. */
export function defaultPayloadMode(bytes: Uint8Array, truncated = false): PayloadMode {
  const text = bytesAsText(bytes, truncated)
  if (text === null) return bytes.length === 0 ? 'text' : 'hex'
  const trimmed = text.trim()
  if ((trimmed.startsWith('{') || trimmed.startsWith('[')) && prettyJson(trimmed).ok) return 'json'
  return 'text'
}

export interface PayloadPreview {
  kind: 'text' | 'hex' | 'empty'
  text: string
}

/**
 * A one-line preview of a base64 payload: printable text (control whitespace shown as spaces),
 * else hex. `maxChars` bounds the output; `truncated` says the bytes are only the first part.
 */
export function previewPayload(base64: string | undefined | null, maxChars = 120, truncated = false): PayloadPreview {
  if (!base64) return { kind: 'empty', text: '' }
  let bytes: Uint8Array
  try {
    bytes = base64ToBytes(base64)
  } catch {
    return { kind: 'hex', text: '(invalid base64)' }
  }
  if (bytes.length === 0) return { kind: 'empty', text: '' }
  const text = bytesAsText(bytes, truncated)
  if (text !== null) {
    const flat = text.replace(/[\t\r\n]+/g, ' ')
    return { kind: 'text', text: flat.length > maxChars ? flat.slice(0, maxChars) + '…' : flat }
  }
  const hexBytes = Math.max(1, Math.floor((maxChars + 1) / 3))
  const hex = toHex(bytes.subarray(0, hexBytes))
  return { kind: 'hex', text: bytes.length > hexBytes ? hex + ' …' : hex }
}
