import { describe, expect, it } from 'vitest'
import type { TrafficRow } from '../../src/shared/api'
import { compileTrafficFilter, EMPTY_TRAFFIC_FILTERS, filterTraffic } from '../../src/renderer/src/lib/traffic-filter'

const base = { time: 0, size: 10 }
const rows: TrafficRow[] = [
  { ...base, id: 1, direction: 'in', clientId: 'Sensor-1', type: 'connect' },
  { ...base, id: 2, direction: 'in', clientId: 'Sensor-1', type: 'publish', topic: 'home/kitchen/temp', qos: 0 },
  { ...base, id: 3, direction: 'out', clientId: 'dashboard', type: 'publish', topic: 'home/kitchen/temp', qos: 0 },
  { ...base, id: 4, direction: 'in', clientId: 'dashboard', type: 'subscribe' },
  { ...base, id: 5, direction: 'in', clientId: 'sensor-2', type: 'publish', topic: 'home/garage/door', qos: 1 },
  { ...base, id: 6, direction: 'out', clientId: 'sensor-2', type: 'puback' }
]

const ids = (filters: Partial<typeof EMPTY_TRAFFIC_FILTERS>): number[] =>
  filterTraffic(rows, { ...EMPTY_TRAFFIC_FILTERS, ...filters }).map((r) => r.id)

describe('filterTraffic', () => {
  it('returns everything (the same array) without filters', () => {
    expect(filterTraffic(rows, EMPTY_TRAFFIC_FILTERS)).toBe(rows)
    expect(compileTrafficFilter(EMPTY_TRAFFIC_FILTERS)).toMatchObject({ ok: true, active: false })
  })
  it('filters by client substring, case-insensitively', () => {
    expect(ids({ client: 'sensor' })).toEqual([1, 2, 5, 6])
    expect(ids({ client: 'DASH' })).toEqual([3, 4])
  })
  it('filters by topic with wildcards; rows without a topic drop out', () => {
    expect(ids({ topic: 'home/#' })).toEqual([2, 3, 5])
    expect(ids({ topic: 'home/+/temp' })).toEqual([2, 3])
    expect(ids({ topic: 'home/garage/door' })).toEqual([5])
  })
  it('filters by direction and type', () => {
    expect(ids({ direction: 'out' })).toEqual([3, 6])
    expect(ids({ type: 'publish' })).toEqual([2, 3, 5])
    expect(ids({ type: 'PUBLISH', direction: 'in' })).toEqual([2, 5])
  })
  it('combines filters', () => {
    expect(ids({ client: 'sensor', topic: 'home/#', type: 'publish' })).toEqual([2, 5])
  })
  it('matches nothing and explains an invalid topic filter', () => {
    expect(ids({ topic: 'home/#/x' })).toEqual([])
    const compiled = compileTrafficFilter({ ...EMPTY_TRAFFIC_FILTERS, topic: 'a+' })
    expect(compiled.ok).toBe(false)
  })
})
