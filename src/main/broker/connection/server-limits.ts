import type { QoS } from '../../../shared/broker-types'
import type { BrokerSettings } from '../../../shared/settings'

/**
 * What the broker announced to a client in its CONNACK (MQTT 5 §3.2.2.3), kept for the life of the
 * connection: a setting changed while it is connected applies to new connections only, so a client
 * is never held to a limit it was not told [MQTT-3.2.2-11..-14]. 3.1.x clients are told nothing;
 * they keep the limits in force when they connected, for the same predictability.
 */
export interface ServerLimits {
  readonly maximumQos: QoS
  readonly retainAvailable: boolean
  readonly receiveMaximum: number
  readonly maximumPacketSize: number
  readonly topicAliasMaximum: number
  readonly wildcardSubscriptionAvailable: boolean
  readonly subscriptionIdentifiersAvailable: boolean
  readonly sharedSubscriptionAvailable: boolean
}

/** Settings objects are replaced on every change, so one limits object serves every connection made under them. */
const cache = new WeakMap<BrokerSettings, ServerLimits>()

export function serverLimitsOf(settings: BrokerSettings): ServerLimits {
  let limits = cache.get(settings)
  if (limits === undefined) {
    limits = Object.freeze({
      maximumQos: settings.maximumQos,
      retainAvailable: settings.retainAvailable,
      receiveMaximum: settings.receiveMaximum,
      maximumPacketSize: settings.maximumPacketSize,
      topicAliasMaximum: settings.topicAliasMaximum,
      wildcardSubscriptionAvailable: settings.wildcardSubscriptionAvailable,
      subscriptionIdentifiersAvailable: settings.subscriptionIdentifiersAvailable,
      sharedSubscriptionAvailable: settings.sharedSubscriptionAvailable
    })
    cache.set(settings, limits)
  }
  return limits
}
