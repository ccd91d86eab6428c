import { createColumnHelper } from '@tanstack/react-table'
import { useMemo, useState, type JSX } from 'react'
import type { SubscriptionInfo } from '../../../../shared/broker-types'
import { DataTable } from '../../components/DataTable'
import { LocalOnlyNotice } from '../../components/LocalOnlyNotice'
import { formatCount } from '../../lib/format'
import { NONE, useInspectorStore } from '../../store/inspector-store'

const column = createColumnHelper<SubscriptionInfo>()

const RETAIN_HANDLING = ['send', 'send if new', 'do not send'] as const

const yesNo = (value: boolean): string => (value ? 'yes' : 'no')

const COLUMNS = [
  column.accessor('filter', {
    header: 'Filter',
    size: 240,
    cell: (info) => (
      <span className="ellipsis mono" title={info.getValue()}>
        {info.getValue()}
      </span>
    )
  }),
  column.accessor('clientId', {
    header: 'Client',
    size: 180,
    cell: (info) => (
      <span className="ellipsis mono" title={info.getValue()}>
        {info.getValue()}
      </span>
    )
  }),
  column.accessor('qos', { header: 'QoS', size: 48 }),
  column.accessor('noLocal', { header: 'No local', size: 70, meta: { priority: 4 }, cell: (info) => yesNo(info.getValue()) }),
  column.accessor('retainAsPublished', {
    header: 'Retain as published',
    size: 135,
    meta: { priority: 4 },
    cell: (info) => yesNo(info.getValue())
  }),
  column.accessor('retainHandling', {
    header: 'Retain handling',
    meta: { priority: 3 },
    size: 125,
    cell: (info) => `${info.getValue()} · ${RETAIN_HANDLING[info.getValue()] ?? ''}`
  }),
  column.accessor((s) => s.shareGroup ?? '', {
    id: 'shareGroup',
    header: 'Shared group',
    meta: { priority: 2 },
    size: 100,
    cell: (info) => info.getValue() || '–'
  }),
  column.accessor((s) => s.subscriptionIdentifier ?? -1, {
    id: 'subscriptionIdentifier',
    header: 'Subscription id',
    meta: { priority: 3 },
    size: 110,
    cell: (info) => (info.getValue() < 0 ? '–' : info.getValue())
  })
]

function searchText(s: SubscriptionInfo): string {
  return `${s.filter} ${s.clientId} ${s.shareGroup ?? ''}`
}

export function SubscriptionsView(): JSX.Element {
  const subscriptions = useInspectorStore((s) => s.data?.subscriptions ?? NONE)
  const [filter, setFilter] = useState('')
  const shared = useMemo(() => subscriptions.filter((s) => s.shareGroup !== null).length, [subscriptions])
  return (
    <div className="view">
      <div className="view-header">
        <h1>Subscriptions</h1>
        <span className="muted">
          {formatCount(subscriptions.length)} subscriptions · {formatCount(shared)} shared
        </span>
      </div>
      <LocalOnlyNotice what="subscriptions" />
      <div className="toolbar">
        <label className="field-inline">
          Filter subscriptions
          <input
            type="search"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            placeholder="filter, client id, group"
            data-filter-input
          />
        </label>
      </div>
      <DataTable
        label="Subscriptions"
        testId="subscriptions-table"
        data={subscriptions}
        columns={COLUMNS}
        getRowId={(s) => `${s.clientId}\u0000${s.filter}`}
        searchText={searchText}
        filter={filter}
        initialSorting={[{ id: 'filter', desc: false }]}
        emptyText="No subscriptions."
      />
    </div>
  )
}
