import mqttPacket, { type IPublishPacket, type Packet } from 'mqtt-packet'
import { describe, expect, it } from 'vitest'
import {
  encodePublish,
  withPacketId,
  type OutgoingPublishProperties,
  type PublishFields
} from '../../../src/main/broker/codec/publish-encoder'

/**
 * Golden bytes for the hand-rolled PUBLISH encoder, checked three ways:
 *  1. exact bytes written out by hand (hex) for the small fixtures;
 *  2. mqtt-packet's parser decodes our bytes back to the same fields (every fixture);
 *  3. our bytes equal mqtt-packet's generator output (every fixture).
 *
 * On (3): mqtt-packet writes v5 properties in the key order of the `properties` object it is given
 * (`for … in`), while our encoder uses a fixed order (payloadFormatIndicator, messageExpiryInterval,
 * contentType, responseTopic, correlationData, topicAlias, userProperties, subscriptionIdentifiers).
 * `toMqttPacket` below builds the object in our order, so byte equality is expected for every
 * fixture and no fixture needs to fall back to comparing parsed fields only.
 */

type Version = 4 | 5

interface Fixture {
  name: string
  version: Version
  fields: PublishFields
  /** For QoS 1/2: patched in with withPacketId. */
  packetId?: number
  /** Expected bytes written by hand (spaces allowed). */
  hex?: string
}

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex')
const toHex = (bytes: Buffer): string => bytes.toString('hex').replace(/(..)/g, '$1 ').trim()

function pub(topic: string, payload: Buffer | string, options: Partial<Omit<PublishFields, 'topic' | 'payload'>> = {}): PublishFields {
  return {
    topic,
    payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
    qos: 0,
    retain: false,
    dup: false,
    ...options
  }
}

/** A payload that makes the 3.1.1 QoS 0 remaining length exactly `remaining` for topic 't' (2 + 1 topic bytes). */
const forRemaining = (remaining: number): Buffer => Buffer.alloc(remaining - 3, 0x5a)

