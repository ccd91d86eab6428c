import type { JSX } from 'react'
import { VIEWS } from '../lib/views'
import { useInspectorStore } from '../store/inspector-store'
import { useUiStore } from '../store/ui-store'

export function Nav(): JSX.Element {
  const view = useUiStore((s) => s.view)
  const setView = useUiStore((s) => s.setView)
  const data = useInspectorStore((s) => s.data)
  const counts: Partial<Record<string, number>> = data
    ? {
        clients: data.stats.clientsConnected,
        subscriptions: data.subscriptions.length,
        retained: data.retained.length,
        topics: data.topics.length,
        bridges: data.bridges.length
      }
    : {}
  return (
    <nav className="app-nav" aria-label="Views">
      <ul>
        {VIEWS.map((v) => (
          <li key={v.id}>
            <button
              type="button"
              aria-current={view === v.id ? 'page' : undefined}
              aria-keyshortcuts={`Alt+${v.digit}`}
              title={`${v.label} (Alt+${v.digit}, or g then ${v.goKey})`}
              onClick={() => setView(v.id)}
              data-testid={`nav-${v.id}`}
            >
              {v.label}
              <span className="nav-extra" aria-hidden="true">
                {counts[v.id] !== undefined && <span className="nav-count">{counts[v.id]}</span>}
                <kbd>{v.digit}</kbd>
              </span>
            </button>
          </li>
        ))}
      </ul>
    </nav>
  )
}
