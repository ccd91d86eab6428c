import type { JSX } from 'react'
import type { BridgeStatus } from '../../../shared/bridges'
import { formatAgo } from '../lib/format'

const STATE_BADGE: Record<BridgeStatus['state'], string> = {
  connected: 'badge-ok',
  connecting: 'badge-info',
  waiting: 'badge-warn',
  stopped: 'badge-muted'
}

export function totalDropped(status: BridgeStatus): number {
  return Object.values(status.counters.dropped).reduce((sum, n) => sum + n, 0)
}

/** State in words, with the last error and the next attempt while it waits. */
export function BridgeState({ status, now }: { status: BridgeStatus; now: number }): JSX.Element {
  const next = status.nextAttemptAt !== null ? Math.max(0, Math.ceil((status.nextAttemptAt - now) / 1000)) : null
  return (
    <span className="bridge-state">
      <span className={`badge ${STATE_BADGE[status.state]}`} data-testid={`bridge-state-${status.config.name}`}>
        {status.state}
      </span>
      {status.state === 'connected' && status.connectedSince !== null && (
        <span className="muted small-text"> since {formatAgo(status.connectedSince, now)}</span>
      )}
      {status.state !== 'connected' && status.lastError && (
        <span className="warning-text small-text" data-testid={`bridge-error-${status.config.name}`}>
          {' '}
          {status.lastError}
          {next !== null ? ` · next try in ${next} s` : ''}
        </span>
      )}
    </span>
  )
}