const FIXTURES: Fixture[] = [
  // ── MQTT 3.1.1 ──
  { name: '3.1.1 QoS 0', version: 4, fields: pub('a/b', 'hi'), hex: '30 07 0003 612f62 6869' },
  { name: '3.1.1 QoS 1', version: 4, fields: pub('a/b', 'hi', { qos: 1 }), packetId: 0x1234, hex: '32 09 0003 612f62 1234 6869' },
  { name: '3.1.1 QoS 2', version: 4, fields: pub('a/b', 'hi', { qos: 2 }), packetId: 1, hex: '34 09 0003 612f62 0001 6869' },
  { name: '3.1.1 retain', version: 4, fields: pub('a/b', 'hi', { retain: true }), hex: '31 07 0003 612f62 6869' },
  {
    name: '3.1.1 QoS 2 + dup + retain, packet id 65535',
    version: 4,
    fields: pub('a/b', 'hi', { qos: 2, retain: true, dup: true }),
    packetId: 65535,
    hex: '3d 09 0003 612f62 ffff 6869'
  },
  { name: '3.1.1 QoS 1 + dup', version: 4, fields: pub('a', 'x', { qos: 1, dup: true }), packetId: 2, hex: '3a 06 0001 61 0002 78' },
  { name: '3.1.1 empty payload', version: 4, fields: pub('a/b', ''), hex: '30 05 0003 612f62' },
  { name: '3.1.1 empty payload, retain (clears)', version: 4, fields: pub('a/b', '', { retain: true }), hex: '31 05 0003 612f62' },
  // 'é' = c3 a9, '€' = e2 82 ac: the length prefix counts bytes, not characters.
  { name: '3.1.1 UTF-8 multi-byte topic', version: 4, fields: pub('é/€', 'x'), hex: '30 09 0006 c3a9 2f e282ac 78' },
  // U+1F600 (a surrogate pair in JS) is four UTF-8 bytes.
  { name: '3.1.1 astral-plane topic', version: 4, fields: pub('😀', ''), hex: '30 06 0004 f09f9880' },
  // Remaining-length boundaries: 1 → 2 → 3 → 4 length bytes.
  { name: '3.1.1 remaining length 127', version: 4, fields: pub('t', forRemaining(127)) },
  { name: '3.1.1 remaining length 128', version: 4, fields: pub('t', forRemaining(128)) },
  { name: '3.1.1 remaining length 16383', version: 4, fields: pub('t', forRemaining(16383)) },
  { name: '3.1.1 remaining length 16384', version: 4, fields: pub('t', forRemaining(16384)) },
  { name: '3.1.1 remaining length 2097151', version: 4, fields: pub('t', forRemaining(2097151)) },
  { name: '3.1.1 remaining length 2097152', version: 4, fields: pub('t', forRemaining(2097152)) },
  { name: '3.1.1 payload of 127 bytes', version: 4, fields: pub('t', Buffer.alloc(127, 1)) },
  { name: '3.1.1 payload of 128 bytes', version: 4, fields: pub('t', Buffer.alloc(128, 2), { qos: 1 }), packetId: 9 },
  { name: '3.1.1 payload of 16383 bytes', version: 4, fields: pub('t', Buffer.alloc(16383, 3)) },
  { name: '3.1.1 payload of 16384 bytes', version: 4, fields: pub('t', Buffer.alloc(16384, 4), { qos: 2 }), packetId: 300 },

  // ── MQTT 5.0 ──
  { name: 'v5 no properties (length byte 0)', version: 5, fields: pub('t', 'p', { properties: {} }), hex: '30 05 0001 74 00 70' },
  {
    name: 'v5 QoS 1 no properties',
    version: 5,
    fields: pub('t', 'p', { qos: 1, properties: {} }),
    packetId: 0x0102,
    hex: '32 07 0001 74 0102 00 70'
  },
  {
    name: 'v5 payloadFormatIndicator',
    version: 5,
    fields: pub('t', 'p', { properties: { payloadFormatIndicator: true } }),
    hex: '30 07 0001 74 02 0101 70'
  },
  {
    name: 'v5 payloadFormatIndicator false',
    version: 5,
    fields: pub('t', 'p', { properties: { payloadFormatIndicator: false } }),
    hex: '30 07 0001 74 02 0100 70'
  },
  {
    name: 'v5 messageExpiryInterval',
    version: 5,
    fields: pub('t', 'p', { properties: { messageExpiryInterval: 60 } }),
    hex: '30 0a 0001 74 05 02 0000003c 70'
  },
  {
    name: 'v5 messageExpiryInterval max',
    version: 5,
    fields: pub('t', 'p', { properties: { messageExpiryInterval: 0xffffffff } }),
    hex: '30 0a 0001 74 05 02 ffffffff 70'
  },
  {
    name: 'v5 payloadFormatIndicator + messageExpiryInterval',
    version: 5,
    fields: pub('t', 'p', { properties: { payloadFormatIndicator: true, messageExpiryInterval: 60 } }),
    hex: '30 0c 0001 74 07 0101 02 0000003c 70'
  },
  {
    name: 'v5 contentType',
    version: 5,
    fields: pub('t', 'p', { properties: { contentType: 'text/plain' } }),
    hex: '30 12 0001 74 0d 03 000a 746578742f706c61696e 70'
  },
  {
    name: 'v5 responseTopic',
    version: 5,
    fields: pub('t', 'p', { properties: { responseTopic: 'r/é' } }),
    hex: '30 0c 0001 74 07 08 0004 722fc3a9 70'
  },
  {
    name: 'v5 correlationData',
    version: 5,
    fields: pub('t', 'p', { properties: { correlationData: Buffer.from([0xde, 0xad, 0x00, 0xff]) } }),
    hex: '30 0c 0001 74 07 09 0004 dead00ff 70'
  },
  {
    name: 'v5 contentType + responseTopic + correlationData',
    version: 5,
    fields: pub('t', 'p', { properties: { contentType: 'a', responseTopic: 'r', correlationData: Buffer.from([0xde, 0xad]) } }),
    hex: '30 12 0001 74 0d 03 0001 61 08 0001 72 09 0002 dead 70'
  },
  {
    name: 'v5 userProperties',
    version: 5,
    fields: pub('t', '', { properties: { userProperties: { k: 'v' } } }),
    hex: '30 0b 0001 74 07 26 0001 6b 0001 76'
  },
  {
    name: 'v5 userProperties with a repeated key',
    version: 5,
    fields: pub('t', '', { properties: { userProperties: { k: ['1', '2'] } } }),
    hex: '30 12 0001 74 0e 26 0001 6b 0001 31 26 0001 6b 0001 32'
  },
  {
    name: 'v5 userProperties: several keys, repeated, UTF-8, empty value',
    version: 5,
    fields: pub('t/u', 'payload', {
      properties: { userProperties: { a: ['x', 'y', 'z'], clé: 'välue', empty: '' } }
    })
  },
  {
    name: 'v5 topicAlias with empty topic',
    version: 5,
    fields: pub('', 'p', { qos: 1, properties: { topicAlias: 5 } }),
    packetId: 7,
    hex: '32 09 0000 0007 03 23 0005 70'
  },
  {
    name: 'v5 topicAlias set with topic',
    version: 5,
    fields: pub('a/b', 'p', { properties: { topicAlias: 65535 } }),
    hex: '30 0a 0003 612f62 03 23 ffff 70'
  },
  {
    name: 'v5 one subscriptionIdentifier',
    version: 5,
    fields: pub('t', '', { properties: { subscriptionIdentifiers: [1] } }),
    hex: '30 06 0001 74 02 0b01'
  },
  {
    // 200 = c8 01; 268435455 = ff ff ff 7f (the largest variable byte integer).
    name: 'v5 several subscriptionIdentifiers incl. multi-byte varints',
    version: 5,
    fields: pub('t', '', { properties: { subscriptionIdentifiers: [1, 200, 268435455] } }),
    hex: '30 0e 0001 74 0a 0b01 0bc801 0bffffff7f'
  },
  {
    name: 'v5 subscriptionIdentifiers at every varint width',
    version: 5,
    fields: pub('t', 'x', { qos: 2, properties: { subscriptionIdentifiers: [127, 128, 16383, 16384, 2097151, 2097152] } }),
    packetId: 40000
  },
  {
    name: 'v5 every property at once, QoS 2 + retain + dup',
    version: 5,
    fields: pub('', Buffer.from([0, 1, 2, 3]), {
      qos: 2,
      retain: true,
      dup: true,
      properties: {
        payloadFormatIndicator: true,
        messageExpiryInterval: 3600,
        contentType: 'application/json',
        responseTopic: 'reply/to/me',
        correlationData: Buffer.from('corr-1'),
        topicAlias: 12,
        userProperties: { a: '1', b: ['2', '3'] },
        subscriptionIdentifiers: [3, 200, 268435455]
      }
    }),
    packetId: 513
  },
  {
    // Property block longer than 127 bytes: its own length takes two bytes.
    name: 'v5 property block with a 2-byte length',
    version: 5,
    fields: pub('t', 'p', { properties: { contentType: 'c'.repeat(200) } })
  },
  {
    name: 'v5 remaining length 16384 with properties',
    version: 5,
    fields: pub('t', Buffer.alloc(16384 - 3 - 1 - 2, 7), { properties: { payloadFormatIndicator: false } })
  }
]

