import type { JSX } from 'react'
import { formatListenerAddress, listenerLabel } from '../lib/format'
import { useInspectorStore } from '../store/inspector-store'
import { useUiStore } from '../store/ui-store'
import { HelpTooltip } from './HelpTooltip'

const STATUS_TEXT = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  denied: 'Refused: wrong address'
} as const

export function Header({ navOpen }: { navOpen: boolean }): JSX.Element {
  const status = useInspectorStore((s) => s.status)
  const listeners = useInspectorStore((s) => s.data?.listeners)
  const wsPath = useInspectorStore((s) => s.data?.settings.wsPath)
  const theme = useUiStore((s) => s.theme)
  const cycleTheme = useUiStore((s) => s.cycleTheme)

  return (
    <header className="app-header">
      <button
        type="button"
        className="small nav-toggle"
        aria-expanded={navOpen}
        aria-label={navOpen ? 'Hide the views' : 'Show the views'}
        title={navOpen ? 'Hide the views (Alt+1…9 still switch)' : 'Show the views'}
        onClick={() => useUiStore.getState().setNavOpen(!navOpen)}
        data-testid="nav-toggle"
      >
        ☰
      </button>
      <div className="brand">
        <svg width="18" height="18" viewBox="0 0 18 18" aria-hidden="true">
          <circle cx="9" cy="9" r="7.5" className="brand-ring" />
          <circle cx="9" cy="9" r="2.5" className="brand-dot" />
        </svg>
        <span>BrokerScope</span>
      </div>
      <div className={`status-pill status-${status}`} role="status" aria-live="polite" data-testid="connection-status">
        <span className="status-dot" aria-hidden="true" />
        {STATUS_TEXT[status]}
      </div>
      <ul className="listener-list" aria-label="Listeners">
        {(listeners ?? []).map((listener) => (
          <li
            key={listener.name}
            className={listener.listening ? 'listening' : 'not-listening'}
            title={listener.error ?? (listener.listening ? 'listening' : 'off')}
          >
            <span className="listener-name">{listenerLabel(listener.name, true)}</span>{' '}
            {listener.listening ? (
              <code>{formatListenerAddress(listener, wsPath)}</code>
            ) : (
              <span className="muted">{listener.error ? 'error' : 'off'}</span>
            )}
          </li>
        ))}
      </ul>
      <div className="header-actions">
        <button
          type="button"
          className="small"
          onClick={() => {
            useUiStore.getState().setConnectHelpOpen(true)
            useUiStore.getState().setView('dashboard')
          }}
          title="Addresses and ready snippets for mosquitto, MQTT.js, Python and ESP32"
          data-testid="connect-help-button"
        >
          <span className="label-long">How to connect</span>
          <span className="label-short">Connect</span>
        </button>
        <button
          type="button"
          className="small"
          onClick={cycleTheme}
          title="Theme: follow the system, light or dark"
          data-testid="theme-toggle"
        >
          Theme<span className="label-long">: {theme === 'system' ? 'System' : theme === 'light' ? 'Light' : 'Dark'}</span>
        </button>
        <HelpTooltip />
      </div>
    </header>
  )
}
