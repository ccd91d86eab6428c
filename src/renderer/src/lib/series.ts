import type { BrokerStats } from '../../../shared/broker-types'

/** How many points each dashboard sparkline keeps (one a second: two minutes). */
export const SERIES_LENGTH = 120

export type SeriesKey = 'messagesIn' | 'messagesOut' | 'bytesIn' | 'bytesOut' | 'dropped' | 'clients' | 'subscriptions' | 'retained'

export const SERIES_KEYS: readonly SeriesKey[] = [
  'messagesIn',
  'messagesOut',
  'bytesIn',
  'bytesOut',
  'dropped',
  'clients',
  'subscriptions',
  'retained'
]

export type SeriesSet = Readonly<Record<SeriesKey, readonly number[]>>

/** The counters at the previous sample, to turn running totals into per-second rates. */
export interface CounterSample {
  time: number
  publishReceived: number
  publishSent: number
  bytesReceived: number
  bytesSent: number
  publishDropped: number
}

export function emptySeries(): SeriesSet {
  return {
    messagesIn: [],
    messagesOut: [],
    bytesIn: [],
    bytesOut: [],
    dropped: [],
    clients: [],
    subscriptions: [],
    retained: []
  }
}

/** Append one value, keeping at most `max` (the oldest go first). */
export function pushPoint(values: readonly number[], value: number, max = SERIES_LENGTH): number[] {
  const next = values.length >= max ? values.slice(values.length - max + 1) : values.slice()
  next.push(value)
  return next
}

export function counterSample(stats: BrokerStats, time: number): CounterSample {
  return {
    time,
    publishReceived: stats.publishReceived,
    publishSent: stats.publishSent,
    bytesReceived: stats.bytesReceived,
    bytesSent: stats.bytesSent,
    publishDropped: stats.publishDropped
  }
}

/** Per-second rate between two readings of a running total; a counter that went back (restart) reads as 0. */
function rate(now: number, before: number, seconds: number): number {
  if (seconds <= 0 || now < before) return 0
  return (now - before) / seconds
}

/**
 * Take one sample: rates from the counter deltas since `previous` (exact whatever the batch
 * cadence), gauges as they are now. Returns the new series and the sample to keep for next time.
 */
export function sampleSeries(
  series: SeriesSet,
  previous: CounterSample | null,
  stats: BrokerStats,
  now: number,
  max = SERIES_LENGTH
): { series: SeriesSet; sample: CounterSample } {
  const sample = counterSample(stats, now)
  if (!previous) return { series, sample }
  const seconds = (now - previous.time) / 1000
  return {
    sample,
    series: {
      messagesIn: pushPoint(series.messagesIn, rate(sample.publishReceived, previous.publishReceived, seconds), max),
      messagesOut: pushPoint(series.messagesOut, rate(sample.publishSent, previous.publishSent, seconds), max),
      bytesIn: pushPoint(series.bytesIn, rate(sample.bytesReceived, previous.bytesReceived, seconds), max),
      bytesOut: pushPoint(series.bytesOut, rate(sample.bytesSent, previous.bytesSent, seconds), max),
      dropped: pushPoint(series.dropped, rate(sample.publishDropped, previous.publishDropped, seconds), max),
      clients: pushPoint(series.clients, stats.clientsConnected, max),
      subscriptions: pushPoint(series.subscriptions, stats.subscriptionCount, max),
      retained: pushPoint(series.retained, stats.retainedCount, max)
    }
  }
}
