/**
 * Payload decoders for the topic inspector. Each turns bytes into something to show; one that
 * cannot read a payload says why and the viewer falls back to hex: never a blank panel, never a
 * thrown error. Pure (no DOM), so they are unit-tested under Node. The schema decoders (protobuf
 * with a .proto, Sparkplug B) run in the main process (see src/main/inspector/schema-decoders.ts)
 * and reach this module through the `schema` callback.
 *
 * Decoding runs on demand, for the one message the user looks at, never per incoming message.
 */
import { decode as decodeMsgpack } from '@msgpack/msgpack'
import { decode as decodeCbor } from 'cbor-x'
import type { SchemaDecodeRequest, SchemaDecodeResult } from '../../../shared/api'
import { base64ToBytes, bytesToBase64, isStrictBase64 } from './payload'

export type DecoderId = 'auto' | 'text' | 'json' | 'hex' | 'base64' | 'cbor' | 'msgpack' | 'protobuf' | 'sparkplug' | 'gzip' | 'deflate'

export const DECODERS: ReadonlyArray<{ id: DecoderId; label: string }> = [
  { id: 'auto', label: 'Auto' },
  { id: 'text', label: 'Text' },
  { id: 'json', label: 'JSON' },
  { id: 'hex', label: 'Hex' },
  { id: 'base64', label: 'Base64' },
  { id: 'cbor', label: 'CBOR' },
  { id: 'msgpack', label: 'MessagePack' },
  { id: 'protobuf', label: 'Protobuf' },
  { id: 'sparkplug', label: 'Sparkplug B' },
  { id: 'gzip', label: 'gzip' },
  { id: 'deflate', label: 'deflate' }
]

export type Decoded =
  /** Plain text (invalidBytes: how many bytes were not UTF-8 and are shown as \xNN). */
  | { kind: 'text'; text: string; invalidBytes: number }
  /** A structured value, shown as a collapsible tree. */
  | { kind: 'tree'; value: unknown }
  /** Shown as a hex dump (built line by line for the lines on screen only). */
  | { kind: 'hex'; bytes: Uint8Array }

export interface DecodeOutcome {
  /** The decoder that produced `result` (auto names what it picked). */
  used: DecoderId
  result: Decoded
  /** Why the chosen decoder could not read the payload; `result` is then the hex dump. */
  problem?: string
  /** The bytes were unpacked (gzip, deflate, base64) before `result`. */
  unpacked?: { from: DecoderId; bytes: number }
}

export interface DecodeContext {
  topic: string
  /** For protobuf: the .proto text and message type chosen for this topic. */
  proto?: { text: string; messageType: string }
  /** Runs a schema decoder in the main process. */
  schema?: (request: SchemaDecodeRequest) => Promise<SchemaDecodeResult>
}

/** Output of gzip/deflate kept at most (a small payload can expand enormously). */
export const MAX_INFLATED_BYTES = 16 * 1024 * 1024

const hex = (bytes: Uint8Array): Decoded => ({ kind: 'hex', bytes })

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** UTF-8 text; invalid bytes are shown as \xNN and counted, control characters as \uXXXX-style escapes are left to the view. */
export function decodeText(bytes: Uint8Array): { text: string; invalidBytes: number } {
  const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
  try {
    return { text: strict.decode(bytes), invalidBytes: 0 }
  } catch {
    // Walk the bytes: decode each valid run, escape each byte that is not part of one.
    let text = ''
    let invalid = 0
    let i = 0
    while (i < bytes.length) {
      const length = sequenceLength(bytes, i)
      if (length === 0) {
        text += `\\x${bytes[i].toString(16).padStart(2, '0')}`
        invalid++
        i++
      } else {
        text += strict.decode(bytes.subarray(i, i + length))
        i += length
      }
    }
    return { text, invalidBytes: invalid }
  }
}

