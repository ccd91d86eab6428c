/**
 * "What is flooding my broker": messages/s and bytes/s over the last 10 s and 60 s, per topic, per
 * subtree (topics grouped by their first 1–3 levels) and per publishing client, sortable. The
 * inspector keeps the rates; this panel asks for them once a second while it is shown.
 */
import { useEffect, useMemo, useState, type JSX } from 'react'
import type { ActivityReport, ActivityRow } from '../../../../shared/api'
import { getApi } from '../../api'
import { formatBytes, formatCount } from '../../lib/format'

export type GroupBy = 'topic' | 'level1' | 'level2' | 'level3' | 'client'
type SortKey = 'key' | 'messages10s' | 'bytes10s' | 'messages60s' | 'bytes60s'

const GROUPS: ReadonlyArray<{ id: GroupBy; label: string }> = [
  { id: 'level1', label: 'Subtree (1 level)' },
  { id: 'level2', label: 'Subtree (2 levels)' },
  { id: 'level3', label: 'Subtree (3 levels)' },
  { id: 'topic', label: 'Topic' },
  { id: 'client', label: 'Publishing client' }
]

/** Topic rows summed by their first `levels` levels ("a/b/#"); a topic with fewer levels stays itself. */
export function groupBySubtree(rows: readonly ActivityRow[], levels: number): ActivityRow[] {
  const groups = new Map<string, ActivityRow>()
  for (const row of rows) {
    const parts = row.key.split('/')
    const key = parts.length > levels ? `${parts.slice(0, levels).join('/')}/#` : row.key
    const group = groups.get(key) ?? { key, messages10s: 0, bytes10s: 0, messages60s: 0, bytes60s: 0 }
    group.messages10s += row.messages10s
    group.bytes10s += row.bytes10s
    group.messages60s += row.messages60s
    group.bytes60s += row.bytes60s
    groups.set(key, group)
  }
  return [...groups.values()]
}

const rate = (value: number): string => (value >= 100 ? formatCount(Math.round(value)) : value.toFixed(value >= 10 ? 1 : 2))

export function TopTalkers({ onTopic, onClient }: { onTopic: (topic: string) => void; onClient: (clientId: string) => void }): JSX.Element {
  const [report, setReport] = useState<ActivityReport | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [groupBy, setGroupBy] = useState<GroupBy>('level1')
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({ key: 'messages10s', descending: true })

  useEffect(() => {
    let stopped = false
    const poll = (): void => {
      getApi()
        .call('activity')
        .then(
          (next) => {
            if (!stopped) {
              setReport(next)
              setError(null)
            }
          },
          (err: unknown) => setError(err instanceof Error ? err.message : String(err))
        )
    }
    poll()
    const timer = setInterval(poll, 1000)
    return () => {
      stopped = true
      clearInterval(timer)
    }
  }, [])

  const rows = useMemo(() => {
    if (!report) return []
    const base =
      groupBy === 'client'
        ? report.clients
        : groupBy === 'topic'
          ? report.topics
          : groupBySubtree(report.topics, groupBy === 'level1' ? 1 : groupBy === 'level2' ? 2 : 3)
    const sorted = [...base].sort((a, b) => {
      const order = sort.key === 'key' ? a.key.localeCompare(b.key) : a[sort.key] - b[sort.key]
      return sort.descending ? -order : order
    })
    return sorted
  }, [report, groupBy, sort])

  const header = (key: SortKey, label: string): JSX.Element => (
    <th scope="col" aria-sort={sort.key === key ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
      <button
        type="button"
        className="sort-button"
        onClick={() => setSort({ key, descending: sort.key === key ? !sort.descending : key !== 'key' })}
      >
        {label}
        {sort.key === key ? (sort.descending ? ' ▼' : ' ▲') : ''}
      </button>
    </th>
  )

  const notListed = groupBy === 'client' ? (report?.clientsNotListed ?? 0) : (report?.topicsNotListed ?? 0)
  return (
    <section className="top-talkers" aria-label="Top talkers" data-testid="top-talkers">
      <div className="toolbar">
        <h2>Top talkers</h2>
        <label className="field-inline">
          By
          <select value={groupBy} onChange={(e) => setGroupBy(e.target.value as GroupBy)} aria-label="Group top talkers by">
            {GROUPS.map((g) => (
              <option key={g.id} value={g.id}>
                {g.label}
              </option>
            ))}
          </select>
        </label>
        {error && <span className="field-error">{error}</span>}
      </div>
      <div className="table-scroll">
        <table className="data-table compact" aria-label="Top talkers">
          <thead>
            <tr>
              {header('key', groupBy === 'client' ? 'Client' : 'Topic')}
              {header('messages10s', 'msg/s 10 s')}
              {header('bytes10s', 'bytes/s 10 s')}
              {header('messages60s', 'msg/s 60 s')}
              {header('bytes60s', 'bytes/s 60 s')}
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, 100).map((row) => (
              <tr key={row.key}>
                <td>
                  <button
                    type="button"
                    className="link-button mono"
                    onClick={() =>
                      groupBy === 'client' ? onClient(row.key) : onTopic(row.key.endsWith('/#') ? row.key.slice(0, -2) : row.key)
                    }
                  >
                    {groupBy === 'client' && row.key === '' ? 'BrokerScope' : row.key}
                  </button>
                </td>
                <td className="num">{rate(row.messages10s)}</td>
                <td className="num">{formatBytes(row.bytes10s)}</td>
                <td className="num">{rate(row.messages60s)}</td>
                <td className="num">{formatBytes(row.bytes60s)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {rows.length === 0 && <p className="empty">No messages in the last minute.</p>}
        {(rows.length > 100 || notListed > 0) && (
          <p className="muted small-text">
            {rows.length > 100 ? `${formatCount(rows.length - 100)} more rows not shown. ` : ''}
            {notListed > 0 ? `${formatCount(notListed)} quieter ${groupBy === 'client' ? 'clients' : 'topics'} not counted here.` : ''}
          </p>
        )}
      </div>
    </section>
  )
}
