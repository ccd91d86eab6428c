import { afterEach, describe, expect, it, vi } from 'vitest'
import { SYS_TOPICS, SysTopics } from '../../../src/main/broker/sys/sys-topics'
import { LIMIT_NAMES, type BrokerStats, type DropReason } from '../../../src/shared/broker-types'

const START = Date.UTC(2024, 4, 6, 7, 8, 9, 500) // 2024-05-06T07:08:09.500Z

function zeroDrops(): Record<DropReason, number> {
  return {
    'queue-full': 0,
    'packet-too-large': 0,
    expired: 0,
    'slow-consumer': 0,
    'qos0-offline': 0,
    'not-authorized': 0,
    'session-ended': 0,
    'rights-withdrawn': 0,
    'bridge-queue-full': 0
  }
}

/** Every numeric field different, so a topic wired to the wrong field shows. */
function makeStats(): BrokerStats {
  return {
    startedAt: START - 42_000,
    clientsConnected: 3,
    clientsDisconnected: 4,
    clientsMaximum: 5,
    clientsTotal: 7,
    clientsExpired: 8,
    messagesReceived: 101,
    messagesSent: 102,
    publishReceived: 103,
    publishSent: 104,
    publishDropped: 105,
    bytesReceived: 1006,
    bytesSent: 1007,
    publishBytesReceived: 1008,
    publishBytesSent: 1009,
    retainedCount: 11,
    subscriptionCount: 12,
    sharedSubscriptionCount: 13,
    storedMessages: 14,
    storedBytes: 15,
    inflight: 16,
    connectionsTotal: 17,
    socketsTotal: 18,
    sessionTakeoversRefused: 0,
    storeRefusals: 0,
    droppedByReason: zeroDrops(),
    limitsHit: Object.fromEntries(LIMIT_NAMES.map((name) => [name, 0])) as BrokerStats['limitsHit']
  }
}

/** The expected topic → stats field mapping, written out independently of the implementation. */
const COUNTER_FIELDS: Record<string, keyof BrokerStats> = {
  '$SYS/broker/clients/connected': 'clientsConnected',
  '$SYS/broker/clients/active': 'clientsConnected',
  '$SYS/broker/clients/disconnected': 'clientsDisconnected',
  '$SYS/broker/clients/inactive': 'clientsDisconnected',
  '$SYS/broker/clients/maximum': 'clientsMaximum',
  '$SYS/broker/clients/total': 'clientsTotal',
  '$SYS/broker/clients/expired': 'clientsExpired',
  '$SYS/broker/messages/received': 'messagesReceived',
  '$SYS/broker/messages/sent': 'messagesSent',
  '$SYS/broker/messages/stored': 'storedMessages',
  '$SYS/broker/store/messages/count': 'storedMessages',
  '$SYS/broker/store/messages/bytes': 'storedBytes',
  '$SYS/broker/publish/messages/received': 'publishReceived',
  '$SYS/broker/publish/messages/sent': 'publishSent',
  '$SYS/broker/publish/messages/dropped': 'publishDropped',
  '$SYS/broker/publish/bytes/received': 'publishBytesReceived',
  '$SYS/broker/publish/bytes/sent': 'publishBytesSent',
  '$SYS/broker/bytes/received': 'bytesReceived',
  '$SYS/broker/bytes/sent': 'bytesSent',
  '$SYS/broker/retained messages/count': 'retainedCount',
  '$SYS/broker/subscriptions/count': 'subscriptionCount',
  '$SYS/broker/shared_subscriptions/count': 'sharedSubscriptionCount',
  '$SYS/broker/messages/inflight': 'inflight'
}

const LOAD_FIELDS: Record<string, keyof BrokerStats> = {
  'messages/received': 'messagesReceived',
  'messages/sent': 'messagesSent',
  'publish/received': 'publishReceived',
  'publish/sent': 'publishSent',
  'publish/dropped': 'publishDropped',
  'bytes/received': 'bytesReceived',
  'bytes/sent': 'bytesSent',
  connections: 'connectionsTotal',
  sockets: 'socketsTotal'
}
const WINDOWS: Record<string, number> = { '1min': 60, '5min': 300, '15min': 900 }

const LOAD_TOPICS = Object.keys(LOAD_FIELDS).flatMap((name) => Object.keys(WINDOWS).map((w) => `$SYS/broker/load/${name}/${w}`))

