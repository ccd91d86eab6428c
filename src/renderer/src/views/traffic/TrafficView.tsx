import { useMemo, useState, type JSX } from 'react'
import { getApi } from '../../api'
import { ActionMessage, errorText, useActionMessage } from '../../components/ActionMessage'
import { downloadText } from '../../lib/download'
import { formatCount } from '../../lib/format'
import { exportFileName, fetchExportPayloads, trafficToCsv, trafficToJson } from '../../lib/traffic-export'
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
  const frozen = useTrafficStore((s) => s.frozen)
  const frozenLastId = useTrafficStore((s) => s.frozenLastId)
  const brokerPaused = useTrafficStore((s) => s.brokerPaused)
  const filters = useTrafficStore((s) => s.filters)
  const selectedId = useTrafficStore((s) => s.selectedId)
  const { setFilters, select, setViewPaused, setBrokerPaused, clear, acknowledgeNotShown } = useTrafficStore.getState()
  const paused = frozen !== null
  // Paused, this view shows the log as it was; the ring underneath keeps recording.
  const source = frozen ?? ring.rows
  const arrivedWhilePaused = paused ? ring.lastId - frozenLastId : 0
  const batchesSkipped = useInspectorStore((s) => s.data?.batchesSkipped ?? 0)
  const [busy, setBusy] = useState(false)
  const [message, showMessage] = useActionMessage()

  const compiled = useMemo(() => compileTrafficFilter(filters), [filters])
  const rows = useMemo(() => {
    if (!compiled.ok) return []
    return compiled.active ? source.filter(compiled.match) : source
  }, [source, compiled])

  const types = useMemo(() => {
    const seen = new Set(PACKET_TYPES)
    for (const row of source) seen.add(row.type.toLowerCase())
    return [...seen]
  }, [source])

  const selectedRow = useMemo(() => (selectedId === null ? null : (source.find((r) => r.id === selectedId) ?? null)), [source, selectedId])

  // Pause and Clear act on this view only (this tab or window); other pages and the broker's ring go on.
  const togglePause = (): void => {
    setViewPaused(!paused)
    showMessage(
      true,
      paused
        ? `Resumed: showing what arrived while paused too (${formatCount(arrivedWhilePaused)} packets)`
        : 'This view is paused; it keeps receiving, and shows what arrived on resume'
    )
  }

  const clearLog = (): void => {
    clear()
    showMessage(true, 'This view was cleared (other windows and the broker keep their logs)')
  }

  const resumeBrokerRecording = async (): Promise<void> => {
    setBusy(true)
    try {
      await getApi().call('setTrafficPaused', false)
      setBrokerPaused(false)
    } catch (error) {
      showMessage(false, `Resume failed: ${errorText(error)}`)
    } finally {
      setBusy(false)
    }
  }

  const exportAs = async (kind: 'json' | 'csv'): Promise<void> => {
    setBusy(true)
    try {
      const shown = rows
      const { payloads, cut } = await fetchExportPayloads(shown, (ids) => getApi().call('trafficPayloads', ids))
      const text = kind === 'json' ? trafficToJson(shown, payloads) : trafficToCsv(shown, payloads)
      downloadText(exportFileName(kind), text, kind === 'json' ? 'application/json' : 'text/csv;charset=utf-8')
      const what = `Exported ${formatCount(shown.length)} packets as ${kind.toUpperCase()}`
      const payloadNote =
        cut === 0
          ? `${what} with their whole payloads`
          : `${what}; ${formatCount(cut)} payload${cut === 1 ? ' is' : 's are'} only the first bytes (payloadTruncated): the broker no longer kept the rest (its log keeps 64 MiB of payloads)`
      showMessage(true, kind === 'csv' ? `${payloadNote} (${CSV_FORMULA_NOTE})` : payloadNote)
    } catch (error) {
      showMessage(false, `Export failed: ${errorText(error)}`)
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className="view traffic-view">
      <div className="view-header">
        <h1>Traffic</h1>
        <span className="muted" data-testid="traffic-count">
          Showing {formatCount(rows.length)} of {formatCount(source.length)} packets (keeps the last {formatCount(ring.capacity)})
        </span>
        <span className="toolbar-spacer" />
        <div className="header-buttons">
          <button
            type="button"
            className={paused ? 'small primary' : 'small'}
            onClick={togglePause}
            title="Freeze this view; packets keep coming in, and what arrives meanwhile shows on resume (this window only)"
            data-testid="traffic-pause"
          >
            {paused ? 'Resume' : 'Pause'}
          </button>
          <button type="button" className="small" onClick={clearLog} title="Empty this view (this window only)" data-testid="traffic-clear">
            Clear
          </button>
          <button type="button" className="small" onClick={() => void exportAs('json')} disabled={rows.length === 0 || busy}>
            Export JSON
          </button>
          <button
            type="button"
            className="small"
            onClick={() => void exportAs('csv')}
            disabled={rows.length === 0 || busy}
            title={CSV_FORMULA_NOTE}
          >
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
          This view is paused — still receiving: {formatCount(arrivedWhilePaused)} new packet{arrivedWhilePaused === 1 ? '' : 's'} will show
          on resume (the last {formatCount(ring.capacity)} are kept).
        </div>
      )}
      {brokerPaused && (
        <div className="banner banner-warning" data-testid="traffic-broker-paused">
          <span>The broker's traffic log is paused (for every window and page): packets are counted, not kept.</span>
          <button type="button" className="small" onClick={() => void resumeBrokerRecording()} disabled={busy}>
            Resume the log
          </button>
        </div>
      )}
      {ring.notShown > 0 && (
        <div className="banner banner-warning" data-testid="traffic-not-shown">
          <span>
            <strong>{formatCount(ring.notShown)}</strong> packets were not shown (the live log is rate-limited, recording was paused on the
            broker, or they passed in a flood while no page was open).
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
        <TrafficLog rows={rows} selectedId={selectedId} onSelect={select} onTogglePause={togglePause} />
        {selectedRow && <TrafficDetails row={selectedRow} onClose={() => select(null)} />}
      </div>
    </div>
  )
}
