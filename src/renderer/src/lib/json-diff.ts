/**
 * Diff of two messages: JSON-aware when both parse (keys changed, added, removed, by path), else
 * line by line. Pure, unit-tested under Node.
 */
import { formatPath, type PathStep } from '../../../shared/json-path'

export type JsonChange =
  | { kind: 'added'; path: string; after: unknown }
  | { kind: 'removed'; path: string; before: unknown }
  | { kind: 'changed'; path: string; before: unknown; after: unknown }

/** At most this many changes are listed (the count says how many there were). */
export const MAX_CHANGES = 1000

export function diffJson(before: unknown, after: unknown): { changes: JsonChange[]; total: number } {
  const changes: JsonChange[] = []
  let total = 0
  const push = (change: JsonChange): void => {
    total++
    if (changes.length < MAX_CHANGES) changes.push(change)
  }
  const walk = (a: unknown, b: unknown, steps: PathStep[], depth: number): void => {
    if (Object.is(a, b)) return
    const bothArrays = Array.isArray(a) && Array.isArray(b)
    const bothObjects = isObject(a) && isObject(b)
    if (depth < 64 && bothArrays) {
      const length = Math.max(a.length, b.length)
      for (let i = 0; i < length; i++) {
        if (i >= a.length) push({ kind: 'added', path: formatPath([...steps, i]), after: b[i] })
        else if (i >= b.length) push({ kind: 'removed', path: formatPath([...steps, i]), before: a[i] })
        else walk(a[i], b[i], [...steps, i], depth + 1)
      }
      return
    }
    if (depth < 64 && bothObjects) {
      for (const key of Object.keys(a)) {
        if (!Object.hasOwn(b, key)) push({ kind: 'removed', path: formatPath([...steps, key]), before: a[key] })
        else walk(a[key], b[key], [...steps, key], depth + 1)
      }
      for (const key of Object.keys(b))
        if (!Object.hasOwn(a, key)) push({ kind: 'added', path: formatPath([...steps, key]), after: b[key] })
      return
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) push({ kind: 'changed', path: formatPath(steps) || '(whole value)', before: a, after: b })
  }
  walk(before, after, [], 0)
  return { changes, total }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

export interface LineDiff {
  kind: 'same' | 'added' | 'removed'
  text: string
}

/** Lines compared at most; longer texts are compared in their first MAX_LINES lines. */
export const MAX_LINES = 2000

/** Line diff by longest common subsequence. */
export function diffLines(before: string, after: string): { lines: LineDiff[]; cut: boolean } {
  const a = before.split('\n')
  const b = after.split('\n')
  const cut = a.length > MAX_LINES || b.length > MAX_LINES
  const x = a.slice(0, MAX_LINES)
  const y = b.slice(0, MAX_LINES)
  const n = x.length
  const m = y.length
  // lcs[i][j] = LCS length of x[i..] and y[j..], one row at a time from the end.
  const table: Uint16Array[] = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1))
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i][j] = x[i] === y[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1])
    }
  }
  const lines: LineDiff[] = []
  let i = 0
  let j = 0
  while (i < n && j < m) {
    if (x[i] === y[j]) {
      lines.push({ kind: 'same', text: x[i] })
      i++
      j++
    } else if (table[i + 1][j] >= table[i][j + 1]) lines.push({ kind: 'removed', text: x[i++] })
    else lines.push({ kind: 'added', text: y[j++] })
  }
  while (i < n) lines.push({ kind: 'removed', text: x[i++] })
  while (j < m) lines.push({ kind: 'added', text: y[j++] })
  return { lines, cut }
}