/** The same packet in mqtt-packet's shape (property keys in our encoder's order; see the header comment). */
function toMqttPacket(fixture: Fixture): IPublishPacket {
  const { fields } = fixture
  const packet: IPublishPacket = {
    cmd: 'publish',
    topic: fields.topic,
    payload: fields.payload,
    qos: fields.qos,
    retain: fields.retain,
    dup: fields.dup
  }
  if (fields.qos > 0) packet.messageId = fixture.packetId
  if (fixture.version === 5) {
    const p = fields.properties ?? {}
    const props: Record<string, unknown> = {}
    if (p.payloadFormatIndicator !== undefined) props.payloadFormatIndicator = p.payloadFormatIndicator
    if (p.messageExpiryInterval !== undefined) props.messageExpiryInterval = p.messageExpiryInterval
    if (p.contentType !== undefined) props.contentType = p.contentType
    if (p.responseTopic !== undefined) props.responseTopic = p.responseTopic
    if (p.correlationData !== undefined) props.correlationData = Buffer.from(p.correlationData)
    if (p.topicAlias !== undefined) props.topicAlias = p.topicAlias
    if (p.userProperties !== undefined) props.userProperties = p.userProperties
    if (p.subscriptionIdentifiers !== undefined) props.subscriptionIdentifier = [...p.subscriptionIdentifiers]
    packet.properties = props as IPublishPacket['properties']
  }
  return packet
}

