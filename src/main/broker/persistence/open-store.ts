/**
 * Opening the store in a data folder, with its failure cases handled so that a bad store never
 * stops the broker and never loses what it held:
 *
 *  - a second broker on the same data folder is refused (data folder/broker.lock names the first);
 *  - a store LMDB cannot open, a truncated data file or another store format: the store folder is
 *    moved aside (data folder/store.unusable-<time>, never deleted) and a new one is started;
 *  - records that cannot be read back are skipped and counted (LmdbPersistence.load);
 *  - a store whose opening crashed the process twice in a row is moved aside the same way, so a
 *    damaged file can never cause a crash loop (data folder/store.opening counts the attempts).
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import type { Logger } from '../../logger'
import { type LoadedState, LmdbPersistence, StoreOpenError } from './lmdb-persistence'

export interface OpenedStore {
  persistence: LmdbPersistence
  loaded: LoadedState
  /** Call once the broker has started on the store: the crash-loop guard is reset. */
  markHealthy(): void
}

/** Another broker holds the data folder. */
export class DataFolderLockedError extends Error {}

/** Lock files this process holds (a pid alone cannot tell: after a crash the new process may get the old pid). */
const heldHere = new Set<string>()

/** Opens attempted in a row without reaching markHealthy() before the store is moved aside. */
const MAX_FAILED_OPENS = 2

export function openStore(dataDir: string, logger: Logger): OpenedStore {
  mkdirSync(dataDir, { recursive: true })
  const storeDir = join(dataDir, 'store')
  const guard = join(dataDir, 'store.opening')
  let setAside: string | null = null

  const failedOpens = readAttempts(guard)
  if (failedOpens >= MAX_FAILED_OPENS && existsSync(storeDir)) {
    setAside = moveAside(storeDir, `the broker stopped ${failedOpens} times in a row while opening it`, logger)
  }
  writeFileSync(guard, String(failedOpens + 1))

  let persistence: LmdbPersistence
  mkdirSync(storeDir, { recursive: true })
  try {
    persistence = LmdbPersistence.open(storeDir, logger)
  } catch (err) {
    if (!(err instanceof StoreOpenError)) throw err
    setAside = moveAside(storeDir, `${err.file}: ${err.reason}`, logger)
    mkdirSync(storeDir, { recursive: true })
    persistence = LmdbPersistence.open(storeDir, logger)
  }
  const loaded = persistence.load()
  if (setAside !== null) persistence.recovery = { ...persistence.recovery, setAside }
  return {
    persistence,
    loaded,
    markHealthy: () => rmSync(guard, { force: true })
  }
}

function readAttempts(guard: string): number {
  try {
    const n = Number.parseInt(readFileSync(guard, 'utf8'), 10)
    return Number.isFinite(n) && n > 0 ? n : 0
  } catch {
    return 0
  }
}

function moveAside(storeDir: string, why: string, logger: Logger): string {
  const target = `${storeDir}.unusable-${new Date().toISOString().replace(/[:.]/g, '-')}`
  renameSync(storeDir, target)
  logger.error(`store: ${why}; it was moved to ${target} (kept, not deleted) and a new, empty store was started`)
  return target
}

/**
 * The data folder belongs to one broker at a time: data folder/broker.lock holds the pid of the
 * broker using it. A lock left by a broker that is gone (killed, crashed) is taken over.
 */
export function lockDataFolder(dataDir: string): { release(): void } {
  mkdirSync(dataDir, { recursive: true })
  const path = join(dataDir, 'broker.lock')
  if (heldHere.has(path)) throw new DataFolderLockedError(`this process already runs a broker on the data folder ${dataDir}`)
  const content = JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() })
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx')
      writeSync(fd, content)
      closeSync(fd)
      heldHere.add(path)
      return {
        release: () => {
          heldHere.delete(path)
          try {
            if (JSON.parse(readFileSync(path, 'utf8')).pid === process.pid) rmSync(path, { force: true })
          } catch {
            // already gone
          }
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const holder = readHolder(path)
    if (holder !== null && holder.pid !== process.pid && isAlive(holder.pid) && holder.host === hostname()) {
      throw new DataFolderLockedError(
        `another BrokerScope (pid ${holder.pid}, since ${holder.since}) is using the data folder ${dataDir}; stop it, or give this one another folder (--data-dir)`
      )
    }
    // Left behind by a broker that is gone: take it over.
    rmSync(path, { force: true })
  }
  throw new DataFolderLockedError(`could not lock the data folder ${dataDir} (${path})`)
}

function readHolder(path: string): { pid: number; host: string; since: string } | null {
  try {
    const raw = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown; host?: unknown; since?: unknown }
    if (typeof raw.pid !== 'number') return null
    return { pid: raw.pid, host: typeof raw.host === 'string' ? raw.host : '', since: typeof raw.since === 'string' ? raw.since : '?' }
  } catch {
    return null
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it exists, owned by another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
