import { beforeEach, describe, expect, it } from 'vitest'
import type { InspectorBatch, InspectorSnapshot, TopicNode, TrafficRow } from '../../src/shared/api'
import { DROP_REASONS, LIMIT_NAMES, REFUSAL_REASONS, type BrokerStats, type ClientInfo } from '../../src/shared/broker-types'
import { DEFAULT_SETTINGS } from '../../src/shared/settings'
import { batchNeedsResync, fromSnapshot, mergeBatch, mergeTopics } from '../../src/renderer/src/lib/inspector-state'
import { appendTraffic, emptyRing, mergeSnapshotTraffic } from '../../src/renderer/src/lib/traffic-ring'
import { pushPoint, sampleSeries, emptySeries, SERIES_LENGTH } from '../../src/renderer/src/lib/series'
import { useInspectorStore } from '../../src/renderer/src/store/inspector-store'
import { createTrafficState } from '../../src/renderer/src/store/traffic-store'

function stats(patch: Partial<BrokerStats> = {}): BrokerStats {
  return {
    startedAt: 0,
    clientsConnected: 0,
    clientsDisconnected: 0,
    clientsMaximum: 0,
    clientsTotal: 0,
    clientsExpired: 0,
    messagesReceived: 0,
    messagesSent: 0,
    publishReceived: 0,
    publishSent: 0,
    publishDropped: 0,
    bytesReceived: 0,
    bytesSent: 0,
    publishBytesReceived: 0,
    publishBytesSent: 0,
    retainedCount: 0,
    subscriptionCount: 0,
    sharedSubscriptionCount: 0,
    storedMessages: 0,
    storedBytes: 0,
    inflight: 0,
    connectionsTotal: 0,
    socketsTotal: 0,
    sessionTakeoversRefused: 0,
    storeRefusals: 0,
    droppedByReason: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as BrokerStats['droppedByReason'],
    limitsHit: Object.fromEntries(LIMIT_NAMES.map((name) => [name, 0])) as BrokerStats['limitsHit'],
    refusedByReason: Object.fromEntries(REFUSAL_REASONS.map((reason) => [reason, 0])) as BrokerStats['refusedByReason'],
    ...patch
  }
}

function client(clientId: string, connected = true): ClientInfo {
  return {
    clientId,
    connected,
    address: '127.0.0.1:5000',
    listener: 'tcp',
    protocolVersion: 5,
    username: null,
    cleanStart: true,
    sessionExpiryInterval: 0,
    keepAlive: 60,
    connectedAt: 1,
    disconnectedAt: null,
    subscriptions: 0,
    inflight: 0,
    queued: 0,
    messagesIn: 0,
    messagesOut: 0
  }
}

function row(id: number): TrafficRow {
  return { id, time: id, direction: 'in', clientId: 'c', type: 'publish', size: 10, topic: 't' }
}

function rows(from: number, to: number): TrafficRow[] {
  const out: TrafficRow[] = []
  for (let id = from; id <= to; id++) out.push(row(id))
  return out
}

function topic(name: string, messages: number, lastUpdated = messages): TopicNode {
  return { topic: name, messages, lastPayload: '', lastSize: 0, lastUpdated, retained: false }
}

function snapshot(patch: Partial<InspectorSnapshot> = {}): InspectorSnapshot {
  return {
    stats: stats(),
    clients: [client('a')],
    subscriptions: [],
    retained: [],
    listeners: [{ name: 'tcp', host: '127.0.0.1', port: 1883, listening: true, error: null }],
    settings: { ...DEFAULT_SETTINGS },
    topics: [topic('x', 1)],
    traffic: rows(1, 5),
    trafficCapacity: 1000,
    trafficPaused: false,
    ...patch
  }
}

function batch(seq: number, patch: Partial<InspectorBatch> = {}): InspectorBatch {
  return {
    seq,
    time: 1000 + seq,
    stats: stats({ publishReceived: seq }),
    rates: { messagesIn: seq, messagesOut: 0, bytesIn: 0, bytesOut: 0 },
    traffic: [],
    trafficNotShown: 0,
    ...patch
  }
}

