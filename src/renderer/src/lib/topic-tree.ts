import type { TopicNode } from '../../../shared/api'
import type { TopicPredicate } from './topic-match'

/**
 * The topic tree: TopicNode[] (one per topic seen) split on '/' into levels. Each tree node
 * aggregates its subtree: message count, number of topics and last update. A level can be a
 * topic itself and a parent at once ("a" and "a/b").
 */
export interface TopicTreeNode {
  /** This level's name ('' for an empty level, e.g. the first level of "/a"). */
  name: string
  /** The topic path up to and including this level. */
  path: string
  depth: number
  /** The topic at exactly this path, when one was seen. */
  topic: TopicNode | null
  children: TopicTreeNode[]
  /** Messages on this topic and every topic below it. */
  messages: number
  /** Topics in this subtree, this one included. */
  topicCount: number
  /** Latest update in this subtree (ms), 0 when none. */
  lastUpdated: number
}

interface MutableNode extends TopicTreeNode {
  childMap: Map<string, MutableNode>
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' })

/** Build the tree. The returned root (depth -1, path '') is not a topic level itself. */
export function buildTopicTree(nodes: readonly TopicNode[]): TopicTreeNode {
  const root: MutableNode = newNode('', '', -1)
  for (const node of nodes) {
    const levels = node.topic.split('/')
    let current = root
    for (let i = 0; i < levels.length; i++) {
      let child = current.childMap.get(levels[i])
      if (!child) {
        const path = i === 0 ? levels[0] : `${current.path}/${levels[i]}`
        child = newNode(levels[i], path, i)
        current.childMap.set(levels[i], child)
      }
      current = child
    }
    current.topic = node
  }
  finish(root)
  return root
}

function newNode(name: string, path: string, depth: number): MutableNode {
  return { name, path, depth, topic: null, children: [], messages: 0, topicCount: 0, lastUpdated: 0, childMap: new Map() }
}

/** Fill in children (sorted, numbers naturally) and the aggregates, bottom-up (iteratively: trees can be deep). */
function finish(root: MutableNode): void {
  const order: MutableNode[] = []
  const stack: MutableNode[] = [root]
  while (stack.length > 0) {
    const node = stack.pop()!
    order.push(node)
    for (const child of node.childMap.values()) stack.push(child)
  }
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i]
    const children = [...node.childMap.values()].sort(
      (a, b) => collator.compare(a.name, b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
    )
    let messages = node.topic?.messages ?? 0
    let topicCount = node.topic ? 1 : 0
    let lastUpdated = node.topic?.lastUpdated ?? 0
    for (const child of children) {
      messages += child.messages
      topicCount += child.topicCount
      if (child.lastUpdated > lastUpdated) lastUpdated = child.lastUpdated
    }
    node.children = children
    node.messages = messages
    node.topicCount = topicCount
    node.lastUpdated = lastUpdated
  }
}

/** A row of the tree as shown: a node, whether it is open, and whether it has children. */
export interface VisibleTreeRow {
  node: TopicTreeNode
  expanded: boolean
  hasChildren: boolean
}

/**
 * The rows a tree view shows, depth first. Without a filter, a node's children are shown when
 * its path is in `expanded`. With a filter, only nodes whose path matches or that lead to a
 * match are shown, and those leading to a match are opened automatically.
 */
export function visibleTreeRows(root: TopicTreeNode, expanded: ReadonlySet<string>, filter?: TopicPredicate): VisibleTreeRow[] {
  const rows: VisibleTreeRow[] = []
  if (!filter) {
    const walk = (node: TopicTreeNode): void => {
      for (const child of node.children) {
        const open = child.children.length > 0 && expanded.has(child.path)
        rows.push({ node: child, expanded: open, hasChildren: child.children.length > 0 })
        if (open) walk(child)
      }
    }
    walk(root)
    return rows
  }
  // Which nodes have a match in their subtree (themselves included)?
  const leadsToMatch = new Map<TopicTreeNode, boolean>()
  const mark = (node: TopicTreeNode): boolean => {
    let any = node.topic !== null && filter(node.path)
    for (const child of node.children) if (mark(child)) any = true
    leadsToMatch.set(node, any)
    return any
  }
  mark(root)
  const walk = (node: TopicTreeNode): void => {
    for (const child of node.children) {
      if (!leadsToMatch.get(child)) continue
      const childLeads = child.children.some((c) => leadsToMatch.get(c))
      rows.push({ node: child, expanded: childLeads, hasChildren: child.children.length > 0 })
      if (childLeads) walk(child)
    }
  }
  walk(root)
  return rows
}

/** Every path in the tree that has children (for "expand all"). */
export function allParentPaths(root: TopicTreeNode): string[] {
  const out: string[] = []
  const stack = [...root.children]
  while (stack.length > 0) {
    const node = stack.pop()!
    if (node.children.length > 0) {
      out.push(node.path)
      stack.push(...node.children)
    }
  }
  return out
}

/** The path of a node's parent level, or null for a first-level node. */
export function parentPath(path: string, depth: number): string | null {
  if (depth <= 0) return null
  return path.slice(0, path.lastIndexOf('/'))
}
