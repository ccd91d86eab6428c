import type { TrafficRow } from '../../../shared/api'

/** How many traffic rows the UI keeps by default. */
export const TRAFFIC_RING_CAPACITY = 10_000

/** The traffic rows the UI keeps: the newest `capacity`, in id order. */
export interface TrafficRing {
  readonly rows: readonly TrafficRow[]
  readonly capacity: number
  /** Highest id kept so far; rows at or below it are duplicates. */
  readonly lastId: number
  /** Rows that were shown once and then pushed out of the ring by newer ones. */
  readonly evicted: number
  /** Sum of batch.trafficNotShown: packets the broker saw but never sent us (rate limit or pause). */
  readonly notShown: number
}

export function emptyRing(capacity = TRAFFIC_RING_CAPACITY): TrafficRing {
  return { rows: [], capacity, lastId: 0, evicted: 0, notShown: 0 }
}

/** Append new rows (skipping ids already kept), then drop the oldest beyond capacity. */
export function appendTraffic(ring: TrafficRing, rows: readonly TrafficRow[], notShown = 0): TrafficRing {
  let fresh: readonly TrafficRow[] = rows
  if (rows.length > 0 && rows[0].id <= ring.lastId) fresh = rows.filter((row) => row.id > ring.lastId)
  if (fresh.length === 0) return notShown > 0 ? { ...ring, notShown: ring.notShown + notShown } : ring
  const total = ring.rows.length + fresh.length
  const excess = Math.max(0, total - ring.capacity)
  let next: TrafficRow[]
  if (excess === 0) next = ring.rows.concat(fresh)
  else if (excess >= ring.rows.length) next = fresh.slice(fresh.length - ring.capacity)
  else next = ring.rows.slice(excess).concat(fresh)
  let lastId = ring.lastId
  for (const row of fresh) if (row.id > lastId) lastId = row.id
  return {
    rows: next,
    capacity: ring.capacity,
    lastId,
    evicted: ring.evicted + excess,
    notShown: ring.notShown + notShown
  }
}

/**
 * Merge the traffic of a (re)snapshot. Rows newer than what we hold are appended; when the
 * snapshot's newest id is below ours the broker's log restarted (broker restart or cleared by
 * someone), so the ring starts over from the snapshot.
 */
export function mergeSnapshotTraffic(ring: TrafficRing, rows: readonly TrafficRow[]): TrafficRing {
  const newest = rows.length > 0 ? rows[rows.length - 1].id : 0
  if (ring.rows.length > 0 && newest < ring.lastId) {
    return appendTraffic({ ...emptyRing(ring.capacity), evicted: 0, notShown: ring.notShown }, rows)
  }
  return appendTraffic(ring, rows)
}

/** An empty ring that keeps the counters' meaning: nothing shown, nothing pending. */
export function clearRing(ring: TrafficRing): TrafficRing {
  return { ...emptyRing(ring.capacity), lastId: ring.lastId }
}
