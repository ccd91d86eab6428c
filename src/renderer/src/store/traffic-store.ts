import { create } from 'zustand'
import type { TrafficRow } from '../../../shared/api'
import { EMPTY_TRAFFIC_FILTERS, type TrafficFilters } from '../lib/traffic-filter'
import { appendTraffic, clearRing, emptyRing, mergeSnapshotTraffic, TRAFFIC_RING_CAPACITY, type TrafficRing } from '../lib/traffic-ring'

export interface TrafficState {
  ring: TrafficRing
  /** Whether the broker's traffic capture is paused (as the broker last told us). */
  paused: boolean
  filters: TrafficFilters
  /** The row shown in the details panel. */
  selectedId: number | null

  applySnapshot(rows: readonly TrafficRow[], paused: boolean): void
  /** A batch's traffic; `full` says the rows are the broker's whole ring (see InspectorBatch.full). */
  applyBatch(rows: readonly TrafficRow[], notShown: number, full?: boolean, paused?: boolean): void
  setPaused(paused: boolean): void
  setFilters(patch: Partial<TrafficFilters>): void
  select(id: number | null): void
  clear(): void
  /** Forget the "not shown" count (the banner's dismiss). */
  acknowledgeNotShown(): void
}

/**
 * The broker logs an incoming CONNECT before it knows whose connection it is, so that row's
 * clientId is empty; the id the client sent is in its properties. Fill it in, so the client
 * filter, the details and the export show a client's CONNECT with the rest of its packets.
 */
function withConnectClientIds(rows: readonly TrafficRow[]): readonly TrafficRow[] {
  const missing = (row: TrafficRow): boolean =>
    row.clientId === '' && row.type === 'connect' && typeof row.properties?.clientId === 'string' && row.properties.clientId !== ''
  if (!rows.some(missing)) return rows
  return rows.map((row) => (missing(row) ? { ...row, clientId: row.properties!.clientId as string } : row))
}

export function createTrafficState(capacity = TRAFFIC_RING_CAPACITY) {
  return create<TrafficState>()((set) => ({
    ring: emptyRing(capacity),
    paused: false,
    filters: EMPTY_TRAFFIC_FILTERS,
    selectedId: null,

    applySnapshot: (rows, paused) => set((state) => ({ ring: mergeSnapshotTraffic(state.ring, withConnectClientIds(rows)), paused })),
    applyBatch: (rows, notShown, full = false, paused) =>
      set((state) => {
        rows = withConnectClientIds(rows)
        const ring = full ? mergeSnapshotTraffic(appendTraffic(state.ring, [], notShown), rows) : appendTraffic(state.ring, rows, notShown)
        const patch: Partial<TrafficState> = {}
        if (ring !== state.ring) patch.ring = ring
        if (paused !== undefined && paused !== state.paused) patch.paused = paused
        return patch
      }),
    setPaused: (paused) => set({ paused }),
    setFilters: (patch) => set((state) => ({ filters: { ...state.filters, ...patch } })),
    select: (selectedId) => set({ selectedId }),
    clear: () => set((state) => ({ ring: clearRing(state.ring), selectedId: null })),
    acknowledgeNotShown: () => set((state) => ({ ring: { ...state.ring, notShown: 0 } }))
  }))
}

export const useTrafficStore = createTrafficState()
