import mqttPacket, { type Packet } from 'mqtt-packet'
import { describe, expect, it } from 'vitest'
import { PacketDecoder, type PacketDecodeError, UnsupportedProtocolError } from '../../../src/main/broker/codec/packet-decoder'
import { PROTOCOL_MAX_PACKET_SIZE } from '../../../src/shared/settings'

/** Decode a byte stream (after an optional CONNECT of `version`) and collect what comes out. */
function decode(
  bytes: Buffer | Buffer[],
  options: { version?: 3 | 4 | 5; maximumPacketSize?: number; connect?: boolean } = {}
): { packets: Packet[]; errors: PacketDecodeError[] } {
  const packets: Packet[] = []
  const errors: PacketDecodeError[] = []
  const decoder = new PacketDecoder(
    { onPacket: (packet) => packets.push(packet), onDecodeError: (error) => errors.push(error) },
    { maximumPacketSize: options.maximumPacketSize ?? PROTOCOL_MAX_PACKET_SIZE }
  )
  const version = options.version ?? 4
  if (options.connect !== false) {
    decoder.push(
      mqttPacket.generate({
        cmd: 'connect',
        clientId: 'c',
        protocolVersion: version,
        protocolId: version === 3 ? 'MQIsdp' : 'MQTT',
        clean: true,
        keepalive: 30
      })
    )
    packets.length = 0
  }
  for (const chunk of Array.isArray(bytes) ? bytes : [bytes]) decoder.push(chunk)
  return { packets, errors }
}

/** mqtt-packet's parser is the reference: the same bytes must give the same fields. */
function reference(bytes: Buffer, version: 3 | 4 | 5): Packet {
  const parser = mqttPacket.parser({ protocolVersion: version })
  const out: Packet[] = []
  parser.on('packet', (packet: Packet) => out.push(packet))
  parser.parse(bytes)
  expect(out).toHaveLength(1)
  return out[0]
}

/** Compare the fields both decoders report (ours adds userPropertyList; mqtt-packet's objects carry extra defaults). */
function comparable(packet: Packet): Record<string, unknown> {
  const plain = JSON.parse(JSON.stringify(packet, (key, value: unknown) => (key === 'userPropertyList' ? undefined : value))) as Record<
    string,
    unknown
  >
  delete plain.length
  // mqtt-packet copies fixed-header flag fields (qos, retain, dup…) onto every packet type; they mean
  // something only for PUBLISH.
  if (packet.cmd !== 'publish') for (const key of ['retain', 'qos', 'dup', 'topic', 'payload']) delete plain[key]
  return plain
}

