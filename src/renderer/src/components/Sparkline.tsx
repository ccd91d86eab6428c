import type { JSX } from 'react'

export interface SparklineProps {
  values: readonly number[]
  /** How many points the line spans when full, so a young series grows from the right. */
  capacity: number
  label: string
  width?: number
  height?: number
}

/** A tiny time series in inline SVG: a line with a faint area under it, scaled to its own max. */
export function Sparkline({ values, capacity, label, width = 180, height = 36 }: SparklineProps): JSX.Element {
  // 15% headroom so a flat line does not sit on the top edge.
  const max = Math.max(1e-9, ...values) * 1.15
  const step = width / Math.max(1, capacity - 1)
  const offset = (capacity - values.length) * step
  const points = values.map((v, i) => {
    const x = offset + i * step
    const y = height - 2 - (v / max) * (height - 4)
    return `${x.toFixed(1)},${y.toFixed(1)}`
  })
  const line = points.join(' ')
  const area = points.length > 1 ? `M${points[0]} L${points.slice(1).join(' L')} L${width},${height} L${offset.toFixed(1)},${height} Z` : ''
  return (
    <svg
      className="sparkline"
      viewBox={`0 0 ${width} ${height}`}
      width={width}
      height={height}
      preserveAspectRatio="none"
      role="img"
      aria-label={`${label}, last ${values.length} seconds`}
    >
      <line x1="0" y1={height - 0.5} x2={width} y2={height - 0.5} className="sparkline-base" />
      {area && <path d={area} className="sparkline-area" />}
      {points.length > 1 && <polyline points={line} className="sparkline-line" />}
    </svg>
  )
}
