import { create } from 'zustand'
import type { TrafficRow } from '../../../shared/api'
import { EMPTY_TRAFFIC_FILTERS, type TrafficFilters } from '../lib/traffic-filter'
import { appendTraffic, clearRing, emptyRing, mergeSnapshotTraffic, TRAFFIC_RING_CAPACITY, type TrafficRing } from '../lib/traffic-ring'

export interface TrafficState {
  /** What this page has received: keeps recording while the view is paused (bounded, see TrafficRing). */
  ring: TrafficRing
  /**
   * The broker's recording is paused (setTrafficPaused, from any page or the API): nothing new is
   * recorded for anyone until it resumes. The Traffic view's own Pause does not do this.
   */
  brokerPaused: boolean
  /**
   * This view is paused: it shows these rows (the ring as it was when it paused) while the ring
   * keeps recording; on resume it shows the ring, with what arrived meanwhile. Null: live.
   */
  frozen: readonly TrafficRow[] | null
  /** ring.lastId when the view paused (what arrived since is ring.lastId minus this). */
  frozenLastId: number
  filters: TrafficFilters
  /** The row shown in the details panel. */
  selectedId: number | null

  applySnapshot(rows: readonly TrafficRow[], paused: boolean): void
  /** A batch's traffic; `full` says the rows are the broker's whole ring (see InspectorBatch.full). */
  applyBatch(rows: readonly TrafficRow[], notShown: number, full?: boolean, paused?: boolean): void
  setBrokerPaused(paused: boolean): void
  /** Freeze (true) or unfreeze this view; the ring keeps recording either way. */
  setViewPaused(paused: boolean): void
  setFilters(patch: Partial<TrafficFilters>): void
  select(id: number | null): void
  /** Empty this page's log (the broker's ring, and other pages, keep theirs). */
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
    brokerPaused: false,
    frozen: null,
    frozenLastId: 0,
    filters: EMPTY_TRAFFIC_FILTERS,
    selectedId: null,

    applySnapshot: (rows, brokerPaused) =>
      set((state) => ({ ring: mergeSnapshotTraffic(state.ring, withConnectClientIds(rows)), brokerPaused })),
    applyBatch: (rows, notShown, full = false, paused) =>
      set((state) => {
        rows = withConnectClientIds(rows)
        const ring = full ? mergeSnapshotTraffic(appendTraffic(state.ring, [], notShown), rows) : appendTraffic(state.ring, rows, notShown)
        const patch: Partial<TrafficState> = {}
        if (ring !== state.ring) patch.ring = ring
        if (paused !== undefined && paused !== state.brokerPaused) patch.brokerPaused = paused
        return patch
      }),
    setBrokerPaused: (brokerPaused) => set({ brokerPaused }),
    setViewPaused: (paused) =>
      set((state) => {
        if (paused === (state.frozen !== null)) return {}
        return paused ? { frozen: state.ring.rows, frozenLastId: state.ring.lastId } : { frozen: null }
      }),
    setFilters: (patch) => set((state) => ({ filters: { ...state.filters, ...patch } })),
    select: (selectedId) => set({ selectedId }),
    clear: () =>
      set((state) => ({
        ring: clearRing(state.ring),
        selectedId: null,
        frozen: state.frozen === null ? null : [],
        frozenLastId: state.ring.lastId
      })),
    acknowledgeNotShown: () => set((state) => ({ ring: { ...state.ring, notShown: 0 } }))
  }))
}

export const useTrafficStore = createTrafficState()