const round: Array<[string, Packet, 3 | 4 | 5]> = [
  ['CONNECT 3.1', { cmd: 'connect', protocolId: 'MQIsdp', protocolVersion: 3, clientId: 'legacy', clean: true, keepalive: 10 }, 3],
  [
    'CONNECT 3.1.1 with will, user and password',
    {
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clientId: 'dev-1',
      clean: false,
      keepalive: 60,
      username: 'u',
      password: Buffer.from('p'),
      will: { topic: 'status/dev-1', payload: Buffer.from('gone'), qos: 1, retain: true }
    },
    4
  ],
  [
    'CONNECT 5 with properties and will properties',
    {
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      clientId: 'v5',
      clean: true,
      keepalive: 0,
      properties: {
        sessionExpiryInterval: 300,
        receiveMaximum: 20,
        maximumPacketSize: 4096,
        topicAliasMaximum: 10,
        requestResponseInformation: true,
        requestProblemInformation: false,
        userProperties: { a: '1', b: ['2', '3'] }
      },
      will: {
        topic: 'w',
        payload: Buffer.from('x'),
        qos: 2,
        retain: false,
        properties: { willDelayInterval: 5, contentType: 'text/plain', messageExpiryInterval: 60 }
      }
    },
    5
  ],
  ['PUBLISH 3.1.1 QoS 0', { cmd: 'publish', topic: 'a/b', payload: Buffer.from('hello'), qos: 0, retain: false, dup: false }, 4],
  [
    'PUBLISH 3.1.1 QoS 2 retain dup',
    { cmd: 'publish', topic: 'ünï/çødé', payload: Buffer.alloc(200, 7), qos: 2, retain: true, dup: true, messageId: 42 },
    4
  ],
  [
    'PUBLISH 5 with properties',
    {
      cmd: 'publish',
      topic: 't',
      payload: Buffer.from('{}'),
      qos: 1,
      retain: false,
      dup: false,
      messageId: 7,
      properties: {
        payloadFormatIndicator: true,
        messageExpiryInterval: 30,
        contentType: 'application/json',
        responseTopic: 'r',
        correlationData: Buffer.from([1, 2]),
        topicAlias: 3,
        userProperties: { k: 'v' }
      }
    },
    5
  ],
  ['PUBACK 3.1.1', { cmd: 'puback', messageId: 9 }, 4],
  ['PUBREC 5 with reason and reason string', { cmd: 'pubrec', messageId: 9, reasonCode: 0x10, properties: { reasonString: 'nobody' } }, 5],
  ['PUBREL 3.1.1', { cmd: 'pubrel', messageId: 65535 }, 4],
  ['PUBCOMP 5', { cmd: 'pubcomp', messageId: 1, reasonCode: 0x92 }, 5],
  [
    'SUBSCRIBE 3.1.1',
    {
      cmd: 'subscribe',
      messageId: 3,
      subscriptions: [
        { topic: 'a/+', qos: 1 },
        { topic: '#', qos: 2 }
      ]
    },
    4
  ],
  [
    'SUBSCRIBE 5 with options and an identifier',
    {
      cmd: 'subscribe',
      messageId: 4,
      properties: { subscriptionIdentifier: 268435455 },
      subscriptions: [{ topic: '$share/g/x', qos: 1, nl: false, rap: true, rh: 2 }]
    },
    5
  ],
  ['UNSUBSCRIBE 3.1.1', { cmd: 'unsubscribe', messageId: 5, unsubscriptions: ['a', 'b/#'] }, 4],
  ['PINGREQ', { cmd: 'pingreq' }, 4],
  ['DISCONNECT 5 with reason and expiry', { cmd: 'disconnect', reasonCode: 4, properties: { sessionExpiryInterval: 0 } }, 5],
  ['AUTH 5', { cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM', authenticationData: Buffer.from('d') } }, 5]
]

describe('PacketDecoder agrees with mqtt-packet', () => {
  it.each(round)('%s', (_name, packet, version) => {
    const bytes = mqttPacket.generate(packet, { protocolVersion: version })
    const { packets, errors } = decode(bytes, { version, connect: packet.cmd !== 'connect' })
    expect(errors).toEqual([])
    expect(packets).toHaveLength(1)
    expect(comparable(packets[0])).toEqual(comparable(reference(bytes, version)))
  })

  it('decodes a stream delivered one byte at a time, and several packets in one chunk', () => {
    const a = mqttPacket.generate({
      cmd: 'publish',
      topic: 'x',
      payload: Buffer.from('1'),
      qos: 1,
      retain: false,
      dup: false,
      messageId: 1
    })
    const b = mqttPacket.generate({ cmd: 'pingreq' })
    const bytes = Buffer.concat([a, b, a])
    const byByte = decode([...bytes].map((byte) => Buffer.from([byte])))
    expect(byByte.packets.map((p) => p.cmd)).toEqual(['publish', 'pingreq', 'publish'])
    expect(decode(bytes).packets.map((p) => p.cmd)).toEqual(['publish', 'pingreq', 'publish'])
  })

  it('keeps user properties in wire order as userPropertyList [MQTT-3.3.2-18]', () => {
    // a=1, b=2, a=3 written by hand: mqtt-packet would group them by name.
    const pair = (k: string, v: string): number[] => [0x26, 0, 1, k.charCodeAt(0), 0, 1, v.charCodeAt(0)]
    const props = [...pair('a', '1'), ...pair('b', '2'), ...pair('a', '3')]
    const body = [0, 1, 0x74, props.length, ...props]
    const { packets } = decode(Buffer.from([0x30, body.length, ...body]), { version: 5 })
    const properties = (packets[0] as unknown as { properties: { userPropertyList: unknown; userProperties: unknown } }).properties
    expect(properties.userPropertyList).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['a', '3']
    ])
    expect({ ...(properties.userProperties as object) }).toEqual({ a: ['1', '3'], b: '2' })
  })
})

