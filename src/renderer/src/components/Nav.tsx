import { useMemo, type JSX } from 'react'
import { isSysTopic } from '../lib/topic-match'
import { VIEWS } from '../lib/views'
import { useInspectorStore } from '../store/inspector-store'
import { useUiStore } from '../store/ui-store'

function useVisibleCount(list: ReadonlyArray<{ topic: string }> | undefined, showSys: boolean): number {
  return useMemo(() => {
    if (!list) return 0
    return showSys ? list.length : list.reduce((n, item) => (isSysTopic(item.topic) ? n : n + 1), 0)
  }, [list, showSys])
}

/** The views. `overlay`: it lies over the view (a narrow window) and folds away once a view is picked. */
export function Nav({ overlay = false }: { overlay?: boolean }): JSX.Element {
  const view = useUiStore((s) => s.view)
  const setView = useUiStore((s) => s.setView)
  const data = useInspectorStore((s) => s.data)
  const showSys = useUiStore((s) => s.showSys)
  // Counted as the views show them: without $SYS unless asked for (the lists change a few times a second at most).
  const retained = useVisibleCount(data?.retained, showSys)
  const topics = useVisibleCount(data?.topics, showSys)
  const counts: Partial<Record<string, number>> = data
    ? { clients: data.stats.clientsConnected, subscriptions: data.subscriptions.length, retained, topics, bridges: data.bridges.length }
    : {}
  return (
    <nav className={`app-nav ${overlay ? 'overlay' : ''}`} aria-label="Views" data-testid="nav">
      <ul>
        {VIEWS.map((v) => (
          <li key={v.id}>
            <button
              type="button"
              aria-current={view === v.id ? 'page' : undefined}
              aria-keyshortcuts={`Alt+${v.digit}`}
              title={`${v.label} (Alt+${v.digit}, or g then ${v.goKey})`}
              onClick={() => {
                setView(v.id)
                if (overlay) useUiStore.getState().setNavOpen(null)
              }}
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
