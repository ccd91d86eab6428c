import { create } from 'zustand'
import type { InspectorBatch, InspectorSnapshot } from '../../../shared/api'
import type { ListenerInfo } from '../../../shared/broker-types'
import type { BrokerSettings } from '../../../shared/settings'
import { fromSnapshot, mergeBatch, type InspectorData } from '../lib/inspector-state'
import { emptySeries, sampleSeries, type CounterSample, type SeriesSet } from '../lib/series'

/** One shared empty list, so `s.data?.x ?? NONE` selectors return a stable value (zustand compares by reference). */
export const NONE: never[] = []

/**
 * connecting: never had a snapshot yet; connected: snapshot applied and the link answers;
 * reconnecting: we had data, then lost the link (the data shown is stale); denied: the broker
 * refused this page's token (no retry can fix that: the page must be opened from the printed address).
 */
export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'denied'

export interface InspectorState {
  status: ConnectionStatus
  /** The last connection problem, for the "connecting…" screen. */
  error: string | null
  transport: string | null
  data: InspectorData | null
  series: SeriesSet
  lastSample: CounterSample | null
  /** When anything last arrived from the broker (snapshot or batch), ms. */
  lastMessageAt: number

  setTransport(transport: string): void
  setStatus(status: ConnectionStatus, error?: string | null): void
  applySnapshot(snapshot: InspectorSnapshot, now: number): void
  applyBatch(batch: InspectorBatch, now: number): void
  /** Once a second: add a point to every dashboard series. */
  sample(now: number): void
  /** After a successful updateSettings. */
  applySettings(settings: BrokerSettings, listeners: ListenerInfo[]): void
}

export const useInspectorStore = create<InspectorState>()((set, get) => ({
  status: 'connecting',
  error: null,
  transport: null,
  data: null,
  series: emptySeries(),
  lastSample: null,
  lastMessageAt: 0,

  setTransport: (transport) => set({ transport }),

  setStatus: (status, error = null) => {
    // Once we had data, losing the link is "reconnecting", never "connecting" again.
    const next = status === 'connecting' && get().data !== null ? 'reconnecting' : status
    // A refusal is final for this page.
    if (get().status === 'denied') return
    set({ status: next, error })
  },

  applySnapshot: (snapshot, now) => set({ data: fromSnapshot(snapshot, now), status: 'connected', error: null, lastMessageAt: now }),

  applyBatch: (batch, now) =>
    set((state) => (state.data ? { data: mergeBatch(state.data, batch), lastMessageAt: now } : { lastMessageAt: now })),

  sample: (now) =>
    set((state) => {
      if (!state.data || state.status !== 'connected') return {}
      const { series, sample } = sampleSeries(state.series, state.lastSample, state.data.stats, now)
      return { series, lastSample: sample }
    }),

  applySettings: (settings, listeners) => set((state) => (state.data ? { data: { ...state.data, settings, listeners } } : {}))
}))
