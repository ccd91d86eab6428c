import { SmallMap } from '../small-map'

/**
 * Subscriptions indexed by topic filter level, so matching a PUBLISH costs in proportion to the
 * topic's depth (times the wildcard branches that exist), not to the number of subscriptions.
 *
 * Filters must already be valid (validateTopicFilter) and without any $share/{group}/ prefix; the
 * key tells entries at one filter apart (clientId, or the share group name for shared ones).
 */

class TrieNode<V> {
  /** Literal next levels. Null until needed: most nodes are leaves. */
  children: Map<string, TrieNode<V>> | null = null
  /** The '+' next level, kept apart so match never has to look it up by string. */
  plus: TrieNode<V> | null = null
  /** Entries whose filter ends at this node. */
  entries: SmallMap<V> | null = null
  /** Entries whose filter is this node's path followed by '#'. */
  hashEntries: SmallMap<V> | null = null
  /** The filter string ending here, so visit can report it without rebuilding it. */
  filter = ''
  /** The filter string this node's path + '/#' spells. */
  hashFilter = ''

  constructor(
    readonly parent: TrieNode<V> | null,
    /** This node's level in its parent ('+' means it is the parent's plus child). */
    readonly level: string
  ) {}

  isEmpty(): boolean {
    return this.entries === null && this.hashEntries === null && this.plus === null && (this.children === null || this.children.size === 0)
  }
}

type Visit<V> = (value: V, key: string, filter: string) => void

function noVisit(): void {}

export class SubscriptionTrie<V> {
  private readonly root = new TrieNode<V>(null, '')
  private entryCount = 0
  private filters = 0

  // match() hands these to Map.forEach through `emit` rather than allocating a closure per node.
  private currentVisit: Visit<V> = noVisit
  private currentFilter = ''
  private readonly emit = (value: V, key: string): void => {
    this.currentVisit(value, key, this.currentFilter)
  }

  /** Number of (filter, key) entries. */
  get size(): number {
    return this.entryCount
  }

  /** Number of distinct filters with at least one entry. */
  get filterCount(): number {
    return this.filters
  }

  /** Stores `value` under (filter, key). True if the key was new at that filter, false if it replaced. */
  add(filter: string, key: string, value: V): boolean {
    const levels = filter.split('/')
    const hash = levels[levels.length - 1] === '#'
    const depth = hash ? levels.length - 1 : levels.length
    let node = this.root
    for (let i = 0; i < depth; i++) {
      const level = levels[i]
      // Caught here because a misplaced '#' would otherwise be stored as a literal level [MQTT-4.7.1-2].
      if (level === '#') throw new Error(`invalid topic filter: ${filter}`)
      if (level === '+') {
        if (node.plus === null) node.plus = new TrieNode(node, '+')
        node = node.plus
      } else {
        if (node.children === null) node.children = new Map()
        let child = node.children.get(level)
        if (child === undefined) {
          child = new TrieNode(node, level)
          node.children.set(level, child)
        }
        node = child
      }
    }
    let entries: SmallMap<V>
    if (hash) {
      if (node.hashEntries === null) {
        node.hashEntries = new SmallMap()
        node.hashFilter = filter
        this.filters++
      }
      entries = node.hashEntries
    } else {
      if (node.entries === null) {
        node.entries = new SmallMap()
        node.filter = filter
        this.filters++
      }
      entries = node.entries
    }
    const isNew = entries.set(key, value)
    if (isNew) this.entryCount++
    return isNew
  }

  /** Removes (filter, key) and prunes the nodes left empty, so churn does not leak memory. */
  remove(filter: string, key: string): V | undefined {
    const levels = filter.split('/')
    const hash = levels[levels.length - 1] === '#'
    const node = this.find(levels, hash ? levels.length - 1 : levels.length)
    if (node === null) return undefined
    const entries = hash ? node.hashEntries : node.entries
    if (entries === null) return undefined
    const value = entries.get(key)
    if (value === undefined && !entries.has(key)) return undefined
    entries.delete(key)
    this.entryCount--
    if (entries.size === 0) {
      this.filters--
      if (hash) {
        node.hashEntries = null
        node.hashFilter = ''
      } else {
        node.entries = null
        node.filter = ''
      }
      this.prune(node)
    }
    return value
  }

  get(filter: string, key: string): V | undefined {
    const levels = filter.split('/')
    const hash = levels[levels.length - 1] === '#'
    const node = this.find(levels, hash ? levels.length - 1 : levels.length)
    if (node === null) return undefined
    const entries = hash ? node.hashEntries : node.entries
    return entries === null ? undefined : entries.get(key)
  }

  /**
   * Calls `visit` once per (filter, key) entry whose filter matches `topic` (a valid topic name).
   * Hot path: the only allocation is splitting the topic. Entries removed by `visit` during the
   * walk are not visited afterwards; entries it adds may or may not be.
   */
  match(topic: string, visit: Visit<V>): void {
    const levels = topic.split('/')
    // Saved and restored so a visit that itself calls match() does not clobber the outer walk.
    const outerVisit = this.currentVisit
    const outerFilter = this.currentFilter
    this.currentVisit = visit
    try {
      // A topic starting with '$' is not matched by a filter starting with '+' or '#' [MQTT-4.7.2-1].
      this.matchNode(this.root, levels, 0, topic.charCodeAt(0) === 0x24 /* '$' */)
    } finally {
      this.currentVisit = outerVisit
      this.currentFilter = outerFilter
    }
  }

  private matchNode(node: TrieNode<V>, levels: string[], index: number, skipWildcards: boolean): void {
    // 'x/#' matches every topic below x and x itself, so it applies before the depth check [MQTT-4.7.1-2].
    if (node.hashEntries !== null && !skipWildcards) this.visitAll(node.hashEntries, node.hashFilter)
    if (index === levels.length) {
      if (node.entries !== null) this.visitAll(node.entries, node.filter)
      return
    }
    if (node.children !== null) {
      const child = node.children.get(levels[index])
      if (child !== undefined) this.matchNode(child, levels, index + 1, false)
    }
    // '+' matches exactly one level, an empty one included [MQTT-4.7.1-3].
    if (node.plus !== null && !skipWildcards) this.matchNode(node.plus, levels, index + 1, false)
  }

  private visitAll(entries: SmallMap<V>, filter: string): void {
    // A nested match() inside a visit restores this field on return, so the outer forEach stays right.
    this.currentFilter = filter
    entries.forEach(this.emit)
  }

  /** The node at the end of the first `depth` levels, without creating any. */
  private find(levels: string[], depth: number): TrieNode<V> | null {
    let node: TrieNode<V> | null = this.root
    for (let i = 0; i < depth && node !== null; i++) {
      const level = levels[i]
      if (level === '+') node = node.plus
      else node = node.children === null ? null : (node.children.get(level) ?? null)
    }
    return node
  }

  private prune(start: TrieNode<V>): void {
    let node = start
    while (node.parent !== null && node.isEmpty()) {
      const parent: TrieNode<V> = node.parent
      if (node.level === '+' && parent.plus === node) parent.plus = null
      else if (parent.children !== null) {
        parent.children.delete(node.level)
        if (parent.children.size === 0) parent.children = null
      }
      node = parent
    }
  }
}
