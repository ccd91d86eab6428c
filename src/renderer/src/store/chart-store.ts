/**
 * Live chart series: which (topic, path) pairs are charted, their points (bounded per series),
 * the time window and pause. Points arrive in batches (InspectorBatch.chartPoints) for the series
 * the page leases with watchSeries while the chart is shown (see ChartPanel).
 */
import { create } from 'zustand'
import type { SeriesPoints, SeriesSpec } from '../../../shared/api'

/** Points kept per series (the oldest go first; the count of dropped ones is shown). */
export const MAX_POINTS_PER_SERIES = 100_000

export const CHART_WINDOWS: ReadonlyArray<{ seconds: number; label: string }> = [
  { seconds: 60, label: '1 min' },
  { seconds: 300, label: '5 min' },
  { seconds: 900, label: '15 min' },
  { seconds: 3600, label: '1 h' }
]

export interface SeriesData {
  spec: SeriesSpec
  times: number[]
  values: number[]
  notNumeric: number
  skipped: number
  dropped: number
}

export const seriesId = (spec: SeriesSpec): string => (spec.path ? `${spec.topic} ${spec.path}` : spec.topic)

export interface ChartState {
  series: SeriesData[]
  windowSeconds: number
  paused: boolean
  /** Bumped whenever points arrive, so the chart knows to redraw. */
  version: number
  add(spec: SeriesSpec): void
  remove(spec: SeriesSpec): void
  setWindow(seconds: number): void
  setPaused(paused: boolean): void
  /** Points from a batch, or the back-fill a watchSeries call returned (replace: true). */
  applyPoints(points: readonly SeriesPoints[], replace?: boolean): void
}

const same = (a: SeriesSpec, b: SeriesSpec): boolean => a.topic === b.topic && a.path === b.path

function merge(data: SeriesData, points: SeriesPoints, replace: boolean): SeriesData {
  let times = replace ? [] : data.times
  let values = replace ? [] : data.values
  if (points.times.length > 0) {
    // Back-fill and live points may overlap around the lease: keep time order, drop repeats.
    const last = times.length > 0 ? times[times.length - 1] : -Infinity
    times = times.slice()
    values = values.slice()
    for (let i = 0; i < points.times.length; i++) {
      if (points.times[i] < last) continue
      times.push(points.times[i])
      values.push(points.values[i])
    }
  }
  let dropped = data.dropped
  if (times.length > MAX_POINTS_PER_SERIES) {
    const cut = times.length - MAX_POINTS_PER_SERIES
    dropped += cut
    times = times.slice(cut)
    values = values.slice(cut)
  }
  return {
    ...data,
    times,
    values,
    notNumeric: (replace ? 0 : data.notNumeric) + points.notNumeric,
    skipped: (replace ? 0 : data.skipped) + points.skipped,
    dropped
  }
}

export const useChartStore = create<ChartState>()((set) => ({
  series: [],
  windowSeconds: 300,
  paused: false,
  version: 0,
  add: (spec) =>
    set((state) =>
      state.series.some((s) => same(s.spec, spec))
        ? {}
        : { series: [...state.series, { spec, times: [], values: [], notNumeric: 0, skipped: 0, dropped: 0 }] }
    ),
  remove: (spec) => set((state) => ({ series: state.series.filter((s) => !same(s.spec, spec)) })),
  setWindow: (windowSeconds) => set({ windowSeconds }),
  setPaused: (paused) => set({ paused }),
  applyPoints: (points, replace = false) =>
    set((state) => {
      if (points.length === 0) return {}
      let changed = false
      const series = state.series.map((data) => {
        const match = points.find((p) => same(p, data.spec))
        if (!match) return data
        changed = true
        return merge(data, match, replace)
      })
      return changed ? { series, version: state.version + 1 } : {}
    })
}))