function harness(version = '0.1.0') {
  let clock = START
  const stats = makeStats()
  const published: [string, string][] = []
  const sys = new SysTopics({
    version,
    stats: () => ({ ...stats, droppedByReason: { ...stats.droppedByReason } }),
    publish: (topic, payload) => {
      published.push([topic, payload])
    },
    now: () => clock
  })
  return {
    sys,
    stats,
    published,
    advance(seconds: number) {
      clock += seconds * 1000
    },
    /** Topic → payload of what was published since the last drain, and clear it. */
    drain(): Map<string, string> {
      const map = new Map<string, string>()
      for (const [t, p] of published) {
        expect(map.has(t), `${t} published twice in one update`).toBe(false)
        map.set(t, p)
      }
      published.length = 0
      return map
    }
  }
}

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('SYS_TOPICS', () => {
  it('lists exactly the mosquitto topics plus time and inflight, without duplicates', () => {
    const expected = ['$SYS/broker/version', '$SYS/broker/uptime', '$SYS/broker/time', ...Object.keys(COUNTER_FIELDS), ...LOAD_TOPICS]
    expect(new Set(SYS_TOPICS).size).toBe(SYS_TOPICS.length)
    expect([...SYS_TOPICS].sort()).toEqual([...expected].sort())
    expect(SYS_TOPICS).toHaveLength(53)
    expect(SYS_TOPICS).toContain('$SYS/broker/retained messages/count')
    expect(SYS_TOPICS).not.toContain('$SYS/broker/retained_messages/count')
  })
})

describe('initial publish', () => {
  it('publishes every topic in SYS_TOPICS once with mosquitto payload formats', () => {
    const h = harness('0.1.0')
    h.sys.tick()
    const got = h.drain()

    expect([...got.keys()].sort()).toEqual([...SYS_TOPICS].sort())
    expect(got.get('$SYS/broker/version')).toBe('brokerscope version 0.1.0')
    expect(got.get('$SYS/broker/uptime')).toBe('42 seconds')
    expect(got.get('$SYS/broker/time')).toBe('2024-05-06T07:08:09Z')
    for (const [topic, field] of Object.entries(COUNTER_FIELDS)) {
      expect(got.get(topic), topic).toBe(String(h.stats[field]))
      expect(got.get(topic), topic).toMatch(/^\d+$/)
    }
    for (const topic of LOAD_TOPICS) expect(got.get(topic), topic).toBe('0.00')
  })

  it('start() makes the initial publish immediately, start(0) publishes nothing', () => {
    vi.useFakeTimers()
    const off = harness()
    off.sys.start(0)
    expect(off.published).toHaveLength(0)
    expect(vi.getTimerCount()).toBe(0)
    off.sys.stop()

    const on = harness('9.9.9')
    on.sys.start(10)
    const got = on.drain()
    expect(got.size).toBe(SYS_TOPICS.length)
    expect(got.get('$SYS/broker/version')).toBe('brokerscope version 9.9.9')
    on.sys.stop()
  })
})

describe('updates', () => {
  it('a second tick with nothing changed publishes only uptime and time', () => {
    const h = harness()
    h.sys.tick()
    h.drain()
    h.advance(10)
    h.sys.tick()
    const got = h.drain()
    expect([...got.keys()].sort()).toEqual(['$SYS/broker/time', '$SYS/broker/uptime'])
    expect(got.get('$SYS/broker/uptime')).toBe('52 seconds')
    expect(got.get('$SYS/broker/time')).toBe('2024-05-06T07:08:19Z')
  })

  it('republishes a counter (and its alias) only when its value changed', () => {
    const h = harness()
    h.sys.tick()
    h.drain()

    h.stats.clientsConnected = 9
    h.stats.retainedCount = 20
    h.advance(10)
    h.sys.tick()
    let got = h.drain()
    expect([...got.keys()].sort()).toEqual(
      [
        '$SYS/broker/clients/active',
        '$SYS/broker/clients/connected',
        '$SYS/broker/retained messages/count',
        '$SYS/broker/time',
        '$SYS/broker/uptime'
      ].sort()
    )
    expect(got.get('$SYS/broker/clients/connected')).toBe('9')
    expect(got.get('$SYS/broker/clients/active')).toBe('9')
    expect(got.get('$SYS/broker/retained messages/count')).toBe('20')

    // Unchanged since the last publish: nothing.
    h.advance(10)
    h.sys.tick()
    got = h.drain()
    expect(got.has('$SYS/broker/clients/connected')).toBe(false)

    // Going back to an earlier value is a change too.
    h.stats.clientsConnected = 3
    h.advance(10)
    h.sys.tick()
    got = h.drain()
    expect(got.get('$SYS/broker/clients/connected')).toBe('3')
    expect(got.get('$SYS/broker/clients/active')).toBe('3')
  })

  it('does not republish the version after the initial publish', () => {
    const h = harness()
    h.sys.tick()
    h.drain()
    h.stats.messagesReceived += 1
    h.advance(10)
    h.sys.tick()
    expect(h.drain().has('$SYS/broker/version')).toBe(false)
  })
})

