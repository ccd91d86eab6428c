/**
 * Configurable limits on what a client may send (topic size, subscription count). Each check
 * returns the name of the limit that was hit (also its BrokerSettings key and its BrokerStats
 * limitsHit key) or null; the caller refuses the packet and counts the hit.
 */
import type { LimitName } from '../../shared/broker-types'
import type { BrokerSettings } from '../../shared/settings'

type TopicLimits = Pick<BrokerSettings, 'maxTopicLevels' | 'maxTopicLength'>

/**
 * Null when a topic name or topic filter is within maxTopicLength (UTF-8 bytes) and maxTopicLevels
 * ('/'-separated levels, so 'a/b' has 2 and '/' has 2). Cheap for the usual short topic: a string
 * of n UTF-16 units has at most n + 1 levels and at most 3n bytes, so neither is counted then.
 */
export function checkTopicLimits(topic: string, limits: TopicLimits): 'maxTopicLength' | 'maxTopicLevels' | null {
  const maxLength = limits.maxTopicLength
  if (topic.length * 3 > maxLength && Buffer.byteLength(topic, 'utf8') > maxLength) return 'maxTopicLength'
  const maxLevels = limits.maxTopicLevels
  if (maxLevels > 0 && topic.length + 1 > maxLevels && topicLevels(topic) > maxLevels) return 'maxTopicLevels'
  return null
}

/** Number of levels in a topic name or filter: one more than its '/' separators. */
export function topicLevels(topic: string): number {
  let levels = 1
  for (let i = topic.indexOf('/'); i !== -1; i = topic.indexOf('/', i + 1)) levels++
  return levels
}

/** What a limit hit is called in logs and reason strings. */
export function describeLimit(limit: LimitName, settings: BrokerSettings): string {
  switch (limit) {
    case 'maxTopicLength':
      return `topic longer than ${settings.maxTopicLength} bytes (maxTopicLength)`
    case 'maxTopicLevels':
      return `topic with more than ${settings.maxTopicLevels} levels (maxTopicLevels)`
    case 'maxSubscriptionsPerClient':
      return `more than ${settings.maxSubscriptionsPerClient} subscriptions (maxSubscriptionsPerClient)`
    default:
      return `${limit} reached`
  }
}

/**
 * The topic limits for a SUBSCRIBE filter: the length is that of the filter as sent (with any
 * $share/group/ prefix, one UTF-8 string on the wire), the levels those of the filter that is
 * matched (without the prefix).
 */
export function checkFilterLimits(filter: string, topicFilter: string, limits: TopicLimits): 'maxTopicLength' | 'maxTopicLevels' | null {
  return (
    checkTopicLimits(filter, { maxTopicLength: limits.maxTopicLength, maxTopicLevels: 0 }) ??
    checkTopicLimits(topicFilter, { maxTopicLength: limits.maxTopicLength, maxTopicLevels: limits.maxTopicLevels })
  )
}
