import { describe, it, expect } from 'vitest'
import { createMessage, type Message } from '../../../src/main/broker/message'
import { MemoryRetainedStore } from '../../../src/main/broker/retained/retained-store'
import { topicMatchesFilter } from '../../../src/main/broker/topics/topic-validation'

function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function msg(topic: string, payload = 'x'): Message {
  return createMessage({ topic, payload: Buffer.from(payload), qos: 1, retain: true, origin: 'c', now: 1000 })
}

function topicsMatching(store: MemoryRetainedStore, filter: string): string[] {
  const out: string[] = []
  store.match(filter, (m) => out.push(m.topic))
  return out.sort()
}

interface NodeShape {
  children: Map<string, NodeShape> | null
}
function nodeCount(store: MemoryRetainedStore): number {
  const root = (store as unknown as { root: NodeShape }).root
  const walk = (node: NodeShape): number => {
    let n = 1
    if (node.children !== null) for (const child of node.children.values()) n += walk(child)
    return n
  }
  return walk(root)
}

describe('MemoryRetainedStore', () => {
  it('sets, replaces, gets, deletes and clears, keeping size and payloadBytes', () => {
    const store = new MemoryRetainedStore()
    expect(store.size).toBe(0)
    expect(store.payloadBytes).toBe(0)
    const first = msg('a/b', 'hello')
    store.set(first)
    store.set(msg('a/c', 'xyz'))
    expect(store.size).toBe(2)
    expect(store.payloadBytes).toBe(8)
    expect(store.get('a/b')).toBe(first)

    const replacement = msg('a/b', 'hi')
    store.set(replacement)
    expect(store.size).toBe(2)
    expect(store.payloadBytes).toBe(5)
    expect(store.get('a/b')).toBe(replacement)
    expect(topicsMatching(store, 'a/b')).toEqual(['a/b'])

    expect(store.delete('a/b')).toBe(true)
    expect(store.delete('a/b')).toBe(false)
    expect(store.delete('never')).toBe(false)
    expect(store.get('a/b')).toBeUndefined()
    expect(store.size).toBe(1)
    expect(store.payloadBytes).toBe(3)
    expect(topicsMatching(store, 'a/#')).toEqual(['a/c'])

    store.set(msg('empty', ''))
    expect(store.size).toBe(2)
    expect(store.payloadBytes).toBe(3)

    store.clear()
    expect(store.size).toBe(0)
    expect(store.payloadBytes).toBe(0)
    expect([...store.all()]).toEqual([])
    expect(topicsMatching(store, '#')).toEqual([])
    store.set(msg('after/clear'))
    expect(topicsMatching(store, '#')).toEqual(['after/clear'])
  })

  it('lists every message with all()', () => {
    const store = new MemoryRetainedStore()
    for (const t of ['a', 'a/b', '$SYS/x', '/']) store.set(msg(t))
    expect([...store.all()].map((m) => m.topic).sort()).toEqual(['$SYS/x', '/', 'a', 'a/b'])
  })

  it("matches 'a/#' to 'a' itself and '+' to empty levels", () => {
    const store = new MemoryRetainedStore()
    for (const t of ['a', 'a/', 'a/b', 'a/b/c', '/finance', 'finance', 'b']) store.set(msg(t))
    expect(topicsMatching(store, 'a/#')).toEqual(['a', 'a/', 'a/b', 'a/b/c'])
    expect(topicsMatching(store, 'a/+')).toEqual(['a/', 'a/b'])
    expect(topicsMatching(store, '+')).toEqual(['a', 'b', 'finance'])
    expect(topicsMatching(store, '+/+')).toEqual(['/finance', 'a/', 'a/b'])
    expect(topicsMatching(store, '/+')).toEqual(['/finance'])
    expect(topicsMatching(store, 'a/b/c/#')).toEqual(['a/b/c'])
    expect(topicsMatching(store, 'a/b/c/d/#')).toEqual([])
  })

  it("keeps '$' topics away from leading wildcards [MQTT-4.7.2-1]", () => {
    const store = new MemoryRetainedStore()
    for (const t of ['$SYS', '$SYS/monitor/Clients', 'x/monitor/Clients', 'a/$b']) store.set(msg(t))
    expect(topicsMatching(store, '#')).toEqual(['a/$b', 'x/monitor/Clients'])
    expect(topicsMatching(store, '+/monitor/Clients')).toEqual(['x/monitor/Clients'])
    expect(topicsMatching(store, '+')).toEqual([])
    expect(topicsMatching(store, '$SYS/#')).toEqual(['$SYS', '$SYS/monitor/Clients'])
    expect(topicsMatching(store, '$SYS/+/Clients')).toEqual(['$SYS/monitor/Clients'])
    expect(topicsMatching(store, 'a/+')).toEqual(['a/$b'])
  })

  it("works with topics like '__proto__' and 'constructor'", () => {
    const store = new MemoryRetainedStore()
    store.set(msg('__proto__'))
    store.set(msg('constructor/toString'))
    expect(store.get('__proto__')?.topic).toBe('__proto__')
    expect(store.get('toString')).toBeUndefined()
    expect(topicsMatching(store, '+')).toEqual(['__proto__'])
    expect(topicsMatching(store, 'constructor/#')).toEqual(['constructor/toString'])
    expect(store.delete('__proto__')).toBe(true)
    expect(store.size).toBe(1)
  })

  it('prunes the trie on delete, keeping branches that still hold messages', () => {
    const store = new MemoryRetainedStore()
    store.set(msg('keep'))
    const baseline = nodeCount(store)
    for (let i = 0; i < 500; i++) {
      store.set(msg(`a/${i}/b/c`))
      store.set(msg(`a/${i}`))
      store.delete(`a/${i}/b/c`)
      expect(topicsMatching(store, `a/${i}/#`)).toEqual([`a/${i}`])
      store.delete(`a/${i}`)
    }
    expect(nodeCount(store)).toBe(baseline)
    store.set(msg('p/q/r'))
    store.set(msg('p'))
    store.delete('p')
    expect(topicsMatching(store, 'p/#')).toEqual(['p/q/r'])
    store.delete('p/q/r')
    expect(nodeCount(store)).toBe(baseline)
  })

  it('tolerates a visit that deletes what it sees (as the broker does with expired messages)', () => {
    const store = new MemoryRetainedStore()
    for (let i = 0; i < 20; i++) store.set(msg(`e/${i}/x`))
    const seen: string[] = []
    store.match('e/#', (m) => {
      seen.push(m.topic)
      store.delete(m.topic)
    })
    expect(seen).toHaveLength(20)
    expect(store.size).toBe(0)
    expect(nodeCount(store)).toBe(1)
  })

  it('walks only the branches a filter reaches', () => {
    const store = new MemoryRetainedStore()
    for (let i = 0; i < 100_000; i++) store.set(msg(`dev/${i}/temp`))
    for (let i = 0; i < 10; i++) store.set(msg(`a/b/${i}`))
    // Booby-trap the big 'dev' branch: any read of its 100,000 children throws, so a filter that
    // cannot reach it must match without scanning it.
    const root = (store as unknown as { root: TrapNode }).root
    const dev = root.children?.get('dev')
    expect(dev).toBeDefined()
    if (dev?.children) dev.children = new TrappedMap(dev.children)
    const hits: string[] = []
    store.match('a/b/+', (m) => hits.push(m.topic))
    expect(hits).toHaveLength(10)
    expect(() => store.match('a/#', () => undefined)).not.toThrow()
    expect(() => store.match('dev/5/temp', () => undefined)).toThrow('scanned')
    expect(() => store.match('+/+/temp', () => undefined)).toThrow('scanned')
  })
})

