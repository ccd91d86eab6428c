import type { IPubackPacket, IPubcompPacket, IPubrecPacket, IPubrelPacket } from 'mqtt-packet'
import { ReasonCode } from '../codec/reason-codes'
import type { Connection } from '../connection/connection'

/** PUBACK: the client has our QoS 1 message. */
export function handlePuback(connection: Connection, packet: IPubackPacket): void {
  connection.session!.acknowledge(packet.messageId ?? 0)
}

/** PUBREC: the client has our QoS 2 message; release it with PUBREL [MQTT-4.3.3-4]. */
export function handlePubrec(connection: Connection, packet: IPubrecPacket): void {
  const packetId = packet.messageId ?? 0
  const failed = (packet.reasonCode ?? 0) >= 0x80
  const known = connection.session!.received(packetId, failed)
  if (failed) return
  if (known) connection.sendPubrel(packetId)
  else if (connection.protocolVersion === 5) {
    connection.send({ cmd: 'pubrel', messageId: packetId, reasonCode: ReasonCode.PacketIdentifierNotFound })
  } else connection.sendPubrel(packetId)
}

/** PUBREL: the client releases its QoS 2 message; we already delivered it, so complete [MQTT-4.3.3-11]. */
export function handlePubrel(connection: Connection, packet: IPubrelPacket): void {
  const packetId = packet.messageId ?? 0
  const known = connection.session!.releaseIncoming(packetId)
  if (!known && connection.protocolVersion === 5) {
    connection.send({ cmd: 'pubcomp', messageId: packetId, reasonCode: ReasonCode.PacketIdentifierNotFound })
  } else {
    connection.send({ cmd: 'pubcomp', messageId: packetId })
  }
}

/** PUBCOMP: our QoS 2 message is done. */
export function handlePubcomp(connection: Connection, packet: IPubcompPacket): void {
  connection.session!.complete(packet.messageId ?? 0)
}
