import type { IConnackPacket } from 'mqtt-packet'
import { PROTOCOL_MAX_PACKET_SIZE } from '../../../../shared/settings'
import { ReasonCode } from '../../codec/reason-codes'
import type { Connection } from '../../connection/connection'
import { serverLimitsOf } from '../../connection/server-limits'
import type { HandlerContext } from '../context'
import type { ConnectIdentity } from './authenticate'
import { refuse, type ConnectRequest } from './validate'

/**
 * Step 3 of CONNECT: what this user may do here (its will topic, the connection limit, the session
 * it asks for), then bind the session and answer with CONNACK.
 */
export function acceptConnect(context: HandlerContext, connection: Connection, request: ConnectRequest, identity: ConnectIdentity): void {
  const settings = context.settings
  const { clientId, packet } = request
  const who = `client id "${clientId}"${identity.username !== null ? `, user "${identity.username}"` : ''}`
  const v5 = request.version === 5

  // The will is published on the client's behalf, so its topic needs write access too.
  const will = request.will
  if (will && context.auth.aclActive && !context.auth.canPublishAs({ clientId, username: identity.username }, will.message.topic)) {
    context.logger.info(
      `refused CONNECT from ${connection.address} (${who}): not authorized to publish the will topic ${will.message.topic}`
    )
    refuse(connection, ReasonCode.NotAuthorized, 'not authorized to publish to the will topic')
    return
  }

  // A client taking over its own session replaces a connection, so it does not count against the limit.
  if (settings.maxConnections > 0 && !context.sessions.isConnected(clientId) && context.connectedCount() >= settings.maxConnections) {
    context.counters.countLimit('maxConnections')
    refuse(connection, ReasonCode.QuotaExceeded, 'the broker has reached its connection limit')
    return
  }

  // A session belongs to the user that made it: another user may not resume, wipe (clean start) or
  // take it over, whether its owner is online or not (unless sessionTakeover is 'any-user').
  const existing = context.sessions.get(clientId)
  if (existing !== undefined && settings.sessionTakeover === 'same-user' && existing.owner !== identity.owner) {
    context.counters.sessionTakeoversRefused++
    context.logger.warn(
      `refused CONNECT from ${connection.address} (${who}): the session of client id "${clientId}" belongs to ${
        existing.owner === null ? 'an anonymous client' : `user "${existing.owner}"`
      }`
    )
    refuse(connection, ReasonCode.NotAuthorized, 'this client id belongs to another user')
    return
  }

  const limits = serverLimitsOf(settings)
  const props = v5 ? (packet.properties ?? {}) : {}
  connection.establish({
    clientId,
    keepAlive: request.keepAlive,
    receiveMaximum: props.receiveMaximum ?? 65535,
    maximumPacketSize: props.maximumPacketSize ?? PROTOCOL_MAX_PACKET_SIZE,
    topicAliasMaximum: props.topicAliasMaximum ?? 0,
    requestProblemInformation: props.requestProblemInformation ?? true,
    limits
  })

  const { session, sessionPresent } = context.sessions.attach(connection, {
    clientId,
    cleanStart: request.cleanStart,
    protocolVersion: request.version,
    expiryInterval: request.expiryInterval,
    owner: identity.owner,
    username: identity.username,
    will: request.will,
    keepAlive: request.keepAlive,
    queueLimits: connection.transport.sessionQueueLimits ?? null
  })

  const connack: IConnackPacket = { cmd: 'connack', sessionPresent, returnCode: 0, reasonCode: 0 }
  if (v5) {
    const properties: NonNullable<IConnackPacket['properties']> = {}
    if (request.expiryChanged) properties.sessionExpiryInterval = request.expiryInterval
    if (limits.receiveMaximum < 65535) properties.receiveMaximum = limits.receiveMaximum
    if (limits.maximumQos < 2) properties.maximumQoS = limits.maximumQos
    if (!limits.retainAvailable) properties.retainAvailable = false
    if (limits.maximumPacketSize < PROTOCOL_MAX_PACKET_SIZE) properties.maximumPacketSize = limits.maximumPacketSize
    if (request.assignedClientId !== undefined) properties.assignedClientIdentifier = request.assignedClientId
    if (limits.topicAliasMaximum > 0) properties.topicAliasMaximum = limits.topicAliasMaximum
    if (!limits.wildcardSubscriptionAvailable) properties.wildcardSubscriptionAvailable = false
    if (!limits.subscriptionIdentifiersAvailable) properties.subscriptionIdentifiersAvailable = false
    if (!limits.sharedSubscriptionAvailable) properties.sharedSubscriptionAvailable = false
    if (request.serverKeepAlive !== undefined) properties.serverKeepAlive = request.serverKeepAlive
    if (packet.properties?.requestResponseInformation) properties.responseInformation = `response/${clientId}`
    if (Object.keys(properties).length > 0) connack.properties = properties
  }
  connection.send(connack)
  context.clientConnected(connection, session, sessionPresent)
}
