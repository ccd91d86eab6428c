/**
 * Reads the messages to replay from a file, streaming: a JSON Lines recording
 * (record/recording-format.ts) or the Traffic view's JSON export (an array of rows). Only PUBLISH
 * packets are messages; by default the ones published to the broker ("in"), or, for a recording
 * made by `brokerscope record` (source "subscriber"), the ones that subscriber received — so a
 * recording replays as the messages that were seen. Lines that are not valid records are
 * skipped and counted, never fatal: a file cut short still replays up to its last whole line.
 */
import { createReadStream, openSync, readFileSync, readSync, closeSync, statSync } from 'node:fs'
import { createInterface } from 'node:readline'
import type { QoS } from '../../../shared/broker-types'
import { RECORDING_END_FORMAT, RECORDING_FORMAT, type RecordingHeader } from '../record/recording-format'

export interface ReplayMessage {
  /** When it was recorded, ms since the epoch. */
  time: number
  clientId: string
  topic: string
  payload: Buffer
  qos: QoS
  retain: boolean
  /** MQTT 5 message properties as recorded (JSON: correlation data base64). */
  properties?: Record<string, unknown>
}

export interface ReaderFilter {
  direction?: 'in' | 'out' | 'all'
  clients?: readonly string[]
}

export interface ReaderProgress {
  /** Bytes of the file read so far, and its size. */
  bytesRead: number
  size: number
  /** Lines or rows that were not readable records, or not selected. */
  skipped: number
  /** Traffic-export rows whose payload holds only a preview (the export cut it). */
  truncated: number
}

/** Largest traffic JSON export read (it is parsed whole; JSON Lines files stream at any size). */
export const MAX_JSON_EXPORT_BYTES = 512 * 1024 * 1024

export class RecordingReader {
  readonly progress: ReaderProgress
  private header: RecordingHeader | null = null

  constructor(
    readonly path: string,
    private readonly filter: ReaderFilter = {}
  ) {
    this.progress = { bytesRead: 0, size: statSync(path).size, skipped: 0, truncated: 0 }
  }

  /** The messages in file order. */
  async *messages(): AsyncGenerator<ReplayMessage> {
    if (firstCharacter(this.path) === '[') {
      yield* this.exportRows()
      return
    }
    const lines = createInterface({ input: createReadStream(this.path, { encoding: 'utf8' }), crlfDelay: Infinity })
    for await (const line of lines) {
      this.progress.bytesRead += Buffer.byteLength(line) + 1
      if (line.trim() === '') continue
      let value: unknown
      try {
        value = JSON.parse(line)
      } catch {
        this.progress.skipped++
        continue
      }
      if (isRecord(value) && value.format === RECORDING_FORMAT) {
        this.header = value as unknown as RecordingHeader
        continue
      }
      if (isRecord(value) && value.format === RECORDING_END_FORMAT) continue
      const message = this.select(value, 'jsonl')
      if (message !== null) yield message
    }
    this.progress.bytesRead = this.progress.size
  }

  /** Which direction is replayed: as asked, else what the file's source says. */
  private direction(): 'in' | 'out' | 'all' {
    if (this.filter.direction !== undefined) return this.filter.direction
    return this.header?.source === 'subscriber' ? 'out' : 'in'
  }

  private select(value: unknown, kind: 'jsonl' | 'export'): ReplayMessage | null {
    const message = kind === 'jsonl' ? fromRecord(value) : fromExportRow(value, this.progress)
    if (message === null) {
      this.progress.skipped++
      return null
    }
    const direction = this.direction()
    const clients = this.filter.clients
    if (
      message.type !== 'publish' ||
      (direction !== 'all' && message.direction !== direction) ||
      (clients && clients.length > 0 && !clients.includes(message.value.clientId))
    ) {
      this.progress.skipped++
      return null
    }
    return message.value
  }

  private async *exportRows(): AsyncGenerator<ReplayMessage> {
    if (this.progress.size > MAX_JSON_EXPORT_BYTES)
      throw new Error(`${this.path} is larger than ${MAX_JSON_EXPORT_BYTES} bytes (a JSON export is read whole)`)
    let rows: unknown
    try {
      rows = JSON.parse(readFileSync(this.path, 'utf8'))
    } catch (error) {
      throw new Error(`${this.path} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`)
    }
    if (!Array.isArray(rows)) throw new Error(`${this.path}: a traffic export is an array of rows`)
    for (let i = 0; i < rows.length; i++) {
      this.progress.bytesRead = Math.round(((i + 1) / rows.length) * this.progress.size)
      const message = this.select(rows[i], 'export')
      if (message !== null) yield message
    }
  }
}

type Selected = { type: string; direction: string; value: ReplayMessage }

function fromRecord(value: unknown): Selected | null {
  if (!isRecord(value) || typeof value.type !== 'string' || typeof value.direction !== 'string') return null
  if (value.type !== 'publish') return { type: value.type, direction: value.direction, value: null as unknown as ReplayMessage }
  if (typeof value.time !== 'number' || typeof value.topic !== 'string' || typeof value.clientId !== 'string') return null
  const qos = value.qos ?? 0
  if (qos !== 0 && qos !== 1 && qos !== 2) return null
  let payload: Buffer
  if (value.payload === undefined) payload = Buffer.alloc(0)
  else if (typeof value.payload !== 'string') return null
  else payload = Buffer.from(value.payload, value.payloadEncoding === 'base64' ? 'base64' : 'utf8')
  return {
    type: 'publish',
    direction: value.direction,
    value: {
      time: value.time,
      clientId: value.clientId,
      topic: value.topic,
      payload,
      qos,
      retain: value.retain === true,
      properties: isRecord(value.properties) ? value.properties : undefined
    }
  }
}

/** A row of the Traffic view's JSON export (src/renderer/src/lib/traffic-export.ts). */
function fromExportRow(value: unknown, progress: ReaderProgress): Selected | null {
  if (!isRecord(value) || typeof value.type !== 'string' || typeof value.direction !== 'string') return null
  if (value.type !== 'publish') return { type: value.type, direction: value.direction, value: null as unknown as ReplayMessage }
  const time = typeof value.time === 'string' ? Date.parse(value.time) : Number.NaN
  if (!Number.isFinite(time) || typeof value.topic !== 'string' || typeof value.clientId !== 'string') return null
  const qos = value.qos ?? 0
  if (qos !== 0 && qos !== 1 && qos !== 2) return null
  let payload = Buffer.alloc(0)
  if (typeof value.payload === 'string') payload = Buffer.from(value.payload, value.payloadEncoding === 'hex' ? 'hex' : 'utf8')
  if (value.payloadTruncated === true) progress.truncated++
  return {
    type: 'publish',
    direction: value.direction,
    value: {
      time,
      clientId: value.clientId,
      topic: value.topic,
      payload,
      qos,
      retain: value.retain === true,
      properties: isRecord(value.properties) ? value.properties : undefined
    }
  }
}

function firstCharacter(path: string): string {
  const fd = openSync(path, 'r')
  try {
    const buffer = Buffer.alloc(64)
    const read = readSync(fd, buffer, 0, buffer.length, 0)
    return buffer.subarray(0, read).toString('utf8').trimStart().charAt(0)
  } finally {
    closeSync(fd)
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