/** Independent model of mosquitto's calc_load: per-minute rate, exponential moving average. */
function ema(old: number, delta: number, elapsedSeconds: number, windowSeconds: number): number {
  const rate = (delta * 60) / elapsedSeconds
  const e = Math.exp(-elapsedSeconds / windowSeconds)
  return e * old + (1 - e) * rate
}

describe('load averages', () => {
  it('follow the exponential moving average of the per-minute rate over uneven clock steps', () => {
    const h = harness()
    h.sys.tick()
    h.drain()

    // A steady 600 messages/min received for three steps of 10 s, then 25 s.
    const steps = [10, 10, 10, 25]
    const model = { '1min': 0, '5min': 0, '15min': 0 } as Record<string, number>
    for (const seconds of steps) {
      const delta = seconds * 10 // 10 per second = 600 per minute
      h.stats.messagesReceived += delta
      h.advance(seconds)
      h.sys.tick()
      const got = h.drain()
      for (const [w, windowSeconds] of Object.entries(WINDOWS)) {
        const next = ema(model[w], delta, seconds, windowSeconds)
        const topic = `$SYS/broker/load/messages/received/${w}`
        if (Math.abs(next - model[w]) >= 0.01) expect(got.get(topic), topic).toBe(next.toFixed(2))
        else expect(got.has(topic), topic).toBe(false)
        model[w] = next
      }
    }
    // Sanity against hand-computed values: 600 × (1 − e^(−55/60)) for the 1-minute average, etc.
    expect(model['1min']).toBeCloseTo(600 * (1 - Math.exp(-55 / 60)), 9)
    expect(model['5min']).toBeCloseTo(600 * (1 - Math.exp(-55 / 300)), 9)
    expect(model['15min']).toBeCloseTo(600 * (1 - Math.exp(-55 / 900)), 9)
    // And the numbers themselves, so a formula shared by model and code cannot hide a mistake.
    expect(model['1min'].toFixed(2)).toBe('360.09')
  })

  it('first step: every load family reads its own counter (1/5/15 min)', () => {
    const h = harness()
    h.sys.tick()
    h.drain()

    const deltas: Record<string, number> = {}
    let d = 1
    for (const [name, field] of Object.entries(LOAD_FIELDS)) {
      deltas[name] = d * 30
      ;(h.stats[field] as number) += d * 30
      d++
    }
    h.advance(30)
    h.sys.tick()
    const got = h.drain()
    for (const [name] of Object.entries(LOAD_FIELDS)) {
      for (const [w, windowSeconds] of Object.entries(WINDOWS)) {
        const expected = ema(0, deltas[name], 30, windowSeconds).toFixed(2)
        expect(got.get(`$SYS/broker/load/${name}/${w}`), `${name}/${w}`).toBe(expected)
      }
    }
    // e.g. connections: 8th family, 240 connects in 30 s = 480/min; 1-minute value 480 × (1 − e^−0.5)
    expect(got.get('$SYS/broker/load/connections/1min')).toBe('188.87')
  })

  it('publishes a load only when it moves by at least 0.01, and decays when idle', () => {
    const h = harness()
    h.sys.tick()
    h.drain()

    // One message in 10 s: 6/min.
    h.stats.messagesReceived += 1
    h.advance(10)
    h.sys.tick()
    let got = h.drain()
    const one = 6 * (1 - Math.exp(-10 / 60))
    const five = 6 * (1 - Math.exp(-10 / 300))
    const fifteen = 6 * (1 - Math.exp(-10 / 900))
    expect(got.get('$SYS/broker/load/messages/received/1min')).toBe(one.toFixed(2)) // 0.92
    expect(got.get('$SYS/broker/load/messages/received/5min')).toBe(five.toFixed(2)) // 0.20
    expect(got.get('$SYS/broker/load/messages/received/15min')).toBe(fifteen.toFixed(2)) // 0.07
    expect(got.get('$SYS/broker/load/messages/received/1min')).toBe('0.92')

    // Idle for 1 s: the 1-minute average drops by ~0.015 (published), the others by < 0.001 (not).
    h.advance(1)
    h.sys.tick()
    got = h.drain()
    const oneIdle = one * Math.exp(-1 / 60)
    expect(one - oneIdle).toBeGreaterThanOrEqual(0.01)
    expect(got.get('$SYS/broker/load/messages/received/1min')).toBe(oneIdle.toFixed(2))
    expect(got.has('$SYS/broker/load/messages/received/5min')).toBe(false)
    expect(got.has('$SYS/broker/load/messages/received/15min')).toBe(false)
    // The other families never moved.
    expect([...got.keys()].filter((t) => t.startsWith('$SYS/broker/load/') && !t.includes('messages/received'))).toEqual([])
  })

  it('a tick without elapsed time keeps the counts for the next one', () => {
    const h = harness()
    h.sys.tick()
    h.drain()
    h.stats.messagesReceived += 60
    h.sys.tick() // same instant: no rate can be computed
    expect(h.drain().has('$SYS/broker/load/messages/received/1min')).toBe(false)
    h.advance(60)
    h.sys.tick()
    expect(h.drain().get('$SYS/broker/load/messages/received/1min')).toBe(ema(0, 60, 60, 60).toFixed(2))
  })
})

