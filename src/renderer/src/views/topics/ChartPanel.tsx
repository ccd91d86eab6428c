/**
 * Live chart of numeric values: one or more series (a topic, and a path into its JSON payload, or
 * the payload itself as a number) drawn with uPlot. uPlot is made for this: a canvas time-series
 * chart of about 50 KB that draws 100,000s of points in a few milliseconds and redraws with one
 * setData call, so the chart redraws at most 4 times a second whatever the message rate, and
 * 10,000 points per series cost a frame, not a stutter.
 *
 * While this panel is shown it leases its series from the inspector (watchSeries every 5 s);
 * the points arrive in the batches.
 */
import { useEffect, useMemo, useRef, useState, type JSX } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { CHART_LEASE_MS, type SeriesSpec } from '../../../../shared/api'
import { parsePath } from '../../../../shared/json-path'
import { getApi } from '../../api'
import { toCsv } from '../../lib/csv'
import { downloadText } from '../../lib/download'
import { formatCount } from '../../lib/format'
import { CHART_WINDOWS, seriesId, useChartStore, type SeriesData } from '../../store/chart-store'

const COLORS = ['#2f6fdf', '#d9480f', '#2b8a3e', '#9c36b5', '#e67700', '#0b7285', '#c2255c', '#5f3dc4']
const REDRAW_MS = 250
const RENEW_MS = Math.floor(CHART_LEASE_MS / 3)

