import type { JSX } from 'react'
import { DROP_REASONS, LIMIT_NAMES, REFUSAL_REASONS, type DropReason, type RefusalReason } from '../../../../shared/broker-types'
import { Sparkline } from '../../components/Sparkline'
import { formatBytes, formatCount, formatDuration, formatListenerAddress, formatRate, listenerLabel } from '../../lib/format'
import { SERIES_LENGTH, type SeriesKey } from '../../lib/series'
import { isSysTopic } from '../../lib/topic-match'
import { useInspectorStore } from '../../store/inspector-store'
import { ConnectHelp } from './ConnectHelp'
import { StorePanel } from './StorePanel'
import { BridgesPanel } from './BridgesPanel'
import { CountTable } from './CountTable'

const DROP_HELP: Record<DropReason, string> = {
  'queue-full': 'the client’s queue was full',
  'packet-too-large': 'larger than the client’s maximum packet size',
  expired: 'message expiry interval passed',
  'slow-consumer': 'the client did not read fast enough',
  'qos0-offline': 'QoS 0 for an offline session',
  'not-authorized': 'refused by authorization',
  'session-ended': 'the session ended with messages pending',
  'rights-withdrawn': 'the ACL changed while it waited: no longer allowed to this client',
  'encoding-failed': 'the broker could not encode it for this client (see the log)',
  'bridge-queue-full': 'a bridge’s outgoing queue was full while its remote was away'
}

const REFUSAL_HELP: Record<RefusalReason, string> = {
  'ws-origin': 'a web page from another site tried the WebSocket listener (see wsAllowedOrigins)'
}

interface CardProps {
  label: string
  value: string
  seriesKey?: SeriesKey
  detail?: string
  testId: string
}

function Card({ label, value, seriesKey, detail, testId }: CardProps): JSX.Element {
  const values = useInspectorStore((s) => (seriesKey ? s.series[seriesKey] : undefined))
  return (
    <section className="card" aria-label={label} data-testid={testId}>
      <h2 className="card-label">{label}</h2>
      <div className="card-value" data-testid={`${testId}-value`}>
        {value}
      </div>
      {detail && <div className="card-detail muted">{detail}</div>}
      {values && <Sparkline values={values} capacity={SERIES_LENGTH} label={label} />}
    </section>
  )
}

function last(values: readonly number[]): number {
  return values.length > 0 ? values[values.length - 1] : 0
}

