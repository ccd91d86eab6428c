/**
 * A fixed-capacity FIFO that overwrites its oldest item when full. Backed by one preallocated
 * array so a push is O(1) with no allocation: the inspector pushes once per packet on the hot path.
 */
export class RingBuffer<T> {
  private items: Array<T | undefined>
  /** Index of the oldest item. */
  private head = 0
  private count = 0

  constructor(capacity: number) {
    checkCapacity(capacity)
    this.items = new Array<T | undefined>(capacity)
  }

  get capacity(): number {
    return this.items.length
  }

  get size(): number {
    return this.count
  }

  /** Append; when full, the oldest item is overwritten and returned (so callers can release what it holds). */
  push(item: T): T | undefined {
    const capacity = this.items.length
    if (this.count < capacity) {
      this.items[(this.head + this.count) % capacity] = item
      this.count++
      return undefined
    }
    const evicted = this.items[this.head]
    this.items[this.head] = item
    this.head = (this.head + 1) % capacity
    return evicted
  }

  /** Remove and return the oldest item. */
  shift(): T | undefined {
    if (this.count === 0) return undefined
    const item = this.items[this.head]
    this.items[this.head] = undefined
    this.head = (this.head + 1) % this.items.length
    this.count--
    return item
  }

  /** The item at `index`, 0 being the oldest; undefined when out of range. */
  get(index: number): T | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) return undefined
    return this.items[(this.head + index) % this.items.length]
  }

  peekOldest(): T | undefined {
    return this.get(0)
  }

  peekNewest(): T | undefined {
    return this.get(this.count - 1)
  }

  /** Oldest first. */
  toArray(): T[] {
    const out = new Array<T>(this.count)
    for (let i = 0; i < this.count; i++) out[i] = this.items[(this.head + i) % this.items.length] as T
    return out
  }

  forEach(visit: (item: T, index: number) => void): void {
    for (let i = 0; i < this.count; i++) visit(this.items[(this.head + i) % this.items.length] as T, i)
  }

  /** Empty it; returns what it held (oldest first) so callers can release resources. */
  clear(): T[] {
    const all = this.toArray()
    this.items = new Array<T | undefined>(this.items.length)
    this.head = 0
    this.count = 0
    return all
  }

  /** Change the capacity, keeping the newest items; returns the items dropped (oldest first). */
  resize(capacity: number): T[] {
    checkCapacity(capacity)
    const all = this.toArray()
    const dropped = all.length > capacity ? all.slice(0, all.length - capacity) : []
    const kept = all.length > capacity ? all.slice(all.length - capacity) : all
    this.items = new Array<T | undefined>(capacity)
    for (let i = 0; i < kept.length; i++) this.items[i] = kept[i]
    this.head = 0
    this.count = kept.length
    return dropped
  }
}

function checkCapacity(capacity: number): void {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring buffer capacity must be a positive integer, got ${capacity}`)
}
