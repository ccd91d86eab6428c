import { randomUUID } from 'node:crypto'
import type { IConnackPacket, IConnectPacket } from 'mqtt-packet'
import type { ProtocolVersion, QoS } from '../../../../shared/broker-types'
import { ReasonCode, toV3ConnackCode } from '../../codec/reason-codes'
import type { Connection } from '../../connection/connection'
import { IN_PROCESS_CLIENT_ID_PREFIX } from '../../connection/in-process-transport'
import { checkTopicLimits, describeLimit } from '../../limits'
import { createMessage } from '../../message'
import { NEVER_EXPIRES, type Will } from '../../session/session'
import { isSysTopic, validateTopicName } from '../../topics/topic-validation'
import type { HandlerContext } from '../context'

/** A CONNECT that passed every check that does not depend on who the client is. */
export interface ConnectRequest {
  readonly packet: IConnectPacket
  readonly version: ProtocolVersion
  readonly clientId: string
  /** Set when the broker chose the client id (v5 CONNACK Assigned Client Identifier). */
  readonly assignedClientId: string | undefined
  readonly cleanStart: boolean
  readonly will: Will | null
  /** Effective keep alive (seconds). */
  readonly keepAlive: number
  /** Set when a v5 client must be told a keep alive other than its own (Server Keep Alive). */
  readonly serverKeepAlive: number | undefined
  readonly expiryInterval: number
  /** The broker replaced the session expiry the client asked for (v5 CONNACK says so). */
  readonly expiryChanged: boolean
}

/** Refuse a CONNECT with a CONNACK carrying the reason (v5) or the nearest 3.1.1 return code, then close. */
export function refuse(connection: Connection, reasonCode: number, reason: string): void {
  const connack: IConnackPacket =
    connection.protocolVersion === 5
      ? { cmd: 'connack', sessionPresent: false, reasonCode, properties: { reasonString: reason } }
      : { cmd: 'connack', sessionPresent: false, returnCode: toV3ConnackCode(reasonCode) }
  connection.send(connack)
  connection.close(reason)
}

/**
 * Step 1 of CONNECT: the packet's own rules and the broker's settings, before anyone is
 * authenticated. Returns null when the CONNECT was refused (already answered and closing).
 */
