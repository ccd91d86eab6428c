import type { IDisconnectPacket } from 'mqtt-packet'
import { ReasonCode } from '../codec/reason-codes'
import type { Connection } from '../connection/connection'
import type { HandlerContext } from './context'

/** DISCONNECT from the client: a normal one discards the will [MQTT-3.14.4-3]; v5 0x04 keeps it. */
export function handleDisconnect(context: HandlerContext, connection: Connection, packet: IDisconnectPacket): void {
  const session = connection.session!
  const requestedExpiry = packet.properties?.sessionExpiryInterval
  if (requestedExpiry !== undefined && context.settings.sessionExpiryOverride === null) {
    // [MQTT-3.14.2-2] a session that was to end with the connection cannot be given a lifetime now.
    if (session.expiryInterval === 0 && requestedExpiry !== 0) {
      return connection.protocolClose(ReasonCode.ProtocolError, 'session expiry cannot be set on DISCONNECT when it was 0 at CONNECT')
    }
    session.expiryInterval = requestedExpiry
  }
  connection.publishWillOnClose = (packet.reasonCode ?? 0) === ReasonCode.DisconnectWithWill
  connection.close(packet.reasonCode ? `client disconnected (reason 0x${packet.reasonCode.toString(16)})` : 'client disconnected')
}
