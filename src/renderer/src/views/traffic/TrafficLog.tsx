import { useVirtualizer } from '@tanstack/react-virtual'
import { memo, useEffect, useLayoutEffect, useRef, useState, type JSX, type KeyboardEvent } from 'react'
import type { TrafficRow } from '../../../../shared/api'
import { formatBytes, formatClock } from '../../lib/format'
import { base64ToBytesSafe, previewPayload } from '../../lib/payload'

const ROW_HEIGHT = 24

const HEADERS = ['Time', 'Dir', 'Client', 'Type', 'Topic', 'QoS', 'Retain', 'Size', 'Payload'] as const
/** Columns a narrow log leaves out (see styles.css: the traffic log's container query). */
const OPTIONAL: Partial<Record<(typeof HEADERS)[number], string>> = { QoS: 'col-qos', Retain: 'col-retain', Size: 'col-size' }

const Row = memo(function Row({ row, index }: { row: TrafficRow; index: number }): JSX.Element {
  let payload = ''
  let hex = false
  if (row.payloadPreview !== undefined) {
    const bytes = base64ToBytesSafe(row.payloadPreview)
    const p = previewPayload(row.payloadPreview, 90, bytes !== null && row.payloadSize !== undefined && row.payloadSize > bytes.length)
    payload = p.kind === 'empty' ? '(empty)' : p.text
    hex = p.kind === 'hex'
  }
  return (
    <>
      <div role="cell" className="mono muted">
        {formatClock(row.time)}
      </div>
      <div
        role="cell"
        className={`dir dir-${row.direction}`}
        title={row.direction === 'in' ? 'in: client → broker' : 'out: broker → client'}
      >
        {row.direction === 'in' ? '↓' : '↑'}
        <span className="sr-only">{row.direction}</span>
      </div>
      <div
        role="cell"
        className={`ellipsis mono ${row.fromBroker ? 'from-broker' : ''}`}
        title={row.fromBroker ? 'published by the broker itself (the Publish view)' : row.clientId}
      >
        {row.clientId}
      </div>
      <div role="cell" className={`ptype ptype-${row.type.toLowerCase()}`}>
        {row.type.toUpperCase()}
        {row.fromBroker && (
          <span
            className="recipients"
            title={`went to ${row.fromBroker.recipients} session${row.fromBroker.recipients === 1 ? '' : 's'}`}
            data-testid="recipients"
          >
            {' '}
            → {row.fromBroker.recipients}
          </span>
        )}
      </div>
      <div role="cell" className="ellipsis mono" title={row.topic}>
        {row.topic ?? ''}
      </div>
      <div role="cell" className="col-qos">
        {row.qos ?? ''}
      </div>
      <div role="cell" className="col-retain">
        {row.retain ? 'R' : ''}
      </div>
      <div role="cell" className="num col-size">
        {formatBytes(row.size)}
      </div>
      <div role="cell" className={`ellipsis mono ${hex ? 'hex' : ''}`} data-index={index}>
        {payload}
      </div>
    </>
  )
})

export interface TrafficLogProps {
  rows: readonly TrafficRow[]
  selectedId: number | null
  onSelect(id: number | null): void
  onTogglePause(): void
}

/**
 * The live packet log: an ARIA table whose body is virtualized (only the visible rows exist).
 * It follows new rows while scrolled to the bottom; scrolling up stops following.
 */
