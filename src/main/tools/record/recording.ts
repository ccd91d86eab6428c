/**
 * One recording in progress: the JSON Lines file (recording-format.ts) and, when asked, a pcapng
 * file beside it. Bounded three ways, each a setting: the data waiting in memory for the disk
 * (recordBufferBytes; a packet that does not fit is not written, and counted), the size of the
 * files (recordMaxBytes) and the duration (recordMaxSeconds); reaching a cap ends the recording.
 * A write error (disk full, permissions) ends it too, and says so. On stop both files are
 * complete: the JSON Lines file ends with a trailer line that gives the counts.
 */
import type { RecordingStatus } from '../../../shared/tools-api'
import type { MqttVersion } from '../pcapng/mqtt-encode'
import { PcapngStream } from '../pcapng/pcapng-stream'
import { BoundedFile, type OpenStream } from './bounded-file'
import { RECORDING_END_FORMAT, type RecordedPacket, type RecordingHeader, type RecordingTrailer } from './recording-format'

export interface RecordingLimits {
  /** Bytes of both files together; 0 = no cap. */
  maxBytes: number
  /** 0 = no cap. */
  maxSeconds: number
  /** Bytes waiting for the disk, per file. */
  bufferBytes: number
}

export interface RecordingFiles {
  file: string
  pcapFile: string | null
  /** How the files are opened (default: created, never overwritten); tests pass slow streams. */
  open?: OpenStream
}

/** Room kept for the trailer line, so the size cap is never exceeded to write it. */
const TRAILER_ROOM = 256

export class Recording {
  private readonly json: BoundedFile
  private readonly pcapFile: BoundedFile | null
  private readonly pcap: PcapngStream | null
  private readonly startedAt: number
  private endedAt: number | null = null
  private endReason: string | null = null
  private written = 0
  private notWritten = 0
  private timer: NodeJS.Timeout | null = null
  private closing: Promise<RecordingStatus> | null = null
  private readonly drainListeners = new Set<() => void>()
  /** Run first thing when the recording ends (however it ends): a consumer counts what it skipped. */
  beforeStop: (() => void) | null = null

  private constructor(
    private readonly files: RecordingFiles,
    private readonly limits: RecordingLimits,
    header: RecordingHeader,
    private readonly onEnd: (status: RecordingStatus) => void,
    private readonly now: () => number
  ) {
    this.startedAt = header.startedAt
    const drained = (): void => {
      for (const listener of this.drainListeners) listener()
    }
    const failed = (error: Error): void => void this.stop(`write error: ${error.message}`)
    this.json = new BoundedFile(files.file, limits.bufferBytes, drained, failed, files.open)
    this.json.add(Buffer.from(JSON.stringify(header) + '\n'))
    if (files.pcapFile !== null) {
      this.pcap = new PcapngStream()
      this.pcapFile = new BoundedFile(files.pcapFile, limits.bufferBytes, drained, failed, files.open)
      this.pcapFile.add(this.pcap.header())
    } else {
      this.pcap = null
      this.pcapFile = null
    }
    if (limits.maxSeconds > 0) {
      this.timer = setTimeout(() => void this.stop('time cap'), limits.maxSeconds * 1000)
      this.timer.unref()
    }
  }

  /** Create the files (never overwriting one) and write their headers. Throws when a file cannot be created. */
  static async open(
    files: RecordingFiles,
    limits: RecordingLimits,
    header: RecordingHeader,
    onEnd: (status: RecordingStatus) => void = () => {},
    now: () => number = Date.now
  ): Promise<Recording> {
    const recording = new Recording(files, limits, header, onEnd, now)
    await recording.opened()
    return recording
  }

  get active(): boolean {
    return this.endedAt === null
  }

  /** Called when buffered data reached the disk (a consumer that paused may resume). */
  onDrain(listener: () => void): () => void {
    this.drainListeners.add(listener)
    return () => this.drainListeners.delete(listener)
  }

