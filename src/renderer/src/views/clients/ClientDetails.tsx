/**
 * The client panel: one client in full, fetched with clientDetails when it opens and again when
 * the client's row changes (a batch) or every few seconds while it is open (in-flight and queued
 * messages move without an event).
 */
import { useEffect, useState, type JSX, type ReactNode } from 'react'
import type { ClientDetailsRow, PendingMessageRow } from '../../../../shared/api'
import type { ClientInfo } from '../../../../shared/broker-types'
import { getApi } from '../../api'
import { errorText } from '../../components/ActionMessage'
import { WillFacts } from '../../components/WillFacts'
import { formatBytes, formatClock, formatCount, formatDateTime, formatDuration, formatExpiry } from '../../lib/format'
import { base64ToBytesSafe, previewPayload } from '../../lib/payload'

const REFRESH_MS = 2_000
const PROTOCOL: Record<number, string> = { 3: '3.1', 4: '3.1.1', 5: '5.0' }
const STATE: Record<PendingMessageRow['state'], string> = {
  'awaiting-puback': 'sent, waiting for PUBACK',
  'awaiting-pubrec': 'sent, waiting for PUBREC',
  'awaiting-pubcomp': 'PUBREL sent, waiting for PUBCOMP',
  queued: 'queued'
}

function useClientDetails(clientId: string, row: ClientInfo | undefined): { details: ClientDetailsRow | null; error: string | null } {
  const [details, setDetails] = useState<ClientDetailsRow | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [tick, setTick] = useState(0)
  useEffect(() => {
    const timer = setInterval(() => setTick((t) => t + 1), REFRESH_MS)
    return () => clearInterval(timer)
  }, [])
  // biome-ignore lint/correctness/useExhaustiveDependencies: the row and the tick are the triggers to fetch again
  useEffect(() => {
    let current = true
    getApi()
      .call('clientDetails', clientId)
      .then(
        (answer) => {
          if (!current) return
          setDetails(answer)
          setError(answer === null ? 'This client has no session any more.' : null)
        },
        (failure: unknown) => {
          if (current) setError(`Could not load the client: ${errorText(failure)}`)
        }
      )
    return () => {
      current = false
    }
  }, [clientId, row, tick])
  return { details: details?.client.clientId === clientId ? details : null, error }
}

export interface ClientDetailsProps {
  clientId: string
  row: ClientInfo | undefined
  onClose(): void
  onShowTraffic(clientId: string): void
  onAct(client: ClientInfo): void
}