describe('PacketDecoder refuses malformed input', () => {
  const cases: Array<[string, number[], { version?: 3 | 4 | 5; connect?: boolean }, number]> = [
    ['a packet other than CONNECT first [MQTT-3.1.0-1]', [0xc0, 0x00], { connect: false }, 0x81],
    ['reserved packet type 0', [0x00, 0x00], {}, 0x81],
    ['SUBSCRIBE with flags 0 [MQTT-3.8.1-1]', [0x80, 0x06, 0, 1, 0, 1, 0x61, 0], {}, 0x81],
    ['PUBREL with flags 0 [MQTT-3.6.1-1]', [0x60, 0x02, 0, 1], {}, 0x81],
    ['PUBLISH with QoS 3 [MQTT-3.3.1-4]', [0x36, 0x05, 0, 1, 0x61, 0, 1], {}, 0x81],
    ['a remaining length of 5 bytes', [0x30, 0xff, 0xff, 0xff, 0xff, 0x01], {}, 0x81],
    ['PUBLISH QoS 1 with packet id 0 [MQTT-2.3.1-1]', [0x32, 0x05, 0, 1, 0x61, 0, 0], {}, 0x81],
    ['a topic containing U+0000 [MQTT-1.5.4-2]', [0x30, 0x05, 0, 3, 0x61, 0x00, 0x62], {}, 0x81],
    ['ill-formed UTF-8 in a topic [MQTT-1.5.4-1]', [0x30, 0x04, 0, 2, 0xc3, 0x28], {}, 0x81],
    ['a field running past the remaining length', [0x30, 0x03, 0, 5, 0x61], {}, 0x81],
    ['a PUBACK with extra bytes (3.1.1)', [0x40, 0x03, 0, 1, 0], {}, 0x81],
    ['SUBSCRIBE without a filter [MQTT-3.8.3-3]', [0x82, 0x02, 0, 1], {}, 0x82],
    ['SUBSCRIBE options with reserved bits (3.1.1)', [0x82, 0x06, 0, 1, 0, 1, 0x61, 0x04], {}, 0x81],
    ['a property given twice (v5)', [0x30, 0x0a, 0, 1, 0x61, 5, 0x23, 0, 1, 0x23, 0, 2], { version: 5 }, 0x82],
    ['an unknown property (v5)', [0x30, 0x06, 0, 1, 0x61, 2, 0x7f, 0], { version: 5 }, 0x81],
    ['a property not allowed in PUBLISH (v5)', [0x30, 0x09, 0, 1, 0x61, 5, 0x11, 0, 0, 0, 1], { version: 5 }, 0x82],
    ['topic alias 0 (v5) [MQTT-3.3.2-8]', [0x30, 0x07, 0, 1, 0x61, 3, 0x23, 0, 0], { version: 5 }, 0x82],
    ['AUTH in 3.1.1', [0xf0, 0x00], {}, 0x81]
  ]
  it.each(cases)('%s', (_name, bytes, options, reasonCode) => {
    const { packets, errors } = decode(Buffer.from(bytes), options)
    expect(packets).toEqual([])
    expect(errors).toHaveLength(1)
    expect(errors[0].reasonCode).toBe(reasonCode)
  })

  it('an unsupported protocol level is its own error (the broker answers CONNACK 0x01)', () => {
    const connect = mqttPacket.generate({ cmd: 'connect', clientId: 'c', protocolVersion: 4, clean: true, keepalive: 0 })
    connect[8] = 6 // protocol level byte
    const { errors } = decode(connect, { connect: false })
    expect(errors[0]).toBeInstanceOf(UnsupportedProtocolError)
  })

  it('refuses a packet whose header claims more than the maximum before its body arrives', () => {
    // Header only: PUBLISH claiming 100 MB.
    const { packets, errors } = decode(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x30]), { maximumPacketSize: 1024 })
    expect(packets).toEqual([])
    expect(errors[0].reasonCode).toBe(0x95)
  })
})
