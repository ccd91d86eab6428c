/**
 * Paths into JSON values, as a person types them: `sensors[0].temp`, `data["air quality"].pm25`,
 * `[3]`. Used by the chart's field picker (click a value → its path) and by the inspector to pull
 * a number out of each message on a charted topic. Pure, no DOM or Node imports.
 */

export type PathStep = string | number

export type ParsedPath = { ok: true; steps: PathStep[] } | { ok: false; error: string }

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/

/** Parse a path; '' is the whole value. */
export function parsePath(path: string): ParsedPath {
  const steps: PathStep[] = []
  let i = 0
  const text = path.trim()
  while (i < text.length) {
    const c = text[i]
    if (c === '.') {
      if (i === 0 || i === text.length - 1) return { ok: false, error: `a "." needs a name after it (at ${i + 1})` }
      i++
      continue
    }
    if (c === '[') {
      const close = text.indexOf(']', i)
      if (close < 0) return { ok: false, error: `"[" at ${i + 1} is not closed` }
      const inner = text.slice(i + 1, close).trim()
      if (/^\d+$/.test(inner)) steps.push(Number(inner))
      else if (/^"(?:[^"\\]|\\.)*"$/.test(inner)) {
        try {
          steps.push(JSON.parse(inner) as string)
        } catch {
          return { ok: false, error: `bad quoted name ${inner}` }
        }
      } else if (/^'[^']*'$/.test(inner)) steps.push(inner.slice(1, -1))
      else return { ok: false, error: `"[${inner}]" must hold an index like [0] or a quoted name like ["a b"]` }
      i = close + 1
      continue
    }
    let end = i
    while (end < text.length && text[end] !== '.' && text[end] !== '[') end++
    const name = text.slice(i, end)
    if (name.length === 0) return { ok: false, error: `unexpected "${c}" at ${i + 1}` }
    steps.push(name)
    i = end
  }
  return { ok: true, steps }
}

/** The path text for steps: names as `.name` (or `["odd name"]`), indexes as `[n]`. */
export function formatPath(steps: readonly PathStep[]): string {
  let out = ''
  for (const step of steps) {
    if (typeof step === 'number') out += `[${step}]`
    else if (IDENTIFIER.test(step)) out += out === '' ? step : `.${step}`
    else out += `[${JSON.stringify(step)}]`
  }
  return out
}

/** The value at `steps`, or undefined when the path leads nowhere. */
export function valueAt(value: unknown, steps: readonly PathStep[]): unknown {
  let current: unknown = value
  for (const step of steps) {
    if (current === null || typeof current !== 'object') return undefined
    if (typeof step === 'number') {
      if (!Array.isArray(current)) return undefined
      current = current[step]
    } else {
      if (Array.isArray(current) || !Object.hasOwn(current, step)) return undefined
      current = (current as Record<string, unknown>)[step]
    }
  }
  return current
}

/** A finite number from a JSON value: numbers, numeric strings and booleans (1 / 0). */
export function asNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null
  if (typeof value === 'boolean') return value ? 1 : 0
  if (typeof value === 'string') {
    const trimmed = value.trim()
    if (trimmed === '') return null
    const n = Number(trimmed)
    return Number.isFinite(n) ? n : null
  }
  return null
}

/**
 * The number in a payload's text at a path: with no steps the text itself must be a number
 * (or JSON holding one); otherwise the text is parsed as JSON and the path followed.
 */
export function numberInText(text: string, steps: readonly PathStep[]): number | null {
  if (steps.length === 0) {
    const direct = asNumber(text)
    if (direct !== null) return direct
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return null
  }
  return asNumber(valueAt(parsed, steps))
}
