import { describe, expect, it } from 'vitest'
import { createMessage } from '../../../src/main/broker/message'
import { DeliveryQueue } from '../../../src/main/broker/session/delivery-queue'

const message = (n: number) => createMessage({ topic: `t/${n}`, payload: Buffer.alloc(n % 7), qos: 1, retain: false, origin: null, now: 0 })

describe('DeliveryQueue', () => {
  it('keeps order across growth and wrap-around, with flags, store keys and subscription ids', () => {
    const queue = new DeliveryQueue()
    const expected: Array<{ topic: string; qos: number; retain: boolean; ids: number[] | null; seq: number }> = []
    let n = 0
    // Push and shift unevenly so the ring wraps several times while it grows.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 7; i++, n++) {
        const ids = n % 5 === 0 ? [n] : null
        queue.push(message(n), (n % 3) as 0 | 1 | 2, n % 2 === 0, ids, n % 4 === 0 ? 0 : n)
        expected.push({ topic: `t/${n}`, qos: n % 3, retain: n % 2 === 0, ids, seq: n % 4 === 0 ? 0 : n })
      }
      for (let i = 0; i < 4; i++) {
        const got = queue.shift()!
        const want = expected.shift()!
        expect([got.message.topic, got.qos, got.retain, got.subscriptionIds, got.seq]).toEqual([
          want.topic,
          want.qos,
          want.retain,
          want.ids,
          want.seq
        ])
      }
    }
    expect(queue.size).toBe(expected.length)
    expect(queue.payloadBytes).toBe(expected.reduce((sum, e) => sum + (Number(e.topic.slice(2)) % 7), 0))
    expect([...queue.entries()].map((d) => d.message.topic)).toEqual(expected.map((e) => e.topic))
    while (queue.shift() !== undefined) expected.shift()
    expect(expected).toEqual([])
    expect(queue.size).toBe(0)
    expect(queue.payloadBytes).toBe(0)
    expect(queue.shift()).toBeUndefined()
  })
})