export function TrafficLog({ rows, selectedId, onSelect, onTogglePause }: TrafficLogProps): JSX.Element {
  const scrollRef = useRef<HTMLDivElement>(null)
  const [follow, setFollow] = useState(true)
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
    initialRect: { width: 1000, height: 500 }
  })

  useLayoutEffect(() => {
    if (follow && rows.length > 0) virtualizer.scrollToIndex(rows.length - 1, { align: 'end' })
  }, [rows, follow, virtualizer])

  const selectedIndex = selectedId === null ? -1 : indexOfId(rows, selectedId)

  // Keep the selected row in view when it moves with the keyboard.
  const lastKeyed = useRef<number | null>(null)
  useEffect(() => {
    if (lastKeyed.current !== null && selectedIndex >= 0) {
      virtualizer.scrollToIndex(selectedIndex, { align: 'auto' })
      lastKeyed.current = null
    }
  }, [selectedIndex, virtualizer])

  const onScroll = (): void => {
    const el = scrollRef.current
    if (!el) return
    const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW_HEIGHT * 1.5
    if (atBottom !== follow) setFollow(atBottom)
  }

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    if (rows.length === 0) return
    let next: number | null = null
    switch (event.key) {
      case 'ArrowDown':
        next = selectedIndex < 0 ? 0 : Math.min(rows.length - 1, selectedIndex + 1)
        break
      case 'ArrowUp':
        next = selectedIndex < 0 ? rows.length - 1 : Math.max(0, selectedIndex - 1)
        break
      case 'PageDown':
        next = Math.min(rows.length - 1, Math.max(0, selectedIndex) + 20)
        break
      case 'PageUp':
        next = Math.max(0, selectedIndex - 20)
        break
      case 'Home':
        next = 0
        break
      case 'End':
        next = rows.length - 1
        setFollow(true)
        break
      case 'Escape':
        onSelect(null)
        event.preventDefault()
        return
      case ' ':
        event.preventDefault()
        onTogglePause()
        return
      default:
        return
    }
    event.preventDefault()
    if (next !== rows.length - 1 && event.key !== 'End') setFollow(false)
    lastKeyed.current = next
    onSelect(rows[next].id)
  }

  const items = virtualizer.getVirtualItems()
  return (
    <div className="traffic-log" role="table" aria-label="Traffic" aria-rowcount={rows.length + 1} data-testid="traffic-table">
      <div role="rowgroup" className="traffic-head">
        {/* biome-ignore lint/a11y/useFocusableInteractive: a header row is not focusable */}
        <div role="row" className="traffic-row" aria-rowindex={1}>
          {HEADERS.map((h) => (
            // biome-ignore lint/a11y/useFocusableInteractive: column headers are not sortable here
            <div role="columnheader" key={h} className={`${h === 'Size' ? 'num' : ''} ${OPTIONAL[h] ?? ''}`}>
              {h}
            </div>
          ))}
        </div>
      </div>
      {/* biome-ignore lint/a11y/noStaticElementInteractions lint/a11y/useAriaPropsSupportedByRole: the scrolling body is the focusable grid body; rows are its active descendants */}
      <div
        className="traffic-body"
        ref={scrollRef}
        onScroll={onScroll}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: the grid body takes the keyboard for its rows
        tabIndex={0}
        onKeyDown={onKeyDown}
        aria-label="Packets (arrow keys select, Space pauses)"
        aria-activedescendant={selectedIndex >= 0 ? `traffic-row-${rows[selectedIndex].id}` : undefined}
      >
        <div role="rowgroup" style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((item) => {
            const row = rows[item.index]
            const selected = row.id === selectedId
            return (
              // biome-ignore lint/a11y/useFocusableInteractive lint/a11y/useKeyWithClickEvents: the container takes the keys (aria-activedescendant)
              <div
                key={row.id}
                id={`traffic-row-${row.id}`}
                role="row"
                aria-rowindex={item.index + 2}
                aria-selected={selected}
                className={`traffic-row ${selected ? 'selected' : ''} ${item.index % 2 ? 'odd' : ''}`}
                style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
                onClick={() => {
                  // Inspecting a row: stop following so it stays where it is.
                  if (!selected) setFollow(false)
                  onSelect(selected ? null : row.id)
                }}
              >
                <Row row={row} index={item.index} />
              </div>
            )
          })}
        </div>
        {rows.length === 0 && <p className="empty">No packets to show.</p>}
      </div>
      {!follow && rows.length > 0 && (
        <button
          type="button"
          className="small follow-button"
          onClick={() => {
            setFollow(true)
            virtualizer.scrollToIndex(rows.length - 1, { align: 'end' })
          }}
        >
          ↓ Follow new packets
        </button>
      )}
    </div>
  )
}

/** Rows are in id order: binary search. */
function indexOfId(rows: readonly TrafficRow[], id: number): number {
  let lo = 0
  let hi = rows.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const v = rows[mid].id
    if (v === id) return mid
    if (v < id) lo = mid + 1
    else hi = mid - 1
  }
  return -1
}
