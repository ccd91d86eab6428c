/**
 * Issue 15 bug 5: exports cut every payload to its 256-byte preview. They fetch the whole payloads
 * (in bounded calls) and count the ones the broker no longer kept.
 */
import { describe, expect, it } from 'vitest'
import { MAX_PAYLOADS_PER_CALL, type FullPayload, type TrafficRow } from '../../src/shared/api'
import { bytesToBase64 } from '../../src/renderer/src/lib/payload'
import { fetchExportPayloads, trafficToJson } from '../../src/renderer/src/lib/traffic-export'

const bytes = (n: number, fill = 120): Uint8Array => new Uint8Array(n).fill(fill)

function publishRow(id: number, size: number): TrafficRow {
  return {
    id,
    time: 0,
    direction: 'in',
    clientId: 'c',
    type: 'publish',
    size: size + 10,
    topic: 't',
    payloadSize: size,
    payloadPreview: bytesToBase64(bytes(Math.min(size, 256)))
  }
}

describe('fetchExportPayloads', () => {
  it('asks only for rows whose preview is not the whole payload, and exports them whole', async () => {
    const rows = [publishRow(1, 10), publishRow(2, 256), publishRow(3, 205_000), { ...publishRow(4, 0), type: 'pingreq' }]
    const asked: number[][] = []
    const { payloads, cut } = await fetchExportPayloads(rows, async (ids) => {
      asked.push(ids)
      return ids.map((id): FullPayload => ({ payload: bytesToBase64(bytes(id === 3 ? 205_000 : 1)), size: 205_000 }))
    })
    expect(asked).toEqual([[3]])
    expect(cut).toBe(0)
    const records = JSON.parse(trafficToJson(rows, payloads)) as Array<{ id: number; payload: string | null; payloadTruncated: boolean }>
    const big = records.find((r) => r.id === 3)!
    expect(big.payload?.length).toBe(205_000)
    expect(big.payloadTruncated).toBe(false)
  })

  it('counts the payloads the broker no longer keeps; those stay previews, marked truncated', async () => {
    const rows = [publishRow(1, 1000), publishRow(2, 2000)]
    const { payloads, cut } = await fetchExportPayloads(rows, async (ids) =>
      ids.map((id) => (id === 1 ? null : { payload: bytesToBase64(bytes(2000)), size: 2000 }))
    )
    expect(cut).toBe(1)
    const records = JSON.parse(trafficToJson(rows, payloads)) as Array<{ id: number; payload: string; payloadTruncated: boolean }>
    expect(records.map((r) => [r.id, r.payload.length, r.payloadTruncated])).toEqual([
      [1, 256, true],
      [2, 2000, false]
    ])
  })

  it('splits the requests by count and by bytes', async () => {
    const many = Array.from({ length: MAX_PAYLOADS_PER_CALL + 5 }, (_, i) => publishRow(i + 1, 300))
    const large = [publishRow(10_001, 5_000_000), publishRow(10_002, 5_000_000), publishRow(10_003, 20_000_000)]
    const calls: number[][] = []
    await fetchExportPayloads([...many, ...large], async (ids) => {
      calls.push(ids)
      return ids.map(() => null)
    })
    expect(calls.map((ids) => ids.length)).toEqual([MAX_PAYLOADS_PER_CALL, 6, 1, 1])
    expect(calls.at(-1)).toEqual([10_003])
  })
})
