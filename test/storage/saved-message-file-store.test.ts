import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { SavedMessage } from '../../src/shared/api'
import { MAX_SAVED_MESSAGES, parseSavedMessage, SavedMessageFileStore } from '../../src/main/storage/saved-message-file-store'

let dir: string
let file: string

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'brokerscope-saved-'))
  file = join(dir, 'saved-messages.json')
})

afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

function message(name: string, extra: Partial<SavedMessage> = {}): SavedMessage {
  return { name, topic: `t/${name}`, payload: 'hello', qos: 0, retain: false, ...extra }
}

describe('SavedMessageFileStore', () => {
  it('starts empty without a file, and without a problem', () => {
    const store = new SavedMessageFileStore(file)
    expect(store.list()).toEqual([])
    expect(store.problem).toBeNull()
  })

  it('persists saves and deletes across instances', () => {
    const store = new SavedMessageFileStore(file)
    store.save(message('a'))
    store.save(message('b', { qos: 1, retain: true, properties: { contentType: 'text/plain', userProperties: { k: ['1', '2'] } } }))
    expect(store.delete('a')).toEqual([expect.objectContaining({ name: 'b' })])
    const again = new SavedMessageFileStore(file)
    expect(again.list()).toEqual([
      message('b', { qos: 1, retain: true, properties: { contentType: 'text/plain', userProperties: { k: ['1', '2'] } } })
    ])
    expect(JSON.parse(readFileSync(file, 'utf8')).version).toBe(1)
  })

  it('keeps names unique: saving an existing name replaces it in place', () => {
    const store = new SavedMessageFileStore(file)
    store.save(message('a'))
    store.save(message('b'))
    const list = store.save(message('a', { payload: 'changed' }))
    expect(list.map((m) => [m.name, m.payload])).toEqual([
      ['a', 'changed'],
      ['b', 'hello']
    ])
  })

  it('returns copies: changing what list() returned changes nothing stored', () => {
    const store = new SavedMessageFileStore(file)
    store.save(message('a'))
    store.list()[0]!.payload = 'mutated'
    expect(store.list()[0]!.payload).toBe('hello')
  })

  it('rejects invalid messages with a clear error and writes nothing', () => {
    const store = new SavedMessageFileStore(file)
    expect(() => store.save(message(''))).toThrow(/name must be a non-empty string/)
    expect(() => store.save(message('x', { topic: 'a/+/b' }))).toThrow(/topic/)
    expect(() => store.save({ ...message('x'), qos: 3 } as unknown as SavedMessage)).toThrow(/qos must be 0, 1 or 2/)
    expect(() => store.save(message('x', { payloadEncoding: 'base64', payload: 'not base64!' }))).toThrow(/base64/)
    expect(() => store.save(message('x', { properties: { bogus: 1 } as never }))).toThrow(/unknown property "bogus"/)
    expect(readdirSync(dir)).toEqual([])
  })

  it('is bounded: a new name beyond the limit is refused, replacing still works', () => {
    const messages = Array.from({ length: MAX_SAVED_MESSAGES }, (_, i) => message(`m${i}`))
    writeFileSync(file, JSON.stringify({ version: 1, messages }))
    const store = new SavedMessageFileStore(file)
    expect(store.list()).toHaveLength(MAX_SAVED_MESSAGES)
    expect(() => store.save(message('one-too-many'))).toThrow(new RegExp(`at most ${MAX_SAVED_MESSAGES}`))
    expect(store.save(message('m0', { payload: 'new' }))[0]!.payload).toBe('new')
  })

  it('drops bad, duplicate and surplus entries from the file, reports them and keeps the good ones', () => {
    const messages: unknown[] = [message('good'), { name: 'bad', topic: 7 }, message('good', { payload: 'dup' })]
    for (let i = 0; i < MAX_SAVED_MESSAGES; i++) messages.push(message(`m${i}`))
    writeFileSync(file, JSON.stringify({ version: 1, messages }))
    const store = new SavedMessageFileStore(file)
    expect(store.list()).toHaveLength(MAX_SAVED_MESSAGES)
    expect(store.list()[0]).toEqual(message('good'))
    expect(store.problem).toContain('messages[1]: topic must be a string')
    expect(store.problem).toContain('messages[2]: duplicate name "good"')
    expect(store.problem).toContain(`more than ${MAX_SAVED_MESSAGES} messages`)
    // The original is preserved next to it.
    expect(readdirSync(dir).some((name) => name.startsWith('saved-messages.json.corrupt-'))).toBe(true)
  })

  it('starts empty on a corrupt file and keeps it aside', () => {
    writeFileSync(file, '[[[')
    const store = new SavedMessageFileStore(file)
    expect(store.list()).toEqual([])
    expect(store.problem).toContain('not valid JSON')
    expect(readdirSync(dir)).toEqual([expect.stringMatching(/^saved-messages\.json\.corrupt-/)])
  })

  it('refuses a file of another version', () => {
    writeFileSync(file, JSON.stringify({ version: 2, messages: [] }))
    expect(new SavedMessageFileStore(file).problem).toContain('unsupported version 2')
  })

  it('deleting an unknown name is not an error and does not write', () => {
    const store = new SavedMessageFileStore(file)
    expect(store.delete('nope')).toEqual([])
    expect(readdirSync(dir)).toEqual([])
  })
})

describe('parseSavedMessage', () => {
  it('drops unknown top-level keys', () => {
    expect(parseSavedMessage({ ...message('a'), extra: 1 })).toEqual(message('a'))
  })

  it('checks message properties', () => {
    expect(parseSavedMessage(message('a', { properties: { messageExpiryInterval: -1 } }))).toMatch(/messageExpiryInterval/)
    expect(parseSavedMessage(message('a', { properties: { correlationData: 'AAEC' } }))).toEqual(
      message('a', { properties: { correlationData: 'AAEC' } })
    )
    expect(parseSavedMessage(message('a', { properties: { responseTopic: 'a/#' } }))).toMatch(/responseTopic/)
  })
})
