import { randomUUID } from 'node:crypto'
import type { IConnackPacket, IConnectPacket } from 'mqtt-packet'
import type { QoS } from '../../../shared/broker-types'
import { PROTOCOL_MAX_PACKET_SIZE } from '../../../shared/settings'
import { ReasonCode, toV3ConnackCode } from '../codec/reason-codes'
import type { Connection } from '../connection/connection'
import { createMessage } from '../message'
import { NEVER_EXPIRES, type Will } from '../session/session'
import { validateTopicName } from '../topics/topic-validation'
import { checkTopicLimits, describeLimit } from '../limits'
import type { Broker } from '../broker'

/** Refuse a CONNECT with a CONNACK carrying the reason (v5) or the nearest 3.1.1 return code, then close. */
export function refuse(connection: Connection, reasonCode: number, reason: string): void {
  const connack: IConnackPacket =
    connection.protocolVersion === 5
      ? { cmd: 'connack', sessionPresent: false, reasonCode, properties: { reasonString: reason } }
      : { cmd: 'connack', sessionPresent: false, returnCode: toV3ConnackCode(reasonCode) }
  connection.send(connack)
  connection.close(reason)
}

export function handleConnect(broker: Broker, connection: Connection, packet: IConnectPacket): void {
  const settings = broker.settings
  const version = packet.protocolVersion ?? 4
  connection.protocolVersion = version
  const v5 = version === 5

  // [MQTT-3.1.2-1] the protocol name must match the level: MQIsdp is 3.1, MQTT is 3.1.1 and 5.
  if ((version === 3) !== (packet.protocolId === 'MQIsdp')) {
    connection.protocolVersion = 4
    refuse(connection, ReasonCode.UnsupportedProtocolVersion, `protocol name ${packet.protocolId} does not match level ${version}`)
    return
  }
  const will = packet.will
  if (will && (will.qos ?? 0) > 2) {
    // [MQTT-3.1.2-14] a will QoS of 3 is malformed.
    connection.protocolClose(ReasonCode.MalformedPacket, 'will QoS 3 is invalid')
    return
  }
  if (version === 4 && packet.password !== undefined && packet.username === undefined) {
    // [MQTT-3.1.2-22] 3.1.1: no password without a user name.
    connection.close('password without user name')
    return
  }
  if (packet.properties?.authenticationMethod !== undefined) {
    // Enhanced authentication (AUTH) is not offered yet.
    refuse(connection, ReasonCode.BadAuthenticationMethod, 'enhanced authentication is not supported')
    return
  }

  let clientId = packet.clientId
  let assignedClientId: string | undefined
  if (clientId.length === 0) {
    // [MQTT-3.1.3-6/-7/-8] an empty id gets one from us (v5, or 3.1.1 with clean session); else 0x02.
    if (v5 || (version === 4 && packet.clean)) {
      clientId = assignedClientId = `auto-${randomUUID()}`
    } else {
      refuse(connection, ReasonCode.ClientIdentifierNotValid, 'a client id is required for a persistent session')
      return
    }
  }

  // A client taking over its own session replaces a connection, so it does not count against the limit.
  if (settings.maxConnections > 0 && !broker.isConnected(clientId) && broker.connectedCount() >= settings.maxConnections) {
    broker.counters.countLimit('maxConnections')
    refuse(connection, ReasonCode.QuotaExceeded, 'the broker has reached its connection limit')
    return
  }

  let willSpec: Will | null = null
  if (will) {
    const problem = validateTopicName(will.topic)
    if (problem) {
      refuse(connection, ReasonCode.TopicNameInvalid, `will topic: ${problem}`)
      return
    }
    // A will is published like any PUBLISH, so its topic is held to the same limits (0x90 as for PUBLISH).
    const overLimit = checkTopicLimits(will.topic, settings)
    if (overLimit !== null) {
      broker.counters.countLimit(overLimit)
      refuse(connection, ReasonCode.TopicNameInvalid, `will topic: ${describeLimit(overLimit, settings)}`)
      return
    }
    let willQos = (will.qos ?? 0) as QoS
    if (will.retain && !settings.retainAvailable) {
      if (v5) return refuse(connection, ReasonCode.RetainNotSupported, 'retained messages are not available') // [MQTT-3.2.2-12]
    }
    if (willQos > settings.maximumQos) {
      if (v5) return refuse(connection, ReasonCode.QoSNotSupported, `will QoS ${willQos} exceeds the maximum QoS`) // [MQTT-3.2.2-12]
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
        now: broker.now()
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
  let expiry = v5 ? (packet.properties?.sessionExpiryInterval ?? 0) : packet.clean ? 0 : NEVER_EXPIRES
  let expiryChanged = false
  if (settings.sessionExpiryOverride !== null && settings.sessionExpiryOverride !== expiry) {
    expiry = settings.sessionExpiryOverride
    expiryChanged = true
  }

  connection.clientId = clientId
  connection.keepAlive = keepAlive
  if (v5) {
    const props = packet.properties ?? {}
    if (props.receiveMaximum !== undefined) connection.clientReceiveMaximum = props.receiveMaximum
    if (props.maximumPacketSize !== undefined) connection.clientMaximumPacketSize = props.maximumPacketSize
    connection.clientTopicAliasMaximum = props.topicAliasMaximum ?? 0
    connection.requestProblemInformation = props.requestProblemInformation ?? true
  }

  const { session, sessionPresent } = broker.attachSession(connection, clientId, packet.clean ?? true, version, expiry)
  session.will = willSpec
  session.keepAlive = keepAlive
  session.username = packet.username ?? null

  const connack: IConnackPacket = { cmd: 'connack', sessionPresent, returnCode: 0, reasonCode: 0 }
  if (v5) {
    const properties: NonNullable<IConnackPacket['properties']> = {}
    if (expiryChanged) properties.sessionExpiryInterval = expiry
    if (settings.receiveMaximum < 65535) properties.receiveMaximum = settings.receiveMaximum
    if (settings.maximumQos < 2) properties.maximumQoS = settings.maximumQos
    if (!settings.retainAvailable) properties.retainAvailable = false
    if (settings.maximumPacketSize < PROTOCOL_MAX_PACKET_SIZE) properties.maximumPacketSize = settings.maximumPacketSize
    if (assignedClientId !== undefined) properties.assignedClientIdentifier = assignedClientId
    if (settings.topicAliasMaximum > 0) properties.topicAliasMaximum = settings.topicAliasMaximum
    if (!settings.wildcardSubscriptionAvailable) properties.wildcardSubscriptionAvailable = false
    if (!settings.subscriptionIdentifiersAvailable) properties.subscriptionIdentifiersAvailable = false
    if (!settings.sharedSubscriptionAvailable) properties.sharedSubscriptionAvailable = false
    if (serverKeepAlive !== undefined) properties.serverKeepAlive = serverKeepAlive
    if (packet.properties?.requestResponseInformation) properties.responseInformation = `response/${clientId}`
    if (Object.keys(properties).length > 0) connack.properties = properties
  }
  connection.send(connack)
  broker.clientConnected(connection, session, sessionPresent)
}
