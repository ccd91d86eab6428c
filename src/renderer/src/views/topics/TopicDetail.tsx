/**
 * The topic panel: the selected message decoded (Value), the topic's history (History), a diff
 * against the previous message or any two picked (Diff) and live charts (Chart). Sections are
 * tabs with the accessible names Value, History, Diff and Chart. Full payloads are fetched on
 * demand for the message shown, never for the whole history.
 */
import { useEffect, useMemo, useState, type JSX, type KeyboardEvent } from 'react'
import type { FullPayload, HistoryEntry, TopicHistory } from '../../../../shared/api'
import { getApi } from '../../api'
import { DecodedPayload } from '../../components/DecodedPayload'
import { PropertiesList } from '../../components/PropertiesList'
import { formatBytes, formatClock, formatCount, formatDateTime } from '../../lib/format'
import { diffJson, diffLines } from '../../lib/json-diff'
import { base64ToBytesSafe } from '../../lib/payload'
import { decodeText } from '../../lib/decoders'
import { useChartStore } from '../../store/chart-store'
import { useTopicInspectorStore, type DetailTab } from '../../store/topic-inspector-store'
import type { TopicNode } from '../../../../shared/api'
import { ChartPanel } from './ChartPanel'

const TABS: ReadonlyArray<{ id: DetailTab; label: string }> = [
  { id: 'value', label: 'Value' },
  { id: 'history', label: 'History' },
  { id: 'diff', label: 'Diff' },
  { id: 'chart', label: 'Chart' }
]

/** The topic's history, refetched when its message count moves (at most twice a second). */
function useTopicHistory(topic: string, messages: number): TopicHistory | null {
  const [history, setHistory] = useState<TopicHistory | null>(null)
  const [tick, setTick] = useState(0)
  // biome-ignore lint/correctness/useExhaustiveDependencies: messages is the trigger
  useEffect(() => {
    const timer = setTimeout(() => setTick((t) => t + 1), 500)
    return () => clearTimeout(timer)
  }, [messages])
  // biome-ignore lint/correctness/useExhaustiveDependencies: tick is the trigger
  useEffect(() => {
    let current = true
    getApi()
      .call('topicHistory', topic)
      .then(
        (result) => {
          if (current) setHistory(result)
        },
        () => undefined
      )
    return () => {
      current = false
    }
  }, [topic, tick])
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new topic starts empty
  useEffect(() => setHistory(null), [topic])
  return history
}

/** A message's bytes: the preview at once, the whole payload when it is longer and still kept. */
function useEntryBytes(topic: string, entry: HistoryEntry | null): { bytes: Uint8Array | null; truncated: boolean; loading: boolean } {
  const preview = useMemo(() => (entry ? base64ToBytesSafe(entry.preview) : null), [entry])
  const [full, setFull] = useState<{ id: number; payload: FullPayload } | null>(null)
  const needFull = entry !== null && preview !== null && entry.size > preview.length && entry.payloadKept
  useEffect(() => {
    if (!needFull || entry === null) return
    let current = true
    getApi()
      .call('historyPayload', topic, entry.id)
      .then(
        (payload) => {
          if (current && payload) setFull({ id: entry.id, payload })
        },
        () => undefined
      )
    return () => {
      current = false
    }
  }, [needFull, entry, topic])
  const fullBytes = useMemo(() => (full && entry && full.id === entry.id ? base64ToBytesSafe(full.payload.payload) : null), [full, entry])
  if (fullBytes) return { bytes: fullBytes, truncated: false, loading: false }
  return { bytes: preview, truncated: entry !== null && preview !== null && entry.size > preview.length, loading: needFull }
}

/** Whole payloads up to this size load when shown; a larger one waits for "Load the whole payload". */
const AUTO_LOAD_BYTES = 16 * 1024 * 1024

/**
 * The whole payload of the topic's latest message, when what is shown is only its preview and the
 * history did not keep it: asked of the inspector (latestPayload: the traffic log, the retained
 * message), again when a newer message arrives. Larger than AUTO_LOAD_BYTES: only on request.
 */
