import type { IConnectPacket, Packet } from 'mqtt-packet'
import type { Connection } from '../../connection/connection'
import type { HandlerContext } from '../context'
import { acceptConnect } from './accept'
import { validateConnect } from './validate'

/** CONNECT in three named steps: validate → authenticate → accept. */
export function handleConnect(
  context: HandlerContext,
  connection: Connection,
  packet: IConnectPacket,
  dispatch: (packet: Packet) => void
): void {
  const request = validateConnect(context, connection, packet)
  if (request === null) return
  context.connectGate.authenticate(
    context,
    connection,
    request,
    (identity) => acceptConnect(context, connection, request, identity),
    dispatch
  )
}
