import { describe, expect, it } from 'vitest'
import { MemorySavedMessageStore } from '../../src/main/inspector/saved-messages'
import type { SavedMessage } from '../../src/shared/api'

const message = (name: string, payload = 'p'): SavedMessage => ({ name, topic: 't', payload, qos: 0, retain: false })

describe('MemorySavedMessageStore', () => {
  it('saves, replaces by name, lists and deletes', () => {
    const store = new MemorySavedMessageStore([message('a')])
    expect(store.save(message('b')).map((m) => m.name)).toEqual(['a', 'b'])
    const replaced = store.save(message('a', 'new'))
    expect(replaced.map((m) => [m.name, m.payload])).toEqual([
      ['a', 'new'],
      ['b', 'p']
    ])
    expect(store.delete('a').map((m) => m.name)).toEqual(['b'])
    expect(store.delete('missing').map((m) => m.name)).toEqual(['b'])
  })

  it('hands out copies', () => {
    const store = new MemorySavedMessageStore()
    const original = message('a')
    store.save(original)
    original.payload = 'changed'
    store.list()[0].payload = 'changed too'
    expect(store.list()[0].payload).toBe('p')
  })
})
