import { describe, it, expect } from 'vitest'
import { SubscriptionTrie } from '../../../src/main/broker/topics/subscription-trie'
import { topicMatchesFilter } from '../../../src/main/broker/topics/topic-validation'

/** mulberry32: a small seeded PRNG so the random cases repeat exactly. */
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

function collect<V>(trie: SubscriptionTrie<V>, topic: string): string[] {
  const out: string[] = []
  trie.match(topic, (value, key, filter) => out.push(`${filter}|${key}|${String(value)}`))
  return out.sort()
}

/** Internal shape check for pruning: counts nodes reachable from the root. */
interface NodeShape {
  children: Map<string, NodeShape> | null
  plus: NodeShape | null
}
function nodeCount<V>(trie: SubscriptionTrie<V>): number {
  const root = (trie as unknown as { root: NodeShape }).root
  const walk = (node: NodeShape): number => {
    let n = 1
    if (node.children !== null) for (const child of node.children.values()) n += walk(child)
    if (node.plus !== null) n += walk(node.plus)
    return n
  }
  return walk(root)
}

describe('SubscriptionTrie basics', () => {
  it('adds, replaces, gets and removes', () => {
    const trie = new SubscriptionTrie<number>()
    expect(trie.add('a/b', 'c1', 1)).toBe(true)
    expect(trie.add('a/b', 'c2', 2)).toBe(true)
    expect(trie.add('a/b', 'c1', 3)).toBe(false)
    expect(trie.add('a/#', 'c1', 4)).toBe(true)
    expect(trie.add('a/+', 'c1', 5)).toBe(true)
    expect(trie.size).toBe(4)
    expect(trie.filterCount).toBe(3)
    expect(trie.get('a/b', 'c1')).toBe(3)
    expect(trie.get('a/#', 'c1')).toBe(4)
    expect(trie.get('a/+', 'c1')).toBe(5)
    expect(trie.get('a/b', 'nobody')).toBeUndefined()
    expect(trie.get('a/c', 'c1')).toBeUndefined()
    expect(trie.get('a', 'c1')).toBeUndefined()

    expect(trie.remove('a/b', 'c1')).toBe(3)
    expect(trie.remove('a/b', 'c1')).toBeUndefined()
    expect(trie.remove('x/y', 'c1')).toBeUndefined()
    expect(trie.size).toBe(3)
    expect(trie.filterCount).toBe(3)
    expect(trie.remove('a/b', 'c2')).toBe(2)
    expect(trie.filterCount).toBe(2)
    expect(collect(trie, 'a/b')).toEqual(['a/#|c1|4', 'a/+|c1|5'])
  })

  it('reports the filter with each match', () => {
    const trie = new SubscriptionTrie<string>()
    trie.add('sport/tennis/player1/#', 'k', 'v1')
    trie.add('sport/+/player1', 'k', 'v2')
    trie.add('#', 'k', 'v3')
    trie.add('sport/tennis/player1', 'k', 'v4')
    expect(collect(trie, 'sport/tennis/player1')).toEqual([
      '#|k|v3',
      'sport/+/player1|k|v2',
      'sport/tennis/player1/#|k|v1',
      'sport/tennis/player1|k|v4'
    ])
  })

  it("matches 'a/#' against 'a' and '+' against an empty level", () => {
    const trie = new SubscriptionTrie<number>()
    trie.add('a/#', 'k', 1)
    trie.add('a/+', 'k', 2)
    trie.add('+/+', 'k', 3)
    trie.add('/+', 'k', 4)
    expect(collect(trie, 'a')).toEqual(['a/#|k|1'])
    expect(collect(trie, 'a/')).toEqual(['+/+|k|3', 'a/#|k|1', 'a/+|k|2'])
    expect(collect(trie, '/finance')).toEqual(['+/+|k|3', '/+|k|4'])
    expect(collect(trie, 'b')).toEqual([])
  })

  it("does not match '$' topics with a leading wildcard [MQTT-4.7.2-1]", () => {
    const trie = new SubscriptionTrie<number>()
    trie.add('#', 'k', 1)
    trie.add('+/monitor/Clients', 'k', 2)
    trie.add('$SYS/#', 'k', 3)
    trie.add('$SYS/monitor/+', 'k', 4)
    trie.add('+', 'k', 5)
    expect(collect(trie, '$SYS/monitor/Clients')).toEqual(['$SYS/#|k|3', '$SYS/monitor/+|k|4'])
    expect(collect(trie, '$SYS')).toEqual(['$SYS/#|k|3'])
    expect(collect(trie, 'x/monitor/Clients')).toEqual(['#|k|1', '+/monitor/Clients|k|2'])
    // Only the first level counts: '$' later on is an ordinary character.
    trie.add('a/+', 'k', 6)
    expect(collect(trie, 'a/$x')).toEqual(['#|k|1', 'a/+|k|6'])
  })

  it("handles keys like '__proto__' and 'constructor' and levels like 'hasOwnProperty'", () => {
    const trie = new SubscriptionTrie<string>()
    expect(trie.add('__proto__/constructor', '__proto__', 'p')).toBe(true)
    expect(trie.add('__proto__/constructor', 'constructor', 'c')).toBe(true)
    expect(trie.add('__proto__/constructor', '__proto__', 'p2')).toBe(false)
    expect(trie.add('hasOwnProperty/#', 'toString', 't')).toBe(true)
    expect(trie.get('__proto__/constructor', '__proto__')).toBe('p2')
    expect(trie.get('__proto__/constructor', 'toString')).toBeUndefined()
    expect(trie.get('constructor', 'constructor')).toBeUndefined()
    expect(collect(trie, '__proto__/constructor')).toEqual(['__proto__/constructor|__proto__|p2', '__proto__/constructor|constructor|c'])
    expect(collect(trie, 'hasOwnProperty/x')).toEqual(['hasOwnProperty/#|toString|t'])
    expect(collect(trie, 'toString')).toEqual([])
    expect(trie.remove('__proto__/constructor', '__proto__')).toBe('p2')
    expect(trie.size).toBe(2)
  })

  it('keeps an entry whose value is undefined', () => {
    const trie = new SubscriptionTrie<undefined>()
    trie.add('a', 'k', undefined)
    expect(trie.size).toBe(1)
    expect(trie.remove('a', 'k')).toBeUndefined()
    expect(trie.size).toBe(0)
    expect(trie.filterCount).toBe(0)
  })

  it('prunes empty nodes so churn does not grow memory', () => {
    const trie = new SubscriptionTrie<number>()
    trie.add('keep/me', 'k', 0)
    const baseline = nodeCount(trie)
    for (let i = 0; i < 1000; i++) {
      const filters = [`keep/me/${i}/x`, `t/${i}/+/y/#`, `+/+/${i}`, `#`, `keep/#`, `${i}`]
      for (const f of filters) trie.add(f, `c${i}`, i)
      for (const f of filters) expect(trie.remove(f, `c${i}`)).toBe(i)
    }
    expect(nodeCount(trie)).toBe(baseline)
    expect(trie.size).toBe(1)
    expect(trie.filterCount).toBe(1)
    trie.remove('keep/me', 'k')
    expect(nodeCount(trie)).toBe(1)
    expect(trie.size).toBe(0)
    expect(trie.filterCount).toBe(0)
  })

  it('keeps a node that still has a # entry or a + child when its own entries go', () => {
    const trie = new SubscriptionTrie<number>()
    trie.add('a', 'k', 1)
    trie.add('a/#', 'k', 2)
    trie.add('a/+/b', 'k', 3)
    trie.remove('a', 'k')
    expect(collect(trie, 'a/x/b')).toEqual(['a/#|k|2', 'a/+/b|k|3'])
    trie.remove('a/#', 'k')
    expect(collect(trie, 'a/x/b')).toEqual(['a/+/b|k|3'])
    trie.remove('a/+/b', 'k')
    expect(nodeCount(trie)).toBe(1)
  })

  it('rejects a # that is not the last level instead of storing it as a literal', () => {
    const trie = new SubscriptionTrie<number>()
    expect(() => trie.add('a/#/b', 'k', 1)).toThrow()
  })

  it('survives a visit that removes entries or calls match again', () => {
    const trie = new SubscriptionTrie<number>()
    for (let i = 0; i < 5; i++) trie.add('a/+', `c${i}`, i)
    trie.add('a/#', 'h', 9)
    const seen: string[] = []
    trie.match('a/b', (_value, key, filter) => {
      seen.push(`${filter}|${key}`)
      if (key === 'c0') {
        trie.remove('a/+', 'c1')
        // A nested match must not disturb the outer one's filter reporting.
        const inner: string[] = []
        trie.match('a', (_v, k, f) => inner.push(`${f}|${k}`))
        expect(inner).toEqual(['a/#|h'])
      }
    })
    expect(seen.sort()).toEqual(['a/#|h', 'a/+|c0', 'a/+|c2', 'a/+|c3', 'a/+|c4'])
  })
})

