import { describe, expect, it } from 'vitest'
import { ENTRY_OVERHEAD_BYTES, TopicHistory } from '../../src/main/inspector/topic-history'
import { TopicTree } from '../../src/main/inspector/topic-tree'

const text = (b64: string): string => Buffer.from(b64, 'base64').toString()

function setup(
  perTopic: number,
  maxBytes: number
): { tree: TopicTree; history: TopicHistory; publish: (topic: string, payload: string | Buffer, time?: number) => void } {
  const tree = new TopicTree({ previewBytes: 16 })
  const history = new TopicHistory({ perTopic, maxBytes, previewBytes: 16 })
  let clock = 1
  const publish = (topic: string, payload: string | Buffer, time = clock++): void => {
    const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload
    const entry = tree.recordMessage(topic, bytes, time)
    if (entry) history.record(entry, 'c1', 1, false, bytes, {}, time)
  }
  return { tree, history, publish }
}

describe('TopicHistory bounds', () => {
  it('keeps the last N per topic, oldest first, and counts the older ones dropped', () => {
    const { tree, history, publish } = setup(3, 1024 * 1024)
    for (let i = 0; i < 10; i++) publish('a', `m${i}`)
    publish('b', 'only')
    const a = history.rows(tree.record('a'), 'a')
    expect(a.entries.map((e) => text(e.preview))).toEqual(['m7', 'm8', 'm9'])
    expect(a.olderDropped).toBe(7)
    expect(a.entries[0]).toMatchObject({ clientId: 'c1', qos: 1, retain: false, size: 2, payloadKept: true })
    expect(history.rows(tree.record('b'), 'b').entries.map((e) => text(e.preview))).toEqual(['only'])
    expect(history.usage(0)).toMatchObject({ topics: 2, entries: 4, perTopic: 3 })
  })

  it('stays within the byte bound by evicting the oldest messages across all topics, and counts them', () => {
    // Small enough to be kept whole (one message may take at most a sixteenth of the bound).
    const payload = Buffer.alloc(100, 1)
    const perEntry = 100 + ENTRY_OVERHEAD_BYTES
    const { tree, history, publish } = setup(100, 10 * perEntry)
    for (let i = 0; i < 30; i++) publish(i % 2 === 0 ? 'even' : 'odd', payload)
    history.settle()
    const usage = history.usage(0)
    expect(usage.bytes).toBeLessThanOrEqual(10 * perEntry)
    expect(usage.entries).toBe(10)
    expect(usage.evictedForBytes).toBe(20)
    // The newest ten survive, five per topic, and each topic counts what it lost.
    const even = history.rows(tree.record('even'), 'even')
    const odd = history.rows(tree.record('odd'), 'odd')
    expect(even.entries.length + odd.entries.length).toBe(10)
    expect(even.evictedForBytes + odd.evictedForBytes).toBe(20)
    expect(Math.min(...even.entries.map((e) => e.time), ...odd.entries.map((e) => e.time))).toBe(21)
  })

  it('keeps only a preview of a message larger than one entry may hold', () => {
    const { tree, history, publish } = setup(10, 1024 * 1024)
    publish('big', Buffer.alloc(200_000, 0x61))
    const [entry] = history.rows(tree.record('big'), 'big').entries
    expect(entry).toMatchObject({ size: 200_000, payloadKept: false })
    expect(text(entry.preview)).toBe('a'.repeat(16))
    expect(history.payload(tree.record('big'), entry.id)).toBeNull()
  })

  it('copies payloads out of the broker buffers at settle, and only those still in their ring', () => {
    const { tree, history, publish } = setup(2, 1024 * 1024)
    const chunk = Buffer.from('aaaabbbbccccdddd')
    for (let i = 0; i < 4; i++) publish('t', chunk.subarray(i * 4, i * 4 + 4))
    history.settle()
    chunk.fill(0)
    const rows = history.rows(tree.record('t'), 't')
    expect(rows.entries.map((e) => text(e.preview))).toEqual(['cccc', 'dddd'])
    expect(history.payload(tree.record('t'), rows.entries[1].id)).toEqual({ payload: Buffer.from('dddd').toString('base64'), size: 4 })
    expect(history.heldBytes).toBe(2 * (4 + ENTRY_OVERHEAD_BYTES))
  })

  it('applies new bounds live: fewer per topic drops the oldest; 0 turns the history off', () => {
    const { tree, history, publish } = setup(5, 1024 * 1024)
    for (let i = 0; i < 5; i++) publish('t', `m${i}`)
    history.setLimits(2, 1024 * 1024)
    expect(history.rows(tree.record('t'), 't').entries.map((e) => text(e.preview))).toEqual(['m3', 'm4'])
    publish('t', 'm5')
    expect(history.rows(tree.record('t'), 't').entries.map((e) => text(e.preview))).toEqual(['m4', 'm5'])
    history.setLimits(0, 1024 * 1024)
    publish('t', 'm6')
    expect(history.rows(tree.record('t'), 't').entries).toEqual([])
    expect(history.usage(0).bytes).toBe(0)
  })

  it('grows a ring again after evictions without overwriting its live messages', () => {
    const payload = Buffer.alloc(10, 2)
    const { tree, history, publish } = setup(10, 3 * (10 + ENTRY_OVERHEAD_BYTES))
    for (let i = 0; i < 5; i++) publish('t', payload)
    history.settle() // 2 evicted for bytes
    history.setLimits(10, 1024 * 1024)
    for (let i = 0; i < 6; i++) publish('t', Buffer.from(`n${i}`))
    const previews = history.rows(tree.record('t'), 't').entries.map((e) => e.time)
    expect(previews).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11])
  })
})
