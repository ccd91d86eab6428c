import { describe, expect, it } from 'vitest'
import { RingBuffer } from '../../src/main/inspector/ring-buffer'

describe('RingBuffer', () => {
  it('keeps items in order until full', () => {
    const ring = new RingBuffer<number>(3)
    expect(ring.size).toBe(0)
    expect(ring.capacity).toBe(3)
    expect(ring.toArray()).toEqual([])
    expect(ring.push(1)).toBeUndefined()
    expect(ring.push(2)).toBeUndefined()
    expect(ring.toArray()).toEqual([1, 2])
    expect(ring.peekOldest()).toBe(1)
    expect(ring.peekNewest()).toBe(2)
  })

  it('overwrites the oldest item when full and returns it', () => {
    const ring = new RingBuffer<number>(3)
    for (const n of [1, 2, 3]) ring.push(n)
    expect(ring.push(4)).toBe(1)
    expect(ring.push(5)).toBe(2)
    expect(ring.size).toBe(3)
    expect(ring.toArray()).toEqual([3, 4, 5])
    expect(ring.get(0)).toBe(3)
    expect(ring.get(2)).toBe(5)
    expect(ring.get(3)).toBeUndefined()
    expect(ring.get(-1)).toBeUndefined()
    expect(ring.get(1.5)).toBeUndefined()
  })

  it('keeps the newest N of many pushes', () => {
    const ring = new RingBuffer<number>(10_000)
    let evicted = 0
    for (let i = 1; i <= 25_000; i++) if (ring.push(i) !== undefined) evicted++
    expect(ring.size).toBe(10_000)
    expect(evicted).toBe(15_000)
    const all = ring.toArray()
    expect(all[0]).toBe(15_001)
    expect(all[all.length - 1]).toBe(25_000)
  })

  it('shifts from the oldest end', () => {
    const ring = new RingBuffer<string>(2)
    ring.push('a')
    ring.push('b')
    ring.push('c')
    expect(ring.shift()).toBe('b')
    expect(ring.shift()).toBe('c')
    expect(ring.shift()).toBeUndefined()
    expect(ring.size).toBe(0)
    ring.push('d')
    expect(ring.toArray()).toEqual(['d'])
  })

  it('clears and returns what it held', () => {
    const ring = new RingBuffer<number>(3)
    for (const n of [1, 2, 3, 4]) ring.push(n)
    expect(ring.clear()).toEqual([2, 3, 4])
    expect(ring.size).toBe(0)
    expect(ring.toArray()).toEqual([])
    ring.push(9)
    expect(ring.toArray()).toEqual([9])
  })

  it('resizes keeping the newest items', () => {
    const ring = new RingBuffer<number>(4)
    for (const n of [1, 2, 3, 4, 5, 6]) ring.push(n) // holds 3..6, wrapped
    expect(ring.resize(2)).toEqual([3, 4])
    expect(ring.toArray()).toEqual([5, 6])
    expect(ring.capacity).toBe(2)
    expect(ring.resize(5)).toEqual([])
    expect(ring.toArray()).toEqual([5, 6])
    for (const n of [7, 8, 9, 10]) ring.push(n)
    expect(ring.toArray()).toEqual([6, 7, 8, 9, 10])
  })

  it('visits items oldest first with forEach', () => {
    const ring = new RingBuffer<number>(3)
    for (const n of [1, 2, 3, 4]) ring.push(n)
    const seen: Array<[number, number]> = []
    ring.forEach((item, index) => {
      seen.push([item, index])
    })
    expect(seen).toEqual([
      [2, 0],
      [3, 1],
      [4, 2]
    ])
  })

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new RingBuffer(0)).toThrow(RangeError)
    expect(() => new RingBuffer(1.5)).toThrow(RangeError)
    expect(() => new RingBuffer(3).resize(-1)).toThrow(RangeError)
  })
})
