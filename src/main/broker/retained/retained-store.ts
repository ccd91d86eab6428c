import type { Message } from '../message'

/**
 * Where retained messages live, one per topic [MQTT-3.3.1-5]. An interface so a durable store can
 * replace the in-memory one. Stores do not look at expiry or at zero-length payloads: the broker
 * decides what to set, delete and deliver [MQTT-3.3.1-6] [MQTT-3.3.2-5].
 */
export interface RetainedStore {
  /** Stores the message, replacing any retained message on the same topic. */
  set(message: Message): void
  /** True if a message was removed. */
  delete(topic: string): boolean
  get(topic: string): Message | undefined
  /**
   * Calls `visit` for every retained message whose topic matches `filter` (a valid filter without
   * any $share prefix). 'a/#' includes 'a'; a '$' topic is not matched by a leading wildcard.
   */
  match(filter: string, visit: (message: Message) => void): void
  all(): IterableIterator<Message>
  clear(): void
  readonly size: number
  /** Sum of the stored payload lengths. */
  readonly payloadBytes: number
}

class TopicNode {
  children: Map<string, TopicNode> | null = null
  message: Message | null = null

  constructor(
    readonly parent: TopicNode | null,
    readonly level: string
  ) {}
}

/**
 * Retained messages in memory: a map by topic for get/delete/all, and a trie of topic levels so a
 * subscribe walks only the branches its filter can reach instead of every retained topic.
 */
export class MemoryRetainedStore implements RetainedStore {
  private readonly byTopic = new Map<string, Message>()
  private root = new TopicNode(null, '')
  private bytes = 0

  get size(): number {
    return this.byTopic.size
  }

  get payloadBytes(): number {
    return this.bytes
  }

  set(message: Message): void {
    const previous = this.byTopic.get(message.topic)
    if (previous !== undefined) this.bytes -= previous.payload.length
    this.byTopic.set(message.topic, message)
    this.bytes += message.payload.length
    let node = this.root
    for (const level of message.topic.split('/')) {
      if (node.children === null) node.children = new Map()
      let child = node.children.get(level)
      if (child === undefined) {
        child = new TopicNode(node, level)
        node.children.set(level, child)
      }
      node = child
    }
    node.message = message
  }

  delete(topic: string): boolean {
    const previous = this.byTopic.get(topic)
    if (previous === undefined) return false
    this.byTopic.delete(topic)
    this.bytes -= previous.payload.length
    let node: TopicNode | null = this.root
    for (const level of topic.split('/')) {
      node = node.children === null ? null : (node.children.get(level) ?? null)
      if (node === null) return true // unreachable while byTopic and the trie agree
    }
    node.message = null
    // Prune the branch left empty so memory follows the live topics, not every topic ever retained.
    while (node.parent !== null && node.message === null && node.children === null) {
      const parent: TopicNode = node.parent
      if (parent.children !== null) {
        parent.children.delete(node.level)
        if (parent.children.size === 0) parent.children = null
      }
      node = parent
    }
    return true
  }

  get(topic: string): Message | undefined {
    return this.byTopic.get(topic)
  }

  match(filter: string, visit: (message: Message) => void): void {
    this.matchNode(this.root, filter.split('/'), 0, visit)
  }

  all(): IterableIterator<Message> {
    return this.byTopic.values()
  }

  clear(): void {
    this.byTopic.clear()
    this.root = new TopicNode(null, '')
    this.bytes = 0
  }

  private matchNode(node: TopicNode, levels: string[], index: number, visit: (message: Message) => void): void {
    if (index === levels.length) {
      if (node.message !== null) visit(node.message)
      return
    }
    const level = levels[index]
    if (level === '#') {
      // '#' matches the parent level too: 'a/#' includes 'a' [MQTT-4.7.1-2].
      if (node.message !== null) visit(node.message)
      this.visitBelow(node, index === 0, visit)
      return
    }
    if (node.children === null) return
    if (level === '+') {
      for (const child of node.children.values()) {
        // A leading wildcard does not match '$' topics [MQTT-4.7.2-1].
        if (index === 0 && child.level.startsWith('$')) continue
        this.matchNode(child, levels, index + 1, visit)
      }
      return
    }
    const child = node.children.get(level)
    if (child !== undefined) this.matchNode(child, levels, index + 1, visit)
  }

  /** Every message strictly below `node`; at the root, '$' topics are left out [MQTT-4.7.2-1]. */
  private visitBelow(node: TopicNode, skipDollar: boolean, visit: (message: Message) => void): void {
    if (node.children === null) return
    for (const child of node.children.values()) {
      if (skipDollar && child.level.startsWith('$')) continue
      if (child.message !== null) visit(child.message)
      this.visitBelow(child, false, visit)
    }
  }
}
