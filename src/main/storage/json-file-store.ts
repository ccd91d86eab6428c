/**
 * One JSON document on disk, validated when it is read and replaced atomically when it is written.
 *
 * Reading never throws and never loses data: a missing file yields the defaults; a file that cannot
 * be read, does not parse, or fails validation yields the defaults plus a problem message, and the
 * bad file is moved aside as `<file>.corrupt-<timestamp>` so a later save cannot overwrite it.
 * A validator may also salvage part of a file (`Salvaged`): the good part is used, the problems are
 * reported, and a copy of the original is kept aside the same way.
 *
 * Writing goes to a temporary file in the same directory, is fsynced, then renamed over the target,
 * so a crash leaves either the old file or the new one, never half of one.
 */
import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync
} from 'node:fs'
import { basename, dirname, join } from 'node:path'

/** A validator's answer when it kept the usable part of a file and dropped the rest. */
export class Salvaged<T> {
  constructor(
    readonly value: T,
    readonly problems: readonly string[]
  ) {}
}

/** Returns the typed value, an Error saying why the whole file is unusable, or a partial rescue. */
export type Validator<T> = (raw: unknown) => T | Error | Salvaged<T>

export interface LoadResult<T> {
  value: T
  /** Why the file was not used as is (null when it was, or when it did not exist yet). */
  problem: string | null
}

const TEMP_SUFFIX = '.tmp'

export class JsonFileStore<T> {
  constructor(
    readonly path: string,
    private readonly validate: Validator<T>,
    private readonly defaults: T,
    /** Injectable clock for the `.corrupt-<timestamp>` name (tests). */
    private readonly now: () => Date = () => new Date(),
    /** The document written for a value, when it is not the value itself (a value may carry derived fields). */
    private readonly toDocument: (value: T) => unknown = (value) => value
  ) {}

  load(): LoadResult<T> {
    this.removeStaleTempFiles()

    let text: string
    try {
      text = readFileSync(this.path, 'utf8')
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return { value: this.defaults, problem: null }
      return this.reject(`cannot read ${this.path}: ${errorMessage(err)}`)
    }

    let raw: unknown
    try {
      raw = JSON.parse(text)
    } catch (err) {
      return this.reject(`${this.path} is not valid JSON (${errorMessage(err)})`)
    }

    let checked: T | Error | Salvaged<T>
    try {
      checked = this.validate(raw)
    } catch (err) {
      checked = err instanceof Error ? err : new Error(String(err))
    }
    if (checked instanceof Error) return this.reject(`${this.path} has invalid content: ${checked.message}`)
    if (checked instanceof Salvaged) {
      const kept = this.keepAside('copy')
      return {
        value: checked.value,
        problem: `${this.path}: ${checked.problems.join('; ')} (ignored; ${kept})`
      }
    }
    return { value: checked, problem: null }
  }

  /**
   * Replace the file atomically. The value is checked with the same validator first so the store
   * never writes something it would refuse to read back.
   */
  save(value: T): void {
    const text = JSON.stringify(this.toDocument(value), null, 2) + '\n'
    const checked = this.validate(JSON.parse(text))
    if (checked instanceof Error) throw new Error(`refusing to save ${this.path}: ${checked.message}`)
    if (checked instanceof Salvaged) throw new Error(`refusing to save ${this.path}: ${checked.problems.join('; ')}`)

    const dir = dirname(this.path)
    mkdirSync(dir, { recursive: true })
    const temp = join(dir, `${basename(this.path)}.${process.pid}.${randomSuffix()}${TEMP_SUFFIX}`)
    try {
      const fd = openSync(temp, 'w', 0o600)
      try {
        writeAll(fd, text)
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
      renameSync(temp, this.path)
    } catch (err) {
      rmSync(temp, { force: true })
      throw err
    }
    syncDirectory(dir)
  }

  /** The file could not be used: move it aside (nothing is lost) and fall back to the defaults. */
  private reject(problem: string): LoadResult<T> {
    const kept = this.keepAside('move')
    return { value: this.defaults, problem: `${problem}; using defaults (${kept})` }
  }

  /** Keep the current file as `<file>.corrupt-<timestamp>`; returns a phrase for the problem text. */
  private keepAside(how: 'move' | 'copy'): string {
    const stamp = this.now().toISOString().replace(/[:.]/g, '-')
    let target = `${this.path}.corrupt-${stamp}`
    for (let n = 1; existsSync(target); n++) target = `${this.path}.corrupt-${stamp}-${n}`
    try {
      if (how === 'move') renameSync(this.path, target)
      else copyFileSync(this.path, target)
      return `the original was kept as ${target}`
    } catch (err) {
      return `could not keep a copy of the original: ${errorMessage(err)}`
    }
  }

  /** Temp files left by a save that was interrupted before its rename are garbage; the target is intact. */
  private removeStaleTempFiles(): void {
    const dir = dirname(this.path)
    const prefix = `${basename(this.path)}.`
    let names: string[]
    try {
      names = readdirSync(dir)
    } catch {
      return
    }
    for (const name of names) {
      if (name.startsWith(prefix) && /^\d+\.[0-9a-z]+\.tmp$/.test(name.slice(prefix.length))) {
        rmSync(join(dir, name), { force: true })
      }
    }
  }
}

function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8')
  let offset = 0
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset)
}

/** Make the rename itself durable. Not possible on every platform (Windows), so best effort. */
function syncDirectory(dir: string): void {
  let fd: number | null = null
  try {
    fd = openSync(dir, 'r')
    fsyncSync(fd)
  } catch {
    // A directory cannot be opened or fsynced here; the rename is still atomic.
  } finally {
    if (fd !== null) closeSync(fd)
  }
}

function randomSuffix(): string {
  return Math.random().toString(36).slice(2, 10) || '0'
}

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
