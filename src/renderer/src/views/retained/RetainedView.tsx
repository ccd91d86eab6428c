import { createColumnHelper } from '@tanstack/react-table'
import { useEffect, useMemo, useState, type JSX } from 'react'
import type { RetainedRow } from '../../../../shared/api'
import { getApi } from '../../api'
import { ActionMessage, errorText, useActionMessage } from '../../components/ActionMessage'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { DataTable } from '../../components/DataTable'
import { PayloadViewer } from '../../components/PayloadViewer'
import { PropertiesList } from '../../components/PropertiesList'
import { formatBytes, formatCount, formatDateTime, formatShortTime } from '../../lib/format'
import { base64ToBytesSafe, previewPayload } from '../../lib/payload'
import { compileRetainedFilter, shownRetained } from '../../lib/retained-filter'
import { isSysTopic } from '../../lib/topic-match'
import { NONE, useInspectorStore } from '../../store/inspector-store'
import { usePublishStore } from '../../store/publish-store'
import { useUiStore } from '../../store/ui-store'

const column = createColumnHelper<RetainedRow>()

/** Topics the confirmation lists by name before "and N more". */
const LISTED_IN_CONFIRM = 8

function previewOf(row: RetainedRow): { kind: string; text: string } {
  const bytes = base64ToBytesSafe(row.preview)
  return previewPayload(row.preview, 100, bytes !== null && row.size > bytes.length)
}

interface Detail {
  topic: string
  loading: boolean
  bytes: Uint8Array | null
  size?: number
  note: string | null
}