/** Length of the valid UTF-8 sequence starting at i, or 0. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i]
  if (b < 0x80) return 1
  const need = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0
  if (need === 0 || i + need > bytes.length) return 0
  for (let k = 1; k < need; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return 0
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(i, i + need))
    return need
  } catch {
    return 0
  }
}

function parseJson(bytes: Uint8Array): { ok: true; value: unknown } | { ok: false; error: string } {
  const { text, invalidBytes } = decodeText(bytes)
  if (invalidBytes > 0) return { ok: false, error: `${invalidBytes} byte${invalidBytes === 1 ? ' is' : 's are'} not UTF-8` }
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (error) {
    return { ok: false, error: errorText(error) }
  }
}

/** Values CBOR and MessagePack produce that JSON has no form for, made showable. */
export function showable(value: unknown, depth = 0): unknown {
  if (depth > 64) return '…'
  if (value === undefined) return null
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value)
  if (value instanceof Uint8Array) return { $bytes: bytesToBase64(value) }
  if (value instanceof Date) return value.toISOString()
  if (value instanceof Map) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of value) out[typeof k === 'string' ? k : JSON.stringify(showable(k))] = showable(v, depth + 1)
    return out
  }
  if (value instanceof Set) return [...value].map((v) => showable(v, depth + 1))
  if (Array.isArray(value)) return value.map((v) => showable(v, depth + 1))
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = showable(v, depth + 1)
    if ('tag' in value && 'value' in value && Object.keys(value).length === 2)
      return { $tag: (value as { tag: unknown }).tag, value: out.value }
    return out
  }
  return value
}

async function inflate(bytes: Uint8Array, format: 'gzip' | 'deflate'): Promise<Uint8Array> {
  const stream = new Blob([bytes.slice()]).stream().pipeThrough(new DecompressionStream(format))
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.length
    if (total > MAX_INFLATED_BYTES) {
      await reader.cancel()
      throw new Error(`unpacks to more than ${MAX_INFLATED_BYTES / 1024 / 1024} MiB; not shown`)
    }
    chunks.push(value)
  }
  const out = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

const looksGzip = (b: Uint8Array): boolean => b.length >= 3 && b[0] === 0x1f && b[1] === 0x8b && b[2] === 0x08
// zlib header: CMF 0x78 and a check value that makes (CMF*256 + FLG) a multiple of 31.
const looksZlib = (b: Uint8Array): boolean => b.length >= 2 && b[0] === 0x78 && ((b[0] << 8) | b[1]) % 31 === 0

/**
 * Decode with one decoder. Never throws: a decoder that cannot read the payload returns the hex
 * dump with `problem` saying why.
 */
export async function decodePayload(bytes: Uint8Array, decoder: DecoderId, context: DecodeContext): Promise<DecodeOutcome> {
  try {
    return await decodeWith(bytes, decoder, context)
  } catch (error) {
    return { used: decoder, result: hex(bytes), problem: errorText(error) }
  }
}

function fallback(bytes: Uint8Array, used: DecoderId, problem: string): DecodeOutcome {
  return { used, result: hex(bytes), problem }
}

