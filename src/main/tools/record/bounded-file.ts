/**
 * A file written as a stream with a bounded amount of data waiting in memory. Callers ask
 * `hasRoom(n)` before adding; data beyond `bufferBytes` is the caller's to count as not written,
 * never queued. Writes are gathered and handed to the stream once per event-loop turn.
 */
import { createWriteStream } from 'node:fs'
import type { Writable } from 'node:stream'

/** Opens the stream a file is written to (tests pass a slow one). */
export type OpenStream = (path: string) => Writable

export class BoundedFile {
  private readonly stream: Writable
  private pending: Buffer[] = []
  private pendingBytes = 0
  private flushQueued = false
  private failure: Error | null = null
  private closed = false
  /** Bytes accepted (written or on their way). */
  bytes = 0
  /** Resolves once the file exists; rejects when it cannot be created (an existing file, a bad folder). */
  readonly ready: Promise<void>

  constructor(
    readonly path: string,
    private readonly bufferBytes: number,
    private readonly onDrain: () => void,
    private readonly onError: (error: Error) => void,
    open?: OpenStream
  ) {
    // 'wx': never overwrite an earlier recording.
    this.stream = open ? open(path) : createWriteStream(path, { flags: 'wx', highWaterMark: 256 * 1024 })
    this.ready = open
      ? Promise.resolve()
      : new Promise((resolve, reject) => {
          this.stream.once('ready', () => resolve())
          this.stream.once('error', reject)
        })
    this.ready.catch(() => {})
    this.stream.on('error', (error) => {
      if (this.failure !== null) return
      this.failure = error
      this.onError(error)
    })
  }

  get error(): Error | null {
    return this.failure
  }

  /** Memory held for this file: gathered plus handed to the stream but not yet on disk. */
  get buffered(): number {
    return this.pendingBytes + this.stream.writableLength
  }

  hasRoom(bytes: number): boolean {
    return this.failure === null && !this.closed && this.buffered + bytes <= this.bufferBytes
  }

  /** Append; the caller checked hasRoom. */
  add(chunk: Buffer): void {
    this.pending.push(chunk)
    this.pendingBytes += chunk.length
    this.bytes += chunk.length
    if (!this.flushQueued) {
      this.flushQueued = true
      setImmediate(() => this.flush())
    }
  }

  /** Write what is gathered, end the stream, and wait until the file is closed. */
  async close(): Promise<void> {
    if (this.closed) return
    this.flush()
    this.closed = true
    if (this.failure !== null) {
      this.stream.destroy()
      return
    }
    await new Promise<void>((resolve) => {
      this.stream.end(() => resolve())
      this.stream.once('error', () => resolve())
    })
  }

  private flush(): void {
    this.flushQueued = false
    if (this.pending.length === 0 || this.closed) return
    const data = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes)
    this.pending = []
    this.pendingBytes = 0
    // The callback runs once this chunk is on its way to the disk: room again for whoever waits.
    if (this.failure === null) this.stream.write(data, () => this.onDrain())
  }
}
