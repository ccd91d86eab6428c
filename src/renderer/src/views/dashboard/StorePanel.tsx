import { type JSX, useCallback, useEffect, useState } from 'react'
import type { StoreStatus } from '../../../../shared/broker-types'
import { getApi } from '../../api'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { formatBytes, formatCount } from '../../lib/format'

/** How often the panel asks for the store's status while the Dashboard is open. */
const REFRESH_MS = 2000

/** The durable store: where it is, what it holds, when it last synced; "Clear stored data". */
export function StorePanel(): JSX.Element {
  const [status, setStatus] = useState<StoreStatus | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [confirming, setConfirming] = useState(false)
  const [message, setMessage] = useState<string | null>(null)

  const refresh = useCallback(() => {
    getApi()
      .call('storeStatus')
      .then(
        (next) => {
          setStatus(next)
          setError(null)
        },
        (err: unknown) => setError(err instanceof Error ? err.message : String(err))
      )
  }, [])

  useEffect(() => {
    refresh()
    const timer = setInterval(refresh, REFRESH_MS)
    return () => clearInterval(timer)
  }, [refresh])

  const clear = async (): Promise<void> => {
    setConfirming(false)
    try {
      const cleared = await getApi().call('clearStoredData')
      setMessage(`Cleared ${formatCount(cleared.retained)} retained messages and ${formatCount(cleared.sessions)} offline sessions.`)
      refresh()
    } catch (err) {
      setMessage(`Could not clear the stored data: ${err instanceof Error ? err.message : String(err)}`)
    }
  }

  return (
    <section className="panel" aria-labelledby="store-title" data-testid="store-panel">
      <h2 id="store-title">Stored data</h2>
      {error && <p className="warning-text">{error}</p>}
      {status === null ? (
        <p className="muted">Loading…</p>
      ) : !status.enabled ? (
        <p className="muted">
          Persistence is off: retained messages and sessions live in memory and are gone after a restart (Settings → Persistence, at the
          next start).
        </p>
      ) : (
        <>
          {status.failing && (
            <p className="warning-text" role="alert">
              Writing to the store fails ({status.lastError}): QoS 1 and 2 messages are refused until it works again.
            </p>
          )}
          <dl className="facts">
            <dt>Location</dt>
            <dd>
              <code data-testid="store-path">{status.path}</code>
            </dd>
            <dt>Size on disk</dt>
            <dd>{formatBytes(status.sizeBytes)}</dd>
            <dt>Retained messages / sessions stored</dt>
            <dd data-testid="store-counts">
              {formatCount(status.retained)} / {formatCount(status.sessions)}
            </dd>
            <dt>Queued and in-flight messages</dt>
            <dd>
              {formatCount(status.deliveries)} ({formatCount(status.messages)} distinct)
            </dd>
            <dt>Last sync</dt>
            <dd>
              {status.lastSyncAt === null
                ? 'none yet'
                : `${new Date(status.lastSyncAt).toLocaleTimeString()} (${status.lastSyncMs} ms) · ${formatCount(status.commits)} commits`}
            </dd>
            <dt>Write failures</dt>
            <dd>{formatCount(status.writeFailures)}</dd>
            {(status.recovery.skippedRecords > 0 || status.recovery.setAside !== null) && (
              <>
                <dt>At the last start</dt>
                <dd className="warning-text">
                  {status.recovery.skippedRecords > 0 && `${formatCount(status.recovery.skippedRecords)} damaged records skipped. `}
                  {status.recovery.setAside !== null && `An unusable store was moved to ${status.recovery.setAside}.`}
                </dd>
              </>
            )}
          </dl>
          <button type="button" className="danger" onClick={() => setConfirming(true)}>
            Clear stored data…
          </button>
          {message && (
            <p className="muted" role="status">
              {message}
            </p>
          )}
        </>
      )}
      <ConfirmDialog
        open={confirming}
        title="Clear stored data"
        confirmLabel="Clear stored data"
        danger
        onConfirm={() => void clear()}
        onCancel={() => setConfirming(false)}
      >
        <p>
          This deletes every retained message (but $SYS) and every offline session with its queued messages, from memory and from the store.
          Connected clients keep their sessions. This cannot be undone.
        </p>
      </ConfirmDialog>
    </section>
  )
}
