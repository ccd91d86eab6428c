/**
 * The shared wire validator (src/shared/mqtt-wire.ts): strings in UTF-8 bytes, U+0000 and
 * ill-formed UTF-16 refused, binary data and whole packets against their limits, and the decoder
 * applying the same rules to what comes off the network.
 */
import mqttPacket from 'mqtt-packet'
import { describe, expect, it } from 'vitest'
import { PacketDecoder, type PacketDecodeError } from '../../src/main/broker/codec/packet-decoder'
import { encodePublish } from '../../src/main/broker/codec/publish-encoder'
import { validateTopicName } from '../../src/main/broker/topics/topic-validation'
import { publishCommand } from '../../src/main/inspector/command-validation'
import {
  base64ByteLength,
  MAX_PACKET_BYTES,
  mqttBinaryProblem,
  mqttStringProblem,
  publishPacketSize,
  publishProblem,
  publishPropertiesSize,
  utf8ByteLength
} from '../../src/shared/mqtt-wire'

describe('utf8ByteLength', () => {
  it('counts what Buffer.byteLength counts, surrogate pairs and lone surrogates included', () => {
    for (const text of ['', 'abc', 'é', '€', '😀', 'a😀é€', '\uD800', 'x\uDC00y', '\uD83D', 'é'.repeat(40_000)]) {
      expect(utf8ByteLength(text), JSON.stringify(text.slice(0, 10))).toBe(Buffer.byteLength(text, 'utf8'))
    }
  })
})

describe('mqttStringProblem', () => {
  it('accepts up to 65,535 UTF-8 bytes and refuses one more, counting bytes and not characters', () => {
    expect(mqttStringProblem('a'.repeat(65_535), 'x')).toBeNull()
    expect(mqttStringProblem('a'.repeat(65_536), 'x')).toMatch(/x is longer than 65535 bytes/)
    // 32,768 characters, 65,536 bytes.
    expect(mqttStringProblem('é'.repeat(32_768), 'x')).toMatch(/65536 UTF-8 bytes/)
    expect(mqttStringProblem('é'.repeat(32_767), 'x')).toBeNull()
  })

  it('refuses U+0000 [MQTT-1.5.4-2] and unpaired surrogates [MQTT-1.5.4-1]; accepts pairs', () => {
    expect(mqttStringProblem('a\u0000b', 'ct')).toBe('ct must not contain U+0000')
    expect(mqttStringProblem('a\uD800', 'ct')).toMatch(/unpaired surrogate/)
    expect(mqttStringProblem('\uDC00a', 'ct')).toMatch(/unpaired surrogate/)
    expect(mqttStringProblem('😀', 'ct')).toBeNull()
  })

  it('is the rule topic names follow too', () => {
    expect(validateTopicName('a/\u0000')).toBe('topic name must not contain U+0000')
    expect(validateTopicName('é'.repeat(32_768))).toMatch(/topic name is longer than 65535 bytes/)
  })
})