describe('timer', () => {
  it('publishes every interval, and setInterval(0) stops publishing', () => {
    vi.useFakeTimers({ now: START })
    const h = harness()
    h.sys.start(10)
    expect(h.drain().size).toBe(SYS_TOPICS.length)

    vi.advanceTimersByTime(9_999)
    expect(h.published).toHaveLength(0)
    h.advance(10)
    vi.advanceTimersByTime(1)
    expect([...h.drain().keys()].sort()).toEqual(['$SYS/broker/time', '$SYS/broker/uptime'])

    h.sys.setInterval(0)
    expect(vi.getTimerCount()).toBe(0)
    h.stats.clientsConnected = 99
    vi.advanceTimersByTime(120_000)
    expect(h.published).toHaveLength(0)

    // Back on: an update at once (the changed counter included), then every 5 s.
    h.advance(120)
    h.sys.setInterval(5)
    let got = h.drain()
    expect(got.get('$SYS/broker/clients/connected')).toBe('99')
    expect(got.has('$SYS/broker/version')).toBe(false)
    vi.advanceTimersByTime(5_000)
    got = h.drain()
    expect(got.has('$SYS/broker/uptime')).toBe(true)
    h.sys.stop()
  })

  it('setInterval while running reschedules without an extra publish', () => {
    vi.useFakeTimers({ now: START })
    const h = harness()
    h.sys.start(10)
    h.drain()
    h.sys.setInterval(3)
    expect(h.published).toHaveLength(0)
    expect(vi.getTimerCount()).toBe(1)
    vi.advanceTimersByTime(9_000)
    expect(h.published.filter(([t]) => t === '$SYS/broker/uptime')).toHaveLength(3)
    h.sys.stop()
  })

  it('stop() clears the timer', () => {
    vi.useFakeTimers({ now: START })
    const h = harness()
    h.sys.start(10)
    h.drain()
    expect(vi.getTimerCount()).toBe(1)
    h.sys.stop()
    expect(vi.getTimerCount()).toBe(0)
    vi.advanceTimersByTime(60_000)
    expect(h.published).toHaveLength(0)
  })

  it('the timer does not keep the process alive', () => {
    const real = globalThis.setInterval
    const created: ReturnType<typeof setInterval>[] = []
    vi.spyOn(globalThis, 'setInterval').mockImplementation(((fn: () => void, ms: number) => {
      const t = real(fn, ms)
      created.push(t)
      return t
    }) as typeof setInterval)
    const h = harness()
    h.sys.start(10)
    expect(created).toHaveLength(1)
    expect(created[0].hasRef()).toBe(false)
    h.sys.stop()
  })

  it('never throws out of the timer: publish and stats errors are ignored', () => {
    vi.useFakeTimers({ now: START })
    let calls = 0
    let failStats = false
    const seen: string[] = []
    const sys = new SysTopics({
      version: '0.1.0',
      stats: () => {
        if (failStats) throw new Error('stats broke')
        return makeStats()
      },
      publish: (topic) => {
        calls++
        if (calls % 2 === 0) throw new Error('publish broke')
        seen.push(topic)
      }
    })
    expect(() => sys.start(1)).not.toThrow()
    // Every topic was attempted although every second publish threw.
    expect(calls).toBe(SYS_TOPICS.length)
    failStats = true
    expect(() => vi.advanceTimersByTime(3_000)).not.toThrow()
    expect(calls).toBe(SYS_TOPICS.length)
    failStats = false
    expect(() => vi.advanceTimersByTime(1_000)).not.toThrow()
    expect(calls).toBe(SYS_TOPICS.length + 2) // uptime + time
    sys.stop()
  })
})
