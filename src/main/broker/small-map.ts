/**
 * A string-keyed map that holds its first entry inline and makes a real Map only for a second.
 * Most subscription filters have one subscriber and most idle clients one subscription; with tens
 * of thousands of clients a Map each is a visible share of memory per connection.
 */
export class SmallMap<V> {
  private soleKey: string | null = null
  private soleValue: V | undefined = undefined
  private map: Map<string, V> | null = null

  get size(): number {
    return this.map !== null ? this.map.size : this.soleKey !== null ? 1 : 0
  }

  has(key: string): boolean {
    return this.map !== null ? this.map.has(key) : this.soleKey === key
  }

  get(key: string): V | undefined {
    if (this.map !== null) return this.map.get(key)
    return this.soleKey === key ? this.soleValue : undefined
  }

  /** True if the key is new. */
  set(key: string, value: V): boolean {
    if (this.map !== null) {
      const isNew = !this.map.has(key)
      this.map.set(key, value)
      return isNew
    }
    if (this.soleKey === null || this.soleKey === key) {
      const isNew = this.soleKey === null
      this.soleKey = key
      this.soleValue = value
      return isNew
    }
    this.map = new Map([[this.soleKey, this.soleValue as V]])
    this.map.set(key, value)
    this.soleKey = null
    this.soleValue = undefined
    return true
  }

  /** True if the key was there. */
  delete(key: string): boolean {
    if (this.map !== null) return this.map.delete(key)
    if (this.soleKey !== key) return false
    this.soleKey = null
    this.soleValue = undefined
    return true
  }

  forEach(visit: (value: V, key: string) => void): void {
    if (this.map !== null) this.map.forEach(visit)
    else if (this.soleKey !== null) visit(this.soleValue as V, this.soleKey)
  }

  /** A snapshot of the values (safe to modify the map while walking it). */
  values(): V[] {
    if (this.map !== null) return [...this.map.values()]
    return this.soleKey !== null ? [this.soleValue as V] : []
  }
}
