/**
 * Finding 6 of the security review (issue 16): traffic CSV exports neutralise formula cells. Any
 * MQTT client picks the topics, payloads and client ids that are exported; a cell starting with
 * = + - @ (or tab / CR) would run as a formula in a spreadsheet. Before the fix they were written
 * as they came.
 */
import { describe, expect, it } from 'vitest'
import { csvField, neutralizeFormula } from '../../src/renderer/src/lib/csv'
import { TRAFFIC_CSV_COLUMNS, trafficToCsv } from '../../src/renderer/src/lib/traffic-export'
import { utf8ToBase64 } from '../../src/renderer/src/lib/payload'
import type { TrafficRow } from '../../src/shared/api'
import { parseCsv } from '../helpers/csv'

describe('CSV formula injection', () => {
  it("prefixes ' to text cells starting with = + - @ tab CR, and nothing else", () => {
    for (const attack of ['=1+1', '+SUM(A1)', '-2+3', '@cmd', '\t=1', '\r=1', '=HYPERLINK("http://x","y")']) {
      expect(neutralizeFormula(attack), JSON.stringify(attack)).toBe(`'${attack}`)
    }
    for (const plain of ['a=b', 'sensors/+/temp', 'x-y', "'already", '', '1e5', ' =padded']) {
      expect(neutralizeFormula(plain), JSON.stringify(plain)).toBe(plain)
    }
    // Numbers we write ourselves stay numbers.
    expect(csvField(-5)).toBe('-5')
    expect(csvField('-5')).toBe("'-5")
    // Still quoted per RFC 4180 where needed.
    expect(csvField('=A1,B1')).toBe(`"'=A1,B1"`)
  })

  it('an exported row with a hostile client id, topic and payload has no cell a spreadsheet would run', () => {
    const row: TrafficRow = {
      id: 1,
      time: Date.UTC(2026, 0, 1),
      direction: 'in',
      clientId: '@evil',
      type: 'publish',
      size: 40,
      topic: '=cmd|/C calc!A0',
      qos: 0,
      retain: false,
      dup: false,
      payloadSize: 22,
      payloadPreview: utf8ToBase64('+HYPERLINK("http://x")')
    }
    const [header, record] = parseCsv(trafficToCsv([row]))
    expect(header).toEqual([...TRAFFIC_CSV_COLUMNS])
    for (const cell of record) expect(cell, cell).not.toMatch(/^[=+\-@\t\r]/)
    const at = (name: string): string => record[header.indexOf(name)]
    expect(at('clientId')).toBe("'@evil")
    expect(at('topic')).toBe("'=cmd|/C calc!A0")
    expect(at('payload')).toBe(`'+HYPERLINK("http://x")`)
  })
})