export function ClientDetails({ clientId, row, onClose, onShowTraffic, onAct }: ClientDetailsProps): JSX.Element {
  const { details, error } = useClientDetails(clientId, row)
  const client = details?.client ?? row
  const now = Date.now()
  return (
    <aside className="detail-panel" aria-label="Client details" data-testid="client-detail">
      <div className="detail-header">
        <h2 className="mono ellipsis" title={clientId}>
          {clientId || '(empty client id)'}
        </h2>
        <button type="button" className="small" onClick={onClose} aria-label="Close details">
          ×
        </button>
      </div>
      {error && <p className="warning-text">{error}</p>}
      {client && (
        <div className="button-row wrap">
          <button type="button" className="small" onClick={() => onShowTraffic(clientId)} data-testid="client-show-traffic">
            Show its traffic
          </button>
          <button type="button" className={`small ${client.connected ? '' : 'danger'}`} onClick={() => onAct(client)}>
            {client.connected ? 'Disconnect…' : 'Delete session…'}
          </button>
        </div>
      )}
      {client && (
        <>
          <h3>Connection</h3>
          <dl className="facts" data-testid="client-connection">
            <Fact name="Status">
              {client.connected ? 'online' : `offline${client.disconnectedAt ? ` since ${formatDateTime(client.disconnectedAt)}` : ''}`}
            </Fact>
            {client.connected && (
              <Fact name="Address">
                {client.address ?? '–'}
                {client.listener ? ` via ${client.listener}` : ''}
              </Fact>
            )}
            <Fact name="Protocol">MQTT {PROTOCOL[client.protocolVersion] ?? client.protocolVersion}</Fact>
            <Fact name="Username">{client.username ?? '(none: anonymous)'}</Fact>
            <Fact name="Keep alive">{client.keepAlive === 0 ? 'off' : `${client.keepAlive} s`}</Fact>
            <Fact name="Clean start">{client.cleanStart ? 'yes' : 'no'}</Fact>
            <Fact name="Session expiry">{formatExpiry(client.sessionExpiryInterval)}</Fact>
            {client.connectedAt !== null && client.connected && (
              <Fact name="Connected since">
                {formatDateTime(client.connectedAt)} ({formatDuration(now - client.connectedAt)})
              </Fact>
            )}
            {details?.announced && (
              <>
                <Fact name="Receive maximum">
                  client {formatCount(details.announced.receiveMaximum)} · broker {formatCount(details.limits?.receiveMaximum ?? 0)}
                </Fact>
                <Fact name="Topic alias maximum">
                  client {formatCount(details.announced.topicAliasMaximum)} · broker {formatCount(details.limits?.topicAliasMaximum ?? 0)}
                </Fact>
                <Fact name="Maximum packet size">
                  client {formatBytes(details.announced.maximumPacketSize)} · broker {formatBytes(details.limits?.maximumPacketSize ?? 0)}
                </Fact>
              </>
            )}
            {details?.limits && (
              <Fact name="CONNACK said">
                maximum QoS {details.limits.maximumQos}, retain {details.limits.retainAvailable ? 'available' : 'not available'}, wildcards{' '}
                {details.limits.wildcardSubscriptionAvailable ? 'yes' : 'no'}, shared{' '}
                {details.limits.sharedSubscriptionAvailable ? 'yes' : 'no'}
              </Fact>
            )}
            <Fact name="Messages">
              {formatCount(client.messagesIn)} in · {formatCount(client.messagesOut)} out
            </Fact>
          </dl>
          <h3>Will</h3>
          {details?.will ? <WillFacts will={details.will} /> : <p className="muted">{details ? 'No will.' : '…'}</p>}
          <h3>Subscriptions ({formatCount(details?.subscriptions.length ?? client.subscriptions)})</h3>
          {details && details.subscriptions.length > 0 ? (
            <ul className="plain-list mono" data-testid="client-subscriptions">
              {details.subscriptions.map((s) => (
                <li key={s.filter}>
                  {s.filter}{' '}
                  <span className="muted">
                    QoS {s.qos}
                    {s.noLocal ? ' · no local' : ''}
                    {s.subscriptionIdentifier !== null ? ` · id ${s.subscriptionIdentifier}` : ''}
                  </span>
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">{details ? 'None.' : '…'}</p>
          )}
          <PendingList
            title="In flight"
            messages={details?.inflight}
            notListed={details?.inflightNotListed ?? 0}
            testId="client-inflight"
          />
          <PendingList title="Queued" messages={details?.queued} notListed={details?.queuedNotListed ?? 0} testId="client-queued" />
        </>
      )}
    </aside>
  )
}

function Fact({ name, children }: { name: string; children: ReactNode }): JSX.Element {
  return (
    <div className="fact-row">
      <dt>{name}</dt>
      <dd>{children}</dd>
    </div>
  )
}

function PendingList({
  title,
  messages,
  notListed,
  testId
}: {
  title: string
  messages: PendingMessageRow[] | undefined
  notListed: number
  testId: string
}): JSX.Element {
  const count = (messages?.length ?? 0) + notListed
  return (
    <>
      <h3>
        {title} ({formatCount(count)})
      </h3>
      {messages && messages.length > 0 ? (
        <table className="data-table compact" aria-label={`${title} messages`} data-testid={testId}>
          <thead>
            <tr>
              <th scope="col">Topic</th>
              <th scope="col">QoS</th>
              <th scope="col">State</th>
              <th scope="col">Payload</th>
            </tr>
          </thead>
          <tbody>
            {messages.map((m, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: queued messages have no id of their own
              <tr key={`${m.packetId ?? 'q'}-${i}`} title={`received ${formatClock(m.createdAt)} · ${formatBytes(m.size)}`}>
                <td className="mono ellipsis">{m.topic}</td>
                <td>{m.qos}</td>
                <td>
                  {STATE[m.state]}
                  {m.packetId !== null ? ` (#${m.packetId})` : ''}
                </td>
                <td className="mono ellipsis">
                  {previewPayload(m.preview, 60, m.size > (base64ToBytesSafe(m.preview)?.length ?? 0)).text}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">{messages ? 'None.' : '…'}</p>
      )}
      {notListed > 0 && <p className="muted small-text">and {formatCount(notListed)} more</p>}
    </>
  )
}
