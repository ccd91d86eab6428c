import type { TrafficRow } from '../../../shared/api'
import { toCsv } from './csv'
import { base64ToBytes, bytesAsText, toHex } from './payload'

/** One traffic row as exported: flat, readable, with the payload preview decoded. */
export interface TrafficExportRecord {
  id: number
  time: string
  direction: 'in' | 'out'
  clientId: string
  type: string
  size: number
  packetId: number | null
  topic: string | null
  qos: number | null
  retain: boolean | null
  dup: boolean | null
  reasonCode: number | null
  payloadSize: number | null
  /** 'utf8' when the payload preview is printable text, 'hex' otherwise, null without payload. */
  payloadEncoding: 'utf8' | 'hex' | null
  payload: string | null
  /** True when payload holds only the first bytes of a longer payload. */
  payloadTruncated: boolean
  properties: Record<string, unknown> | null
}

export function toExportRecord(row: TrafficRow): TrafficExportRecord {
  let payload: string | null = null
  let payloadEncoding: TrafficExportRecord['payloadEncoding'] = null
  let previewLength = 0
  if (row.payloadPreview !== undefined) {
    try {
      const bytes = base64ToBytes(row.payloadPreview)
      previewLength = bytes.length
      const truncated = row.payloadSize !== undefined && row.payloadSize > bytes.length
      const text = bytesAsText(bytes, truncated)
      if (text !== null) {
        payload = text
        payloadEncoding = 'utf8'
      } else {
        payload = toHex(bytes, '')
        payloadEncoding = 'hex'
      }
    } catch {
      payload = row.payloadPreview
      payloadEncoding = null
    }
  }
  return {
    id: row.id,
    time: new Date(row.time).toISOString(),
    direction: row.direction,
    clientId: row.clientId,
    type: row.type,
    size: row.size,
    packetId: row.packetId ?? null,
    topic: row.topic ?? null,
    qos: row.qos ?? null,
    retain: row.retain ?? null,
    dup: row.dup ?? null,
    reasonCode: row.reasonCode ?? null,
    payloadSize: row.payloadSize ?? null,
    payloadEncoding,
    payload,
    payloadTruncated: row.payloadSize !== undefined && row.payloadSize > previewLength,
    properties: row.properties && Object.keys(row.properties).length > 0 ? row.properties : null
  }
}

export const TRAFFIC_CSV_COLUMNS: readonly (keyof TrafficExportRecord)[] = [
  'id',
  'time',
  'direction',
  'clientId',
  'type',
  'size',
  'packetId',
  'topic',
  'qos',
  'retain',
  'dup',
  'reasonCode',
  'payloadSize',
  'payloadEncoding',
  'payload',
  'payloadTruncated',
  'properties'
]

export function trafficToCsv(rows: readonly TrafficRow[]): string {
  return toCsv(
    TRAFFIC_CSV_COLUMNS,
    rows.map((row) => {
      const record = toExportRecord(row)
      return TRAFFIC_CSV_COLUMNS.map((column) => record[column])
    })
  )
}

export function trafficToJson(rows: readonly TrafficRow[]): string {
  return JSON.stringify(rows.map(toExportRecord), null, 2) + '\n'
}

/** A file name like brokerscope-traffic-2026-11-23T05-04-01.csv */
export function exportFileName(extension: 'csv' | 'json', now = Date.now()): string {
  const stamp = new Date(now).toISOString().slice(0, 19).replace(/:/g, '-')
  return `brokerscope-traffic-${stamp}.${extension}`
}
