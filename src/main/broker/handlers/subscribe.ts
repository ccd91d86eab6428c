import type { ISubscribePacket, IUnsubscribePacket } from 'mqtt-packet'
import type { QoS } from '../../../shared/broker-types'
import { ReasonCode } from '../codec/reason-codes'
import type { Connection } from '../connection/connection'
import { hasWildcard, parseSharedFilter, validateTopicFilter } from '../topics/topic-validation'
import { checkFilterLimits } from '../limits'
import type { SubscriptionRequest } from '../topics/router'
import type { HandlerContext } from './context'

/** SUBSCRIBE: check each filter, store it, answer with SUBACK, then send matching retained messages. */
export function handleSubscribe(context: HandlerContext, connection: Connection, packet: ISubscribePacket): void {
  const settings = context.settings
  // What this connection was promised in its CONNACK, not what the settings say now (MQTT 5 §3.2.2.3).
  const limits = connection.limits
  const v5 = connection.protocolVersion === 5
  const subscriptionId = packet.properties?.subscriptionIdentifier ?? null
  if (subscriptionId !== null && !limits.subscriptionIdentifiersAvailable) {
    // [MQTT-3.2.2-?] we said we do not support them; using one ends the connection with 0xA1.
    return connection.protocolClose(ReasonCode.SubscriptionIdentifiersNotSupported, 'subscription identifiers are not available')
  }
  if (packet.subscriptions.length === 0) {
    // [MQTT-3.8.3-3] (3.1.1) / [MQTT-3.8.3-2] (5.0): at least one topic filter; none is a protocol error.
    return connection.protocolClose(ReasonCode.ProtocolError, 'SUBSCRIBE with no topic filter')
  }
  const granted: number[] = []
  const accepted: SubscriptionRequest[] = []
  const session = connection.session!
  /** Filters this SUBSCRIBE adds (not replacing one the session has), for maxSubscriptionsPerClient. */
  const adding = new Set<string>()
  for (const request of packet.subscriptions) {
    const refusal = (code: number): void => {
      granted.push(v5 ? code : 0x80)
    }
    const shared = parseSharedFilter(request.topic)
    if (shared !== null && 'error' in shared) {
      refusal(ReasonCode.TopicFilterInvalid)
      continue
    }
    const topicFilter = shared === null ? request.topic : shared.topicFilter
    if (validateTopicFilter(topicFilter) !== null) {
      refusal(ReasonCode.TopicFilterInvalid)
      continue
    }
    if (shared !== null && !limits.sharedSubscriptionAvailable) {
      refusal(ReasonCode.SharedSubscriptionsNotSupported)
      continue
    }
    if (shared !== null && request.nl) {
      // [MQTT-3.8.3-4] No Local on a shared subscription is a protocol error.
      return connection.protocolClose(ReasonCode.ProtocolError, 'no local is not allowed on a shared subscription')
    }
    if (!limits.wildcardSubscriptionAvailable && hasWildcard(topicFilter)) {
      refusal(ReasonCode.WildcardSubscriptionsNotSupported)
      continue
    }
    if (context.auth.aclActive && !context.auth.canSubscribe(connection.session!, topicFilter)) {
      // The ACL has no read rule covering this filter, or a deny rule covers it (see auth/acl.ts).
      refusal(ReasonCode.NotAuthorized)
      continue
    }
    // A valid filter over maxTopicLength/maxTopicLevels: 0x8F "not accepted by the Server" (MQTT 5 §3.9.3).
    const overLimit = checkFilterLimits(request.topic, topicFilter, settings)
    if (overLimit !== null) {
      context.counters.countLimit(overLimit)
      refusal(ReasonCode.TopicFilterInvalid)
      continue
    }
    const maxSubscriptions = settings.maxSubscriptionsPerClient
    if (maxSubscriptions > 0 && !session.subscriptions.has(request.topic) && !adding.has(request.topic)) {
      if (session.subscriptions.size + adding.size >= maxSubscriptions) {
        // 0x97 Quota exceeded: "an implementation or administrative imposed limit has been exceeded" (MQTT 5 §3.9.3).
        context.counters.countLimit('maxSubscriptionsPerClient')
        refusal(ReasonCode.QuotaExceeded)
        continue
      }
      adding.add(request.topic)
    }
    // The granted QoS is told in this SUBACK, so the Maximum QoS in force now applies (no promise is broken).
    const qos = Math.min(request.qos, settings.maximumQos) as QoS
    granted.push(qos)
    accepted.push({
      filter: request.topic,
      topicFilter,
      shareGroup: shared === null ? null : shared.group,
      qos,
      noLocal: v5 ? (request.nl ?? false) : false,
      retainAsPublished: v5 ? (request.rap ?? false) : false,
      retainHandling: v5 ? ((request.rh ?? 0) as 0 | 1 | 2) : 0,
      subscriptionId: v5 ? subscriptionId : null
    })
  }
  const added = context.subscribe(connection.session!, accepted)
  connection.send({ cmd: 'suback', messageId: packet.messageId, granted })
  // Retained messages follow the SUBACK [MQTT-3.8.4-4], per each subscription's Retain Handling.
  context.sendRetainedFor(connection.session!, accepted, added)
}

/** UNSUBSCRIBE: remove each filter; v5 says which ones did not exist (0x11). */
export function handleUnsubscribe(context: HandlerContext, connection: Connection, packet: IUnsubscribePacket): void {
  if (packet.unsubscriptions.length === 0) {
    // [MQTT-3.10.3-2]: at least one topic filter; none is a protocol error.
    return connection.protocolClose(ReasonCode.ProtocolError, 'UNSUBSCRIBE with no topic filter')
  }
  const removed = context.unsubscribe(connection.session!, packet.unsubscriptions)
  if (connection.protocolVersion === 5) {
    const granted = removed.map((was) => (was ? ReasonCode.Success : ReasonCode.NoSubscriptionExisted))
    connection.send({ cmd: 'unsuback', messageId: packet.messageId, granted })
  } else {
    connection.send({ cmd: 'unsuback', messageId: packet.messageId, granted: [] })
  }
}
