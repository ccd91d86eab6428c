import { describe, expect, it } from 'vitest'
import { compileRetainedFilter, shownRetained } from '../../src/renderer/src/lib/retained-filter'
import type { RetainedRow } from '../../src/shared/api'

const row = (topic: string, text = ''): RetainedRow => ({
  topic,
  qos: 0,
  size: text.length,
  preview: btoa(text),
  updatedAt: 0,
  properties: {}
})
const rows = [
  row('test/a', 'one'),
  row('test/b/c', 'two'),
  row('ui/test/props', 'three'),
  row('$SYS/broker/uptime', '5 seconds'),
  row('test', 'x')
]
const text = (r: RetainedRow): string => atob(r.preview)

function shown(filter: string, showSys = false): string[] {
  const compiled = compileRetainedFilter(filter)
  if (!compiled.ok) throw new Error(compiled.error)
  return shownRetained(rows, showSys, compiled.match, text).map((r) => r.topic)
}

describe('the Retained view filter (issue 15 bug 7)', () => {
  it('an MQTT filter matches as MQTT does: test/# is test and below, never ui/test/props', () => {
    expect(shown('test/#')).toEqual(['test/a', 'test/b/c', 'test'])
    expect(shown('+/test/+')).toEqual(['ui/test/props'])
    expect(shown('#')).toEqual(['test/a', 'test/b/c', 'ui/test/props', 'test'])
  })

  it('plain text is found in the topic or the payload, case-insensitively', () => {
    expect(shown('PROPS')).toEqual(['ui/test/props'])
    expect(shown('two')).toEqual(['test/b/c'])
  })

  it('$SYS topics are hidden unless asked for, whatever the filter (# never matches them: [MQTT-4.7.2-1])', () => {
    expect(shown('uptime')).toEqual([])
    expect(shown('uptime', true)).toEqual(['$SYS/broker/uptime'])
    expect(shown('#', true)).not.toContain('$SYS/broker/uptime')
    expect(shown('$SYS/#', true)).toEqual(['$SYS/broker/uptime'])
  })

  it('an invalid MQTT filter says why', () => {
    const compiled = compileRetainedFilter('a/#/b')
    expect(compiled.ok).toBe(false)
    if (!compiled.ok) expect(compiled.error).toMatch(/#/)
  })
})
