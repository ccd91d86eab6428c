import { MAX_PAYLOADS_PER_CALL, type FullPayload, type TrafficRow } from '../../../shared/api'
import { toCsv } from './csv'
import { base64ToBytes, base64ToBytesSafe, bytesAsText, toHex } from './payload'

/** Payload bytes asked for in one trafficPayloads call at most (one larger payload goes alone). */
const PAYLOAD_BYTES_PER_CALL = 8 * 1024 * 1024

/** The whole payloads an export needs, by row id, and how many the broker no longer kept. */
export interface ExportPayloads {
  payloads: ReadonlyMap<number, Uint8Array>
  /** Rows whose payload is only their preview in the export. */
  cut: number
}

/**
 * Fetch the whole payload of every row whose preview is shorter than its payload, in calls of at
 * most MAX_PAYLOADS_PER_CALL ids and PAYLOAD_BYTES_PER_CALL bytes. What the broker's traffic ring
 * no longer holds (its payload budget, 64 MiB by default, lets the oldest go) is counted in `cut`.
 */
export async function fetchExportPayloads(
  rows: readonly TrafficRow[],
  fetchPayloads: (ids: number[]) => Promise<Array<FullPayload | null>>
): Promise<ExportPayloads> {
  const wanted = rows.filter(isPreviewOnly)
  const payloads = new Map<number, Uint8Array>()
  let cut = 0
  for (let start = 0; start < wanted.length; ) {
    const ids: number[] = []
    let bytes = 0
    while (start < wanted.length && ids.length < MAX_PAYLOADS_PER_CALL) {
      const size = wanted[start].payloadSize ?? 0
      if (ids.length > 0 && bytes + size > PAYLOAD_BYTES_PER_CALL) break
      ids.push(wanted[start++].id)
      bytes += size
    }
    const answers = await fetchPayloads(ids)
    ids.forEach((id, i) => {
      const bytes = answers[i] ? base64ToBytesSafe(answers[i].payload) : null
      if (bytes === null) cut++
      else payloads.set(id, bytes)
    })
  }
  return { payloads, cut }
}

/** The row carries only the first bytes of its payload. */
function isPreviewOnly(row: TrafficRow): boolean {
  if (row.payloadPreview === undefined || row.payloadSize === undefined) return false
  // base64: 4 characters per 3 bytes, so the preview is shorter exactly when this holds.
  return row.payloadSize > Math.floor((row.payloadPreview.length * 3) / 4) - (row.payloadPreview.match(/=+$/)?.[0].length ?? 0)
}

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
  /** True when payload holds only the first bytes of a longer payload (the broker no longer kept the rest). */
  payloadTruncated: boolean
  properties: Record<string, unknown> | null
}

/** A row as exported; `full` is its whole payload when the preview is not all of it (see fetchExportPayloads). */
export function toExportRecord(row: TrafficRow, full?: Uint8Array): TrafficExportRecord {
  let payload: string | null = null
  let payloadEncoding: TrafficExportRecord['payloadEncoding'] = null
  let previewLength = 0
  if (row.payloadPreview !== undefined) {
    try {
      const bytes = full ?? base64ToBytes(row.payloadPreview)
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

const NO_PAYLOADS: ReadonlyMap<number, Uint8Array> = new Map()

export function trafficToCsv(rows: readonly TrafficRow[], payloads: ReadonlyMap<number, Uint8Array> = NO_PAYLOADS): string {
  return toCsv(
    TRAFFIC_CSV_COLUMNS,
    rows.map((row) => {
      const record = toExportRecord(row, payloads.get(row.id))
      return TRAFFIC_CSV_COLUMNS.map((column) => record[column])
    })
  )
}

export function trafficToJson(rows: readonly TrafficRow[], payloads: ReadonlyMap<number, Uint8Array> = NO_PAYLOADS): string {
  return (
    JSON.stringify(
      rows.map((row) => toExportRecord(row, payloads.get(row.id))),
      null,
      2
    ) + '\n'
  )
}

/** A file name like brokerscope-traffic-2026-11-23T05-04-01.csv */
export function exportFileName(extension: 'csv' | 'json', now = Date.now()): string {
  const stamp = new Date(now).toISOString().slice(0, 19).replace(/:/g, '-')
  return `brokerscope-traffic-${stamp}.${extension}`
}