export function RetainedView(): JSX.Element {
  const retained = useInspectorStore((s) => s.data?.retained ?? NONE)
  const showSys = useUiStore((s) => s.showSys)
  const [filter, setFilter] = useState('')
  const [selected, setSelected] = useState<string | null>(null)
  const [detail, setDetail] = useState<Detail | null>(null)
  /** The topics the open confirmation would delete (fixed when it opened), or null. */
  const [confirming, setConfirming] = useState<string[] | null>(null)
  const [message, showMessage] = useActionMessage()
  const compiled = useMemo(() => compileRetainedFilter(filter), [filter])
  const shown = useMemo(
    () => (compiled.ok ? shownRetained(retained, showSys, compiled.match, (r) => previewOf(r).text) : []),
    [retained, showSys, compiled]
  )
  const deletable = useMemo(() => shown.filter((r) => !isSysTopic(r.topic)).map((r) => r.topic), [shown])
  const sysHidden = useMemo(() => (showSys ? 0 : retained.filter((r) => isSysTopic(r.topic)).length), [retained, showSys])
  const selectedRow = useMemo(() => retained.find((r) => r.topic === selected) ?? null, [retained, selected])

  // Fetch the whole payload for the selected topic; again when it is replaced.
  const selectedUpdatedAt = selectedRow?.updatedAt
  // biome-ignore lint/correctness/useExhaustiveDependencies: selectedUpdatedAt is the trigger to fetch again, not an input
  useEffect(() => {
    if (selected === null) {
      setDetail(null)
      return
    }
    let cancelled = false
    setDetail((d) => ({ topic: selected, loading: true, bytes: d?.topic === selected ? d.bytes : null, note: null }))
    getApi()
      .call('getRetained', selected)
      .then(
        (full) => {
          if (cancelled) return
          if (!full) setDetail({ topic: selected, loading: false, bytes: null, note: 'This topic no longer has a retained message.' })
          else setDetail({ topic: selected, loading: false, bytes: base64ToBytesSafe(full.payload), size: full.size, note: null })
        },
        (error: unknown) => {
          if (!cancelled)
            setDetail({ topic: selected, loading: false, bytes: null, note: `Could not load the payload: ${errorText(error)}` })
        }
      )
    return () => {
      cancelled = true
    }
  }, [selected, selectedUpdatedAt])

  const columns = useMemo(() => {
    const remove = async (topic: string): Promise<void> => {
      try {
        const done = await getApi().call('deleteRetained', topic)
        showMessage(done, done ? `Deleted the retained message on ${topic}` : `${topic} had no retained message`)
        if (selected === topic) setSelected(null)
      } catch (error) {
        showMessage(false, `Delete failed: ${errorText(error)}`)
      }
    }
    return [
      column.accessor('topic', {
        header: 'Topic',
        size: 200,
        cell: (info) => (
          <span className="ellipsis mono" title={info.getValue()}>
            {info.getValue()}
          </span>
        )
      }),
      column.accessor((r) => previewOf(r).text, {
        id: 'payload',
        header: 'Payload',
        size: 180,
        meta: { priority: 2 },
        cell: (info) => {
          const p = previewOf(info.row.original)
          return (
            <span className={`ellipsis mono ${p.kind === 'hex' ? 'hex' : ''}`}>
              {p.kind === 'empty' ? <em className="muted">(empty)</em> : p.text}
            </span>
          )
        }
      }),
      column.accessor('qos', { header: 'QoS', size: 44, meta: { priority: 4 } }),
      column.accessor('size', {
        header: 'Size',
        size: 66,
        meta: { priority: 3 },
        cell: (info) => <span className="num">{formatBytes(info.getValue())}</span>
      }),
      column.accessor('updatedAt', {
        header: 'Updated',
        size: 80,
        meta: { priority: 3 },
        cell: (info) => <span title={formatDateTime(info.getValue())}>{formatShortTime(info.getValue(), Date.now())}</span>
      }),
      column.display({
        id: 'actions',
        header: 'Actions',
        size: 72,
        cell: (info) => (
          <button
            type="button"
            className="small danger"
            title={`Delete the retained message on ${info.row.original.topic}`}
            data-testid="delete-retained"
            onClick={(event) => {
              event.stopPropagation()
              void remove(info.row.original.topic)
            }}
            onKeyDown={(event) => event.stopPropagation()}
          >
            Delete
          </button>
        )
      })
    ]
  }, [selected, showMessage])

  const deleteShown = async (topics: string[]): Promise<void> => {
    setConfirming(null)
    try {
      const count = await getApi().call('deleteRetainedTopics', topics)
      if (selected !== null && topics.includes(selected)) setSelected(null)
      showMessage(true, `Deleted ${formatCount(count)} retained message${count === 1 ? '' : 's'}`)
    } catch (error) {
      showMessage(false, `Delete failed: ${errorText(error)}`)
    }
  }

  const publishTo = (topic: string): void => {
    usePublishStore.getState().setForm({ topic, retain: true })
    useUiStore.getState().setView('publish')
  }

  return (
    <div className="view">
      <div className="view-header">
        <h1>Retained</h1>
        <span className="muted" data-testid="retained-count">
          {formatCount(retained.length - sysHidden)} retained messages
          {sysHidden > 0 ? ` (${formatCount(sysHidden)} $SYS hidden)` : ''}
          {filter.trim() !== '' ? ` · ${formatCount(shown.length)} shown` : ''}
        </span>
      </div>
      <div className="toolbar">
        <label className="field-inline">
          Filter retained
          <input
            type="search"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            placeholder="text, or an MQTT filter like test/#"
            aria-invalid={!compiled.ok}
            title="Text with + or # is an MQTT topic filter (test/# = test and everything under it); other text is found anywhere in the topic or payload"
            data-filter-input
            size={26}
          />
        </label>
        <label className="field-inline">
          <input type="checkbox" checked={showSys} onChange={(e) => useUiStore.getState().setShowSys(e.target.checked)} />
          Show $SYS
        </label>
        <button
          type="button"
          className="danger"
          onClick={() => setConfirming(deletable)}
          disabled={deletable.length === 0}
          data-testid="delete-shown-retained"
        >
          Delete the {formatCount(deletable.length)} shown
        </button>
        <ActionMessage message={message} />
      </div>
      {!compiled.ok && (
        <p className="field-error" role="alert">
          Filter {compiled.error}
        </p>
      )}
      <div className={`split ${selected ? 'with-detail' : ''}`}>
        <DataTable
          label="Retained messages"
          testId="retained-table"
          data={shown}
          columns={columns}
          getRowId={(r) => r.topic}
          initialSorting={[{ id: 'topic', desc: false }]}
          onRowActivate={(r) => setSelected(r.topic === selected ? null : r.topic)}
          selectedRowId={selected}
          emptyText={
            retained.length - sysHidden > 0
              ? 'No retained message matches the filter.'
              : 'No retained messages. Publish with retain set to keep one per topic.'
          }
        />
        {selected && (
          <aside className="detail-panel" aria-label="Retained message" data-testid="retained-detail">
            <div className="detail-header">
              <h2 className="mono ellipsis" title={selected}>
                {selected}
              </h2>
              <button type="button" className="small" onClick={() => setSelected(null)} aria-label="Close details">
                ×
              </button>
            </div>
            {selectedRow && (
              <p className="muted">
                QoS {selectedRow.qos} · {formatBytes(selectedRow.size)} · updated {formatDateTime(selectedRow.updatedAt)}
              </p>
            )}
            <PayloadViewer
              bytes={detail?.bytes ?? null}
              totalSize={detail?.size}
              loading={detail?.loading && !detail.bytes}
              note={detail?.note}
              testId="retained-payload"
            />
            <PropertiesList properties={selectedRow?.properties} />
            <div className="button-row">
              <button type="button" className="small" onClick={() => publishTo(selected)}>
                Publish to this topic
              </button>
            </div>
          </aside>
        )}
      </div>
      <ConfirmDialog
        open={confirming !== null}
        title={`Delete ${formatCount(confirming?.length ?? 0)} retained message${confirming?.length === 1 ? '' : 's'}?`}
        danger
        confirmLabel="Delete"
        onConfirm={() => confirming && void deleteShown(confirming)}
        onCancel={() => setConfirming(null)}
      >
        <p>
          This deletes the {formatCount(confirming?.length ?? 0)} retained message{confirming?.length === 1 ? '' : 's'}{' '}
          {filter.trim() !== '' ? (
            <>
              shown for the filter <span className="mono">{filter.trim()}</span>
            </>
          ) : (
            'shown'
          )}
          . New subscribers will no longer receive them. This cannot be undone. $SYS topics are never deleted.
        </p>
        <ul className="confirm-list mono" data-testid="confirm-topics">
          {(confirming ?? []).slice(0, LISTED_IN_CONFIRM).map((topic) => (
            <li key={topic}>{topic}</li>
          ))}
          {(confirming?.length ?? 0) > LISTED_IN_CONFIRM && (
            <li className="muted">and {formatCount((confirming?.length ?? 0) - LISTED_IN_CONFIRM)} more</li>
          )}
        </ul>
      </ConfirmDialog>
    </div>
  )
}
