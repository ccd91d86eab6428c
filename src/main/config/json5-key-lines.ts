/**
 * Where keys and values stand in JSON5 text, by line, for error messages that name the line (the
 * config file and the auth file). JSON5.parse gives values but no positions, so this scans the text
 * itself, skipping strings and comments, so a key mentioned in a comment or a string is not taken
 * for one. Only meant for text JSON5 accepted.
 */
import JSON5 from 'json5'

/** One step into a JSON5 document: an object key or an array index. */
export type Json5PathStep = string | number

export interface Json5LineMark {
  /** 'key': an object key is written here (once per time it is written); 'value': a value starts here. */
  kind: 'key' | 'value'
  /** The path of the value (for a key, of the value it names); [] is the whole document. */
  path: readonly Json5PathStep[]
  /** 1-based line where the key or value starts. */
  line: number
}

interface Frame {
  readonly kind: 'object' | 'array'
  readonly path: readonly Json5PathStep[]
  key: string | null
  index: number
  expectKey: boolean
}

const WORD_CHAR = /[A-Za-z0-9_$\\+\-.\u0080-\uffff]/

/**
 * Every key and every start of a value in `text`, in text order, with its path and line. A key's
 * mark comes before the mark of its value (on the key's line, or a later one).
 */
export function scanJson5Lines(text: string): Json5LineMark[] {
  const marks: Json5LineMark[] = []
  const stack: Frame[] = []
  let line = 1
  let i = 0
  const n = text.length

  const currentPath = (): Json5PathStep[] | null => {
    const top = stack[stack.length - 1]
    if (top === undefined) return []
    if (top.kind === 'array') return [...top.path, top.index]
    return top.key === null ? null : [...top.path, top.key]
  }
  const valueStarts = (at: number): Json5PathStep[] | null => {
    const path = currentPath()
    if (path !== null) marks.push({ kind: 'value', path, line: at })
    return path
  }
  const keySeen = (top: Frame, key: string, at: number): void => {
    top.key = key
    top.expectKey = false
    marks.push({ kind: 'key', path: [...top.path, key], line: at })
  }
  const readString = (quote: string): string => {
    const start = i
    i++ // opening quote
    while (i < n && text[i] !== quote) {
      if (text[i] === '\\') {
        if (text[i + 1] === '\n') line++
        i += 2
        continue
      }
      if (text[i] === '\n') line++
      i++
    }
    i++ // closing quote
    return text.slice(start, i)
  }

  while (i < n) {
    const c = text[i]
    const top = stack[stack.length - 1]
    if (c === '\n') {
      line++
      i++
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++
    } else if (c === '/' && text[i + 1] === '*') {
      i += 2
      while (i < n && !(text[i] === '*' && text[i + 1] === '/')) {
        if (text[i] === '\n') line++
        i++
      }
      i += 2
    } else if (c === '"' || c === "'") {
      const startLine = line
      const raw = readString(c)
      if (top?.kind === 'object' && top.expectKey) keySeen(top, decodeString(raw), startLine)
      else valueStarts(startLine)
    } else if (c === '{' || c === '[') {
      const path = valueStarts(line) ?? []
      stack.push({ kind: c === '{' ? 'object' : 'array', path, key: null, index: 0, expectKey: c === '{' })
      i++
    } else if (c === '}' || c === ']') {
      stack.pop()
      i++
    } else if (c === ',') {
      if (top?.kind === 'object') top.expectKey = true
      else if (top?.kind === 'array') top.index++
      i++
    } else if (c === ':') {
      if (top?.kind === 'object') top.expectKey = false
      i++
    } else if (WORD_CHAR.test(c)) {
      const start = i
      while (i < n && WORD_CHAR.test(text[i])) i++
      const word = text.slice(start, i)
      if (top?.kind === 'object' && top.expectKey) keySeen(top, word.includes('\\') ? decodeIdentifier(word) : word, line)
      else valueStarts(line)
    } else {
      i++
    }
  }
  return marks
}

/** A quoted key as JSON5 reads it (the text between the quotes if it somehow does not parse). */
function decodeString(raw: string): string {
  try {
    return String(JSON5.parse(raw))
  } catch {
    return raw.slice(1, -1)
  }
}

/** An unquoted key with \uXXXX escapes, as JSON5 reads it. */
function decodeIdentifier(word: string): string {
  return word.replace(/\\u([0-9a-fA-F]{4})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
}
