/**
 * A bridge's topic rules, compiled: what to subscribe to on each side, and how a topic maps from
 * one side to the other (mosquitto.conf(5), `topic`). A message may match several rules; it goes
 * once to each distinct mapped topic.
 */
import type { QoS } from '../../shared/broker-types'
import type { TopicRule } from '../../shared/bridges'
import { topicMatches } from '../../shared/topic-match'

export interface BridgeSubscription {
  filter: string
  qos: QoS
}

interface Mapping {
  /** The filter on the side the message comes from ('' pattern: that exact topic). */
  readonly from: string
  readonly exact: boolean
  readonly fromPrefix: string
  readonly toPrefix: string
  /** Does a topic (that starts with fromPrefix) match `from`? Compiled once: this runs per message. */
  readonly matches: (topic: string) => boolean
}

export class TopicMap {
  /** Filters on our broker, for the outgoing rules. */
  readonly localSubscriptions: BridgeSubscription[]
  /** Filters on the remote broker, for the incoming rules. */
  readonly remoteSubscriptions: BridgeSubscription[]
  private readonly outgoing: Mapping[]
  private readonly incoming: Mapping[]

  constructor(rules: readonly TopicRule[]) {
    const out = rules.filter((r) => r.direction !== 'in')
    const inc = rules.filter((r) => r.direction !== 'out')
    this.outgoing = out.map((r) => mapping(r.localPrefix, r.remotePrefix, r.pattern))
    this.incoming = inc.map((r) => mapping(r.remotePrefix, r.localPrefix, r.pattern))
    this.localSubscriptions = subscriptions(out, (r) => filterOf(r.localPrefix, r.pattern))
    this.remoteSubscriptions = subscriptions(inc, (r) => filterOf(r.remotePrefix, r.pattern))
  }

  get hasOutgoing(): boolean {
    return this.outgoing.length > 0
  }

  /** The remote topics a message on this local topic goes to (none: no outgoing rule matches). */
  toRemote(localTopic: string): string[] {
    return mapTopic(this.outgoing, localTopic)
  }

  /** The local topics a message on this remote topic goes to. */
  toLocal(remoteTopic: string): string[] {
    return mapTopic(this.incoming, remoteTopic)
  }
}

function filterOf(prefix: string, pattern: string): string {
  // An empty pattern remaps a single topic: the prefix is the whole topic.
  return pattern === '' ? prefix : prefix + pattern
}

function mapping(fromPrefix: string, toPrefix: string, pattern: string): Mapping {
  const from = filterOf(fromPrefix, pattern)
  return { from, exact: pattern === '', fromPrefix, toPrefix, matches: compileFilter(from) }
}

/** A matcher for one filter: `#` and `prefix/#` need no split; others split the topic once. */
function compileFilter(filter: string): (topic: string) => boolean {
  if (filter === '#') return (topic) => topic.charCodeAt(0) !== 36 // [MQTT-4.7.2-1] not $-topics
  if (filter.endsWith('/#') && !filter.includes('+')) {
    const parent = filter.slice(0, -2)
    const below = filter.slice(0, -1)
    return (topic) => topic === parent || topic.startsWith(below)
  }
  if (!filter.includes('+') && !filter.includes('#')) return (topic) => topic === filter
  return (topic) => topicMatches(filter, topic)
}

/** One subscription per filter, at the highest QoS any rule asks for it. */
function subscriptions(rules: readonly TopicRule[], filter: (rule: TopicRule) => string): BridgeSubscription[] {
  const byFilter = new Map<string, QoS>()
  for (const rule of rules) {
    const f = filter(rule)
    byFilter.set(f, Math.max(byFilter.get(f) ?? 0, rule.qos) as QoS)
  }
  return [...byFilter].map(([f, qos]) => ({ filter: f, qos }))
}

function mapTopic(mappings: readonly Mapping[], topic: string): string[] {
  const out: string[] = []
  for (const m of mappings) {
    let mapped: string
    if (m.exact) {
      if (topic !== m.from) continue
      mapped = m.toPrefix
    } else {
      if (!topic.startsWith(m.fromPrefix) || !m.matches(topic)) continue
      // The prefix goes, the other side's prefix comes (mosquitto: "the local prefix will be removed … then the remote prefix added").
      mapped = m.toPrefix + topic.slice(m.fromPrefix.length)
    }
    if (mapped.length > 0 && !out.includes(mapped)) out.push(mapped)
  }
  return out
}
