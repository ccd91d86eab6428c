import type { JSX } from 'react'
import type { TopicNode } from '../../../../shared/api'
import { type BridgeStatus, inspectionPrefixOf } from '../../../../shared/bridges'
import { formatCount } from '../../lib/format'
import { base64ToBytesSafe, decodeUtf8 } from '../../lib/payload'
import { NONE, useInspectorStore } from '../../store/inspector-store'
import { useUiStore } from '../../store/ui-store'
import { BridgeState, totalDropped } from '../../components/BridgeState'
import '../bridges/bridges.css'

/** The mosquitto-style $SYS figures shown for an inspected remote broker, when it publishes them. */
const REMOTE_SYS: ReadonlyArray<[label: string, topic: string]> = [
  ['Version', 'version'],
  ['Uptime', 'uptime'],
  ['Clients connected', 'clients/connected'],
  ['Clients total', 'clients/total'],
  ['Subscriptions', 'subscriptions/count'],
  ['Retained messages', 'retained messages/count'],
  ['Messages received', 'messages/received'],
  ['Messages sent', 'messages/sent'],
  ['Received /min (1 min)', 'load/messages/received/1min'],
  ['Sent /min (1 min)', 'load/messages/sent/1min']
]

function text(node: TopicNode | undefined): string | null {
  if (!node) return null
  const bytes = base64ToBytesSafe(node.lastPayload)
  return bytes === null ? null : decodeUtf8(bytes)
}

/** Bridges on the dashboard: state, last error, counters; and each inspected remote's $SYS figures. */
export function BridgesPanel(): JSX.Element | null {
  const bridges = useInspectorStore((s) => s.data?.bridges ?? NONE)
  const topics = useInspectorStore((s) => s.data?.topics ?? NONE)
  if (bridges.length === 0) return null
  const now = Date.now()
  const byTopic = new Map<string, TopicNode>()
  const remotes = bridges.filter((b) => b.config.kind === 'inspect')
  if (remotes.length > 0) for (const t of topics) if (t.topic.includes('$SYS/broker/')) byTopic.set(t.topic, t)
  return (
    <section className="panel" aria-labelledby="bridges-title" data-testid="dashboard-bridges">
      <h2 id="bridges-title">Bridges</h2>
      <table className="data-table compact dashboard-bridges-table" aria-labelledby="bridges-title">
        <thead>
          <tr>
            <th scope="col">Bridge</th>
            <th scope="col">State</th>
            <th scope="col" className="num">
              In / out
            </th>
            <th scope="col" className="num">
              Queued
            </th>
            <th scope="col" className="num">
              Dropped
            </th>
          </tr>
        </thead>
        <tbody>
          {bridges.map((b: BridgeStatus) => (
            <tr key={b.config.name}>
              <td>
                <button type="button" className="link-button mono" onClick={() => useUiStore.getState().setView('bridges')}>
                  {b.config.name}
                </button>
                {b.config.kind === 'inspect' && <span className="badge badge-remote">remote</span>}
                <div className="muted small-text mono">{b.config.url}</div>
              </td>
              <td>
                <BridgeState status={b} now={now} />
              </td>
              <td className="num">
                {formatCount(b.counters.messagesIn)} / {formatCount(b.counters.messagesOut)}
              </td>
              <td className="num">{formatCount(b.queued + b.inflight)}</td>
              <td className={`num ${totalDropped(b) > 0 ? 'warning-text' : ''}`}>{formatCount(totalDropped(b))}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {remotes.map((remote) => {
        const prefix = `${inspectionPrefixOf(remote.config)}$SYS/broker/`
        const rows = REMOTE_SYS.map(([label, topic]) => [label, text(byTopic.get(prefix + topic))] as const).filter(([, v]) => v !== null)
        return (
          <div key={remote.config.name} className="remote-sys-panel" data-testid={`remote-sys-${remote.config.name}`}>
            <h3 className="small-heading">
              {remote.config.name} <span className="badge badge-remote">remote $SYS</span>
            </h3>
            {rows.length === 0 ? (
              <p className="muted small-text">No mosquitto-style $SYS from this broker (yet).</p>
            ) : (
              <dl className="facts">
                {rows.map(([label, value]) => (
                  <div className="fact-row" key={label}>
                    <dt>{label}</dt>
                    <dd className="mono">{value}</dd>
                  </div>
                ))}
              </dl>
            )}
          </div>
        )
      })}
    </section>
  )
}