interface TrapNode {
  children: Map<string, TrapNode> | null
}

/** A Map whose reads throw, to prove a walk never touched it. */
class TrappedMap<K, V> extends Map<K, V> {
  private armed = false
  constructor(source: Map<K, V>) {
    super(source)
    this.armed = true
  }
  override get(key: K): V | undefined {
    if (this.armed) throw new Error('scanned')
    return super.get(key)
  }
  override values(): MapIterator<V> {
    if (this.armed) throw new Error('scanned')
    return super.values()
  }
  override forEach(fn: (value: V, key: K, map: Map<K, V>) => void): void {
    if (this.armed) throw new Error('scanned')
    super.forEach(fn)
  }
  override [Symbol.iterator](): MapIterator<[K, V]> {
    if (this.armed) throw new Error('scanned')
    return super[Symbol.iterator]()
  }
}

describe('MemoryRetainedStore against the brute-force matcher', () => {
  const WORDS = ['a', 'b', '', '$SYS', '$x', 'c', 'constructor']

  function randomLevels(rand: () => number, wildcards: boolean): string {
    const depth = 1 + Math.floor(rand() * 5)
    const levels: string[] = []
    for (let i = 0; i < depth; i++) {
      const r = rand()
      if (wildcards && r < 0.25) levels.push('+')
      else if (wildcards && r < 0.35 && i === depth - 1) levels.push('#')
      else levels.push(WORDS[Math.floor(rand() * WORDS.length)])
    }
    return levels.join('/')
  }

  it.each([11, 12])('agrees on random topics and filters (seed %i)', (seed) => {
    const rand = prng(seed)
    const store = new MemoryRetainedStore()
    const reference = new Map<string, Message>()
    for (let i = 0; i < 3000; i++) {
      const topic = randomLevels(rand, false)
      if (rand() < 0.2) {
        expect(store.delete(topic)).toBe(reference.delete(topic))
      } else {
        const m = msg(topic, 'p'.repeat(Math.floor(rand() * 10)))
        store.set(m)
        reference.set(topic, m)
      }
    }
    expect(store.size).toBe(reference.size)
    let bytes = 0
    for (const m of reference.values()) bytes += m.payload.length
    expect(store.payloadBytes).toBe(bytes)

    let matched = 0
    for (let i = 0; i < 1000; i++) {
      const filter = randomLevels(rand, true)
      const expected = [...reference.keys()].filter((t) => topicMatchesFilter(filter, t)).sort()
      matched += expected.length
      const got: Message[] = []
      store.match(filter, (m) => got.push(m))
      expect(got.map((m) => m.topic).sort(), filter).toEqual(expected)
      // Same objects, not copies.
      for (const m of got) expect(m).toBe(reference.get(m.topic))
    }
    expect(matched).toBeGreaterThan(1000)
  })
})