describe('mergeBatch', () => {
  it('replaces stats always and lists only when the batch carries them', () => {
    const base = fromSnapshot(snapshot(), 1)
    const b1 = mergeBatch(base, batch(1))
    expect(b1.stats.publishReceived).toBe(1)
    expect(b1.clients).toBe(base.clients)
    expect(b1.seq).toBe(1)
    const b2 = mergeBatch(b1, batch(2, { clients: [client('a'), client('b')], retained: [] }))
    expect(b2.clients.map((c) => c.clientId)).toEqual(['a', 'b'])
    const b3 = mergeBatch(b2, batch(3, { clients: [client('b', false)] }))
    expect(b3.clients).toEqual([client('b', false)])
  })

  it('upserts topics by name', () => {
    const base = fromSnapshot(snapshot({ topics: [topic('a', 1), topic('b', 1)] }), 1)
    const next = mergeBatch(base, batch(1, { topics: [topic('b', 5), topic('c', 1)] }))
    expect(next.topics.map((t) => [t.topic, t.messages])).toEqual([
      ['a', 1],
      ['b', 5],
      ['c', 1]
    ])
  })

  it('keeps topics bounded, dropping the least recently updated', () => {
    const merged = mergeTopics([topic('old', 1, 1), topic('mid', 1, 5)], [topic('new', 1, 9)], 2)
    expect(merged.topics.map((t) => t.topic)).toEqual(['mid', 'new'])
    expect(merged.evicted).toBe(1)
  })

  it('replaces topics on a full batch and counts skipped batches', () => {
    const base = fromSnapshot(snapshot({ topics: [topic('a', 1), topic('b', 1)], topicsNotTracked: 2 }), 1)
    expect(base.topicsNotTracked).toBe(2)
    const next = mergeBatch(base, batch(9, { full: true, batchesSkipped: 4, topics: [topic('c', 3)], topicsNotTracked: 5, clients: [] }))
    expect(next.topics.map((t) => t.topic)).toEqual(['c'])
    expect(next.batchesSkipped).toBe(4)
    expect(next.topicsNotTracked).toBe(5)
    expect(batchNeedsResync(1, batch(9, { full: true }))).toBe(false)
  })

  it('asks for a resync on a gap or a restart, not in sequence', () => {
    expect(batchNeedsResync(null, batch(7))).toBe(false)
    expect(batchNeedsResync(6, batch(7))).toBe(false)
    expect(batchNeedsResync(6, batch(9))).toBe(true)
    expect(batchNeedsResync(6, batch(1))).toBe(true)
  })
})

