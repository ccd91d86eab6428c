/**
 * Payload decoders that need a schema and generated code: protobuf with the user's .proto file
 * (protobufjs) and Sparkplug B (sparkplug-payload, itself protobufjs). They run here, in the main
 * process, on demand for the one message the user selected: protobufjs compiles each message type
 * into a function at run time, which the renderer's Content-Security-Policy (script-src 'self',
 * no eval) rightly forbids. Every failure comes back as text for the UI, never as a throw.
 */
import type protobuf from 'protobufjs'
import { lazyModule } from '../lazy-module'

// Loaded on the first decode: most runs never decode a schema.
const protobufLib = lazyModule<typeof import('protobufjs')>('protobufjs')
const sparkplugLib = lazyModule<typeof import('sparkplug-payload')>('sparkplug-payload')
import type { SchemaDecodeRequest, SchemaDecodeResult } from '../../shared/api'

export const MAX_PROTO_CHARS = 1024 * 1024
/** Parsed .proto files kept, by their text. */
const CACHE_SIZE = 8
const roots = new Map<string, protobuf.Root>()

export function decodeSchema(request: SchemaDecodeRequest): SchemaDecodeResult {
  const payload = Buffer.from(request.payload, 'base64')
  if (request.kind === 'sparkplug') {
    try {
      const sparkplugB = sparkplugLib().get('spBv1.0')
      if (sparkplugB === null) return { ok: false, error: 'Sparkplug B support is missing' }
      return { ok: true, value: plain(sparkplugB.decodePayload(payload)) }
    } catch (error) {
      return { ok: false, error: `not a Sparkplug B payload: ${message(error)}` }
    }
  }
  if (request.proto.length > MAX_PROTO_CHARS) return { ok: false, error: `the .proto file is larger than ${MAX_PROTO_CHARS} characters` }
  let root: protobuf.Root
  try {
    root = parseProto(request.proto)
  } catch (error) {
    return { ok: false, error: `the .proto file does not parse: ${message(error)}` }
  }
  const messageTypes = typeNames(root)
  if (messageTypes.length === 0) return { ok: false, error: 'the .proto file defines no message type', messageTypes }
  const name = request.messageType || messageTypes[0]
  let type: protobuf.Type
  try {
    type = root.lookupType(name)
  } catch {
    return { ok: false, error: `no message type "${name}" in the .proto file`, messageTypes }
  }
  try {
    const decoded = type.decode(payload)
    const value = type.toObject(decoded, { longs: String, enums: String, bytes: String, defaults: false, arrays: true, oneofs: true })
    return { ok: true, value, messageTypes }
  } catch (error) {
    return { ok: false, error: `not a ${type.fullName.replace(/^\./, '')} message: ${message(error)}`, messageTypes }
  }
}

function parseProto(text: string): protobuf.Root {
  const cached = roots.get(text)
  if (cached) return cached
  const root = protobufLib().parse(text, { keepCase: true }).root
  root.resolveAll()
  roots.set(text, root)
  if (roots.size > CACHE_SIZE) roots.delete(roots.keys().next().value as string)
  return root
}

/** Every message type's full name, nested ones included. */
function typeNames(root: protobuf.Root): string[] {
  const out: string[] = []
  const { Namespace, Type } = protobufLib()
  const visit = (namespace: protobuf.NamespaceBase): void => {
    for (const nested of namespace.nestedArray) {
      if (nested instanceof Type) out.push(nested.fullName.replace(/^\./, ''))
      if (nested instanceof Namespace || nested instanceof Type) visit(nested)
    }
  }
  visit(root)
  return out
}

/** JSON-safe: Long → string (or number when exact), bytes → base64, Maps/objects walked. */
function plain(value: unknown, depth = 0): unknown {
  if (depth > 64) return '…'
  if (value === null || value === undefined) return null
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value)
  if (typeof value !== 'object') return value
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')
  if (isLong(value)) {
    const n = value.toNumber()
    return Number.isSafeInteger(n) ? n : value.toString()
  }
  if (Array.isArray(value)) return value.map((item) => plain(item, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) out[key] = plain(item, depth + 1)
  return out
}

function isLong(value: object): value is { toNumber(): number; toString(): string } {
  return 'low' in value && 'high' in value && 'unsigned' in value && typeof (value as { toNumber?: unknown }).toNumber === 'function'
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
