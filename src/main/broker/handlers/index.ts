/**
 * Packet dispatch: one handler per packet family, each given the narrow HandlerContext rather
 * than the broker.
 */
import type { Packet } from 'mqtt-packet'
import { ReasonCode } from '../codec/reason-codes'
import type { Connection } from '../connection/connection'
import { handlePubcomp, handlePuback, handlePubrec, handlePubrel } from './acknowledgements'
import { handleConnect } from './connect'
import type { HandlerContext } from './context'
import { handleDisconnect } from './disconnect'
import { handlePublish } from './publish'
import { handleSubscribe, handleUnsubscribe } from './subscribe'

export function dispatchPacket(context: HandlerContext, connection: Connection, packet: Packet): void {
  if (connection.state === 'awaiting-connect') {
    // Packets that arrive while the CONNECT is being authenticated wait for its answer.
    if (context.connectGate.holds(connection, packet)) return
    // [MQTT-3.1.0-1] the first packet must be CONNECT.
    if (packet.cmd !== 'connect') return connection.close(`${packet.cmd} before CONNECT`)
    return handleConnect(context, connection, packet, (early) => dispatchPacket(context, connection, early))
  }
  switch (packet.cmd) {
    case 'publish':
      return handlePublish(context, connection, packet)
    case 'puback':
      return handlePuback(connection, packet)
    case 'pubrec':
      return handlePubrec(connection, packet)
    case 'pubrel':
      return handlePubrel(connection, packet)
    case 'pubcomp':
      return handlePubcomp(connection, packet)
    case 'subscribe':
      return handleSubscribe(context, connection, packet)
    case 'unsubscribe':
      return handleUnsubscribe(context, connection, packet)
    case 'pingreq':
      return connection.send({ cmd: 'pingresp' })
    case 'disconnect':
      return handleDisconnect(context, connection, packet)
    case 'connect':
      // [MQTT-3.1.0-2] a second CONNECT is a protocol violation.
      return connection.protocolClose(ReasonCode.ProtocolError, 'second CONNECT')
    case 'auth':
      // A CONNECT with an Authentication Method is refused (CONNACK 0x8C), so a connected client set
      // none and must not send AUTH (MQTT 5 §4.12): a protocol error. 0x8C is not a DISCONNECT
      // reason code (§3.14.2.1), so it cannot be the answer here (found by the fuzzer).
      return connection.protocolClose(ReasonCode.ProtocolError, 'AUTH without an authentication method in CONNECT')
    default:
      // CONNACK, SUBACK, UNSUBACK, PINGRESP only flow from server to client.
      return connection.protocolClose(ReasonCode.ProtocolError, `a client must not send ${packet.cmd}`)
  }
}
