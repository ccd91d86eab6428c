import mqttPacket, { type Packet } from 'mqtt-packet'
import { describe, expect, it } from 'vitest'
import { encodeSimplePacket } from '../../../src/main/broker/codec/packet-encoder'

// Our fast encodings must be byte-identical to mqtt-packet's generator (the reference).
const cases: Array<[string, Packet, 3 | 4 | 5]> = [
  ['PUBACK 3.1.1', { cmd: 'puback', messageId: 0x1234 }, 4],
  ['PUBREL 3.1', { cmd: 'pubrel', messageId: 65535 }, 3],
  ['PINGRESP', { cmd: 'pingresp' }, 4],
  ['CONNACK 3.1.1 accepted', { cmd: 'connack', sessionPresent: false, returnCode: 0 }, 4],
  ['CONNACK 3.1.1 session present', { cmd: 'connack', sessionPresent: true, returnCode: 0 }, 4],
  ['CONNACK 3.1 refused 2', { cmd: 'connack', sessionPresent: false, returnCode: 2 }, 3],
  ['CONNACK 5 success', { cmd: 'connack', sessionPresent: true, reasonCode: 0 }, 5],
  ['CONNACK 5 refused 0x87', { cmd: 'connack', sessionPresent: false, reasonCode: 0x87 }, 5],
  ['SUBACK 3.1.1', { cmd: 'suback', messageId: 10, granted: [0, 1, 2, 0x80] }, 4],
  ['SUBACK 5', { cmd: 'suback', messageId: 300, granted: [2, 0x8f, 0xa2] }, 5]
]

describe('encodeSimplePacket', () => {
  it.each(cases)('%s equals mqtt-packet', (_name, packet, protocolVersion) => {
    const ours = encodeSimplePacket(packet, protocolVersion)
    expect(ours).not.toBeNull()
    expect([...ours!]).toEqual([...mqttPacket.generate(packet, { protocolVersion })])
  })

  // mqtt-packet writes v5 acknowledgements in the long form; MQTT 5 §3.4.2.1 allows leaving out a
  // 0x00 reason code with no properties, which is what we send. Checked by parsing instead.
  it.each([
    ['PUBACK', 0x40],
    ['PUBREC', 0x50],
    ['PUBREL', 0x62],
    ['PUBCOMP', 0x70]
  ] as const)('v5 %s success uses the short form, which mqtt-packet parses back', (name, header) => {
    const cmd = name.toLowerCase() as 'puback' | 'pubrec' | 'pubrel' | 'pubcomp'
    const ours = encodeSimplePacket({ cmd, messageId: 513 }, 5)!
    expect([...ours]).toEqual([header, 2, 2, 1])
    const parsed: Packet[] = []
    const parser = mqttPacket.parser({ protocolVersion: 5 })
    parser.on('packet', (packet: Packet) => parsed.push(packet))
    parser.parse(ours)
    expect(parsed).toHaveLength(1)
    expect(parsed[0]).toMatchObject({ cmd, messageId: 513 })
    expect((parsed[0] as { reasonCode?: number }).reasonCode ?? 0).toBe(0)
  })

  it('leaves packets with reason codes or properties to mqtt-packet', () => {
    expect(encodeSimplePacket({ cmd: 'puback', messageId: 1, reasonCode: 0x10 }, 5)).toBeNull()
    expect(encodeSimplePacket({ cmd: 'connack', sessionPresent: false, reasonCode: 0, properties: { topicAliasMaximum: 5 } }, 5)).toBeNull()
    expect(encodeSimplePacket({ cmd: 'suback', messageId: 1, granted: [0], properties: { reasonString: 'x' } }, 5)).toBeNull()
    expect(encodeSimplePacket({ cmd: 'disconnect', reasonCode: 0x8e }, 5)).toBeNull()
  })
})
