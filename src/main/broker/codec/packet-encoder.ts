import type { Packet } from 'mqtt-packet'

/**
 * Fast encodings for the small fixed-shape packets the broker sends most (acknowledgements and
 * PINGRESP). Anything with a reason code or properties returns null and goes to mqtt-packet's
 * generator, which the QoS benchmarks showed is several times slower for these four-byte packets.
 */
const ACK_HEADER: Partial<Record<Packet['cmd'], number>> = {
  puback: 0x40,
  pubrec: 0x50,
  pubrel: 0x62,
  pubcomp: 0x70
}

const PINGRESP = Buffer.from([0xd0, 0x00])

export function encodeSimplePacket(packet: Packet, protocolVersion: number): Buffer | null {
  const v5 = protocolVersion === 5
  if (packet.cmd === 'pingresp') return PINGRESP
  // CONNACK and SUBACK without properties: one per connection, so they shape the connect rate.
  if (packet.cmd === 'connack') {
    if (packet.properties !== undefined) return null
    const code = (v5 ? packet.reasonCode : packet.returnCode) ?? 0
    const flags = packet.sessionPresent ? 1 : 0
    // v5 carries a property length, here 0 (§3.2.2.3).
    return Buffer.from(v5 ? [0x20, 0x03, flags, code, 0x00] : [0x20, 0x02, flags, code])
  }
  if (packet.cmd === 'suback') {
    if (packet.properties !== undefined || !isByteList(packet.granted) || packet.granted.length > 100) return null
    return encodeSuback(packet.messageId ?? 0, packet.granted, v5)
  }
  const header = ACK_HEADER[packet.cmd]
  if (header === undefined) return null
  const ack = packet as { messageId?: number; reasonCode?: number; properties?: object }
  // Reason code 0 with no properties may be left out (MQTT 5 §3.4.2.1), which is also the 3.1.1 form.
  if ((ack.reasonCode !== undefined && ack.reasonCode !== 0) || ack.properties !== undefined) return null
  const id = ack.messageId ?? 0
  return Buffer.from([header, 0x02, id >> 8, id & 0xff])
}

function isByteList(values: unknown[]): values is number[] {
  return values.every((value) => typeof value === 'number')
}

/** SUBACK with one return/reason code per filter; `v5` adds the empty property length (§3.9.2.1). */
function encodeSuback(packetId: number, granted: number[], v5: boolean): Buffer {
  const header = v5 ? 5 : 4
  const bytes = Buffer.allocUnsafe(header + granted.length)
  bytes[0] = 0x90
  bytes[1] = header - 2 + granted.length
  bytes[2] = packetId >> 8
  bytes[3] = packetId & 0xff
  if (v5) bytes[4] = 0
  for (let i = 0; i < granted.length; i++) bytes[header + i] = granted[i]
  return bytes
}
