import { describe, expect, it } from 'vitest'
import type { TrafficRow } from '../../src/shared/api'
import { csvField, csvRecord, toCsv } from '../../src/renderer/src/lib/csv'
import { exportFileName, toExportRecord, TRAFFIC_CSV_COLUMNS, trafficToCsv, trafficToJson } from '../../src/renderer/src/lib/traffic-export'
import { bytesToBase64, utf8ToBase64 } from '../../src/renderer/src/lib/payload'
import { parseCsv } from '../helpers/csv'

describe('csvField', () => {
  it('leaves plain values alone', () => {
    expect(csvField('abc')).toBe('abc')
    expect(csvField(42)).toBe('42')
    expect(csvField(true)).toBe('true')
    expect(csvField(null)).toBe('')
    expect(csvField(undefined)).toBe('')
  })
  it('quotes commas, quotes and line breaks, doubling quotes', () => {
    expect(csvField('a,b')).toBe('"a,b"')
    expect(csvField('say "hi"')).toBe('"say ""hi"""')
    expect(csvField('line1\nline2')).toBe('"line1\nline2"')
    expect(csvField('cr\rhere')).toBe('"cr\rhere"')
    expect(csvField(' padded ')).toBe('" padded "')
  })
  it('writes objects as JSON (quoted when needed)', () => {
    expect(csvField({ a: 1, b: 'x' })).toBe('"{""a"":1,""b"":""x""}"')
  })
})

describe('toCsv', () => {
  it('writes a header and one CRLF-terminated record per row', () => {
    const text = toCsv(
      ['a', 'b'],
      [
        [1, 'x'],
        [2, 'y,z']
      ]
    )
    expect(text).toBe('a,b\r\n1,x\r\n2,"y,z"\r\n')
    expect(csvRecord(['q"', 3])).toBe('"q""",3')
  })
  it('round-trips awkward values through a parser', () => {
    const rows = [['comma, here', 'quote " here', 'new\nline', 'crlf\r\nboth', '', 'plain']]
    expect(parseCsv(toCsv(['1', '2', '3', '4', '5', '6'], rows))).toEqual([['1', '2', '3', '4', '5', '6'], ...rows])
  })
})

const rows: TrafficRow[] = [
  {
    id: 1,
    time: Date.UTC(2026, 10, 23, 5, 4, 1, 123),
    direction: 'in',
    clientId: 'sensor,1',
    type: 'publish',
    size: 30,
    packetId: 7,
    topic: 'home/kitchen/temp',
    qos: 1,
    retain: false,
    dup: false,
    payloadSize: 17,
    payloadPreview: utf8ToBase64('{"t": "21,5 \u00b0C"}'),
    properties: { contentType: 'application/json' }
  },
  {
    id: 2,
    time: Date.UTC(2026, 10, 23, 5, 4, 2),
    direction: 'out',
    clientId: 'app',
    type: 'publish',
    size: 20,
    topic: 'bin',
    qos: 0,
    payloadSize: 1000,
    payloadPreview: bytesToBase64(new Uint8Array([0, 1, 2, 255]))
  },
  { id: 3, time: Date.UTC(2026, 10, 23, 5, 4, 3), direction: 'in', clientId: 'app', type: 'pingreq', size: 2 }
]

describe('traffic export', () => {
  it('decodes printable payloads as text and others as hex', () => {
    expect(toExportRecord(rows[0])).toMatchObject({ payload: '{"t": "21,5 °C"}', payloadEncoding: 'utf8', payloadTruncated: false })
    expect(toExportRecord(rows[1])).toMatchObject({ payload: '000102ff', payloadEncoding: 'hex', payloadTruncated: true })
    expect(toExportRecord(rows[2])).toMatchObject({ payload: null, payloadEncoding: null, topic: null, qos: null })
  })

  it('writes CSV with a header and exactly one record per packet', () => {
    const csv = trafficToCsv(rows)
    const parsed = parseCsv(csv)
    expect(parsed[0]).toEqual([...TRAFFIC_CSV_COLUMNS])
    expect(parsed).toHaveLength(rows.length + 1)
    const first = Object.fromEntries(TRAFFIC_CSV_COLUMNS.map((c, i) => [c, parsed[1][i]]))
    expect(first.clientId).toBe('sensor,1')
    expect(first.time).toBe('2026-11-23T05:04:01.123Z')
    expect(first.payload).toBe('{"t": "21,5 °C"}')
    expect(JSON.parse(first.properties)).toEqual({ contentType: 'application/json' })
    // Nothing is crammed onto one line: CRLF ends each record.
    expect(csv.split('\r\n').filter(Boolean)).toHaveLength(rows.length + 1)
  })

  it('writes JSON that parses back to one record per packet', () => {
    const parsed = JSON.parse(trafficToJson(rows)) as unknown[]
    expect(parsed).toHaveLength(3)
    expect(parsed[0]).toMatchObject({ id: 1, direction: 'in', topic: 'home/kitchen/temp', qos: 1 })
  })

  it('names files with a timestamp', () => {
    expect(exportFileName('csv', Date.UTC(2026, 0, 2, 3, 4, 5))).toBe('brokerscope-traffic-2026-01-02T03-04-05.csv')
  })
})