  /** Is there room for about `bytes` more in memory? */
  hasRoom(bytes: number): boolean {
    return this.json.hasRoom(bytes) && (this.pcapFile === null || this.pcapFile.hasRoom(bytes + 256))
  }

  /** Bytes held in memory for the files now (bounded by recordBufferBytes per file). */
  bufferedBytes(): number {
    return this.json.buffered + (this.pcapFile?.buffered ?? 0)
  }

  /** Room for a good share of the buffer again: a consumer paused for the disk may resume. */
  canResume(): boolean {
    return this.hasRoom(Math.floor(this.limits.bufferBytes / 2))
  }

  /** Add one packet. False when it was not written (no room, or ended): counted in notWritten. */
  add(record: RecordedPacket): boolean {
    if (!this.active) return false
    const line = Buffer.from(JSON.stringify(record) + '\n')
    if (!this.hasRoom(line.length)) {
      this.notWritten++
      return false
    }
    if (this.limits.maxBytes > 0 && this.totalBytes() + line.length + record.size + TRAILER_ROOM > this.limits.maxBytes) {
      this.notWritten++
      void this.stop('size cap')
      return false
    }
    this.json.add(line)
    if (this.pcap !== null) this.addPcap(this.pcap.packet(record))
    this.written++
    return true
  }

  /** Packets that went by without being offered (the consumer had paused): counted as not written. */
  countNotWritten(count: number): void {
    if (count > 0) this.notWritten += count
  }

  /** What is known of a client, for the pcapng flows (address "ip:port", MQTT version). */
  clientConnected(clientId: string, address: string | null, version: MqttVersion): void {
    if (this.pcap === null || !this.active) return
    this.addPcap(this.pcap.connected(clientId, address, version))
  }

  clientKnown(clientId: string, address: string | null, version: MqttVersion): void {
    this.pcap?.client(clientId, address, version)
  }

  clientClosed(clientId: string): void {
    if (this.pcap === null || !this.active) return
    this.addPcap(this.pcap.closed(clientId, this.now()))
  }

  status(): RecordingStatus {
    return {
      active: this.active,
      file: this.files.file,
      pcapFile: this.files.pcapFile,
      startedAt: this.startedAt,
      endedAt: this.endedAt,
      written: this.written,
      bytes: this.totalBytes(),
      notWritten: this.notWritten,
      maxBytes: this.limits.maxBytes,
      maxSeconds: this.limits.maxSeconds,
      endReason: this.endReason
    }
  }

  /** End the recording: write the trailer, close both files. Safe to call more than once. */
  stop(reason = 'stopped'): Promise<RecordingStatus> {
    if (this.closing !== null) return this.closing
    this.beforeStop?.()
    this.endedAt = this.now()
    this.endReason = reason
    if (this.timer !== null) clearTimeout(this.timer)
    this.closing = (async () => {
      const trailer: RecordingTrailer = {
        format: RECORDING_END_FORMAT,
        endedAt: this.endedAt ?? this.now(),
        written: this.written,
        notWritten: this.notWritten,
        reason
      }
      // The trailer is written even when the buffer is full: it is small and says what is missing.
      if (this.json.error === null) this.json.add(Buffer.from(JSON.stringify(trailer) + '\n'))
      await Promise.all([this.json.close(), this.pcapFile?.close()])
      const status = this.status()
      this.onEnd(status)
      return status
    })()
    return this.closing
  }

  private addPcap(blocks: Buffer | null): void {
    if (blocks === null || this.pcapFile === null) return
    // The JSON line already fit; the pcapng file has its own room check (its blocks are larger).
    if (this.pcapFile.hasRoom(blocks.length)) this.pcapFile.add(blocks)
  }

  private totalBytes(): number {
    return this.json.bytes + (this.pcapFile?.bytes ?? 0)
  }

  private async opened(): Promise<void> {
    // Both files must exist before the recording counts as started: a bad folder fails the start.
    try {
      await Promise.all([this.json.ready, this.pcapFile?.ready])
    } catch (error) {
      await this.stop(`could not create the file: ${error instanceof Error ? error.message : String(error)}`)
      throw error
    }
  }
}
