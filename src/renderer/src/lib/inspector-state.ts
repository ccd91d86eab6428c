import type { HistoryUsage, InspectorBatch, InspectorSnapshot, RetainedRow, TopicNode } from '../../../shared/api'
import type { BridgeStatus } from '../../../shared/bridges'
import type { BrokerStats, ClientInfo, ListenerInfo, SubscriptionInfo } from '../../../shared/broker-types'
import type { BrokerSettings } from '../../../shared/settings'

/** Upper bound on topics the UI keeps; the least recently updated go first. */
export const TOPIC_LIMIT = 50_000

/**
 * What the UI knows about the broker, built from a snapshot and then batches. Clients,
 * subscriptions, retained, listeners and settings arrive as whole lists when they change and
 * replace what we hold; topics arrive as the topics that changed and are merged by name.
 */
export interface InspectorData {
  stats: BrokerStats
  rates: InspectorBatch['rates']
  clients: ClientInfo[]
  subscriptions: SubscriptionInfo[]
  retained: RetainedRow[]
  listeners: ListenerInfo[]
  settings: BrokerSettings
  topics: TopicNode[]
  /** Topics pushed out of the UI by TOPIC_LIMIT. */
  topicsEvicted: number
  /** Messages on topics the broker's (bounded) topic tree had no room for. */
  topicsNotTracked: number
  /** The per-topic history's bounds and evictions, as the broker last said. */
  history: HistoryUsage | null
  /** Bridges and remote inspections, with their state and counters. */
  bridges: BridgeStatus[]
  /** Batches this UI missed (it fell behind); a full batch then replaced its state. */
  batchesSkipped: number
  trafficCapacity: number
  /** seq of the last batch applied, null right after a snapshot. */
  seq: number | null
  /** When the last snapshot or batch was applied (ms). */
  updatedAt: number
}

export const ZERO_RATES: InspectorBatch['rates'] = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 }

export function fromSnapshot(snapshot: InspectorSnapshot, now: number): InspectorData {
  const topics = limitTopics(snapshot.topics.slice(), TOPIC_LIMIT)
  return {
    stats: snapshot.stats,
    rates: ZERO_RATES,
    clients: snapshot.clients,
    subscriptions: snapshot.subscriptions,
    retained: snapshot.retained,
    listeners: snapshot.listeners,
    settings: snapshot.settings,
    topics: topics.topics,
    topicsEvicted: topics.evicted,
    topicsNotTracked: snapshot.topicsNotTracked ?? 0,
    history: snapshot.history ?? null,
    bridges: snapshot.bridges ?? [],
    batchesSkipped: 0,
    trafficCapacity: snapshot.trafficCapacity,
    seq: null,
    updatedAt: now
  }
}

/**
 * Apply one batch (everything but its traffic, which the traffic ring takes). A full batch
 * (sent after this receiver missed batches) replaces the topics instead of merging them.
 */
export function mergeBatch(data: InspectorData, batch: InspectorBatch, limit = TOPIC_LIMIT): InspectorData {
  const next: InspectorData = {
    ...data,
    stats: batch.stats,
    rates: batch.rates,
    seq: batch.seq,
    updatedAt: batch.time
  }
  if (batch.clients) next.clients = batch.clients
  if (batch.subscriptions) next.subscriptions = batch.subscriptions
  if (batch.retained) next.retained = batch.retained
  if (batch.listeners) next.listeners = batch.listeners
  if (batch.settings) next.settings = batch.settings
  if (batch.full && batch.topics) {
    const limited = limitTopics(batch.topics.slice(), limit)
    next.topics = limited.topics
    next.topicsEvicted = data.topicsEvicted + limited.evicted
  } else if (batch.topics && batch.topics.length > 0) {
    const merged = mergeTopics(data.topics, batch.topics, limit)
    next.topics = merged.topics
    next.topicsEvicted = data.topicsEvicted + merged.evicted
  }
  if (batch.topicsNotTracked !== undefined) next.topicsNotTracked = batch.topicsNotTracked
  if (batch.history !== undefined) next.history = batch.history
  if (batch.bridges !== undefined) next.bridges = batch.bridges
  if (batch.batchesSkipped) next.batchesSkipped = data.batchesSkipped + batch.batchesSkipped
  return next
}

/** Upsert changed topics by name; keeps order of first appearance, new ones at the end. */
export function mergeTopics(
  current: readonly TopicNode[],
  changed: readonly TopicNode[],
  limit = TOPIC_LIMIT
): { topics: TopicNode[]; evicted: number } {
  const index = new Map<string, number>()
  for (let i = 0; i < current.length; i++) index.set(current[i].topic, i)
  const topics = current.slice()
  for (const node of changed) {
    const at = index.get(node.topic)
    if (at === undefined) {
      index.set(node.topic, topics.length)
      topics.push(node)
    } else {
      topics[at] = node
    }
  }
  return limitTopics(topics, limit)
}

function limitTopics(topics: TopicNode[], limit: number): { topics: TopicNode[]; evicted: number } {
  if (topics.length <= limit) return { topics, evicted: 0 }
  const evicted = topics.length - limit
  // Keep the most recently updated, in their original order.
  const cutoff = topics.map((t) => t.lastUpdated).sort((a, b) => b - a)[limit - 1]
  let budget = limit - topics.filter((t) => t.lastUpdated > cutoff).length
  const kept = topics.filter((t) => {
    if (t.lastUpdated > cutoff) return true
    if (t.lastUpdated === cutoff && budget > 0) {
      budget--
      return true
    }
    return false
  })
  return { topics: kept, evicted }
}

/**
 * Does this batch leave us with a gap? A jump in seq or a restart calls for a fresh snapshot;
 * a full batch carries the whole state itself, so it never does.
 */
export function batchNeedsResync(previousSeq: number | null, batch: InspectorBatch): boolean {
  if (previousSeq === null || batch.full) return false
  return batch.seq !== previousSeq + 1
}
