import { describe, expect, it } from 'vitest'
import { diffJson, diffLines, MAX_CHANGES } from '../../src/renderer/src/lib/json-diff'

describe('diffJson', () => {
  it('lists changed, added and removed keys by path, nested objects and arrays included', () => {
    const before = {
      temp: 21,
      unit: 'C',
      sensors: [
        { id: 'a', v: 1 },
        { id: 'b', v: 2 }
      ],
      gone: true
    }
    const after = {
      temp: 22.5,
      unit: 'C',
      sensors: [
        { id: 'a', v: 1 },
        { id: 'b', v: 3 },
        { id: 'c', v: 0 }
      ],
      door: 'open'
    }
    expect(diffJson(before, after)).toEqual({
      total: 5,
      changes: [
        { kind: 'changed', path: 'temp', before: 21, after: 22.5 },
        { kind: 'changed', path: 'sensors[1].v', before: 2, after: 3 },
        { kind: 'added', path: 'sensors[2]', after: { id: 'c', v: 0 } },
        { kind: 'removed', path: 'gone', before: true },
        { kind: 'added', path: 'door', after: 'open' }
      ]
    })
  })

  it('reports no change for equal values, a type change as a change, odd keys quoted', () => {
    expect(diffJson({ a: [1, { b: null }] }, { a: [1, { b: null }] })).toEqual({ total: 0, changes: [] })
    expect(diffJson({ a: 1 }, { a: '1' }).changes).toEqual([{ kind: 'changed', path: 'a', before: 1, after: '1' }])
    expect(diffJson({ a: { x: 1 } }, { a: [1] }).changes).toEqual([{ kind: 'changed', path: 'a', before: { x: 1 }, after: [1] }])
    expect(diffJson({ 'air quality': 1 }, { 'air quality': 2 }).changes[0].path).toBe('["air quality"]')
    expect(diffJson(5, 6).changes).toEqual([{ kind: 'changed', path: '(whole value)', before: 5, after: 6 }])
  })

  it('bounds the list but counts every change', () => {
    const before = Object.fromEntries(Array.from({ length: MAX_CHANGES + 50 }, (_, i) => [`k${i}`, i]))
    const after = Object.fromEntries(Array.from({ length: MAX_CHANGES + 50 }, (_, i) => [`k${i}`, i + 1]))
    const diff = diffJson(before, after)
    expect(diff.total).toBe(MAX_CHANGES + 50)
    expect(diff.changes.length).toBe(MAX_CHANGES)
  })
})

describe('diffLines', () => {
  it('marks removed and added lines around the common ones', () => {
    expect(diffLines('a\nb\nc', 'a\nx\nc\nd').lines).toEqual([
      { kind: 'same', text: 'a' },
      { kind: 'removed', text: 'b' },
      { kind: 'added', text: 'x' },
      { kind: 'same', text: 'c' },
      { kind: 'added', text: 'd' }
    ])
  })
})
