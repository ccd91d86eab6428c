/**
 * The stylesheet parses whole: an unclosed block swallows every rule after it into the block (a
 * merge once left `@media (prefers-reduced-motion)` open, and the narrow layout silently vanished).
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

describe('styles.css', () => {
  it('closes every block it opens', () => {
    const css = readFileSync(new URL('../../src/renderer/src/styles.css', import.meta.url), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/'[^'\n]*'|"[^"\n]*"/g, '""')
    const open: number[] = []
    css.split('\n').forEach((text, index) => {
      for (const ch of text) {
        if (ch === '{') open.push(index + 1)
        else if (ch === '}') expect(open.pop(), `a } with nothing open at line ${index + 1}`).toBeDefined()
      }
    })
    expect(open, 'blocks opened at these lines are never closed').toEqual([])
  })
})