export function validateConnect(context: HandlerContext, connection: Connection, packet: IConnectPacket): ConnectRequest | null {
  const settings = context.settings
  const version = packet.protocolVersion ?? 4
  connection.protocolVersion = version
  const v5 = version === 5

  // [MQTT-3.1.2-1] the protocol name must match the level: MQIsdp is 3.1, MQTT is 3.1.1 and 5.
  if ((version === 3) !== (packet.protocolId === 'MQIsdp')) {
    connection.protocolVersion = 4
    refuse(connection, ReasonCode.UnsupportedProtocolVersion, `protocol name ${packet.protocolId} does not match level ${version}`)
    return null
  }
  const will = packet.will
  if (will && (will.qos ?? 0) > 2) {
    // [MQTT-3.1.2-14] a will QoS of 3 is malformed.
    connection.protocolClose(ReasonCode.MalformedPacket, 'will QoS 3 is invalid')
    return null
  }
  if (version === 4 && packet.password !== undefined && packet.username === undefined) {
    // [MQTT-3.1.2-22] 3.1.1: no password without a user name.
    connection.close('password without user name')
    return null
  }
  if (packet.properties?.authenticationMethod !== undefined) {
    // Enhanced authentication (AUTH) is not offered yet.
    refuse(connection, ReasonCode.BadAuthenticationMethod, 'enhanced authentication is not supported')
    return null
  }

  let clientId = packet.clientId
  let assignedClientId: string | undefined
  if (clientId.length === 0) {
    // [MQTT-3.1.3-6/-7/-8] an empty id gets one from us (v5, or 3.1.1 with clean session); else 0x02.
    if (v5 || (version === 4 && packet.clean)) {
      clientId = assignedClientId = `auto-${randomUUID()}`
    } else {
      refuse(connection, ReasonCode.ClientIdentifierNotValid, 'a client id is required for a persistent session')
      return null
    }
  }

  // Ids of the broker's own in-process clients (bridges) cannot be taken over from the network; a
  // server may refuse any client id [MQTT-3.1.3-5 allows it], here with 0x85 / 3.1.1 code 2.
  if (clientId.startsWith(IN_PROCESS_CLIENT_ID_PREFIX) !== (connection.transport.kind === 'in-process')) {
    refuse(connection, ReasonCode.ClientIdentifierNotValid, `client ids starting with ${IN_PROCESS_CLIENT_ID_PREFIX} are the broker's own`)
    return null
  }

  let willSpec: Will | null = null
  if (will) {
    const problem = validateTopicName(will.topic)
    if (problem) {
      refuse(connection, ReasonCode.TopicNameInvalid, `will topic: ${problem}`)
      return null
    }
    if (isSysTopic(will.topic)) {
      // $SYS is the broker's alone: a will there would be published in its name (refused like a PUBLISH).
      context.logger.info(
        `refused CONNECT from ${connection.address} (client id "${packet.clientId}"): will topic ${will.topic} is in $SYS`
      )
      refuse(connection, ReasonCode.NotAuthorized, 'a will must not publish to $SYS')
      return null
    }
    // A will is published like any PUBLISH, so its topic is held to the same limits (0x90 as for PUBLISH).
    const overLimit = checkTopicLimits(will.topic, settings)
    if (overLimit !== null) {
      context.counters.countLimit(overLimit)
      refuse(connection, ReasonCode.TopicNameInvalid, `will topic: ${describeLimit(overLimit, settings)}`)
      return null
    }
    let willQos = (will.qos ?? 0) as QoS
    if (will.retain && !settings.retainAvailable && v5) {
      refuse(connection, ReasonCode.RetainNotSupported, 'retained messages are not available') // [MQTT-3.2.2-12]
      return null
    }
    if (willQos > settings.maximumQos) {
      if (v5) {
        refuse(connection, ReasonCode.QoSNotSupported, `will QoS ${willQos} exceeds the maximum QoS`) // [MQTT-3.2.2-12]
        return null
      }
      willQos = settings.maximumQos
    }
    const { willDelayInterval, ...messageProperties } = will.properties ?? {}
    const payload = typeof will.payload === 'string' ? Buffer.from(will.payload) : Buffer.from(will.payload)
    willSpec = {
      message: createMessage({
        topic: will.topic,
        payload,
        qos: willQos,
        retain: (will.retain ?? false) && settings.retainAvailable,
        properties: v5 && Object.keys(messageProperties).length > 0 ? messageProperties : undefined,
        origin: clientId,
        now: context.now()
      }),
      delaySeconds: willDelayInterval ?? 0
    }
  }

  // Keep alive: v5 clients can be told a different value (Server Keep Alive); 3.1.x clients cannot.
  let keepAlive = packet.keepalive ?? 0
  let serverKeepAlive: number | undefined
  if (v5 && settings.serverKeepAlive !== null) {
    const cap = settings.serverKeepAlive
    if (settings.serverKeepAliveMode === 'override' || keepAlive === 0 || keepAlive > cap) {
      if (keepAlive !== cap) serverKeepAlive = cap
      keepAlive = cap
    }
  }

  // Session expiry: v5 asks for one (default 0); 3.1.x clean session 0 means "keep it forever".
  let expiryInterval = v5 ? (packet.properties?.sessionExpiryInterval ?? 0) : packet.clean ? 0 : NEVER_EXPIRES
  let expiryChanged = false
  if (settings.sessionExpiryOverride !== null && settings.sessionExpiryOverride !== expiryInterval) {
    expiryInterval = settings.sessionExpiryOverride
    expiryChanged = true
  }

  return {
    packet,
    version,
    clientId,
    assignedClientId,
    cleanStart: packet.clean ?? true,
    will: willSpec,
    keepAlive,
    serverKeepAlive,
    expiryInterval,
    expiryChanged
  }
}
