/**
 * The desktop app's log file, rotated by size the way logrotate leaves mosquitto's:
 * brokerscope.log is the current one, brokerscope.log.1 the one before, up to .N (older ones are
 * deleted). Lines are written synchronously (a log line must not be lost when the app crashes
 * right after it); a failed write (disk full, permissions) is counted and never thrown.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'

export interface RotatingLogFileOptions {
  /** Rotate before a write would take the file past this size. */
  maxBytes: number
  /** Rotated files kept (0: the current file is truncated instead). */
  keep: number
}

export class RotatingLogFile {
  private fd: number | null = null
  private size = 0
  private options: RotatingLogFileOptions
  /** Rotations done in this run. */
  rotations = 0
  /** Lines that could not be written. */
  writeFailures = 0

  constructor(
    readonly path: string,
    options: RotatingLogFileOptions
  ) {
    this.options = { ...options }
  }

  /** New bounds, from the next line on. */
  configure(options: RotatingLogFileOptions): void {
    this.options = { ...options }
  }

  write(line: string): void {
    const bytes = Buffer.from(line.endsWith('\n') ? line : `${line}\n`, 'utf8')
    try {
      if (this.fd === null) this.open()
      if (this.size > 0 && this.size + bytes.length > this.options.maxBytes) this.rotate()
      writeSync(this.fd!, bytes)
      this.size += bytes.length
    } catch {
      this.writeFailures++
      this.closeQuietly()
    }
  }

  close(): void {
    this.closeQuietly()
  }

  private open(): void {
    mkdirSync(dirname(this.path), { recursive: true })
    this.fd = openSync(this.path, 'a', 0o600)
    this.size = fstatSync(this.fd).size
  }

  private rotate(): void {
    this.closeQuietly()
    const { keep } = this.options
    if (keep === 0) {
      rmSync(this.path, { force: true })
    } else {
      rmSync(`${this.path}.${keep}`, { force: true })
      for (let n = keep - 1; n >= 1; n--) {
        if (existsSync(`${this.path}.${n}`)) renameSync(`${this.path}.${n}`, `${this.path}.${n + 1}`)
      }
      renameSync(this.path, `${this.path}.1`)
    }
    this.rotations++
    this.open()
  }

  private closeQuietly(): void {
    if (this.fd === null) return
    try {
      closeSync(this.fd)
    } catch {
      // already gone
    }
    this.fd = null
  }
}
