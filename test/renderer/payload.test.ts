import { describe, expect, it } from 'vitest'
import {
  base64ToBytes,
  bytesAsText,
  bytesToBase64,
  decodeUtf8,
  defaultPayloadMode,
  formatPayload,
  hexDump,
  isStrictBase64,
  prettyJson,
  previewPayload,
  toHex,
  utf8ToBase64,
  utf8ToBytes
} from '../../src/renderer/src/lib/payload'

describe('base64', () => {
  it('agrees with Node for many lengths', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 37 + n) & 0xff)
      const expected = Buffer.from(bytes).toString('base64')
      expect(bytesToBase64(bytes)).toBe(expected)
      expect([...base64ToBytes(expected)]).toEqual([...bytes])
    }
  })
  it('accepts missing padding, whitespace and the URL-safe alphabet', () => {
    expect(new TextDecoder().decode(base64ToBytes('aGVsbG8'))).toBe('hello')
    expect(new TextDecoder().decode(base64ToBytes('aGVs\nbG8='))).toBe('hello')
    expect([...base64ToBytes('-_8')]).toEqual([...Buffer.from('+/8', 'base64')])
  })
  it('rejects garbage', () => {
    expect(() => base64ToBytes('abc$')).toThrow()
    expect(() => base64ToBytes('a')).toThrow()
  })
  it('tells strict base64 apart', () => {
    expect(isStrictBase64('aGVsbG8=')).toBe(true)
    expect(isStrictBase64('aGVsbG8')).toBe(true)
    expect(isStrictBase64('aGVs bG8=')).toBe(false)
    expect(isStrictBase64('-_8')).toBe(false)
  })
  it('encodes UTF-8 text', () => {
    expect(utf8ToBase64('héllo €')).toBe(Buffer.from('héllo €', 'utf8').toString('base64'))
  })
})

describe('text detection', () => {
  it('decodes valid UTF-8 and refuses invalid bytes', () => {
    expect(decodeUtf8(utf8ToBytes('grüße'))).toBe('grüße')
    expect(decodeUtf8(new Uint8Array([0xc3, 0x28]))).toBeNull()
  })
  it('forgives a multi-byte character cut off by a preview', () => {
    const bytes = utf8ToBytes('ab€') // € is 3 bytes
    const cut = bytes.subarray(0, bytes.length - 1)
    expect(decodeUtf8(cut)).toBeNull()
    expect(decodeUtf8(cut, true)).toBe('ab')
  })
  it('treats control characters (other than tab/CR/LF) as binary', () => {
    expect(bytesAsText(utf8ToBytes('line1\r\n\tline2'))).toBe('line1\r\n\tline2')
    expect(bytesAsText(new Uint8Array([0x61, 0x00, 0x62]))).toBeNull()
    expect(bytesAsText(new Uint8Array([0x1b, 0x5b]))).toBeNull()
  })
})

describe('hex', () => {
  it('writes bytes as hex', () => {
    expect(toHex(new Uint8Array([0, 15, 255]))).toBe('00 0f ff')
    expect(toHex(new Uint8Array([0, 15, 255]), '')).toBe('000fff')
  })
  it('dumps offset, hex and ASCII per 16 bytes', () => {
    const bytes = utf8ToBytes('Hello, MQTT world! \u0001')
    const lines = hexDump(bytes).split('\n')
    expect(lines).toHaveLength(2)
    expect(lines[0]).toBe('00000000  48 65 6c 6c 6f 2c 20 4d  51 54 54 20 77 6f 72 6c  |Hello, MQTT worl|')
    expect(lines[1].startsWith('00000010  64 21 20 01')).toBe(true)
    expect(lines[1].endsWith('|d! .|')).toBe(true)
  })
})

describe('formatPayload', () => {
  const json = utf8ToBytes('{"a":1,"b":[true,null]}')
  it('pretty-prints JSON', () => {
    expect(formatPayload(json, 'json').text).toBe('{\n  "a": 1,\n  "b": [\n    true,\n    null\n  ]\n}')
  })
  it('shows text as is', () => {
    expect(formatPayload(json, 'text').text).toBe('{"a":1,"b":[true,null]}')
  })
  it('explains when the payload is not JSON', () => {
    const r = formatPayload(utf8ToBytes('not json'), 'json')
    expect(r.text).toBe('not json')
    expect(r.problem).toMatch(/not valid JSON/)
  })
  it('falls back to hex for binary', () => {
    const r = formatPayload(new Uint8Array([0, 1, 2]), 'text')
    expect(r.text.startsWith('00000000  00 01 02')).toBe(true)
    expect(r.problem).toMatch(/hex/)
  })
  it('picks a sensible default mode', () => {
    expect(defaultPayloadMode(json)).toBe('json')
    expect(defaultPayloadMode(utf8ToBytes('21.5'))).toBe('text')
    expect(defaultPayloadMode(new Uint8Array([0xff, 0x00]))).toBe('hex')
    expect(defaultPayloadMode(new Uint8Array())).toBe('text')
  })
  it('reports JSON errors', () => {
    const r = prettyJson('{bad')
    expect(r.ok).toBe(false)
  })
})

describe('previewPayload', () => {
  it('flattens line breaks and shortens long text', () => {
    expect(previewPayload(utf8ToBase64('a\nb\tc'))).toEqual({ kind: 'text', text: 'a b c' })
    const long = previewPayload(utf8ToBase64('x'.repeat(200)), 10)
    expect(long.text).toBe('x'.repeat(10) + '…')
  })
  it('shows binary as hex', () => {
    expect(previewPayload(bytesToBase64(new Uint8Array([0xde, 0xad, 0xbe, 0xef])))).toEqual({ kind: 'hex', text: 'de ad be ef' })
  })
  it('handles empty and invalid input', () => {
    expect(previewPayload('')).toEqual({ kind: 'empty', text: '' })
    expect(previewPayload(undefined)).toEqual({ kind: 'empty', text: '' })
    expect(previewPayload('@@@').text).toBe('(invalid base64)')
  })
})
