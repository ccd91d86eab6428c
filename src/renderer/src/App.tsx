import { useEffect, type JSX } from 'react'
import { TOKEN_REFUSED } from './api'
import { Header } from './components/Header'
import { Nav } from './components/Nav'
import { PortConflictBanner } from './components/PortConflictBanner'
import { useGlobalShortcuts } from './components/useGlobalShortcuts'
import { useNarrow } from './components/useNarrow'
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
  const status = useInspectorStore((s) => s.status)
  if (status === 'denied') return <Refused />
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

/** The broker refused this page's token: say what to do instead of retrying. */
function Refused(): JSX.Element {
  return (
    <section className="connecting" aria-labelledby="refused-title" data-testid="connection-refused">
      <h1 id="refused-title">This page cannot connect to BrokerScope</h1>
      <p className="warning-text">{TOKEN_REFUSED}</p>
      <p className="muted">
        The headless broker prints it at start: <code>inspector UI on http://127.0.0.1:8090/?token=…</code>. Each run makes a new token
        unless it was started with <code>--ui-token</code>.
      </p>
    </section>
  )
}

function StaleBanner(): JSX.Element | null {
  const status = useInspectorStore((s) => s.status)
  const updatedAt = useInspectorStore((s) => s.data?.updatedAt)
  const error = useInspectorStore((s) => s.error)
  if (status === 'denied') {
    // Without data the whole page says it (Refused); with data shown, this banner does.
    if (updatedAt === undefined) return null
    return (
      <div className="banner banner-warning" role="alert" data-testid="connection-refused">
        The broker refused this page: {TOKEN_REFUSED}
      </div>
    )
  }
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
  const navChoice = useUiStore((s) => s.navOpen)
  const narrow = useNarrow()
  const hasData = useInspectorStore((s) => s.data !== null)
  const View = VIEW_COMPONENTS[view]
  const label = VIEWS.find((v) => v.id === view)?.label ?? ''
  // Narrow: the nav is folded away until asked for, then lies over the view (picking a view folds it).
  const navOpen = navChoice ?? !narrow

  return (
    <div className={`app ${navOpen ? 'nav-open' : 'nav-closed'} ${narrow ? 'narrow' : 'wide'}`}>
      <Header navOpen={navOpen} />
      {navOpen && <Nav overlay={narrow} />}
      <main className="app-main" aria-label={label}>
        <StaleBanner />
        <PortConflictBanner />
        {hasData ? <View key={view} /> : <Connecting />}
      </main>
    </div>
  )
}
