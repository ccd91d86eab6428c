import { describe, expect, it } from 'vitest'
import type { TopicNode } from '../../src/shared/api'
import { allParentPaths, buildTopicTree, parentPath, visibleTreeRows, type TopicTreeNode } from '../../src/renderer/src/lib/topic-tree'
import { compileTopicSearch } from '../../src/renderer/src/lib/topic-match'

function node(topic: string, messages: number, lastUpdated = messages): TopicNode {
  return { topic, messages, lastPayload: '', lastSize: 0, lastUpdated, retained: false }
}

function child(n: TopicTreeNode, name: string): TopicTreeNode {
  const found = n.children.find((c) => c.name === name)
  if (!found) throw new Error(`no child ${name} under ${n.path}`)
  return found
}

const topics = [
  node('home/kitchen/temp', 5, 50),
  node('home/kitchen/humidity', 3, 30),
  node('home/garage/door', 2, 70),
  node('home', 1, 10),
  node('office/10', 1, 1),
  node('office/9', 1, 2),
  node('/leading', 4, 5),
  node('$SYS/broker/uptime', 9, 9)
]

describe('buildTopicTree', () => {
  const root = buildTopicTree(topics)

  it('splits on / and aggregates counts up the tree', () => {
    const home = child(root, 'home')
    expect(home.path).toBe('home')
    expect(home.topic?.messages).toBe(1) // "home" is a topic and a parent
    expect(home.messages).toBe(1 + 5 + 3 + 2)
    expect(home.topicCount).toBe(4)
    expect(home.lastUpdated).toBe(70)
    const kitchen = child(home, 'kitchen')
    expect(kitchen.path).toBe('home/kitchen')
    expect(kitchen.topic).toBeNull()
    expect(kitchen.messages).toBe(8)
    expect(kitchen.depth).toBe(1)
    expect(child(kitchen, 'temp').path).toBe('home/kitchen/temp')
    expect(root.messages).toBe(topics.reduce((s, t) => s + t.messages, 0))
    expect(root.topicCount).toBe(topics.length)
  })

  it('keeps empty levels and $ topics', () => {
    const empty = child(root, '')
    expect(empty.path).toBe('')
    expect(child(empty, 'leading').path).toBe('/leading')
    expect(child(child(child(root, '$SYS'), 'broker'), 'uptime').messages).toBe(9)
  })

  it('sorts children naturally (9 before 10)', () => {
    expect(child(root, 'office').children.map((c) => c.name)).toEqual(['9', '10'])
  })

  it('handles an empty list', () => {
    const empty = buildTopicTree([])
    expect(empty.children).toEqual([])
    expect(empty.messages).toBe(0)
  })
})

describe('visibleTreeRows', () => {
  const root = buildTopicTree(topics)

  it('shows only first-level nodes when nothing is expanded', () => {
    const rows = visibleTreeRows(root, new Set())
    expect(rows.map((r) => r.node.path)).toEqual(['', '$SYS', 'home', 'office'])
    expect(rows.every((r) => !r.expanded)).toBe(true)
    expect(rows.find((r) => r.node.path === 'home')?.hasChildren).toBe(true)
  })

  it('opens expanded nodes depth first', () => {
    const rows = visibleTreeRows(root, new Set(['home', 'home/kitchen']))
    expect(rows.map((r) => r.node.path)).toEqual([
      '',
      '$SYS',
      'home',
      'home/garage',
      'home/kitchen',
      'home/kitchen/humidity',
      'home/kitchen/temp',
      'office'
    ])
  })

  it('filters to matches and the paths leading to them, opened', () => {
    const search = compileTopicSearch('temp')
    if (!search.ok) throw new Error('bad search')
    const rows = visibleTreeRows(root, new Set(), search.match)
    expect(rows.map((r) => r.node.path)).toEqual(['home', 'home/kitchen', 'home/kitchen/temp'])
    expect(rows[0].expanded).toBe(true)
  })

  it('filters with MQTT wildcards', () => {
    const search = compileTopicSearch('home/+/door')
    if (!search.ok) throw new Error('bad search')
    expect(visibleTreeRows(root, new Set(), search.match).map((r) => r.node.path)).toEqual(['home', 'home/garage', 'home/garage/door'])
  })

  it('lists parent paths for expand all', () => {
    expect(allParentPaths(root).sort()).toEqual(['', '$SYS', '$SYS/broker', 'home', 'home/garage', 'home/kitchen', 'office'].sort())
  })

  it('finds a parent path', () => {
    expect(parentPath('home/kitchen/temp', 2)).toBe('home/kitchen')
    expect(parentPath('home', 0)).toBeNull()
    expect(parentPath('/leading', 1)).toBe('')
  })
})
