import { useState, type JSX } from 'react'
import { formatPath, type PathStep } from '../../../shared/json-path'

export interface JsonTreeProps {
  value: unknown
  /** Clicking a number calls this with its path (the chart's field picker). */
  onPickNumber?: (path: string) => void
  /** Levels open at first. */
  openDepth?: number
}

/** Children shown per object or array before "show more". */
const PAGE = 200

/** A JSON value as a collapsible tree (keyboard: the toggles are buttons). */
export function JsonTree({ value, onPickNumber, openDepth = 3 }: JsonTreeProps): JSX.Element {
  return (
    <div className="json-tree mono" role="group" aria-label="Decoded value">
      <Node name={null} value={value} steps={[]} depth={0} openDepth={openDepth} onPickNumber={onPickNumber} />
    </div>
  )
}

interface NodeProps {
  name: string | number | null
  value: unknown
  steps: PathStep[]
  depth: number
  openDepth: number
  onPickNumber?: (path: string) => void
}

function Node({ name, value, steps, depth, openDepth, onPickNumber }: NodeProps): JSX.Element {
  const [open, setOpen] = useState(depth < openDepth)
  const [limit, setLimit] = useState(PAGE)
  const label = name === null ? null : <span className="json-key">{typeof name === 'number' ? `[${name}]` : name}: </span>
  if (value !== null && typeof value === 'object') {
    const entries: Array<[string | number, unknown]> = Array.isArray(value)
      ? value.map((item, index) => [index, item])
      : Object.entries(value as Record<string, unknown>)
    const brackets = Array.isArray(value) ? ['[', ']'] : ['{', '}']
    return (
      <div className="json-node">
        <button
          type="button"
          className="json-toggle"
          onClick={() => setOpen(!open)}
          aria-expanded={open}
          aria-label={open ? 'Collapse' : 'Expand'}
        >
          {open ? '▾' : '▸'}
        </button>
        {label}
        <span className="muted">
          {brackets[0]}
          {open ? '' : ` ${entries.length} ${Array.isArray(value) ? 'items' : 'keys'} ${brackets[1]}`}
        </span>
        {open && (
          <div className="json-children">
            {entries.slice(0, limit).map(([key, item]) => (
              <Node
                key={String(key)}
                name={key}
                value={item}
                steps={[...steps, key]}
                depth={depth + 1}
                openDepth={openDepth}
                onPickNumber={onPickNumber}
              />
            ))}
            {entries.length > limit && (
              <button type="button" className="small" onClick={() => setLimit(limit + PAGE)}>
                Show {Math.min(PAGE, entries.length - limit)} more of {entries.length - limit}
              </button>
            )}
          </div>
        )}
        {open && <span className="muted">{brackets[1]}</span>}
      </div>
    )
  }
  const path = formatPath(steps)
  const numeric = typeof value === 'number'
  return (
    <div className="json-node json-leaf">
      {label}
      {numeric && onPickNumber ? (
        <button
          type="button"
          className="json-number pickable"
          title={`Chart ${path || 'this value'}`}
          onClick={() => onPickNumber(path)}
          data-path={path}
        >
          {String(value)}
        </button>
      ) : (
        <span className={`json-${value === null ? 'null' : typeof value}`}>{JSON.stringify(value)}</span>
      )}
    </div>
  )
}