describe('traffic ring', () => {
  it('appends, skips duplicates and stays bounded', () => {
    let ring = emptyRing(10)
    ring = appendTraffic(ring, rows(1, 6))
    ring = appendTraffic(ring, rows(4, 8)) // 4..6 already held
    expect(ring.rows.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    ring = appendTraffic(ring, rows(9, 15), 3)
    expect(ring.rows).toHaveLength(10)
    expect(ring.rows[0].id).toBe(6)
    expect(ring.rows[9].id).toBe(15)
    expect(ring.evicted).toBe(5)
    expect(ring.notShown).toBe(3)
    ring = appendTraffic(ring, rows(100, 140))
    expect(ring.rows.map((r) => r.id)).toEqual(rows(131, 140).map((r) => r.id))
    expect(ring.evicted).toBe(5 + 10 + 31)
  })

  it('counts not-shown packets even in a batch without rows', () => {
    const ring = appendTraffic(emptyRing(5), [], 42)
    expect(ring.notShown).toBe(42)
  })

  it('merges a resync snapshot, and starts over when the broker log restarted', () => {
    let ring = appendTraffic(emptyRing(100), rows(1, 20))
    ring = mergeSnapshotTraffic(ring, rows(15, 25))
    expect(ring.rows.map((r) => r.id)).toEqual(rows(1, 25).map((r) => r.id))
    ring = mergeSnapshotTraffic(ring, rows(1, 3))
    expect(ring.rows.map((r) => r.id)).toEqual([1, 2, 3])
  })
})

describe('series', () => {
  it('keeps at most SERIES_LENGTH points', () => {
    let values: number[] = []
    for (let i = 0; i < SERIES_LENGTH + 30; i++) values = pushPoint(values, i)
    expect(values).toHaveLength(SERIES_LENGTH)
    expect(values[0]).toBe(30)
    expect(values[values.length - 1]).toBe(SERIES_LENGTH + 29)
  })

  it('turns counter deltas into per-second rates', () => {
    const first = sampleSeries(emptySeries(), null, stats({ publishReceived: 100, bytesSent: 1000, clientsConnected: 3 }), 0)
    expect(first.series.messagesIn).toEqual([])
    const second = sampleSeries(first.series, first.sample, stats({ publishReceived: 150, bytesSent: 3000, clientsConnected: 4 }), 2000)
    expect(second.series.messagesIn).toEqual([25])
    expect(second.series.bytesOut).toEqual([1000])
    expect(second.series.clients).toEqual([4])
    // A counter that goes back (broker restart) reads as zero, not negative.
    const third = sampleSeries(second.series, second.sample, stats({ publishReceived: 5 }), 3000)
    expect(third.series.messagesIn).toEqual([25, 0])
  })
})

describe('stores: a snapshot, then batches', () => {
  beforeEach(() => {
    useInspectorStore.setState({ status: 'connecting', data: null, series: emptySeries(), lastSample: null, error: null })
  })

  it('connects on the snapshot and merges batches on top', () => {
    const inspector = useInspectorStore.getState()
    inspector.applySnapshot(snapshot(), 10)
    expect(useInspectorStore.getState().status).toBe('connected')
    inspector.applyBatch(batch(1, { clients: [] }), 20)
    const state = useInspectorStore.getState()
    expect(state.data?.clients).toEqual([])
    expect(state.data?.seq).toBe(1)
    expect(state.lastMessageAt).toBe(20)
  })

  it('reports a lost link as reconnecting once it had data', () => {
    const inspector = useInspectorStore.getState()
    inspector.setStatus('connecting', 'nope')
    expect(useInspectorStore.getState().status).toBe('connecting')
    inspector.applySnapshot(snapshot(), 10)
    inspector.setStatus('connecting', 'lost')
    expect(useInspectorStore.getState().status).toBe('reconnecting')
    expect(useInspectorStore.getState().error).toBe('lost')
  })

  it('samples the dashboard series only while connected', () => {
    const inspector = useInspectorStore.getState()
    inspector.sample(0)
    expect(useInspectorStore.getState().lastSample).toBeNull()
    inspector.applySnapshot(snapshot({ stats: stats({ publishReceived: 10 }) }), 0)
    inspector.sample(0)
    inspector.applyBatch(batch(1, { stats: stats({ publishReceived: 30 }) }), 500)
    inspector.sample(1000)
    expect(useInspectorStore.getState().series.messagesIn).toEqual([20])
  })

  it('keeps the traffic store ring bounded across many batches', () => {
    const traffic = createTrafficState(1000)
    traffic.getState().applySnapshot(rows(1, 500), true)
    expect(traffic.getState().brokerPaused).toBe(true)
    let next = 501
    for (let seq = 1; seq <= 50; seq++) {
      traffic.getState().applyBatch(rows(next, next + 99), 2)
      next += 100
    }
    const { ring } = traffic.getState()
    expect(ring.rows).toHaveLength(1000)
    expect(ring.rows[ring.rows.length - 1].id).toBe(next - 1)
    expect(ring.rows[0].id).toBe(next - 1000)
    expect(ring.notShown).toBe(100)
    expect(ring.evicted).toBe(500 + 5000 - 1000)
    // A full batch carries the broker's whole ring: only rows we do not hold yet are added.
    traffic.getState().applyBatch(rows(next - 10, next + 1), 0, true, false)
    expect(traffic.getState().ring.rows[traffic.getState().ring.rows.length - 1].id).toBe(next + 1)
    expect(traffic.getState().ring.rows).toHaveLength(1000)
    expect(traffic.getState().brokerPaused).toBe(false)
    next += 2
    traffic.getState().clear()
    expect(traffic.getState().ring.rows).toHaveLength(0)
    // After a clear, rows the broker already sent are not taken again.
    traffic.getState().applyBatch(rows(next - 5, next + 4), 0)
    expect(traffic.getState().ring.rows.map((r) => r.id)).toEqual(rows(next, next + 4).map((r) => r.id))
  })
})

describe('the Traffic view pause (issue 15 bug 8)', () => {
  it('freezes what the view shows while the ring keeps recording; resume shows what arrived meanwhile', () => {
    const traffic = createTrafficState(100)
    traffic.getState().applySnapshot(rows(1, 10), false)
    traffic.getState().setViewPaused(true)
    traffic.getState().applyBatch(rows(11, 30), 0)
    const paused = traffic.getState()
    expect(paused.frozen?.map((r) => r.id)).toEqual(rows(1, 10).map((r) => r.id))
    expect(paused.ring.rows).toHaveLength(30)
    expect(paused.ring.lastId - paused.frozenLastId).toBe(20)
    // The broker was never asked to pause: other pages see everything.
    expect(paused.brokerPaused).toBe(false)
    traffic.getState().setViewPaused(false)
    expect(traffic.getState().frozen).toBeNull()
    expect(traffic.getState().ring.rows.map((r) => r.id)).toEqual(rows(1, 30).map((r) => r.id))
  })

  it('Clear empties this view, paused or not, and rows already received do not come back', () => {
    const traffic = createTrafficState(100)
    traffic.getState().applySnapshot(rows(1, 10), false)
    traffic.getState().setViewPaused(true)
    traffic.getState().clear()
    expect(traffic.getState().frozen).toEqual([])
    traffic.getState().applySnapshot(rows(1, 12), false)
    traffic.getState().setViewPaused(false)
    expect(traffic.getState().ring.rows.map((r) => r.id)).toEqual([11, 12])
  })
})