export function ChartPanel({ topic }: { topic: string }): JSX.Element {
  const series = useChartStore((s) => s.series)
  const windowSeconds = useChartStore((s) => s.windowSeconds)
  const paused = useChartStore((s) => s.paused)
  const [path, setPath] = useState('')
  const [seriesTopic, setSeriesTopic] = useState(topic)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => setSeriesTopic(topic), [topic])

  const specs = useMemo(() => series.map((s) => s.spec), [series])
  const specsKey = specs.map(seriesId).join('\n')

  // The lease: ask for the series now (with the history's back-fill) and again before it runs out.
  // biome-ignore lint/correctness/useExhaustiveDependencies: specsKey stands for specs
  useEffect(() => {
    if (specs.length === 0) return
    let stopped = false
    const renew = (backfill: boolean): void => {
      getApi()
        .call('watchSeries', specs)
        .then(
          (points) => {
            if (!stopped && backfill) useChartStore.getState().applyPoints(points, true)
            setError(null)
          },
          (err: unknown) => setError(err instanceof Error ? err.message : String(err))
        )
    }
    renew(true)
    const timer = setInterval(() => renew(false), RENEW_MS)
    return () => {
      stopped = true
      clearInterval(timer)
    }
  }, [specsKey])

  const add = (): void => {
    const parsed = parsePath(path)
    if (!parsed.ok) {
      setError(`Path: ${parsed.error}`)
      return
    }
    const spec: SeriesSpec = { topic: seriesTopic.trim(), path: path.trim() }
    if (spec.topic === '') return
    useChartStore.getState().add(spec)
    setError(null)
  }

  const exportCsv = (): void => {
    const rows: unknown[][] = []
    for (const s of useChartStore.getState().series) {
      for (let i = 0; i < s.times.length; i++) rows.push([s.spec.topic, s.spec.path, new Date(s.times[i]).toISOString(), s.values[i]])
    }
    downloadText('brokerscope-chart.csv', toCsv(['topic', 'path', 'time', 'value'], rows), 'text/csv')
  }

  return (
    <div className="chart-panel" data-testid="chart-panel">
      <div className="toolbar wrap">
        <label className="field-inline">
          Topic
          <input value={seriesTopic} onChange={(e) => setSeriesTopic(e.target.value)} size={18} aria-label="Series topic" />
        </label>
        <label className="field-inline">
          Path
          <input
            value={path}
            onChange={(e) => setPath(e.target.value)}
            placeholder="sensors[0].temp (empty: the payload)"
            size={22}
            aria-label="JSON path"
            onKeyDown={(e) => {
              if (e.key === 'Enter') add()
            }}
          />
        </label>
        <button type="button" className="small" onClick={add}>
          Add series
        </button>
        <label className="field-inline">
          Window
          <select
            value={windowSeconds}
            onChange={(e) => useChartStore.getState().setWindow(Number(e.target.value))}
            aria-label="Time window"
          >
            {CHART_WINDOWS.map((w) => (
              <option key={w.seconds} value={w.seconds}>
                {w.label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="small" aria-pressed={paused} onClick={() => useChartStore.getState().setPaused(!paused)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" className="small" onClick={exportCsv} disabled={series.length === 0}>
          Export CSV
        </button>
        <ExportPng disabled={series.length === 0} />
      </div>
      {error && <p className="field-error">{error}</p>}
      {series.length === 0 ? (
        <p className="muted">No series yet. Click a number in the Value tab, or type a path above and Add series.</p>
      ) : (
        <>
          <ul className="series-list" aria-label="Chart series">
            {series.map((s, i) => (
              <SeriesItem key={seriesId(s.spec)} data={s} color={COLORS[i % COLORS.length]} />
            ))}
          </ul>
          <LiveChart />
        </>
      )}
    </div>
  )
}

function SeriesItem({ data, color }: { data: SeriesData; color: string }): JSX.Element {
  const last = data.values.length > 0 ? data.values[data.values.length - 1] : null
  return (
    <li data-testid="chart-series">
      <span className="swatch" style={{ background: color }} aria-hidden="true" />
      <span className="mono">{seriesId(data.spec)}</span>
      <span className="muted">
        {formatCount(data.values.length)} points{last !== null ? ` · last ${last}` : ''}
        {data.notNumeric > 0 ? ` · ${formatCount(data.notNumeric)} not numeric` : ''}
        {data.skipped > 0 ? ` · ${formatCount(data.skipped)} skipped (rate)` : ''}
        {data.dropped > 0 ? ` · ${formatCount(data.dropped)} oldest dropped` : ''}
      </span>
      <button
        type="button"
        className="small"
        onClick={() => useChartStore.getState().remove(data.spec)}
        aria-label={`Remove ${seriesId(data.spec)}`}
      >
        ×
      </button>
    </li>
  )
}

let chartCanvas: HTMLCanvasElement | null = null

function ExportPng({ disabled }: { disabled: boolean }): JSX.Element {
  return (
    <button
      type="button"
      className="small"
      disabled={disabled}
      onClick={() => {
        chartCanvas?.toBlob((blob) => {
          if (!blob) return
          const url = URL.createObjectURL(blob)
          const link = document.createElement('a')
          link.href = url
          link.download = 'brokerscope-chart.png'
          document.body.appendChild(link)
          link.click()
          link.remove()
          setTimeout(() => URL.revokeObjectURL(url), 10_000)
        }, 'image/png')
      }}
    >
      Export PNG
    </button>
  )
}

/** Aligned uPlot data from series with their own timestamps (seconds on x, gaps spanned). */
function alignedData(series: readonly SeriesData[], from: number): uPlot.AlignedData {
  const tables = series.map((s) => {
    let start = 0
    while (start < s.times.length && s.times[start] < from) start++
    const xs = new Array<number>(s.times.length - start)
    for (let i = start; i < s.times.length; i++) xs[i - start] = s.times[i] / 1000
    return [xs, s.values.slice(start)] as uPlot.AlignedData
  })
  if (tables.length === 1) return tables[0]
  return uPlot.join(tables)
}

function LiveChart(): JSX.Element {
  const host = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const series = useChartStore((s) => s.series)
  const specsKey = series.map((s) => seriesId(s.spec)).join('\n')

  // biome-ignore lint/correctness/useExhaustiveDependencies: rebuilt only when the set of series changes
  useEffect(() => {
    const element = host.current
    if (!element) return
    const state = useChartStore.getState()
    const options: uPlot.Options = {
      width: Math.max(300, element.clientWidth),
      height: 260,
      scales: { x: { time: true } },
      series: [
        {},
        ...state.series.map((s, i) => ({
          label: seriesId(s.spec),
          stroke: COLORS[i % COLORS.length],
          width: 1.5,
          spanGaps: true,
          points: { show: false }
        }))
      ],
      legend: { show: true },
      cursor: { drag: { x: false, y: false } }
    }
    const now = Date.now()
    const chart = new uPlot(options, alignedData(state.series, now - state.windowSeconds * 1000), element)
    plot.current = chart
    chartCanvas = chart.ctx.canvas
    let lastVersion = -1
    let lastDraw = 0
    let frame = 0
    const draw = (): void => {
      frame = requestAnimationFrame(draw)
      const current = useChartStore.getState()
      const t = Date.now()
      if (current.paused || t - lastDraw < REDRAW_MS) return
      lastDraw = t
      if (current.version !== lastVersion) {
        lastVersion = current.version
        chart.setData(alignedData(current.series, t - current.windowSeconds * 1000))
      }
      chart.setScale('x', { min: (t - current.windowSeconds * 1000) / 1000, max: t / 1000 })
    }
    frame = requestAnimationFrame(draw)
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(300, element.clientWidth), height: 260 }))
    resize.observe(element)
    return () => {
      cancelAnimationFrame(frame)
      resize.disconnect()
      chart.destroy()
      plot.current = null
      if (chartCanvas === chart.ctx.canvas) chartCanvas = null
    }
  }, [specsKey])

  return <div ref={host} className="live-chart" data-testid="live-chart" role="img" aria-label={`Chart of ${series.length} series`} />
}