export function DashboardView(): JSX.Element | null {
  const data = useInspectorStore((s) => s.data)
  const series = useInspectorStore((s) => s.series)
  if (!data) return null
  const { stats } = data
  const now = Date.now()
  const totalDropped = DROP_REASONS.reduce((sum, r) => sum + (stats.droppedByReason[r] ?? 0), 0)
  // The broker's own $SYS topics are counted apart (Retained hides them unless asked).
  const ownRetained = data.retained.reduce((n, r) => (isSysTopic(r.topic) ? n : n + 1), 0)

  return (
    <div className="view dashboard-view">
      <div className="view-header">
        <h1>Dashboard</h1>
        <span className="muted">
          Up {formatDuration(now - stats.startedAt)} · {formatCount(stats.connectionsTotal)} connections since start
        </span>
      </div>
      <ConnectHelp />
      <div className="card-grid">
        <Card
          label="Clients connected"
          testId="stat-clients"
          value={formatCount(stats.clientsConnected)}
          seriesKey="clients"
          detail={`${formatCount(stats.clientsDisconnected)} offline sessions · peak ${formatCount(stats.clientsMaximum)}`}
        />
        <Card
          label="Subscriptions"
          testId="stat-subscriptions"
          value={formatCount(stats.subscriptionCount)}
          seriesKey="subscriptions"
          detail={`${formatCount(stats.sharedSubscriptionCount)} shared`}
        />
        <Card
          label="Retained messages"
          testId="stat-retained"
          value={formatCount(ownRetained)}
          seriesKey="retained"
          detail={`${stats.retainedCount > ownRetained ? `+ ${formatCount(stats.retainedCount - ownRetained)} $SYS · ` : ''}${formatCount(stats.storedMessages)} stored · ${formatBytes(stats.storedBytes)}`}
        />
        <Card
          label="Messages in /s"
          testId="stat-messages-in"
          value={formatRate(last(series.messagesIn))}
          seriesKey="messagesIn"
          detail={`${formatCount(stats.publishReceived)} PUBLISH received`}
        />
        <Card
          label="Messages out /s"
          testId="stat-messages-out"
          value={formatRate(last(series.messagesOut))}
          seriesKey="messagesOut"
          detail={`${formatCount(stats.publishSent)} PUBLISH sent · ${formatCount(stats.inflight)} in flight`}
        />
        <Card
          label="Bytes in /s"
          testId="stat-bytes-in"
          value={formatBytes(last(series.bytesIn))}
          seriesKey="bytesIn"
          detail={`${formatBytes(stats.bytesReceived)} received`}
        />
        <Card
          label="Bytes out /s"
          testId="stat-bytes-out"
          value={formatBytes(last(series.bytesOut))}
          seriesKey="bytesOut"
          detail={`${formatBytes(stats.bytesSent)} sent`}
        />
        <Card
          label="Dropped /s"
          testId="stat-dropped"
          value={formatRate(last(series.dropped))}
          seriesKey="dropped"
          detail={`${formatCount(stats.publishDropped)} dropped in total`}
        />
      </div>

      <BridgesPanel />
      <div className="dashboard-lower">
        <section className="panel" aria-labelledby="drops-title">
          <h2 id="drops-title">Dropped messages by reason</h2>
          <p className="muted">Every message that did not reach a subscriber is counted under one reason.</p>
          <CountTable
            label="Dropped messages by reason"
            testId="drops-table"
            nameHeader="Reason"
            countHeader="Dropped"
            rows={DROP_REASONS.map((reason) => ({ name: reason, count: stats.droppedByReason[reason] ?? 0, meaning: DROP_HELP[reason] }))}
            total={totalDropped}
          />
          <h2 id="limits-title">Limits hit</h2>
          <p className="muted">How often each configured limit refused or held back something (see Settings).</p>
          <CountTable
            labelledBy="limits-title"
            testId="limits-table"
            nameHeader="Limit"
            countHeader="Hits"
            rows={LIMIT_NAMES.map((name) => ({ name, count: stats.limitsHit?.[name] ?? 0 }))}
          />
          <h2 id="refused-title">Refused connections</h2>
          <p className="muted">Connection attempts refused before they became clients, by reason.</p>
          <CountTable
            labelledBy="refused-title"
            testId="refused-table"
            nameHeader="Reason"
            countHeader="Refused"
            rows={REFUSAL_REASONS.map((reason) => ({
              name: reason,
              count: stats.refusedByReason?.[reason] ?? 0,
              meaning: REFUSAL_HELP[reason]
            }))}
          />
        </section>
        <section className="panel" aria-labelledby="totals-title">
          <h2 id="totals-title">Totals since start</h2>
          <dl className="facts">
            <dt>Packets received / sent</dt>
            <dd>
              {formatCount(stats.messagesReceived)} / {formatCount(stats.messagesSent)}
            </dd>
            <dt>PUBLISH bytes received / sent</dt>
            <dd>
              {formatBytes(stats.publishBytesReceived)} / {formatBytes(stats.publishBytesSent)}
            </dd>
            <dt>Clients total / expired</dt>
            <dd>
              {formatCount(stats.clientsTotal)} / {formatCount(stats.clientsExpired)}
            </dd>
            <dt>Sockets opened</dt>
            <dd>{formatCount(stats.socketsTotal)}</dd>
            <dt>Topics tracked</dt>
            <dd>
              {formatCount(data.topics.length)}
              {data.topicsEvicted > 0 ? ` (${formatCount(data.topicsEvicted)} dropped from the view)` : ''}
            </dd>
          </dl>
          <h2>Listeners</h2>
          <ul className="plain-list">
            {data.listeners.map((l) => (
              <li key={l.name}>
                <strong>{listenerLabel(l.name)}</strong>{' '}
                {l.listening ? (
                  <code>{formatListenerAddress(l, data.settings.wsPath)}</code>
                ) : (
                  <span className={l.error ? 'warning-text' : 'muted'}>{l.error ?? 'off'}</span>
                )}
              </li>
            ))}
          </ul>
        </section>
        <StorePanel />
      </div>
    </div>
  )
}
