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
import { NONE, useInspectorStore } from '../../store/inspector-store'
import { usePublishStore } from '../../store/publish-store'
import { useUiStore } from '../../store/ui-store'

const column = createColumnHelper<RetainedRow>()

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
  const [filter, setFilter] = useState('')
  const [selected, setSelected] = useState<string | null>(null)
  const [detail, setDetail] = useState<Detail | null>(null)
  const [confirmClear, setConfirmClear] = useState(false)
  const [message, showMessage] = useActionMessage()
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
        cell: (info) => {
          const p = previewOf(info.row.original)
          return (
            <span className={`ellipsis mono ${p.kind === 'hex' ? 'hex' : ''}`}>
              {p.kind === 'empty' ? <em className="muted">(empty)</em> : p.text}
            </span>
          )
        }
      }),
      column.accessor('qos', { header: 'QoS', size: 44 }),
      column.accessor('size', { header: 'Size', size: 66, cell: (info) => <span className="num">{formatBytes(info.getValue())}</span> }),
      column.accessor('updatedAt', {
        header: 'Updated',
        size: 80,
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

  const clearAll = async (): Promise<void> => {
    setConfirmClear(false)
    try {
      const count = await getApi().call('clearRetained')
      setSelected(null)
      showMessage(true, `Cleared ${formatCount(count)} retained message${count === 1 ? '' : 's'}`)
    } catch (error) {
      showMessage(false, `Clear all failed: ${errorText(error)}`)
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
        <span className="muted">{formatCount(retained.length)} retained messages</span>
      </div>
      <div className="toolbar">
        <label className="field-inline">
          Filter retained
          <input
            type="search"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            placeholder="topic or payload text"
            data-filter-input
          />
        </label>
        <button type="button" className="danger" onClick={() => setConfirmClear(true)} disabled={retained.length === 0}>
          Clear all
        </button>
        <ActionMessage message={message} />
      </div>
      <div className={`split ${selected ? 'with-detail' : ''}`}>
        <DataTable
          label="Retained messages"
          testId="retained-table"
          data={retained}
          columns={columns}
          getRowId={(r) => r.topic}
          searchText={(r) => `${r.topic} ${previewOf(r).text}`}
          filter={filter}
          initialSorting={[{ id: 'topic', desc: false }]}
          onRowActivate={(r) => setSelected(r.topic === selected ? null : r.topic)}
          selectedRowId={selected}
          emptyText="No retained messages. Publish with retain set to keep one per topic."
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
        open={confirmClear}
        title="Clear all retained messages?"
        danger
        onConfirm={() => void clearAll()}
        onCancel={() => setConfirmClear(false)}
      >
        <p>
          This deletes all {formatCount(retained.length)} retained messages from the broker. New subscribers will no longer receive them.
          This cannot be undone.
        </p>
      </ConfirmDialog>
    </div>
  )
}
