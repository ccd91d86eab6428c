/**
 * Desktop app only: a listener whose port is taken (another broker on 1883, …) is named here with
 * the process holding it, when the OS says, and a free port to switch to in one click. The switch
 * is an ordinary settings change, so it applies at once and is saved in settings.json.
 */
import { useEffect, useState, type JSX } from 'react'
import type { ListenerName } from '../../../shared/broker-types'
import type { PortConflict } from '../../../shared/desktop-api'
import { getApi } from '../api'
import { desktopApi } from '../api/desktop'
import { listenerLabel } from '../lib/format'
import { useInspectorStore } from '../store/inspector-store'

/** The port setting of each listener that has a port (the Unix socket listener has a path instead). */
const PORT_SETTING: Record<Exclude<ListenerName, 'unix'>, 'tcpPort' | 'wsPort' | 'tlsPort' | 'wssPort'> = {
  tcp: 'tcpPort',
  ws: 'wsPort',
  tls: 'tlsPort',
  wss: 'wssPort'
}

function holderText(conflict: PortConflict): string {
  const { holder } = conflict
  if (holder === null) return 'by another program (the system did not say which)'
  if (holder.pid === null) return 'by a process this user may not look at'
  return `by ${holder.command ?? 'a process'} (pid ${holder.pid})`
}

export function PortConflictBanner(): JSX.Element | null {
  const listeners = useInspectorStore((s) => s.data?.listeners)
  const [conflicts, setConflicts] = useState<PortConflict[]>([])
  const [busy, setBusy] = useState(false)
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null)
  const desktop = desktopApi()
  // Re-asked whenever the listeners change: after a switch, or a change in Settings.
  const failedKey = (listeners ?? [])
    .filter((l) => !l.listening && l.port > 0)
    .map((l) => `${l.name}:${l.port}`)
    .join(',')

  useEffect(() => {
    if (!desktop || failedKey === '') {
      setConflicts([])
      return
    }
    let current = true
    desktop.call('portConflicts').then(
      (found) => {
        if (current) setConflicts(found)
      },
      () => {
        if (current) setConflicts([])
      }
    )
    return () => {
      current = false
    }
  }, [desktop, failedKey])

  if (!desktop || (conflicts.length === 0 && result === null)) return null

  const switchPort = async (conflict: PortConflict): Promise<void> => {
    if (conflict.suggestedPort === null || conflict.listener === 'unix') return
    setBusy(true)
    try {
      const key = PORT_SETTING[conflict.listener]
      const outcome = await getApi().call('updateSettings', { [key]: conflict.suggestedPort })
      setResult(
        outcome.ok
          ? { ok: true, text: `${listenerLabel(conflict.listener)} now uses port ${conflict.suggestedPort} (saved).` }
          : { ok: false, text: outcome.errors.map((e) => `${e.key}: ${e.message}`).join('; ') }
      )
    } catch (error) {
      setResult({ ok: false, text: error instanceof Error ? error.message : String(error) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className="port-conflicts" data-testid="port-conflicts">
      {conflicts.map((conflict) => (
        <div key={conflict.listener} className="banner banner-warning" role="alert" data-testid={`port-conflict-${conflict.listener}`}>
          <span>
            {listenerLabel(conflict.listener)} port <strong>{conflict.port}</strong> is in use {holderText(conflict)}, so that listener is
            not running.
          </span>
          {conflict.suggestedPort !== null ? (
            <button type="button" className="small primary" disabled={busy} onClick={() => void switchPort(conflict)}>
              Use port {conflict.suggestedPort}
            </button>
          ) : (
            <span className="muted">No free port found nearby: choose one in Settings.</span>
          )}
        </div>
      ))}
      {result && (
        <div className={`banner ${result.ok ? 'banner-info' : 'banner-warning'}`} role="status" data-testid="port-conflict-result">
          <span>{result.text}</span>
          <button type="button" className="small" onClick={() => setResult(null)}>
            Dismiss
          </button>
        </div>
      )}
    </div>
  )
}