describe('SubscriptionTrie against the brute-force matcher', () => {
  // Few distinct words so random filters and topics collide often; '' and '$' levels included.
  const WORDS = ['a', 'b', 'c', '', '$SYS', '$x', 'sport', '__proto__']

  function randomTopic(rand: () => number): string {
    const depth = 1 + Math.floor(rand() * 5)
    const levels: string[] = []
    for (let i = 0; i < depth; i++) levels.push(WORDS[Math.floor(rand() * WORDS.length)])
    return levels.join('/')
  }

  function randomFilter(rand: () => number): string {
    const depth = 1 + Math.floor(rand() * 5)
    const levels: string[] = []
    for (let i = 0; i < depth; i++) {
      const r = rand()
      if (r < 0.25) levels.push('+')
      else if (r < 0.35 && i === depth - 1) levels.push('#')
      else levels.push(WORDS[Math.floor(rand() * WORDS.length)])
    }
    return levels.join('/')
  }

  it.each([1, 2, 3])('agrees on random filters and topics (seed %i)', (seed) => {
    const rand = prng(seed)
    const trie = new SubscriptionTrie<number>()
    // Reference: filter → key → value.
    const reference = new Map<string, Map<string, number>>()
    const keys = ['k0', 'k1', 'k2', '__proto__', 'constructor']

    for (let i = 0; i < 3000; i++) {
      const filter = randomFilter(rand)
      const key = keys[Math.floor(rand() * keys.length)]
      let byKey = reference.get(filter)
      if (byKey === undefined) {
        byKey = new Map()
        reference.set(filter, byKey)
      }
      const isNew = !byKey.has(key)
      byKey.set(key, i)
      expect(trie.add(filter, key, i)).toBe(isNew)
    }
    // Remove about a third, to check matching still agrees after pruning.
    for (const [filter, byKey] of [...reference]) {
      for (const key of [...byKey.keys()]) {
        if (rand() < 0.33) {
          expect(trie.remove(filter, key)).toBe(byKey.get(key))
          byKey.delete(key)
        }
      }
      if (byKey.size === 0) reference.delete(filter)
    }
    let entries = 0
    for (const byKey of reference.values()) entries += byKey.size
    expect(trie.size).toBe(entries)
    expect(trie.filterCount).toBe(reference.size)

    let matched = 0
    for (let i = 0; i < 1000; i++) {
      const topic = randomTopic(rand)
      const expected: string[] = []
      for (const [filter, byKey] of reference) {
        if (!topicMatchesFilter(filter, topic)) continue
        for (const [key, value] of byKey) expected.push(`${filter}|${key}|${value}`)
      }
      expected.sort()
      matched += expected.length
      expect(collect(trie, topic), topic).toEqual(expected)
    }
    // Guard against a generator that never produces matches, which would make this test vacuous.
    expect(matched).toBeGreaterThan(1000)
  })
})
