/**
 * Live chart series: the UI asks for (topic, JSON path) pairs with watchSeries, a lease it renews
 * while the chart is open. For each message on a watched topic the payload view is kept until the
 * next batch window (at most CHART_POINTS_PER_BATCH per series; more are counted as skipped), then
 * parsed once and sent as points in the batch. A topic nobody charts costs nothing; a charted one
 * costs a field read and an array push per message on the broker's loop, the parse comes later.
 */
import { CHART_LEASE_MS, CHART_POINTS_PER_BATCH, MAX_CHART_SERIES, type SeriesPoints, type SeriesSpec } from '../../shared/api'
import { numberInText, parsePath, type PathStep } from '../../shared/json-path'
import type { TopicEntry } from './topic-tree'

const decoder = new TextDecoder('utf-8', { fatal: false })

/** One watched series, hung on its topic's record. */
export class SeriesSink {
  leaseUntil = 0
  private views: Uint8Array[] = []
  private times: number[] = []
  private skipped = 0

  constructor(
    readonly spec: SeriesSpec,
    readonly steps: PathStep[]
  ) {}

  /** Hot path: remember the message for the next batch. */
  add(payload: Uint8Array, time: number): void {
    if (this.views.length >= CHART_POINTS_PER_BATCH) {
      this.skipped++
      return
    }
    this.views.push(payload)
    this.times.push(time)
  }

  get hasNews(): boolean {
    return this.views.length > 0 || this.skipped > 0
  }

  /** Parse what arrived since the last call into points. */
  take(): SeriesPoints {
    const out = points(this.spec, [], [])
    for (let i = 0; i < this.views.length; i++) {
      const value = numberOf(this.views[i], this.steps)
      if (value === null) out.notNumeric++
      else {
        out.times.push(this.times[i])
        out.values.push(value)
      }
    }
    out.skipped = this.skipped
    this.views = []
    this.times = []
    this.skipped = 0
    return out
  }
}

export function numberOf(payload: Uint8Array, steps: readonly PathStep[]): number | null {
  // A chart value is a short text; a long payload is only looked at when it is JSON.
  return numberInText(decoder.decode(payload), steps)
}

function points(spec: SeriesSpec, times: number[], values: number[]): SeriesPoints {
  return { topic: spec.topic, path: spec.path, times, values, notNumeric: 0, skipped: 0 }
}

export const seriesKey = (spec: SeriesSpec): string => `${spec.path}\u0000${spec.topic}`

export class ChartSeries {
  private readonly sinks = new Map<string, SeriesSink>()
  /** Sinks whose topic has no record yet (no message so far): attached on its first message. */
  private readonly waiting = new Map<string, SeriesSink[]>()

  /** Any sinks waiting for their topic's first message (a cheap check before the map lookup). */
  get hasWaiting(): boolean {
    return this.waiting.size > 0
  }

  get size(): number {
    return this.sinks.size
  }

  /**
   * Register or renew series. `lookup` finds a topic's record (null when the topic has had no
   * message), `backfill` the points its history already holds. Throws (a message for the UI) on a
   * bad path or too many series.
   */
  watch(
    specs: readonly SeriesSpec[],
    now: number,
    lookup: (topic: string) => TopicEntry | null,
    backfill: (entry: TopicEntry, sink: SeriesSink) => SeriesPoints
  ): SeriesPoints[] {
    const out: SeriesPoints[] = []
    for (const spec of specs) {
      const key = seriesKey(spec)
      let sink = this.sinks.get(key)
      const entry = lookup(spec.topic)
      if (sink === undefined) {
        const parsed = parsePath(spec.path)
        if (!parsed.ok) throw new Error(`path "${spec.path}": ${parsed.error}`)
        if (this.sinks.size >= MAX_CHART_SERIES) throw new Error(`at most ${MAX_CHART_SERIES} chart series at once`)
        sink = new SeriesSink({ topic: spec.topic, path: spec.path }, parsed.steps)
        this.sinks.set(key, sink)
        if (entry !== null) entry.series = [...(entry.series ?? []), sink]
        else {
          const list = this.waiting.get(spec.topic) ?? []
          list.push(sink)
          this.waiting.set(spec.topic, list)
        }
      }
      sink.leaseUntil = now + CHART_LEASE_MS
      out.push(entry !== null ? backfill(entry, sink) : points(spec, [], []))
    }
    return out
  }

  /** A topic got its record: attach the sinks that were waiting for it. */
  attachWaiting(entry: TopicEntry): void {
    const list = this.waiting.get(entry.topic)
    if (list === undefined) return
    this.waiting.delete(entry.topic)
    entry.series = [...(entry.series ?? []), ...list]
  }

  /** Points since the last call, for the series that have any; expired leases are dropped. */
  take(now: number, lookup: (topic: string) => TopicEntry | null): SeriesPoints[] {
    const out: SeriesPoints[] = []
    for (const [key, sink] of this.sinks) {
      if (sink.leaseUntil < now) {
        this.sinks.delete(key)
        this.detach(sink, lookup)
        continue
      }
      if (sink.hasNews) out.push(sink.take())
    }
    return out
  }

  private detach(sink: SeriesSink, lookup: (topic: string) => TopicEntry | null): void {
    const entry = lookup(sink.spec.topic)
    if (entry?.series) {
      const left = entry.series.filter((s) => s !== sink)
      entry.series = left.length > 0 ? left : null
    }
    const waiting = this.waiting.get(sink.spec.topic)
    if (waiting) {
      const left = waiting.filter((s) => s !== sink)
      if (left.length > 0) this.waiting.set(sink.spec.topic, left)
      else this.waiting.delete(sink.spec.topic)
    }
  }
}
