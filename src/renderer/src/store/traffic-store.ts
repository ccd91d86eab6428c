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

export function createTrafficState(capacity = TRAFFIC_RING_CAPACITY) {
  return create<TrafficState>()((set) => ({
    ring: emptyRing(capacity),
    paused: false,
    filters: EMPTY_TRAFFIC_FILTERS,
    selectedId: null,

    applySnapshot: (rows, paused) => set((state) => ({ ring: mergeSnapshotTraffic(state.ring, rows), paused })),
    applyBatch: (rows, notShown, full = false, paused) =>
      set((state) => {
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
