import { describe, expect, it } from 'vitest'
import { TopicTree } from '../../src/main/inspector/topic-tree'

const b64 = (text: string): string => Buffer.from(text).toString('base64')

describe('TopicTree', () => {
  it('counts messages and keeps the last preview, size and time per topic', () => {
    const tree = new TopicTree({ previewBytes: 4 })
    tree.recordMessage('a/b', Buffer.from('hello'), 100)
    tree.recordMessage('a/b', Buffer.from('world!'), 200)
    tree.recordMessage('a/c', Buffer.from('x'), 150)
    expect(tree.size).toBe(2)
    expect(tree.get('a/b')).toEqual({ topic: 'a/b', messages: 2, lastPayload: b64('worl'), lastSize: 6, lastUpdated: 200, retained: false })
    expect(tree.all().map((node) => node.topic)).toEqual(['a/b', 'a/c'])
  })

  it('keeps a copy of the preview, not a view into the payload, once settled or sent', () => {
    const tree = new TopicTree({ previewBytes: 4 })
    const payload = Buffer.from('abcdef')
    tree.recordMessage('t', payload, 1)
    // Settling (as the inspector does on detach) copies the preview out of the payload.
    tree.settle()
    payload.fill(0)
    expect(tree.get('t')?.lastPayload).toBe(b64('abcd'))
    const second = Buffer.from('wxyz12')
    tree.recordMessage('t', second, 2)
    // Sending the topic to the UI copies it too.
    expect(tree.get('t')?.lastPayload).toBe(b64('wxyz'))
    second.fill(0)
    expect(tree.get('t')?.lastPayload).toBe(b64('wxyz'))
  })

  it('reports changed topics once', () => {
    const tree = new TopicTree()
    tree.recordMessage('a', Buffer.from('1'), 1)
    tree.recordMessage('b', Buffer.from('2'), 1)
    expect(tree.hasChanges).toBe(true)
    expect(
      tree
        .takeChanges()
        .map((node) => node.topic)
        .sort()
    ).toEqual(['a', 'b'])
    expect(tree.hasChanges).toBe(false)
    tree.recordMessage('a', Buffer.from('3'), 2)
    expect(tree.takeChanges()).toEqual([expect.objectContaining({ topic: 'a', messages: 2 })])
  })

  it('tracks the retained flag', () => {
    const tree = new TopicTree()
    tree.setRetained('r', true)
    tree.recordMessage('r', Buffer.from('v'), 5)
    expect(tree.get('r')).toMatchObject({ retained: true, messages: 1 })
    tree.setRetained('r', false)
    expect(tree.get('r')?.retained).toBe(false)
    tree.setRetained('unknown', false)
    expect(tree.get('unknown')).toBeNull()
  })

  it('re-syncs retained flags with the store', () => {
    const tree = new TopicTree()
    tree.setRetained('gone', true)
    tree.syncRetained([{ topic: 'kept', preview: Buffer.from('p'), size: 10, updatedAt: 7 }])
    expect(tree.get('gone')?.retained).toBe(false)
    expect(tree.get('kept')).toMatchObject({ retained: true, lastSize: 10, lastUpdated: 7, lastPayload: b64('p') })
  })

  it('is bounded by topic count and counts what it could not track', () => {
    const tree = new TopicTree({ maxTopics: 100 })
    for (let i = 0; i < 250; i++) tree.recordMessage(`t/${i}`, Buffer.from('x'), i)
    tree.recordMessage('t/0', Buffer.from('y'), 999) // known topics keep updating
    expect(tree.size).toBe(100)
    expect(tree.notTracked).toBe(150)
    expect(tree.get('t/0')?.messages).toBe(2)
    expect(tree.get('t/200')).toBeNull()
  })

  it('is bounded by the characters of topic names', () => {
    const tree = new TopicTree({ maxTopicChars: 1000 })
    const long = 'x'.repeat(400)
    tree.recordMessage(`${long}/1`, Buffer.from('a'), 1)
    tree.recordMessage(`${long}/2`, Buffer.from('a'), 1)
    tree.recordMessage(`${long}/3`, Buffer.from('a'), 1)
    expect(tree.size).toBe(2)
    expect(tree.trackedTopicChars).toBeLessThanOrEqual(1000)
    expect(tree.notTracked).toBe(1)
  })
})