async function decodeWith(bytes: Uint8Array, decoder: DecoderId, context: DecodeContext): Promise<DecodeOutcome> {
  switch (decoder) {
    case 'auto':
      return decodeAuto(bytes, context)
    case 'text': {
      const { text, invalidBytes } = decodeText(bytes)
      return { used: 'text', result: { kind: 'text', text, invalidBytes } }
    }
    case 'json': {
      const parsed = parseJson(bytes)
      if (!parsed.ok) return fallback(bytes, 'json', `not JSON: ${parsed.error}`)
      return { used: 'json', result: { kind: 'tree', value: parsed.value } }
    }
    case 'hex':
      return { used: 'hex', result: hex(bytes) }
    case 'base64': {
      const { text, invalidBytes } = decodeText(bytes)
      const clean = text.replace(/\s+/g, '')
      if (invalidBytes > 0 || clean.length === 0 || !isStrictBase64(clean)) return fallback(bytes, 'base64', 'not base64 text')
      const inner = base64ToBytes(clean)
      const shown = await decodeAuto(inner, context)
      return { ...shown, used: 'base64', unpacked: { from: 'base64', bytes: inner.length } }
    }
    case 'cbor': {
      if (bytes.length === 0) return fallback(bytes, 'cbor', 'not CBOR: the payload is empty')
      try {
        return { used: 'cbor', result: { kind: 'tree', value: showable(decodeCbor(bytes)) } }
      } catch (error) {
        return fallback(bytes, 'cbor', `not CBOR: ${errorText(error)}`)
      }
    }
    case 'msgpack': {
      if (bytes.length === 0) return fallback(bytes, 'msgpack', 'not MessagePack: the payload is empty')
      try {
        return { used: 'msgpack', result: { kind: 'tree', value: showable(decodeMsgpack(bytes)) } }
      } catch (error) {
        return fallback(bytes, 'msgpack', `not MessagePack: ${errorText(error)}`)
      }
    }
    case 'gzip':
    case 'deflate': {
      if (decoder === 'gzip' ? !looksGzip(bytes) : !looksZlib(bytes)) {
        return fallback(bytes, decoder, decoder === 'gzip' ? 'not gzip: no gzip header (1f 8b 08)' : 'not deflate: no zlib header (78 …)')
      }
      let inner: Uint8Array
      try {
        inner = await inflate(bytes, decoder)
      } catch (error) {
        return fallback(bytes, decoder, `${decoder}: ${errorText(error)}`)
      }
      const shown = await decodeAuto(inner, context)
      return { ...shown, used: decoder, unpacked: { from: decoder, bytes: inner.length } }
    }
    case 'protobuf': {
      if (!context.proto || context.proto.text.trim() === '') return fallback(bytes, 'protobuf', 'no .proto file chosen for this topic')
      if (!context.schema) return fallback(bytes, 'protobuf', 'protobuf decoding is not available here')
      const answer = await context.schema({
        kind: 'protobuf',
        proto: context.proto.text,
        messageType: context.proto.messageType,
        payload: bytesToBase64(bytes)
      })
      if (!answer.ok) return fallback(bytes, 'protobuf', answer.error)
      return { used: 'protobuf', result: { kind: 'tree', value: answer.value } }
    }
    case 'sparkplug': {
      if (!context.schema) return fallback(bytes, 'sparkplug', 'Sparkplug B decoding is not available here')
      const answer = await context.schema({ kind: 'sparkplug', payload: bytesToBase64(bytes) })
      if (!answer.ok) return fallback(bytes, 'sparkplug', answer.error)
      return { used: 'sparkplug', result: { kind: 'tree', value: answer.value } }
    }
  }
}

/** Auto: Sparkplug B on spBv1.0/…, gzip/zlib by their headers, JSON, text, then CBOR / MessagePack, else hex. */
async function decodeAuto(bytes: Uint8Array, context: DecodeContext): Promise<DecodeOutcome> {
  if (bytes.length === 0) return { used: 'text', result: { kind: 'text', text: '', invalidBytes: 0 } }
  if (context.topic.startsWith('spBv1.0/') && context.schema) {
    const sparkplug = await decodeWith(bytes, 'sparkplug', context)
    if (!sparkplug.problem) return sparkplug
  }
  if (looksGzip(bytes)) return decodeWith(bytes, 'gzip', context)
  if (looksZlib(bytes)) {
    const deflated = await decodeWith(bytes, 'deflate', context)
    if (!deflated.problem) return deflated
  }
  const { text, invalidBytes } = decodeText(bytes)
  if (invalidBytes === 0 && isReadable(text)) {
    const trimmed = text.trim()
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      const json = parseJson(bytes)
      if (json.ok) return { used: 'json', result: { kind: 'tree', value: json.value } }
    }
    return { used: 'text', result: { kind: 'text', text, invalidBytes: 0 } }
  }
  // Binary: a structured format only when it reads the whole payload as a map or an array.
  for (const candidate of ['cbor', 'msgpack'] as const) {
    try {
      const value = candidate === 'cbor' ? decodeCbor(bytes) : decodeMsgpack(bytes)
      if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
        return { used: candidate, result: { kind: 'tree', value: showable(value) } }
      }
    } catch {
      // not this one
    }
  }
  return { used: 'hex', result: hex(bytes) }
}

function isReadable(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || (code >= 0x7f && code <= 0x9f)) return false
  }
  return true
}

/** The decoder to use for a topic: the first rule whose filter matches, else auto. */
export interface DecoderRule {
  /** An MQTT topic filter (+ and # allowed). */
  filter: string
  decoder: DecoderId
  /** For protobuf: the .proto file's name, its text and the message type. */
  protoName?: string
  proto?: string
  messageType?: string
}
