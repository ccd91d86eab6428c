import type { IPublishPacket } from 'mqtt-packet'
import type { MessageProperties } from '../../../shared/broker-types'
import { ReasonCode } from '../codec/reason-codes'
import type { Connection } from '../connection/connection'
import { createMessage } from '../message'
import { isSysTopic, validateTopicName } from '../topics/topic-validation'
import { checkTopicLimits } from '../limits'
import type { HandlerContext } from './context'

/** Inbound PUBLISH: resolve the topic alias, check the rules, route, acknowledge. */
export function handlePublish(context: HandlerContext, connection: Connection, packet: IPublishPacket): void {
  const settings = context.settings
  // What this connection was promised in its CONNACK, not what the settings say now (MQTT 5 §3.2.2.3).
  const limits = connection.limits
  const session = connection.session!
  const v5 = connection.protocolVersion === 5
  const packetId = packet.messageId ?? 0

  let topic = packet.topic
  const alias = packet.properties?.topicAlias
  if (alias !== undefined) {
    // [MQTT-3.3.2-8/-9] an alias of 0 or above our Topic Alias Maximum is a protocol error.
    if (alias === 0 || alias > limits.topicAliasMaximum) {
      return connection.protocolClose(ReasonCode.TopicAliasInvalid, `topic alias ${alias} is not allowed`)
    }
    if (connection.inboundAliases === null) connection.inboundAliases = new Map()
    const aliases = connection.inboundAliases
    if (topic.length === 0) {
      const known = aliases.get(alias)
      if (known === undefined) return connection.protocolClose(ReasonCode.ProtocolError, `topic alias ${alias} is not set`)
      topic = known
    } else {
      aliases.set(alias, topic)
    }
  }
  const topicProblem = validateTopicName(topic)
  if (topicProblem) return connection.protocolClose(ReasonCode.TopicNameInvalid, `topic name ${topicProblem}`)
  if (packet.qos === 0 && packet.dup) {
    return connection.protocolClose(ReasonCode.MalformedPacket, 'DUP set on a QoS 0 PUBLISH') // [MQTT-3.3.1-2]
  }
  if (packet.qos > limits.maximumQos) {
    return connection.protocolClose(ReasonCode.QoSNotSupported, `QoS ${packet.qos} exceeds the maximum QoS`) // [MQTT-3.2.2-11]
  }
  if (packet.retain && !limits.retainAvailable) {
    return connection.protocolClose(ReasonCode.RetainNotSupported, 'retained messages are not available') // [MQTT-3.2.2-14]
  }
  if (packet.properties?.subscriptionIdentifier !== undefined) {
    return connection.protocolClose(ReasonCode.ProtocolError, 'a PUBLISH from a client must not carry a subscription identifier') // [MQTT-3.3.4-6]
  }

  if (packet.qos === 2) {
    const incoming = session.incomingQos2
    if (incoming?.has(packetId)) {
      // A resent QoS 2 PUBLISH we already have: acknowledge again, do not deliver twice [MQTT-4.3.3-10].
      connection.send({ cmd: 'pubrec', messageId: packetId })
      return
    }
    // Receive Maximum is a v5 promise; 3.1.x clients were never told one, so only the id space bounds them.
    if (v5 && incoming !== null && incoming.size >= limits.receiveMaximum) {
      return connection.protocolClose(ReasonCode.ReceiveMaximumExceeded, 'receive maximum exceeded') // [MQTT-3.3.4-8]
    }
  }
  if (packet.qos > 0 && context.storeFailing()) {
    // The store cannot write (disk full, I/O error): never acknowledge what could not be kept.
    context.counters.storeRefusals++
    if (!v5) return connection.close('the broker cannot store messages right now')
    const refusal = {
      messageId: packetId,
      reasonCode: ReasonCode.QuotaExceeded,
      properties: { reasonString: 'the broker cannot store messages right now' }
    }
    connection.send(packet.qos === 1 ? { cmd: 'puback', ...refusal } : { cmd: 'pubrec', ...refusal })
    return
  }

  const counters = context.counters
  const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload
  counters.publishReceived++
  counters.publishBytesReceived += payload.length
  session.messagesIn++

  let reasonCode: number = ReasonCode.Success
  const overLimit = checkTopicLimits(topic, settings)
  if (isSysTopic(topic)) {
    // Only the broker writes $SYS.
    reasonCode = ReasonCode.NotAuthorized
    counters.countDrop('not-authorized')
  } else if (context.auth.aclActive && !context.auth.canPublish(session, topic)) {
    // The ACL refuses it (see auth/acl.ts): v5 hears 0x87 in PUBACK/PUBREC; 3.1.x is acknowledged as usual (a silent drop).
    reasonCode = ReasonCode.NotAuthorized
    counters.countDrop('not-authorized')
    context.logger.debug(`client ${connection.clientId} may not publish to ${topic}: dropped`)
  } else if (overLimit !== null) {
    // A well-formed topic over maxTopicLength/maxTopicLevels is refused per message, not per
    // connection: v5 PUBACK/PUBREC 0x90 "Topic Name is correctly formed, but is not accepted"
    // (MQTT 5 §3.4.2.1, §3.5.2.1); QoS 0 has no acknowledgement and is dropped; 3.1.1 clients get a
    // positive acknowledgement, as for any PUBLISH the server will not deliver [MQTT-3.3.5-2].
    reasonCode = ReasonCode.TopicNameInvalid
    counters.countLimit(overLimit)
  } else {
    const message = createMessage({
      topic,
      payload,
      qos: packet.qos,
      retain: packet.retain,
      properties: v5 ? passThroughProperties(packet.properties) : undefined,
      origin: connection.clientId,
      // The time the bytes arrived (taken once per socket read): a clock call per message showed in profiles.
      now: connection.lastActivity
    })
    const recipients = context.publish(message)
    if (recipients === 0) reasonCode = ReasonCode.NoMatchingSubscribers
  }

  if (packet.qos === 1) {
    connection.send(v5 && reasonCode !== 0 ? { cmd: 'puback', messageId: packetId, reasonCode } : { cmd: 'puback', messageId: packetId })
  } else if (packet.qos === 2) {
    if (reasonCode < 0x80) session.addIncoming(packetId)
    connection.send(v5 && reasonCode !== 0 ? { cmd: 'pubrec', messageId: packetId, reasonCode } : { cmd: 'pubrec', messageId: packetId })
  }
}

/** The v5 properties that travel with an application message unchanged [MQTT-3.3.2-4/-15/-17/-18]. */
function passThroughProperties(properties: IPublishPacket['properties']): MessageProperties | undefined {
  if (!properties) return undefined
  const out: MessageProperties = {}
  let any = false
  if (properties.payloadFormatIndicator !== undefined) {
    out.payloadFormatIndicator = properties.payloadFormatIndicator
    any = true
  }
  if (properties.messageExpiryInterval !== undefined) {
    out.messageExpiryInterval = properties.messageExpiryInterval
    any = true
  }
  if (properties.contentType !== undefined) {
    out.contentType = properties.contentType
    any = true
  }
  if (properties.responseTopic !== undefined) {
    out.responseTopic = properties.responseTopic
    any = true
  }
  if (properties.correlationData !== undefined) {
    out.correlationData = properties.correlationData
    any = true
  }
  if (properties.userProperties !== undefined) {
    out.userProperties = properties.userProperties
    any = true
  }
  // Wire order, recorded by the connection's parser (see recordUserPropertyOrder).
  const ordered = (properties as { userPropertyList?: Array<[string, string]> }).userPropertyList
  if (ordered !== undefined) out.userPropertyList = ordered
  return any ? out : undefined
}
