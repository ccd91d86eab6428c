import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { JsonFileStore, Salvaged, type Validator } from '../../src/main/storage/json-file-store'

interface Counter {
  count: number
}

const DEFAULTS: Counter = { count: 0 }

const validateCounter: Validator<Counter> = (raw) => {
  if (typeof raw !== 'object' || raw === null) return new Error('expected an object')
  const count = (raw as { count?: unknown }).count
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) return new Error('count must be a whole number ≥ 0')
  return { count }
}

const FIXED_NOW = new Date('2026-11-05T10:20:30.456Z')

let dir: string
let file: string

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'brokerscope-store-'))
  file = join(dir, 'counter.json')
})

afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

function store(validate: Validator<Counter> = validateCounter): JsonFileStore<Counter> {
  return new JsonFileStore(file, validate, DEFAULTS, () => FIXED_NOW)
}

function filesInDir(): string[] {
  return readdirSync(dir).sort()
}

describe('JsonFileStore.load', () => {
  it('returns the defaults and no problem when the file does not exist', () => {
    expect(store().load()).toEqual({ value: DEFAULTS, problem: null })
    expect(filesInDir()).toEqual([])
  })

  it('returns the validated content of a good file', () => {
    writeFileSync(file, '{ "count": 7 }')
    expect(store().load()).toEqual({ value: { count: 7 }, problem: null })
  })

  it('falls back to the defaults on corrupt JSON, says so, and keeps the corrupt file aside', () => {
    writeFileSync(file, '{ "count": 7, ')
    const { value, problem } = store().load()
    expect(value).toEqual(DEFAULTS)
    expect(problem).toContain('is not valid JSON')
    expect(problem).toContain('using defaults')
    const aside = 'counter.json.corrupt-2026-11-05T10-20-30-456Z'
    expect(problem).toContain(aside)
    expect(filesInDir()).toEqual([aside])
    expect(readFileSync(join(dir, aside), 'utf8')).toBe('{ "count": 7, ')
  })

  it('reports invalid content with the validator message and keeps the file aside', () => {
    writeFileSync(file, '{ "count": -1 }')
    const { value, problem } = store().load()
    expect(value).toEqual(DEFAULTS)
    expect(problem).toContain('has invalid content: count must be a whole number')
    expect(filesInDir()).toEqual(['counter.json.corrupt-2026-11-05T10-20-30-456Z'])
  })

  it('never overwrites an earlier corrupt copy', () => {
    writeFileSync(file, 'first')
    store().load()
    writeFileSync(file, 'second')
    store().load()
    const copies = filesInDir()
    expect(copies).toHaveLength(2)
    expect(copies.map((name) => readFileSync(join(dir, name), 'utf8')).sort()).toEqual(['first', 'second'])
  })

  it('treats a validator that throws like one that returns an Error', () => {
    writeFileSync(file, '{}')
    const { value, problem } = store(() => {
      throw new Error('boom')
    }).load()
    expect(value).toEqual(DEFAULTS)
    expect(problem).toContain('boom')
  })

  it('uses a salvaged value, reports the problems and keeps a copy while the original stays', () => {
    writeFileSync(file, '{ "count": 3, "extra": true }')
    const salvage: Validator<Counter> = (raw) => new Salvaged({ count: (raw as Counter).count }, ['unknown key "extra"'])
    const { value, problem } = store(salvage).load()
    expect(value).toEqual({ count: 3 })
    expect(problem).toContain('unknown key "extra"')
    expect(filesInDir()).toEqual(['counter.json', 'counter.json.corrupt-2026-11-05T10-20-30-456Z'])
  })

  it('reports a path it cannot read as a file (a directory) and moves it aside', () => {
    mkdirSync(file)
    const { value, problem } = store().load()
    expect(value).toEqual(DEFAULTS)
    expect(problem).toContain('cannot read')
    expect(filesInDir()).toEqual(['counter.json.corrupt-2026-11-05T10-20-30-456Z'])
  })
})

describe('JsonFileStore.save', () => {
  it('writes a file that parses and loads back', () => {
    store().save({ count: 42 })
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ count: 42 })
    expect(store().load()).toEqual({ value: { count: 42 }, problem: null })
    expect(filesInDir()).toEqual(['counter.json'])
  })

  it('creates the directory when needed', () => {
    const nested = new JsonFileStore(join(dir, 'a', 'b', 'counter.json'), validateCounter, DEFAULTS)
    nested.save({ count: 1 })
    expect(nested.load().value).toEqual({ count: 1 })
  })

  it('replaces the previous content', () => {
    const s = store()
    s.save({ count: 1 })
    s.save({ count: 2 })
    expect(s.load().value).toEqual({ count: 2 })
  })

  it('refuses a value its own validator would reject, leaving the file alone', () => {
    const s = store()
    s.save({ count: 5 })
    expect(() => s.save({ count: -5 })).toThrow(/refusing to save/)
    expect(s.load().value).toEqual({ count: 5 })
    expect(filesInDir()).toEqual(['counter.json'])
  })

  it('a save interrupted before its rename leaves the original intact, and the leftover is cleaned up', () => {
    const s = store()
    s.save({ count: 9 })
    // What a crash between write and rename leaves behind: a complete or partial temp file.
    const leftover = join(dir, `counter.json.${process.pid}.abc123.tmp`)
    writeFileSync(leftover, '{ "count": 10')
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ count: 9 })
    expect(store().load()).toEqual({ value: { count: 9 }, problem: null })
    expect(filesInDir()).toEqual(['counter.json'])
  })

  it('does not remove unrelated files that merely look similar', () => {
    writeFileSync(join(dir, 'counter.json.backup'), 'x')
    writeFileSync(join(dir, 'other.json.1.abc.tmp'), 'x')
    store().load()
    expect(filesInDir()).toEqual(['counter.json.backup', 'other.json.1.abc.tmp'])
  })

  it('leaves no temp file behind when the write fails', () => {
    // A non-empty directory where the file should go makes the final rename fail, even for root.
    mkdirSync(join(dir, 'counter.json'))
    writeFileSync(join(dir, 'counter.json', 'keep'), 'x')
    expect(() => store().save({ count: 2 })).toThrow()
    expect(filesInDir()).toEqual(['counter.json'])
  })
})
