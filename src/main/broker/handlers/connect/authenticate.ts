/**
 * Step 2 of CONNECT: who the client is (Authenticator.authenticate). A refusal (CONNACK 4 / 0x86
 * for bad credentials, 5 / 0x87 for not authorized) changes nothing: no session is created or
 * touched, no will, only a log line.
 *
 * Checking a password (scrypt) takes tens of milliseconds, so it runs off the event loop. Clients
 * may send packets right after CONNECT without waiting for CONNACK (MQTT 3.1.4); those wait here
 * and are handled, in order, once the CONNECT is accepted.
 */
import type { Packet } from 'mqtt-packet'
import { ReasonCode } from '../../codec/reason-codes'
import type { Connection } from '../../connection/connection'
import type { HandlerContext } from '../context'
import { refuse, type ConnectRequest } from './validate'

/** Who the client is, as authentication established it. */
export interface ConnectIdentity {
  /** The user name in force (from the CONNECT, or the certificate's CN); null for anonymous. */
  readonly username: string | null
  /**
   * Who owns the sessions this client makes: the user name when it was verified (a password
   * checked against the auth file, or a certificate), else null. Unverified names cost nothing to
   * claim, so they share the anonymous owner and the default setup behaves as mosquitto's.
   */
  readonly owner: string | null
}

/** Packets a client may send before its CONNECT is answered; more closes the connection. */
const MAX_EARLY_PACKETS = 1000

export class ConnectGate {
  private readonly pending = new WeakMap<Connection, Packet[]>()

  /** True when the packet was taken: its connection's CONNECT is still being authenticated. */
  holds(connection: Connection, packet: Packet): boolean {
    const early = this.pending.get(connection)
    if (early === undefined) return false
    if (early.length >= MAX_EARLY_PACKETS) connection.close('too many packets before CONNACK')
    else early.push(packet)
    return true
  }

  /**
   * Authenticate, then call `accept` (now, or once the password check is done) and replay the
   * packets that arrived meanwhile through `dispatch`.
   */
  authenticate(
    context: HandlerContext,
    connection: Connection,
    request: ConnectRequest,
    accept: (identity: ConnectIdentity) => void,
    dispatch: (packet: Packet) => void
  ): void {
    const { packet } = request
    const settings = context.settings
    const auth = context.auth
    if (!auth.needsConnectCheck(settings)) {
      accept({ username: packet.username ?? null, owner: null })
      return
    }
    const decision = auth.authenticate(settings, connection.transport, packet.username, packet.password)
    const finish = (result: Exclude<typeof decision, Promise<unknown>>): void => {
      if (!result.ok) {
        const who = `client id "${request.clientId}"${packet.username !== undefined ? `, user "${packet.username}"` : ''}`
        context.logger.info(`refused CONNECT from ${connection.address} (${who}): ${result.reason}`)
        refuse(connection, result.reasonCode, result.reason)
        return
      }
      // A certificate's CN is the user name (useIdentityAsUsername); the CONNECT's are not used.
      const verified = result.fromCertificate || settings.authFile !== null
      accept({ username: result.username, owner: verified ? result.username : null })
    }
    if (!(decision instanceof Promise)) {
      finish(decision)
      return
    }
    const queue: Packet[] = []
    this.pending.set(connection, queue)
    decision.then(
      (result) => {
        this.pending.delete(connection)
        // The socket may have closed (or timed out) while the password was being checked.
        if (connection.state !== 'awaiting-connect') return
        try {
          finish(result)
          for (const early of queue) {
            if (!connection.isOpen()) break
            dispatch(early)
          }
        } catch (error) {
          context.logger.error(`error handling connect from ${connection.address}`, error)
          connection.protocolClose(ReasonCode.ImplementationSpecificError, 'internal error')
        }
      },
      (error: unknown) => {
        this.pending.delete(connection)
        context.logger.error(`authentication failed for ${connection.address}`, error)
        if (connection.state === 'awaiting-connect') refuse(connection, ReasonCode.ServerUnavailable, 'authentication failed')
      }
    )
  }
}
