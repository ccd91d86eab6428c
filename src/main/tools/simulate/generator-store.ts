/**
 * Saved generators, kept in the data folder beside settings.json:
 *
 *   generators.json   { "version": 1, "generators": [ { "name": "…", "topic": "…", … } ] }
 *
 * Every entry is checked (checkGenerator) when read and when saved; names are unique; a bad entry
 * in the file is dropped and reported, the others kept, the original kept aside (JsonFileStore).
 */
import type { GeneratorSpec } from '../../../shared/tools-api'
import { JsonFileStore, Salvaged } from '../../storage/json-file-store'
import { checkGenerator, problemsText } from './generator-spec'

export const MAX_SAVED_GENERATORS = 200
/** Saved generators are checked against the widest device limit; starting one checks the setting in force. */
const ANY_DEVICES = 100_000
const FILE_VERSION = 1

interface GeneratorsFile {
  version: typeof FILE_VERSION
  generators: GeneratorSpec[]
}

export class GeneratorStore {
  private readonly file: JsonFileStore<GeneratorsFile>
  private generators: GeneratorSpec[]
  readonly problem: string | null

  constructor(path: string) {
    this.file = new JsonFileStore(path, parseFile, { version: FILE_VERSION, generators: [] })
    const loaded = this.file.load()
    this.generators = loaded.value.generators
    this.problem = loaded.problem
  }

  list(): GeneratorSpec[] {
    return structuredClone(this.generators)
  }

  /** Add, or replace the one of the same name (keeping its place). Throws when invalid or full. */
  save(raw: unknown): GeneratorSpec[] {
    const checked = checkGenerator(raw, ANY_DEVICES)
    if (!checked.ok) throw new Error(`cannot save the generator: ${problemsText(checked.problems)}`)
    const spec = checked.value.spec
    const next = [...this.generators]
    const index = next.findIndex((g) => g.name === spec.name)
    if (index >= 0) next[index] = spec
    else if (next.length >= MAX_SAVED_GENERATORS)
      throw new Error(`cannot save the generator: at most ${MAX_SAVED_GENERATORS}; delete some first`)
    else next.push(spec)
    this.file.save({ version: FILE_VERSION, generators: next })
    this.generators = next
    return this.list()
  }

  delete(name: string): GeneratorSpec[] {
    const next = this.generators.filter((g) => g.name !== name)
    if (next.length !== this.generators.length) {
      this.file.save({ version: FILE_VERSION, generators: next })
      this.generators = next
    }
    return this.list()
  }
}

function parseFile(raw: unknown): GeneratorsFile | Error | Salvaged<GeneratorsFile> {
  if (typeof raw !== 'object' || raw === null || (raw as { version?: unknown }).version !== FILE_VERSION) {
    return new Error(`expected { "version": ${FILE_VERSION}, "generators": [ … ] }`)
  }
  const list = (raw as { generators?: unknown }).generators
  if (!Array.isArray(list)) return new Error('"generators" must be an array')
  const problems: string[] = []
  const generators: GeneratorSpec[] = []
  for (const [index, entry] of list.entries()) {
    const checked = checkGenerator(entry, ANY_DEVICES)
    if (!checked.ok) problems.push(`generator ${index + 1}: ${problemsText(checked.problems)}`)
    else if (generators.some((g) => g.name === checked.value.spec.name))
      problems.push(`generator ${index + 1}: the name "${checked.value.spec.name}" is used twice`)
    else generators.push(checked.value.spec)
  }
  const value = { version: FILE_VERSION, generators } as const
  return problems.length > 0 ? new Salvaged(value, problems) : value
}