function useWholeLatest(
  topic: string,
  node: TopicNode | null,
  needed: boolean
): { bytes: Uint8Array | null; loading: boolean; notKept: boolean; load: (() => void) | null } {
  const [result, setResult] = useState<{ key: string; bytes: Uint8Array | null } | null>(null)
  const [asked, setAsked] = useState<string | null>(null)
  const key = `${topic}\u0000${node?.lastUpdated ?? 0}`
  const automatic = node !== null && node.lastSize <= AUTO_LOAD_BYTES
  const wanted = needed && (automatic || asked === key)
  useEffect(() => {
    if (!wanted) return
    let current = true
    getApi()
      .call('latestPayload', topic)
      .then(
        (payload) => {
          if (current) setResult({ key, bytes: payload ? base64ToBytesSafe(payload.payload) : null })
        },
        () => {
          if (current) setResult({ key, bytes: null })
        }
      )
    return () => {
      current = false
    }
  }, [wanted, topic, key])
  const answered = result?.key === key
  return {
    bytes: answered ? result.bytes : null,
    loading: wanted && !answered,
    notKept: needed && answered && result.bytes === null,
    load: needed && !automatic && asked !== key ? () => setAsked(key) : null
  }
}

export function TopicDetail({ topic, node }: { topic: string; node: TopicNode | null }): JSX.Element {
  const tab = useTopicInspectorStore((s) => s.tab)
  const entryId = useTopicInspectorStore((s) => s.entryId)
  const compareId = useTopicInspectorStore((s) => s.compareId)
  const history = useTopicHistory(topic, node?.messages ?? 0)
  const entries = history?.entries ?? []
  const index = entryId === null ? entries.length - 1 : entries.findIndex((e) => e.id === entryId)
  const entry = index >= 0 ? entries[index] : null
  const previous = compareId !== null ? (entries.find((e) => e.id === compareId) ?? null) : index > 0 ? entries[index - 1] : null
  const shown = useEntryBytes(topic, entry)
  const latestBytes = useMemo(() => (node ? base64ToBytesSafe(node.lastPayload) : null), [node])
  const { setTab, selectEntry } = useTopicInspectorStore.getState()
  // The latest message, shown as its preview only (the history did not keep it, or keeps none): load it whole.
  const showingLatest = entry === null || index === entries.length - 1
  const previewOnly = entry
    ? shown.truncated && !entry.payloadKept
    : latestBytes !== null && node !== null && node.lastSize > latestBytes.length
  const whole = useWholeLatest(topic, node, showingLatest && previewOnly)
  const valueBytes = whole.bytes ?? (entry ? shown.bytes : latestBytes)
  const valueTruncated = whole.bytes === null && (entry ? shown.truncated : previewOnly)

  const onTabKey = (event: KeyboardEvent<HTMLDivElement>): void => {
    const at = TABS.findIndex((t) => t.id === tab)
    if (event.key === 'ArrowRight') setTab(TABS[(at + 1) % TABS.length].id)
    else if (event.key === 'ArrowLeft') setTab(TABS[(at + TABS.length - 1) % TABS.length].id)
    else return
    event.preventDefault()
  }

  const pickNumber = (path: string): void => {
    useChartStore.getState().add({ topic, path })
    setTab('chart')
  }

  return (
    <div className="topic-detail">
      <div className="tabs" role="tablist" aria-label="Topic sections" onKeyDown={onTabKey}>
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`topic-tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`topic-tabpanel-${t.id}`}
            tabIndex={tab === t.id ? 0 : -1}
            onClick={() => setTab(t.id)}
          >
            {t.label}
            {t.id === 'history' && history ? ` (${formatCount(entries.length)})` : ''}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`topic-tabpanel-${tab}`} aria-labelledby={`topic-tab-${tab}`} className="tab-panel">
        {tab === 'value' && (
          <>
            {entry && <EntryFacts entry={entry} index={index} count={entries.length} />}
            {entry || node ? (
              // One element whatever the source, so an open JSON tree stays open when the history arrives.
              <>
                {whole.load && (
                  <p className="muted small-text">
                    Only the first {formatBytes(valueBytes?.length ?? 0)} are shown.{' '}
                    <button type="button" className="small" onClick={whole.load} data-testid="load-whole-payload">
                      Load the whole payload ({formatBytes(node?.lastSize ?? 0)})
                    </button>
                  </p>
                )}
                {(whole.notKept || (entry !== null && !showingLatest && !entry.payloadKept && shown.truncated)) && (
                  <p className="muted small-text" data-testid="payload-not-kept">
                    Only the first {formatBytes(valueBytes?.length ?? 0)} of this message are kept: it is larger than a history entry may
                    hold (inspectorHistoryBytes / 16), and neither the traffic log nor a retained message holds it.
                  </p>
                )}
                <DecodedPayload
                  topic={topic}
                  bytes={valueBytes}
                  truncated={valueTruncated}
                  totalSize={entry ? entry.size : node?.lastSize}
                  loading={(entry ? shown.loading : false) || whole.loading}
                  onPickNumber={pickNumber}
                />
              </>
            ) : (
              <p className="muted">No message on this exact topic.</p>
            )}
          </>
        )}
        {tab === 'history' && <HistoryList history={history} selectedIndex={index} onSelect={(id) => selectEntry(id)} />}
        {tab === 'diff' && <DiffPanel topic={topic} entries={entries} entry={entry} previous={previous} />}
        {tab === 'chart' && <ChartPanel topic={topic} />}
      </div>
    </div>
  )
}

function EntryFacts({ entry, index, count }: { entry: HistoryEntry; index: number; count: number }): JSX.Element {
  return (
    <div className="entry-facts small-text" data-testid="entry-facts">
      <span>
        {index + 1} of {count}
      </span>
      <span>{formatDateTime(entry.time)}</span>
      <span>from {entry.clientId ?? 'BrokerScope'}</span>
      <span>QoS {entry.qos}</span>
      {entry.retain && <span className="badge badge-info">retained</span>}
      <span>{formatBytes(entry.size)}</span>
      {Object.keys(entry.properties).length > 0 && <PropertiesList properties={entry.properties} />}
    </div>
  )
}

function HistoryList({
  history,
  selectedIndex,
  onSelect
}: {
  history: TopicHistory | null
  selectedIndex: number
  onSelect: (id: number) => void
}): JSX.Element {
  if (history === null) return <p className="muted">Loading the history…</p>
  const entries = history.entries
  const onKey = (event: KeyboardEvent<HTMLDivElement>): void => {
    if (entries.length === 0) return
    let next = selectedIndex
    if (event.key === 'ArrowUp') next = Math.min(entries.length - 1, selectedIndex + 1)
    else if (event.key === 'ArrowDown') next = Math.max(0, selectedIndex - 1)
    else if (event.key === 'Home') next = entries.length - 1
    else if (event.key === 'End') next = 0
    else return
    event.preventDefault()
    onSelect(entries[next].id)
  }
  const newestFirst = entries.map((entry, i) => ({ entry, i })).reverse()
  return (
    <div>
      <p className="muted small-text" data-testid="history-bounds">
        Last {formatCount(history.perTopic)} messages kept per topic
        {history.olderDropped > 0 ? ` · ${formatCount(history.olderDropped)} older ones dropped` : ''}
        {history.evictedForBytes > 0 ? ` · ${formatCount(history.evictedForBytes)} evicted for the byte limit` : ''}. ↑/↓ step newer/older.
      </p>
      <div
        className="history-list"
        role="listbox"
        tabIndex={0}
        aria-label="Message history, newest first"
        aria-activedescendant={selectedIndex >= 0 ? `history-${entries[selectedIndex]?.id}` : undefined}
        onKeyDown={onKey}
        data-testid="history-list-topic"
      >
        {newestFirst.map(({ entry, i }) => {
          const bytes = base64ToBytesSafe(entry.preview)
          const text = bytes ? decodeText(bytes.subarray(0, 80)).text.replace(/\s+/g, ' ') : ''
          return (
            // biome-ignore lint/a11y/useKeyWithClickEvents lint/a11y/useFocusableInteractive: the listbox takes the keys
            <div
              key={entry.id}
              id={`history-${entry.id}`}
              role="option"
              aria-selected={i === selectedIndex}
              className={`history-row ${i === selectedIndex ? 'selected' : ''}`}
              onClick={() => onSelect(entry.id)}
            >
              <span className="muted">{formatClock(entry.time)}</span>
              <span className="ellipsis">{entry.clientId ?? 'BrokerScope'}</span>
              <span>QoS {entry.qos}</span>
              <span>{entry.retain ? 'R' : ''}</span>
              <span className="num">{formatBytes(entry.size)}</span>
              <span className="ellipsis mono">{text}</span>
            </div>
          )
        })}
        {entries.length === 0 && <p className="empty">No history for this topic (history may be off: inspectorHistoryPerTopic).</p>}
      </div>
    </div>
  )
}

function useFullText(topic: string, entry: HistoryEntry | null): string | null {
  const { bytes } = useEntryBytes(topic, entry)
  return useMemo(() => (bytes ? decodeText(bytes).text : null), [bytes])
}

function DiffPanel({
  topic,
  entries,
  entry,
  previous
}: {
  topic: string
  entries: HistoryEntry[]
  entry: HistoryEntry | null
  previous: HistoryEntry | null
}): JSX.Element {
  const after = useFullText(topic, entry)
  const before = useFullText(topic, previous)
  const [asText, setAsText] = useState(false)
  const parsed = useMemo(() => {
    if (after === null || before === null) return null
    try {
      return { before: JSON.parse(before) as unknown, after: JSON.parse(after) as unknown }
    } catch {
      return null
    }
  }, [before, after])
  if (!entry) return <p className="muted">No message to compare.</p>
  const others = entries.filter((e) => e.id !== entry.id)
  return (
    <div data-testid="diff-panel">
      <div className="toolbar wrap">
        <label className="field-inline">
          Compare with
          <select
            value={previous?.id ?? ''}
            onChange={(e) => useTopicInspectorStore.getState().setCompare(e.target.value === '' ? null : Number(e.target.value))}
            aria-label="Compare with"
          >
            <option value="">(the previous message)</option>
            {[...others].reverse().map((e) => (
              <option key={e.id} value={e.id}>
                {formatClock(e.time)} · {formatBytes(e.size)}
              </option>
            ))}
          </select>
        </label>
        {parsed && (
          <label className="field-inline">
            <input type="checkbox" checked={asText} onChange={(e) => setAsText(e.target.checked)} /> as text
          </label>
        )}
      </div>
      {previous === null || before === null || after === null ? (
        <p className="muted">This is the oldest message kept; pick another to compare with.</p>
      ) : parsed && !asText ? (
        <JsonChanges before={parsed.before} after={parsed.after} />
      ) : (
        <TextChanges before={before} after={after} />
      )}
    </div>
  )
}

function show(value: unknown): string {
  const text = JSON.stringify(value)
  return text.length > 120 ? `${text.slice(0, 120)}…` : text
}

function JsonChanges({ before, after }: { before: unknown; after: unknown }): JSX.Element {
  const { changes, total } = useMemo(() => diffJson(before, after), [before, after])
  if (total === 0) return <p className="ok-text">No change.</p>
  return (
    <div>
      <p className="muted small-text">
        {formatCount(total)} change{total === 1 ? '' : 's'}
        {total > changes.length ? ` (first ${formatCount(changes.length)} shown)` : ''}
      </p>
      <ul className="diff-list mono" aria-label="JSON changes">
        {changes.map((change) => (
          <li key={`${change.kind}:${change.path}`} className={`diff-${change.kind}`} data-testid="diff-change">
            <span className="diff-kind">{change.kind}</span> <span className="diff-path">{change.path}</span>{' '}
            {change.kind === 'changed' && (
              <>
                {show(change.before)} → {show(change.after)}
              </>
            )}
            {change.kind === 'added' && show(change.after)}
            {change.kind === 'removed' && show(change.before)}
          </li>
        ))}
      </ul>
    </div>
  )
}

function TextChanges({ before, after }: { before: string; after: string }): JSX.Element {
  const { lines, cut } = useMemo(() => diffLines(before, after), [before, after])
  return (
    <div>
      {cut && <p className="muted small-text">Long payloads: the first 2,000 lines are compared.</p>}
      <pre className="payload-text diff-lines" data-testid="text-diff">
        {lines.map((line, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: lines have no identity beyond their place
          <div key={i} className={`diff-line-${line.kind}`}>
            {line.kind === 'added' ? '+ ' : line.kind === 'removed' ? '- ' : '  '}
            {line.text}
          </div>
        ))}
      </pre>
    </div>
  )
}