describe('binary data and packets', () => {
  it('caps binary data at 65,535 bytes', () => {
    expect(mqttBinaryProblem(65_535, 'cd')).toBeNull()
    expect(mqttBinaryProblem(65_536, 'cd')).toMatch(/cd is longer than 65535 bytes/)
  })

  it('knows base64 sizes', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 100, 70_000]) {
      const text = Buffer.alloc(n, 7).toString('base64')
      expect(base64ByteLength(text)).toBe(n)
      expect(base64ByteLength(text.replace(/=+$/, ''))).toBe(n)
    }
  })

  it('computes the PUBLISH size the encoder produces', () => {
    const properties = {
      payloadFormatIndicator: true,
      messageExpiryInterval: 60,
      contentType: 'text/plain; é',
      responseTopic: 'r/€',
      correlationData: Buffer.from('corr'),
      userProperties: { a: 'b', list: ['1', '2'] }
    }
    for (const qos of [0, 1, 2] as const) {
      const encoded = encodePublish({ topic: 'a/é', payload: Buffer.alloc(300), qos, retain: false, dup: false, properties })
      const size = publishPacketSize({
        topicBytes: utf8ByteLength('a/é'),
        payloadBytes: 300,
        qos,
        propertiesBytes: publishPropertiesSize(properties)
      })
      expect(size).toBe(encoded.bytes.length)
    }
  })

  it('publishProblem checks every property and the packet against the limit in force', () => {
    const limits = { maximumPacketSize: 1000 }
    expect(publishProblem({ topic: 't', payloadBytes: 10, qos: 0 }, limits)).toBeNull()
    expect(publishProblem({ topic: 't', payloadBytes: 1000, qos: 0 }, limits)).toMatch(/more than maximumPacketSize \(1000\)/)
    expect(publishProblem({ topic: 't', payloadBytes: MAX_PACKET_BYTES, qos: 0 }, { maximumPacketSize: Infinity })).toMatch(
      /more than MQTT allows/
    )
    const bad = [
      { contentType: 'é'.repeat(40_000) },
      { responseTopic: 'a\u0000' },
      { correlationData: { byteLength: 70_000 } },
      { userPropertyList: [['k', 'v\uD800']] as Array<[string, string]> },
      { userProperties: { ['k'.repeat(70_000)]: 'v' } },
      { messageExpiryInterval: -1 }
    ]
    for (const properties of bad) {
      expect(publishProblem({ topic: 't', payloadBytes: 0, qos: 1, properties }, { maximumPacketSize: MAX_PACKET_BYTES })).not.toBeNull()
    }
  })

  it('the encoder refuses rather than corrupts a packet past the largest remaining length', () => {
    const payload = Buffer.alloc(1) // the size check comes before any allocation of the packet
    const huge = { ...payload, length: MAX_PACKET_BYTES } as unknown as Buffer
    expect(() => encodePublish({ topic: 't', payload: huge, qos: 0, retain: false, dup: false })).toThrow(RangeError)
  })
})

describe('the inspector publish command uses it', () => {
  it('counts content type and user properties in bytes and decodes correlation data to count it', () => {
    const command = (properties: Record<string, unknown>) => () =>
      publishCommand({ topic: 't', payload: '', qos: 0, retain: false, properties }, 'publish')
    expect(command({ contentType: 'é'.repeat(32_767) })).not.toThrow()
    expect(command({ contentType: 'é'.repeat(32_768) })).toThrow(/contentType is longer than 65535 bytes/)
    expect(command({ correlationData: Buffer.alloc(65_536).toString('base64') })).toThrow(/correlationData/)
    expect(command({ userProperties: { ok: ['a', 'b\u0000'] } })).toThrow(/user property value must not contain U\+0000/)
  })

  it('keeps a user property named __proto__ (it was dropped; seen while writing the inspector fuzzer)', () => {
    const properties = JSON.parse('{"userProperties":{"__proto__":"x","a":["1","2"]}}') as Record<string, unknown>
    const parsed = publishCommand({ topic: 't', payload: '', qos: 0, retain: false, properties }, 'publish')
    expect(Object.entries(parsed.properties?.userProperties ?? {})).toEqual([
      ['__proto__', 'x'],
      ['a', ['1', '2']]
    ])
  })
})

describe('the decoder applies the same rules to v5 string properties', () => {
  function decode(bytes: Buffer): { error: PacketDecodeError | null; packets: number } {
    let error: PacketDecodeError | null = null
    let packets = 0
    const decoder = new PacketDecoder(
      { onPacket: () => packets++, onDecodeError: (e) => (error = e) },
      { maximumPacketSize: MAX_PACKET_BYTES }
    )
    decoder.push(
      mqttPacket.generate(
        { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'c', clean: true, keepalive: 0 },
        { protocolVersion: 5 }
      )
    )
    decoder.push(bytes)
    return { error, packets }
  }

  for (const [name, properties] of [
    ['content type', { contentType: 'a\u0000b' }],
    ['response topic', { responseTopic: 'r\u0000' }],
    ['user property name', { userProperties: { 'k\u0000': 'v' } }],
    ['user property value', { userProperties: { k: 'v\u0000' } }]
  ] as const) {
    it(`a PUBLISH with U+0000 in its ${name} is malformed (0x81)`, () => {
      const bytes = mqttPacket.generate(
        { cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 0, retain: false, dup: false, properties },
        { protocolVersion: 5 }
      )
      const result = decode(bytes)
      expect(result.packets).toBe(1) // the CONNECT
      expect(result.error?.reasonCode).toBe(0x81)
      expect(result.error?.message).toMatch(/U\+0000/)
    })
  }
})