function encode(fixture: Fixture): Buffer {
  const encoded = encodePublish(fixture.fields)
  if (fixture.fields.qos === 0) return encoded.bytes
  // dup is part of the template already; withPacketId's own dup flag is exercised separately.
  return withPacketId(encoded, fixture.packetId!, fixture.fields.dup)
}

function parseAll(bytes: Buffer, version: Version): Packet[] {
  const parser = mqttPacket.parser({ protocolVersion: version })
  const packets: Packet[] = []
  const errors: Error[] = []
  parser.on('packet', (packet: Packet) => packets.push(packet))
  parser.on('error', (error: Error) => errors.push(error))
  const left = parser.parse(bytes)
  expect(errors.map((e) => e.message)).toEqual([])
  expect(left).toBe(0)
  return packets
}

/** The remaining length as written in our fixed header. */
function remainingLength(bytes: Buffer): { value: number; lengthBytes: number } {
  let value = 0
  let multiplier = 1
  let i = 1
  for (;;) {
    const byte = bytes[i++]
    value += (byte & 0x7f) * multiplier
    multiplier *= 128
    if ((byte & 0x80) === 0) break
  }
  return { value, lengthBytes: i - 1 }
}

describe('encodePublish / withPacketId golden bytes', () => {
  describe.each(FIXTURES)('$name', (fixture) => {
    const bytes = encode(fixture)

    if (fixture.hex !== undefined) {
      it('matches the hand-written bytes', () => {
        expect(toHex(bytes)).toBe(toHex(hex(fixture.hex!)))
      })
    }

    it('has a consistent fixed header (remaining length = bytes after it)', () => {
      const { value, lengthBytes } = remainingLength(bytes)
      expect(bytes.length).toBe(1 + lengthBytes + value)
      const expectedLengthBytes = value < 128 ? 1 : value < 16384 ? 2 : value < 2097152 ? 3 : 4
      expect(lengthBytes).toBe(expectedLengthBytes)
    })

    it("decodes with mqtt-packet's parser to the same fields", () => {
      const [packet, ...rest] = parseAll(bytes, fixture.version)
      expect(rest).toHaveLength(0)
      expect(packet.cmd).toBe('publish')
      const parsed = packet as IPublishPacket
      const { fields } = fixture
      expect(parsed.topic).toBe(fields.topic)
      expect(parsed.qos).toBe(fields.qos)
      expect(parsed.retain).toBe(fields.retain)
      expect(parsed.dup).toBe(fields.dup)
      if (fields.qos > 0) expect(parsed.messageId).toBe(fixture.packetId)
      expect(Buffer.compare(Buffer.from(parsed.payload as Buffer), fields.payload)).toBe(0)
      if (fixture.version === 4) {
        expect(parsed.properties).toBeUndefined()
        return
      }
      const want: OutgoingPublishProperties = fields.properties ?? {}
      const got = (parsed.properties ?? {}) as Record<string, unknown>
      const normalised: Record<string, unknown> = { ...got }
      if (got.userProperties) normalised.userProperties = { ...(got.userProperties as object) }
      if (got.correlationData) normalised.correlationData = Buffer.from(got.correlationData as Buffer)
      // mqtt-packet yields a single subscription identifier as a number, several as an array.
      if (got.subscriptionIdentifier !== undefined) {
        const ids = got.subscriptionIdentifier
        normalised.subscriptionIdentifiers = Array.isArray(ids) ? ids : [ids]
        delete normalised.subscriptionIdentifier
      }
      const expected: Record<string, unknown> = { ...want }
      if (want.correlationData) expected.correlationData = Buffer.from(want.correlationData)
      if (want.subscriptionIdentifiers) expected.subscriptionIdentifiers = [...want.subscriptionIdentifiers]
      expect(normalised).toEqual(expected)
    })

    it("equals mqtt-packet's generator output byte for byte", () => {
      const reference = mqttPacket.generate(toMqttPacket(fixture), { protocolVersion: fixture.version })
      if (bytes.length < 512) expect(toHex(bytes)).toBe(toHex(reference))
      else expect(Buffer.compare(bytes, reference)).toBe(0)
    })
  })

  it('writes the remaining-length bytes at the 1/2/3/4-byte boundaries', () => {
    const header = (remaining: number): string => {
      const bytes = encodePublish(pub('t', forRemaining(remaining))).bytes
      return toHex(bytes.subarray(0, 1 + remainingLength(bytes).lengthBytes))
    }
    expect(header(127)).toBe('30 7f')
    expect(header(128)).toBe('30 80 01')
    expect(header(16383)).toBe('30 ff 7f')
    expect(header(16384)).toBe('30 80 80 01')
    expect(header(2097151)).toBe('30 ff ff 7f')
    expect(header(2097152)).toBe('30 80 80 80 01')
  })

  it('QoS 0 has no packet identifier offset; QoS 1/2 point at the id after the topic (and before v5 properties)', () => {
    expect(encodePublish(pub('a/b', 'x')).packetIdOffset).toBe(-1)
    expect(encodePublish(pub('a/b', 'x', { qos: 1 })).packetIdOffset).toBe(2 + 2 + 3)
    const v5 = encodePublish(pub('a/b', Buffer.alloc(200), { qos: 2, properties: { contentType: 'x' } }))
    // 1 header byte + 2 length bytes (remaining > 127) + 2 + 3 topic bytes.
    expect(v5.packetIdOffset).toBe(1 + 2 + 2 + 3)
  })

  it('encodes the packet identifier as 0 in the shared template', () => {
    const encoded = encodePublish(pub('a/b', 'hi', { qos: 1 }))
    expect(toHex(encoded.bytes)).toBe(toHex(hex('32 09 0003 612f62 0000 6869')))
  })

  it('withPacketId copies: the template is not modified, and each copy carries its own id', () => {
    const encoded = encodePublish(pub('a/b', 'hi', { qos: 2, properties: { userProperties: { k: 'v' } } }))
    const template = Buffer.from(encoded.bytes)
    const first = withPacketId(encoded, 1, false)
    const second = withPacketId(encoded, 0xabcd, true)
    expect(Buffer.compare(encoded.bytes, template)).toBe(0)
    expect(first).not.toBe(encoded.bytes)
    expect(first.readUInt16BE(encoded.packetIdOffset)).toBe(1)
    expect(second.readUInt16BE(encoded.packetIdOffset)).toBe(0xabcd)
    expect(first[0]).toBe(0x34)
    // withPacketId's dup sets bit 3 of the first byte and nothing else.
    expect(second[0]).toBe(0x3c)
    expect(Buffer.compare(first.subarray(1, encoded.packetIdOffset), second.subarray(1, encoded.packetIdOffset))).toBe(0)
    expect(Buffer.compare(first.subarray(encoded.packetIdOffset + 2), second.subarray(encoded.packetIdOffset + 2))).toBe(0)
    const [parsed] = parseAll(second, 5) as IPublishPacket[]
    expect(parsed.dup).toBe(true)
    expect(parsed.messageId).toBe(0xabcd)
    expect({ ...parsed.properties!.userProperties }).toEqual({ k: 'v' })
  })

  it('withPacketId with dup on a template that already has dup keeps it set', () => {
    const encoded = encodePublish(pub('a', 'x', { qos: 1, dup: true }))
    expect(withPacketId(encoded, 5, false)[0]).toBe(0x3a)
    expect(withPacketId(encoded, 5, true)[0]).toBe(0x3a)
  })

  it('writes userPropertyList in its order, interleaved keys included [MQTT-3.3.2-18]', () => {
    const { bytes } = encodePublish({
      topic: 't',
      payload: Buffer.alloc(0),
      qos: 0,
      retain: false,
      dup: false,
      properties: {
        userProperties: { a: ['1', '3'], b: '2' },
        userPropertyList: [
          ['a', '1'],
          ['b', '2'],
          ['a', '3']
        ]
      }
    })
    // 0x26 pairs in wire order: a=1, b=2, a=3 (the grouped object alone would give a=1, a=3, b=2).
    const pair = (k: string, v: string): number[] => [0x26, 0, 1, k.charCodeAt(0), 0, 1, v.charCodeAt(0)]
    const properties = [...pair('a', '1'), ...pair('b', '2'), ...pair('a', '3')]
    expect([...bytes]).toEqual([0x30, 3 + 1 + properties.length, 0, 1, 0x74, properties.length, ...properties])
  })

  it('several packets encoded back to back parse as a stream', () => {
    const stream = Buffer.concat(FIXTURES.filter((f) => f.version === 5).map(encode))
    const packets = parseAll(stream, 5)
    expect(packets).toHaveLength(FIXTURES.filter((f) => f.version === 5).length)
  })
})
