/**
 * The bridges defined in the UI (the Bridges view, "Connect to a broker…"), kept in bridges.json in
 * the data folder, next to settings.json:
 *
 *   { "version": 1, "bridges": [ { "name": "cloud", "url": "mqtts://…", "topics": ["sensors/# out 1"], … } ] }
 *
 * Every entry goes through the one bridge validator when read and when saved; a bad entry is
 * dropped and reported, the others kept, and the original file kept aside (see JsonFileStore). The
 * file is written with mode 0600: it holds the remote brokers' passwords.
 */
import { type BridgeConfig, validateBridgeConfig } from '../../shared/bridges'
import { JsonFileStore, Salvaged } from './json-file-store'

const FILE_VERSION = 1
export const MAX_STORED_BRIDGES = 100

interface BridgesFile {
  version: typeof FILE_VERSION
  bridges: BridgeConfig[]
}

/** Where the UI's bridges are kept (a file, or memory in tests). */
export interface BridgeStore {
  load(): { bridges: BridgeConfig[]; problem: string | null }
  save(bridges: readonly BridgeConfig[]): void
}

export class BridgeFileStore implements BridgeStore {
  private readonly file: JsonFileStore<BridgesFile>

  constructor(readonly path: string) {
    this.file = new JsonFileStore(path, parseBridgesFile, { version: FILE_VERSION, bridges: [] })
  }

  load(): { bridges: BridgeConfig[]; problem: string | null } {
    const loaded = this.file.load()
    return { bridges: loaded.value.bridges, problem: loaded.problem }
  }

  /** Throws when the write fails (the caller reports it; the bridge keeps running meanwhile). */
  save(bridges: readonly BridgeConfig[]): void {
    this.file.save({ version: FILE_VERSION, bridges: [...bridges] })
  }
}

export class MemoryBridgeStore implements BridgeStore {
  bridges: BridgeConfig[] = []
  load(): { bridges: BridgeConfig[]; problem: string | null } {
    return { bridges: [...this.bridges], problem: null }
  }
  save(bridges: readonly BridgeConfig[]): void {
    this.bridges = [...bridges]
  }
}

export function parseBridgesFile(raw: unknown): BridgesFile | Error | Salvaged<BridgesFile> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return new Error('expected { "version": 1, "bridges": [ … ] }')
  const record = raw as Record<string, unknown>
  if (record.version !== FILE_VERSION) return new Error(`unsupported version ${JSON.stringify(record.version)} (expected ${FILE_VERSION})`)
  if (!Array.isArray(record.bridges)) return new Error('"bridges" must be a list')
  const problems: string[] = []
  const bridges: BridgeConfig[] = []
  record.bridges.forEach((entry: unknown, index: number) => {
    const checked = validateBridgeConfig(entry)
    if (!checked.ok) {
      problems.push(`bridges[${index}]: ${checked.errors.map((e) => `${e.path.join('.') || 'bridge'}: ${e.message}`).join('; ')}`)
    } else if (bridges.some((b) => b.name === checked.value.name)) {
      problems.push(`bridges[${index}]: a second bridge named "${checked.value.name}"`)
    } else if (bridges.length >= MAX_STORED_BRIDGES) {
      problems.push(`bridges[${index}]: more than ${MAX_STORED_BRIDGES} bridges`)
    } else bridges.push(checked.value)
  })
  const value: BridgesFile = { version: FILE_VERSION, bridges }
  return problems.length > 0 ? new Salvaged(value, problems) : value
}
