import { useEffect, useMemo, useState, type JSX } from 'react'
import type { TrafficRow } from '../../../../shared/api'
import { getApi } from '../../api'
import { errorText } from '../../components/ActionMessage'
import { PayloadViewer } from '../../components/PayloadViewer'
import { PropertiesList } from '../../components/PropertiesList'
import { WillFacts, type WillView } from '../../components/WillFacts'
import { formatBytes, formatClock, formatDateTime } from '../../lib/format'
import { base64ToBytesSafe } from '../../lib/payload'

interface FullState {
  id: number
  loading: boolean
  bytes: Uint8Array | null
  note: string | null
}

/** A CONNECT row's will (see the broker's packet records), apart from its other properties. */
function connectWill(row: TrafficRow): { will: WillView | null; otherProperties: Record<string, unknown> | undefined } {
  const properties = row.properties
  const raw = properties?.will as Record<string, unknown> | undefined
  if (row.type !== 'connect' || raw === undefined || typeof raw.topic !== 'string') return { will: null, otherProperties: properties }
  const { will: _, ...rest } = properties!
  return {
    will: {
      topic: raw.topic,
      qos: Number(raw.qos ?? 0),
      retain: raw.retain === true,
      size: Number(raw.payloadSize ?? 0),
      preview: typeof raw.payload === 'string' ? raw.payload : '',
      properties: (raw.properties ?? {}) as Record<string, unknown>
    },
    otherProperties: rest
  }
}

export function TrafficDetails({ row, onClose }: { row: TrafficRow; onClose(): void }): JSX.Element {
  const preview = useMemo(() => (row.payloadPreview !== undefined ? base64ToBytesSafe(row.payloadPreview) : null), [row])
  const truncated = preview !== null && row.payloadSize !== undefined && row.payloadSize > preview.length
  const [full, setFull] = useState<FullState | null>(null)

  useEffect(() => {
    setFull(null)
    if (!truncated) return
    let cancelled = false
    setFull({ id: row.id, loading: true, bytes: null, note: null })
    getApi()
      .call('getTrafficPayload', row.id)
      .then(
        (result) => {
          if (cancelled) return
          if (!result) {
            setFull({ id: row.id, loading: false, bytes: null, note: 'The broker no longer keeps this payload; showing its first bytes.' })
          } else {
            setFull({ id: row.id, loading: false, bytes: base64ToBytesSafe(result.payload), note: null })
          }
        },
        (error: unknown) => {
          if (!cancelled) setFull({ id: row.id, loading: false, bytes: null, note: `Could not load the full payload: ${errorText(error)}` })
        }
      )
    return () => {
      cancelled = true
    }
  }, [row.id, truncated])

  const { will, otherProperties } = useMemo(() => connectWill(row), [row])
  const fullBytes = full?.id === row.id ? full.bytes : null
  const bytes = fullBytes ?? preview
  const facts: [string, string][] = [
    ['Time', `${formatDateTime(row.time)} (${formatClock(row.time)})`],
    ['Direction', row.direction === 'in' ? '↓ in (client → broker)' : '↑ out (broker → client)'],
    ['Client', row.fromBroker ? `${row.clientId} (the broker itself: sent from the Publish view)` : row.clientId || '(none)'],
    ['Type', row.type.toUpperCase()],
    ['Packet size', formatBytes(row.size)]
  ]
  if (row.packetId !== undefined) facts.push(['Packet id', String(row.packetId)])
  if (row.topic !== undefined) facts.push(['Topic', row.topic])
  if (row.qos !== undefined) facts.push(['QoS', String(row.qos)])
  if (row.retain !== undefined) facts.push(['Retain', row.retain ? 'yes' : 'no'])
  if (row.dup !== undefined) facts.push(['DUP', row.dup ? 'yes' : 'no'])
  if (row.reasonCode !== undefined) facts.push(['Reason code', `${row.reasonCode} (0x${row.reasonCode.toString(16).padStart(2, '0')})`])
  if (row.payloadSize !== undefined) facts.push(['Payload size', formatBytes(row.payloadSize)])
  if (row.fromBroker) {
    const n = row.fromBroker.recipients
    facts.push(['Delivered to', n === 0 ? 'no session (no subscriber matched)' : `${n} session${n === 1 ? '' : 's'}`])
  }

  return (
    <aside className="detail-panel" aria-label="Packet details" data-testid="traffic-detail">
      <div className="detail-header">
        <h2>
          {row.type.toUpperCase()} <span className="muted">#{row.id}</span>
        </h2>
        <button type="button" className="small" onClick={onClose} aria-label="Close details">
          ×
        </button>
      </div>
      <dl className="facts">
        {facts.map(([k, v]) => (
          <div key={k} className="fact-row">
            <dt>{k}</dt>
            <dd className={k === 'Topic' || k === 'Client' ? 'mono' : undefined}>{v}</dd>
          </div>
        ))}
      </dl>
      {otherProperties && Object.keys(otherProperties).length > 0 && (
        <>
          <h3>Properties</h3>
          <PropertiesList properties={otherProperties} />
        </>
      )}
      {will && (
        <>
          <h3>Will</h3>
          <WillFacts will={will} />
        </>
      )}
      {row.payloadPreview !== undefined && (
        <>
          <h3>Payload</h3>
          <PayloadViewer
            bytes={bytes}
            truncated={fullBytes === null && truncated}
            totalSize={row.payloadSize}
            loading={full?.loading}
            note={full?.note}
            testId="traffic-payload"
          />
        </>
      )}
    </aside>
  )
}
