import { createColumnHelper } from '@tanstack/react-table'
import { useMemo, useState, type JSX } from 'react'
import type { ClientInfo, ProtocolVersion } from '../../../../shared/broker-types'
import { getApi } from '../../api'
import { ActionMessage, errorText, useActionMessage } from '../../components/ActionMessage'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { DataTable } from '../../components/DataTable'
import { LocalOnlyNotice } from '../../components/LocalOnlyNotice'
import { formatCount, formatDateTime, formatDuration, formatExpiry, formatShortTime } from '../../lib/format'
import { NONE, useInspectorStore } from '../../store/inspector-store'
import { useTrafficStore } from '../../store/traffic-store'
import { useUiStore } from '../../store/ui-store'
import { ClientDetails } from './ClientDetails'

const PROTOCOL: Record<ProtocolVersion, string> = { 3: '3.1', 4: '3.1.1', 5: '5.0' }

const column = createColumnHelper<ClientInfo>()

function searchText(c: ClientInfo): string {
  return `${c.clientId} ${c.address ?? ''} ${c.username ?? ''} ${c.listener ?? ''}`
}

export function ClientsView(): JSX.Element {
  const clients = useInspectorStore((s) => s.data?.clients ?? NONE)
  const [filter, setFilter] = useState('')
  const [show, setShow] = useState<'all' | 'online' | 'offline'>('all')
  const [busy, setBusy] = useState<string | null>(null)
  const [selected, setSelected] = useState<string | null>(null)
  /** The client a Disconnect / Delete session waits to be confirmed for. */
  const [confirming, setConfirming] = useState<ClientInfo | null>(null)
  const [message, showMessage] = useActionMessage()
  const selectedRow = useMemo(() => clients.find((c) => c.clientId === selected), [clients, selected])

  const act = async (client: ClientInfo): Promise<void> => {
    setConfirming(null)
    setBusy(client.clientId)
    try {
      if (client.connected) {
        const done = await getApi().call('disconnectClient', client.clientId)
        showMessage(done, done ? `Disconnected ${client.clientId}` : `${client.clientId} was not connected`)
      } else {
        const done = await getApi().call('deleteSession', client.clientId)
        showMessage(done, done ? `Deleted the session of ${client.clientId}` : `No session for ${client.clientId}`)
        if (done && selected === client.clientId) setSelected(null)
      }
    } catch (error) {
      showMessage(false, `${client.connected ? 'Disconnect' : 'Delete session'} failed: ${errorText(error)}`)
    } finally {
      setBusy(null)
    }
  }

  const showTraffic = (clientId: string): void => {
    useTrafficStore.getState().setFilters({ client: clientId })
    useUiStore.getState().setView('traffic')
  }

  const shown = useMemo(() => (show === 'all' ? clients : clients.filter((c) => c.connected === (show === 'online'))), [clients, show])
  const online = clients.filter((c) => c.connected).length

  const columns = useMemo(() => {
    return [
      column.accessor('clientId', {
        header: 'Client ID',
        size: 134,
        cell: (info) => (
          <span className="ellipsis mono" title={info.getValue()}>
            {info.getValue() || <em className="muted">(empty)</em>}
          </span>
        )
      }),
      column.accessor((c) => c.address ?? '', {
        id: 'address',
        header: 'Address',
        size: 110,
        meta: { priority: 3 },
        cell: (info) => (
          <span
            className="ellipsis mono"
            title={
              info.getValue() ? `${info.getValue()}${info.row.original.listener ? ` via ${info.row.original.listener}` : ''}` : undefined
            }
          >
            {info.getValue() || '–'}
          </span>
        )
      }),
      column.accessor((c) => c.username ?? '', {
        id: 'username',
        header: 'Username',
        size: 90,
        meta: { priority: 2 },
        cell: (info) => (
          <span className="ellipsis mono" title={info.getValue() || 'anonymous'}>
            {info.getValue() || <em className="muted">–</em>}
          </span>
        )
      }),
      column.accessor('protocolVersion', {
        header: 'MQTT',
        size: 54,
        meta: { priority: 4 },
        cell: (info) => PROTOCOL[info.getValue()] ?? info.getValue()
      }),
      column.accessor('cleanStart', {
        header: () => <span title="Clean start (v5) / clean session (v3)">Clean</span>,
        size: 52,
        meta: { priority: 6, label: 'Clean' },
        cell: (info) => (info.getValue() ? 'yes' : 'no')
      }),
      column.accessor('sessionExpiryInterval', {
        header: () => <span title="Session expiry interval">Expiry</span>,
        size: 70,
        meta: { priority: 6, label: 'Expiry' },
        cell: (info) => (
          <span title={`session expiry: ${formatExpiry(info.getValue())}`}>
            {info.getValue() === 0 ? '0 s' : formatExpiry(info.getValue())}
          </span>
        )
      }),
      column.accessor('keepAlive', {
        header: 'Keep-alive',
        size: 78,
        meta: { priority: 5 },
        cell: (info) => (info.getValue() === 0 ? 'off' : `${info.getValue()} s`)
      }),
      column.accessor((c) => (c.connected ? (c.connectedAt ?? 0) : (c.disconnectedAt ?? 0)), {
        id: 'since',
        header: () => <span title="Connected since (online) or offline since">Since</span>,
        size: 76,
        meta: { priority: 4, label: 'Since' },
        cell: (info) => {
          const t = info.getValue()
          if (!t) return '–'
          const now = Date.now()
          return (
            <span title={`${formatDateTime(t)} (${info.row.original.connected ? 'connected' : 'offline'} for ${formatDuration(now - t)})`}>
              {formatShortTime(t, now)}
            </span>
          )
        }
      }),
      column.accessor('subscriptions', {
        header: 'Subs',
        size: 44,
        meta: { priority: 5 },
        cell: (info) => <span className="num">{formatCount(info.getValue())}</span>
      }),
      column.accessor('inflight', {
        header: 'In-flight',
        size: 62,
        meta: { priority: 5 },
        cell: (info) => <span className="num">{formatCount(info.getValue())}</span>
      }),
      column.accessor('queued', {
        header: 'Queued',
        size: 60,
        meta: { priority: 4 },
        cell: (info) => <span className="num">{formatCount(info.getValue())}</span>
      }),
      column.accessor('messagesIn', {
        header: 'Msgs in',
        size: 62,
        meta: { priority: 6 },
        cell: (info) => <span className="num">{formatCount(info.getValue())}</span>
      }),
      column.accessor('messagesOut', {
        header: 'Msgs out',
        size: 70,
        meta: { priority: 6 },
        cell: (info) => <span className="num">{formatCount(info.getValue())}</span>
      }),
      column.accessor('connected', {
        header: 'Status',
        size: 72,
        cell: (info) => (
          <span className={`badge ${info.getValue() ? 'badge-ok' : 'badge-muted'}`}>{info.getValue() ? 'online' : 'offline'}</span>
        )
      }),
      column.display({
        id: 'actions',
        header: 'Actions',
        size: 120,
        cell: (info) => {
          const c = info.row.original
          return (
            <button
              type="button"
              className={`small ${c.connected ? '' : 'danger'}`}
              disabled={busy === c.clientId}
              onClick={(event) => {
                event.stopPropagation()
                setConfirming(c)
              }}
              onKeyDown={(event) => event.stopPropagation()}
              title={c.connected ? `Disconnect ${c.clientId}` : `Delete the offline session of ${c.clientId}`}
              data-testid={c.connected ? 'disconnect-client' : 'delete-session'}
            >
              {c.connected ? 'Disconnect' : 'Delete session'}
            </button>
          )
        }
      })
    ]
  }, [busy])

  return (
    <div className="view">
      <div className="view-header">
        <h1>Clients</h1>
        <span className="muted">
          {formatCount(online)} online · {formatCount(clients.length - online)} offline sessions
        </span>
      </div>
      <LocalOnlyNotice what="clients" />
      <div className="toolbar">
        <label className="field-inline">
          Filter clients
          <input
            type="search"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            placeholder="client id, address, user"
            data-filter-input
          />
        </label>
        <label className="field-inline">
          Show
          <select value={show} onChange={(e) => setShow(e.target.value as typeof show)}>
            <option value="all">All</option>
            <option value="online">Online</option>
            <option value="offline">Offline</option>
          </select>
        </label>
        <ActionMessage message={message} />
      </div>
      <div className={`split ${selected !== null ? 'with-detail' : ''}`}>
        <DataTable
          label="Clients"
          testId="clients-table"
          data={shown}
          columns={columns}
          getRowId={(c) => c.clientId}
          searchText={searchText}
          filter={filter}
          initialSorting={[{ id: 'clientId', desc: false }]}
          onRowActivate={(c) => setSelected(c.clientId === selected ? null : c.clientId)}
          selectedRowId={selected}
          emptyText="No clients yet. Point an MQTT client at one of the listeners (Dashboard: How to connect)."
        />
        {selected !== null && (
          <ClientDetails
            clientId={selected}
            row={selectedRow}
            onClose={() => setSelected(null)}
            onShowTraffic={showTraffic}
            onAct={(client) => setConfirming(client)}
          />
        )}
      </div>
      <ConfirmDialog
        open={confirming !== null}
        title={confirming?.connected ? `Disconnect ${confirming.clientId}?` : `Delete the session of ${confirming?.clientId ?? ''}?`}
        danger
        confirmLabel={confirming?.connected ? 'Disconnect' : 'Delete session'}
        onConfirm={() => confirming && void act(confirming)}
        onCancel={() => setConfirming(null)}
      >
        {confirming?.connected ? (
          <p>
            The broker closes this client's connection (MQTT 5 clients are told 0x98, administrative action) and publishes its will, if it
            has one. Most clients reconnect on their own.
          </p>
        ) : (
          <p>
            This removes the offline session: its {formatCount(confirming?.subscriptions ?? 0)} subscriptions and{' '}
            {formatCount(confirming?.queued ?? 0)} queued messages are gone. The client starts afresh when it connects again.
          </p>
        )}
      </ConfirmDialog>
    </div>
  )
}
