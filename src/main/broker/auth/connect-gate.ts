/**
 * Authentication in front of handleConnect. The broker hands it every packet of a connection that
 * has not finished its CONNECT; it decides who the client is (Authenticator.authenticate) and then
 * either refuses the CONNECT (CONNACK 4 / 0x86 for bad credentials, 5 / 0x87 for not authorized)
 * with nothing else happening (no session is created or changed, no will, only a log line), or
 * lets handleConnect run as usual with the user name it established.
 *
 * Checking a password (scrypt) takes tens of milliseconds, so it runs off the event loop. Clients
 * may send packets right after CONNECT without waiting for CONNACK (MQTT 3.1.4); those wait here
 * and are handled, in order, once the CONNECT is accepted.
 */
import type { IConnectPacket, Packet } from 'mqtt-packet'
import { ReasonCode } from '../codec/reason-codes'
import type { Connection } from '../connection/connection'
import { handleConnect, refuse } from '../handlers/connect'
import type { Broker } from '../broker'
import type { AuthDecision } from './authenticator'

/** Packets a client may send before its CONNECT is answered; more closes the connection. */
const MAX_EARLY_PACKETS = 1000

export class ConnectGate {
  private readonly pending = new WeakMap<Connection, Packet[]>()

  constructor(private readonly broker: Broker) {}

  /**
   * Called for a packet of a connection still awaiting CONNECT. Returns true when the gate took the
   * packet; false lets the broker's usual handling run (no authentication needed, or a CONNECT so
   * malformed that handleConnect will refuse it for that first).
   */
  intercept(connection: Connection, packet: Packet): boolean {
    const early = this.pending.get(connection)
    if (early !== undefined) {
      if (early.length >= MAX_EARLY_PACKETS) connection.close('too many packets before CONNACK')
      else early.push(packet)
      return true
    }
    if (packet.cmd !== 'connect') return false
    const settings = this.broker.settings
    const auth = this.broker.auth
    if (!auth.needsConnectCheck(settings) || !wellFormed(packet)) return false

    const decision = auth.authenticate(settings, connection.transport, packet.username, packet.password)
    if (!(decision instanceof Promise)) {
      this.finish(connection, packet, decision, [])
      return true
    }
    const queue: Packet[] = []
    this.pending.set(connection, queue)
    decision.then(
      (result) => {
        this.pending.delete(connection)
        // The socket may have closed (or timed out) while the password was being checked.
        if (connection.state !== 'awaiting-connect') return
        try {
          this.finish(connection, packet, result, queue)
        } catch (error) {
          this.broker.logger.error(`error handling connect from ${connection.address}`, error)
          connection.protocolClose(ReasonCode.ImplementationSpecificError, 'internal error')
        }
      },
      (error: unknown) => {
        this.pending.delete(connection)
        this.broker.logger.error(`authentication failed for ${connection.address}`, error)
        if (connection.state === 'awaiting-connect') {
          connection.protocolVersion = packet.protocolVersion ?? 4
          refuse(connection, ReasonCode.ServerUnavailable, 'authentication failed')
        }
      }
    )
    return true
  }

  private finish(connection: Connection, packet: IConnectPacket, decision: AuthDecision, queue: Packet[]): void {
    const broker = this.broker
    const who = `client id "${packet.clientId}"${packet.username !== undefined ? `, user "${packet.username}"` : ''}`
    if (!decision.ok) {
      connection.protocolVersion = packet.protocolVersion ?? 4
      broker.logger.info(`refused CONNECT from ${connection.address} (${who}): ${decision.reason}`)
      refuse(connection, decision.reasonCode, decision.reason)
      return
    }
    const username = decision.username
    // The will is published on the client's behalf, so its topic needs write access too.
    const will = packet.will
    if (will && broker.auth.aclActive && !broker.auth.canPublishAs({ clientId: packet.clientId, username }, will.topic)) {
      connection.protocolVersion = packet.protocolVersion ?? 4
      broker.logger.info(`refused CONNECT from ${connection.address} (${who}): not authorized to publish the will topic ${will.topic}`)
      refuse(connection, ReasonCode.NotAuthorized, 'not authorized to publish to the will topic')
      return
    }
    if (decision.fromCertificate) {
      // The certificate's CN is the user name (useIdentityAsUsername); the CONNECT's are not used.
      if (username === null) delete packet.username
      else packet.username = username
      delete packet.password
    }
    handleConnect(broker, connection, packet)
    for (const early of queue) {
      if (!connection.isOpen()) break
      broker.handlePacket(connection, early)
    }
  }
}

/**
 * The CONNECT faults handleConnect refuses before anything else (protocol name, will QoS, a 3.1.1
 * password without user name, enhanced authentication): those keep their own answer.
 */
function wellFormed(packet: IConnectPacket): boolean {
  const version = packet.protocolVersion ?? 4
  if ((version === 3) !== (packet.protocolId === 'MQIsdp')) return false
  if (packet.will && (packet.will.qos ?? 0) > 2) return false
  if (version === 4 && packet.password !== undefined && packet.username === undefined) return false
  if (packet.properties?.authenticationMethod !== undefined) return false
  return true
}
