import { useEffect, type JSX } from 'react'
import { Header } from './components/Header'
import { Nav } from './components/Nav'
import { PortConflictBanner } from './components/PortConflictBanner'
import { useGlobalShortcuts } from './components/useGlobalShortcuts'
import { formatClock } from './lib/format'
import { VIEWS, type ViewId } from './lib/views'
import { startConnection } from './store/connection'
import { useInspectorStore } from './store/inspector-store'
import { useUiStore } from './store/ui-store'
import { BridgesView } from './views/bridges/BridgesView'
import { ClientsView } from './views/clients/ClientsView'
import { DashboardView } from './views/dashboard/DashboardView'
import { PublishView } from './views/publish/PublishView'
import { RetainedView } from './views/retained/RetainedView'
import { SettingsView } from './views/settings/SettingsView'
import { SimulateView } from './views/simulate/SimulateView'
import { SubscriptionsView } from './views/subscriptions/SubscriptionsView'
import { TopicsView } from './views/topics/TopicsView'
import { TrafficView } from './views/traffic/TrafficView'

const VIEW_COMPONENTS: Record<ViewId, () => JSX.Element | null> = {
  dashboard: DashboardView,
  clients: ClientsView,
  subscriptions: SubscriptionsView,
  retained: RetainedView,
  traffic: TrafficView,
  topics: TopicsView,
  publish: PublishView,
  settings: SettingsView,
  simulate: SimulateView,
  bridges: BridgesView
}

function useThemeAttribute(): void {
  const theme = useUiStore((s) => s.theme)
  useEffect(() => {
    const root = document.documentElement
    // 'system' follows the OS setting, resolved here so the stylesheet has one dark palette.
    const dark = window.matchMedia('(prefers-color-scheme: dark)')
    const apply = (): void => root.setAttribute('data-theme', theme === 'system' ? (dark.matches ? 'dark' : 'light') : theme)
    apply()
    if (theme !== 'system') return
    dark.addEventListener('change', apply)
    return () => dark.removeEventListener('change', apply)
  }, [theme])
}

/** Shown instead of the views until the first snapshot arrives. */
function Connecting(): JSX.Element {
  const error = useInspectorStore((s) => s.error)
  const transport = useInspectorStore((s) => s.transport)
  return (
    <section className="connecting" aria-labelledby="connecting-title" data-testid="connecting">
      <div className="spinner" aria-hidden="true" />
      <h1 id="connecting-title">Connecting to the broker…</h1>
      <p className="muted">
        Waiting for the first snapshot from BrokerScope{transport ? ` (${transport === 'electron' ? 'Electron IPC' : 'WebSocket'})` : ''}.
        This page retries on its own.
      </p>
      {error && (
        <p className="warning-text" data-testid="connection-error">
          Last attempt: {error}
        </p>
      )}
    </section>
  )
}

function StaleBanner(): JSX.Element | null {
  const status = useInspectorStore((s) => s.status)
  const updatedAt = useInspectorStore((s) => s.data?.updatedAt)
  const error = useInspectorStore((s) => s.error)
  if (status !== 'reconnecting') return null
  return (
    <div className="banner banner-warning" role="alert">
      Connection to the broker lost — reconnecting… The data shown is from {updatedAt ? formatClock(updatedAt) : 'earlier'}.
      {error ? <span className="muted"> ({error})</span> : null}
    </div>
  )
}

export function App(): JSX.Element {
  useEffect(() => startConnection(), [])
  useGlobalShortcuts()
  useThemeAttribute()
  const view = useUiStore((s) => s.view)
  const hasData = useInspectorStore((s) => s.data !== null)
  const View = VIEW_COMPONENTS[view]
  const label = VIEWS.find((v) => v.id === view)?.label ?? ''

  return (
    <div className="app">
      <Header />
      <Nav />
      <main className="app-main" aria-label={label}>
        <StaleBanner />
        <PortConflictBanner />
        {hasData ? <View key={view} /> : <Connecting />}
      </main>
    </div>
  )
}
