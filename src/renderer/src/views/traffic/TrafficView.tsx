import { useMemo, useState, type JSX } from 'react'
import { getApi } from '../../api'
import { ActionMessage, errorText, useActionMessage } from '../../components/ActionMessage'
import { downloadText } from '../../lib/download'
import { formatCount } from '../../lib/format'
import { exportFileName, trafficToCsv, trafficToJson } from '../../lib/traffic-export'
import { compileTrafficFilter, PACKET_TYPES } from '../../lib/traffic-filter'
import { useInspectorStore } from '../../store/inspector-store'
import { useTrafficStore } from '../../store/traffic-store'
import { RecordBar } from '../record/RecordBar'
import { TrafficDetails } from './TrafficDetails'
import { TrafficLog } from './TrafficLog'

/** Said wherever a CSV export is made: cells are changed so a spreadsheet cannot run them. */
const CSV_FORMULA_NOTE = "cells starting with = + - @ got a leading ' so a spreadsheet shows them as text instead of running them"

export function TrafficView(): JSX.Element {
  const ring = useTrafficStore((s) => s.ring)
  const paused = useTrafficStore((s) => s.paused)
  const filters = useTrafficStore((s) => s.filters)
  const selectedId = useTrafficStore((s) => s.selectedId)
  const { setFilters, select, setPaused, clear, acknowledgeNotShown } = useTrafficStore.getState()
  const batchesSkipped = useInspectorStore((s) => s.data?.batchesSkipped ?? 0)
  const [busy, setBusy] = useState(false)
  const [message, showMessage] = useActionMessage()

  const compiled = useMemo(() => compileTrafficFilter(filters), [filters])
  const rows = useMemo(() => {
    if (!compiled.ok) return []
    return compiled.active ? ring.rows.filter(compiled.match) : ring.rows
  }, [ring.rows, compiled])

  const types = useMemo(() => {
    const seen = new Set(PACKET_TYPES)
    for (const row of ring.rows) seen.add(row.type.toLowerCase())
    return [...seen]
  }, [ring.rows])

  const selectedRow = useMemo(
    () => (selectedId === null ? null : (ring.rows.find((r) => r.id === selectedId) ?? null)),
    [ring.rows, selectedId]
  )

  const togglePause = async (): Promise<void> => {
    setBusy(true)
    try {
      await getApi().call('setTrafficPaused', !paused)
      setPaused(!paused)
      showMessage(true, paused ? 'Live log resumed' : 'Live log paused: the broker counts packets but does not send them')
    } catch (error) {
      showMessage(false, `${paused ? 'Resume' : 'Pause'} failed: ${errorText(error)}`)
    } finally {
      setBusy(false)
    }
  }

  const clearLog = async (): Promise<void> => {
    try {
      await getApi().call('clearTraffic')
      clear()
      showMessage(true, 'Traffic log cleared')
    } catch (error) {
      showMessage(false, `Clear failed: ${errorText(error)}`)
    }
  }

  const exportAs = (kind: 'json' | 'csv'): void => {
    const text = kind === 'json' ? trafficToJson(rows) : trafficToCsv(rows)
    downloadText(exportFileName(kind), text, kind === 'json' ? 'application/json' : 'text/csv;charset=utf-8')
    showMessage(
      true,
      kind === 'csv'
        ? `Exported ${formatCount(rows.length)} packets as CSV (${CSV_FORMULA_NOTE})`
        : `Exported ${formatCount(rows.length)} packets as JSON`
    )
  }

  return (
    <div className="view traffic-view">
      <div className="view-header">
        <h1>Traffic</h1>
        <span className="muted" data-testid="traffic-count">
          Showing {formatCount(rows.length)} of {formatCount(ring.rows.length)} packets (keeps the last {formatCount(ring.capacity)})
        </span>
        <span className="toolbar-spacer" />
        <div className="header-buttons">
          <button type="button" className={paused ? 'small primary' : 'small'} onClick={() => void togglePause()} disabled={busy}>
            {paused ? 'Resume' : 'Pause'}
          </button>
          <button type="button" className="small" onClick={() => void clearLog()}>
            Clear
          </button>
          <button type="button" className="small" onClick={() => exportAs('json')} disabled={rows.length === 0}>
            Export JSON
          </button>
          <button type="button" className="small" onClick={() => exportAs('csv')} disabled={rows.length === 0} title={CSV_FORMULA_NOTE}>
            Export CSV
          </button>
        </div>
      </div>
      <div className="toolbar">
        <label className="field-inline">
          Client filter
          <input
            type="search"
            value={filters.client}
            onChange={(e) => setFilters({ client: e.target.value })}
            placeholder="part of a client id"
            data-filter-input
            size={14}
          />
        </label>
        <label className="field-inline">
          Topic filter
          <input
            type="search"
            value={filters.topic}
            onChange={(e) => setFilters({ topic: e.target.value })}
            placeholder="sensors/+/temp, home/#"
            aria-invalid={!compiled.ok}
            aria-describedby={!compiled.ok ? 'topic-filter-error' : undefined}
            size={16}
          />
        </label>
        <label className="field-inline">
          Direction
          <select value={filters.direction} onChange={(e) => setFilters({ direction: e.target.value as typeof filters.direction })}>
            <option value="all">All</option>
            <option value="in">↓ In</option>
            <option value="out">↑ Out</option>
          </select>
        </label>
        <label className="field-inline">
          Packet type
          <select value={filters.type} onChange={(e) => setFilters({ type: e.target.value })}>
            <option value="">All</option>
            {types.map((t) => (
              <option key={t} value={t}>
                {t.toUpperCase()}
              </option>
            ))}
          </select>
        </label>
      </div>
      {!compiled.ok && (
        <p className="field-error" id="topic-filter-error" role="alert">
          {compiled.error}
        </p>
      )}
      <RecordBar />
      <ActionMessage message={message} />
      {paused && (
        <div className="banner banner-info" data-testid="traffic-paused">
          Paused — packets still flow through the broker but are not added to this log.
        </div>
      )}
      {ring.notShown > 0 && (
        <div className="banner banner-warning" data-testid="traffic-not-shown">
          <span>
            <strong>{formatCount(ring.notShown)}</strong> packets were not shown (the live log is rate-limited, or it was paused).
          </span>
          <button type="button" className="small" onClick={acknowledgeNotShown}>
            Dismiss
          </button>
        </div>
      )}
      {batchesSkipped > 0 && (
        <p className="muted small-text" data-testid="traffic-batches-skipped">
          This window fell behind {formatCount(batchesSkipped)} time{batchesSkipped === 1 ? '' : 's'}; it was brought up to date from the
          broker's log.
        </p>
      )}
      {ring.evicted > 0 && (
        <p className="muted small-text" data-testid="traffic-evicted">
          {formatCount(ring.evicted)} older packets left this view to keep it at {formatCount(ring.capacity)}.
        </p>
      )}
      <div className={`split ${selectedRow ? 'with-detail' : ''}`}>
        <TrafficLog rows={rows} selectedId={selectedId} onSelect={select} onTogglePause={() => void togglePause()} />
        {selectedRow && <TrafficDetails row={selectedRow} onClose={() => select(null)} />}
      </div>
    </div>
  )
}
