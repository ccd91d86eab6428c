import type { Packet } from 'mqtt-packet'
import type { PacketRecord } from '../../../shared/broker-types'

/**
 * A decoded packet as the event stream reports it (PacketRecord): the fields the inspector and
 * the recorders show. A CONNECT's password is never in it.
 */
export function describePacket(direction: 'in' | 'out', clientId: string, packet: Packet, size: number): PacketRecord {
  const record: PacketRecord = { direction, clientId, type: packet.cmd, size }
  if (packet.messageId !== undefined) record.packetId = packet.messageId
  const reasonCode = (packet as { reasonCode?: number; returnCode?: number }).reasonCode ?? (packet as { returnCode?: number }).returnCode
  if (reasonCode !== undefined) record.reasonCode = reasonCode
  const properties = (packet as { properties?: Record<string, unknown> }).properties
  if (properties) record.properties = { ...properties }
  switch (packet.cmd) {
    case 'publish':
      record.topic = packet.topic
      record.qos = packet.qos
      record.retain = packet.retain
      record.dup = packet.dup
      record.payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload
      break
    case 'connect':
      // The connection learns its id from this very packet; the row should carry it already.
      record.clientId = packet.clientId
      record.properties = {
        ...(packet.properties ?? {}),
        clientId: packet.clientId,
        protocolVersion: packet.protocolVersion,
        clean: packet.clean,
        keepalive: packet.keepalive,
        username: packet.username
      }
      // The will as the inspector shows it in the CONNECT's details (issue 15): its first bytes only.
      if (packet.will) {
        const will = packet.will
        const payload = typeof will.payload === 'string' ? Buffer.from(will.payload) : will.payload
        record.properties.will = {
          topic: will.topic,
          qos: will.qos,
          retain: will.retain,
          payloadSize: payload.length,
          payload: payload.subarray(0, 256),
          properties: will.properties ?? {}
        }
      }
      break
    case 'subscribe':
      record.topic = packet.subscriptions.map((s) => s.topic).join(', ')
      break
    case 'unsubscribe':
      record.topic = packet.unsubscriptions.join(', ')
      break
    default:
      break
  }
  return record
}
