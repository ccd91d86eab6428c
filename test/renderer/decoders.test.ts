import { deflateSync, gzipSync } from 'node:zlib'
import { encode as encodeMsgpack } from '@msgpack/msgpack'
import { encode as encodeCbor } from 'cbor-x'
import { describe, expect, it } from 'vitest'
import { decodeSchema } from '../../src/main/inspector/schema-decoders'
import { decodePayload, decodeText, type DecodeContext, type DecoderId } from '../../src/renderer/src/lib/decoders'

const context: DecodeContext = { topic: 'lab/x', schema: async (request) => decodeSchema(request) }
const bytes = (value: string | Uint8Array): Uint8Array => (typeof value === 'string' ? new TextEncoder().encode(value) : value)

async function decode(decoder: DecoderId, payload: string | Uint8Array, extra: Partial<DecodeContext> = {}) {
  return decodePayload(bytes(payload), decoder, { ...context, ...extra })
}

describe('decoders: the payloads they are made for', () => {
  it('read what their libraries wrote', async () => {
    const value = { device: 'd1', temp: 21.5, samples: [1, 2] }
    expect((await decode('cbor', encodeCbor(value))).result).toEqual({ kind: 'tree', value })
    expect((await decode('msgpack', encodeMsgpack(value))).result).toEqual({ kind: 'tree', value })
    expect((await decode('json', JSON.stringify(value))).result).toEqual({ kind: 'tree', value })
    expect((await decode('gzip', gzipSync(JSON.stringify(value)))).result).toEqual({ kind: 'tree', value })
    expect((await decode('deflate', deflateSync('plain'))).result).toEqual({ kind: 'text', text: 'plain', invalidBytes: 0 })
    expect((await decode('base64', Buffer.from('hello').toString('base64'))).result).toEqual({
      kind: 'text',
      text: 'hello',
      invalidBytes: 0
    })
    expect((await decode('auto', encodeCbor(value))).used).toBe('cbor')
    expect((await decode('auto', gzipSync('x'))).used).toBe('gzip')
  })

  it('text shows invalid bytes as \\xNN and counts them', () => {
    expect(decodeText(Buffer.from([0x61, 0xff, 0x62, 0xe2, 0x82]))).toEqual({ text: 'a\\xffb\\xe2\\x82', invalidBytes: 3 })
    expect(decodeText(Buffer.from('héllo ✓'))).toEqual({ text: 'héllo ✓', invalidBytes: 0 })
  })
})

describe('decoders: the error path (why, then hex; never blank, never a throw)', () => {
  const garbage = Buffer.from([0xc1, 0xff, 0x00, 0x13, 0x37])
  const cases: Array<[DecoderId, Uint8Array | string, RegExp, Partial<DecodeContext>?]> = [
    ['json', '{"a":', /^not JSON: /],
    ['json', garbage, /not UTF-8/],
    ['cbor', Buffer.from([0x1f]), /^not CBOR: /],
    ['cbor', '', /empty/],
    ['msgpack', garbage, /^not MessagePack: /],
    ['base64', garbage, /not base64/],
    ['gzip', 'not gzip at all', /no gzip header/],
    ['gzip', Buffer.concat([gzipSync('ok').subarray(0, 12), Buffer.from([1, 2, 3])]), /^gzip: /],
    ['deflate', garbage, /no zlib header/],
    ['protobuf', garbage, /no \.proto file chosen/],
    ['protobuf', garbage, /does not parse/, { proto: { text: 'message {', messageType: '' } }],
    [
      'protobuf',
      garbage,
      /no message type "Nope"/,
      { proto: { text: 'syntax = "proto3"; message A { int32 x = 1; }', messageType: 'Nope' } }
    ],
    [
      'protobuf',
      Buffer.from([0x0a, 0xff]),
      /not a A message/,
      { proto: { text: 'syntax = "proto3"; message A { string s = 1; }', messageType: 'A' } }
    ],
    ['sparkplug', Buffer.from([0x0a, 0xff, 0xff]), /not a Sparkplug B payload/]
  ]
  for (const [decoder, payload, why, extra] of cases) {
    it(`${decoder}: ${why}`, async () => {
      const outcome = await decode(decoder, payload, extra)
      expect(outcome.problem).toMatch(why)
      expect(outcome.result.kind).toBe('hex')
      // The hex view shows the payload's own bytes.
      expect(Buffer.from((outcome.result as { bytes: Uint8Array }).bytes)).toEqual(Buffer.from(bytes(payload)))
    })
  }

  it('a schema decoder that is not reachable says so', async () => {
    const outcome = await decodePayload(garbage, 'sparkplug', { topic: 'spBv1.0/g/NDATA/n' })
    expect(outcome).toMatchObject({ problem: expect.stringMatching(/not available/), result: { kind: 'hex' } })
  })
})
