import { describe, expect, it } from 'vitest'
import { formatPath, numberInText, parsePath, valueAt } from '../../src/shared/json-path'

describe('the JSON-path picker', () => {
  const payload = { sensors: [{ temp: 21.5 }, { temp: '19.25' }], 'air quality': { pm25: 7 }, ok: true }

  it('parses paths as people type them', () => {
    expect(parsePath('sensors[0].temp')).toEqual({ ok: true, steps: ['sensors', 0, 'temp'] })
    expect(parsePath('["air quality"].pm25')).toEqual({ ok: true, steps: ['air quality', 'pm25'] })
    expect(parsePath("['air quality'].pm25")).toEqual({ ok: true, steps: ['air quality', 'pm25'] })
    expect(parsePath('[3]')).toEqual({ ok: true, steps: [3] })
    expect(parsePath('')).toEqual({ ok: true, steps: [] })
    expect(parsePath(' a.b ')).toEqual({ ok: true, steps: ['a', 'b'] })
  })

  it('refuses malformed paths with a reason', () => {
    expect(parsePath('sensors[0')).toEqual({ ok: false, error: expect.stringMatching(/not closed/) })
    expect(parsePath('sensors[x]')).toEqual({ ok: false, error: expect.stringMatching(/index like \[0\]/) })
    expect(parsePath('a.')).toEqual({ ok: false, error: expect.stringMatching(/needs a name/) })
    expect(parsePath('.a')).toEqual({ ok: false, error: expect.stringMatching(/needs a name/) })
  })

  it('round-trips: the path a click produces is the one that reads the value back', () => {
    for (const steps of [['sensors', 0, 'temp'], ['air quality', 'pm25'], [2], ['a-b', 'c']] as const) {
      const path = formatPath(steps)
      const parsed = parsePath(path)
      expect(parsed).toEqual({ ok: true, steps })
    }
    expect(formatPath(['sensors', 0, 'temp'])).toBe('sensors[0].temp')
  })

  it('reads values and numbers from payload text', () => {
    expect(valueAt(payload, ['sensors', 0, 'temp'])).toBe(21.5)
    expect(valueAt(payload, ['sensors', 5, 'temp'])).toBeUndefined()
    expect(valueAt(payload, ['sensors', 'temp'])).toBeUndefined()
    const text = JSON.stringify(payload)
    expect(numberInText(text, ['sensors', 0, 'temp'])).toBe(21.5)
    expect(numberInText(text, ['sensors', 1, 'temp'])).toBe(19.25)
    expect(numberInText(text, ['air quality', 'pm25'])).toBe(7)
    expect(numberInText(text, ['ok'])).toBe(1)
    expect(numberInText(' 42.5\n', [])).toBe(42.5)
    expect(numberInText('not a number', [])).toBeNull()
    expect(numberInText('{"a":"x"}', ['a'])).toBeNull()
    expect(numberInText('{broken', ['a'])).toBeNull()
  })
})
