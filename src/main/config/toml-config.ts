/**
 * TOML config files (TeleMQ's format), read with smol-toml. The settings are top-level keys, as in
 * the JSON5 file (`tcpPort = 1883` or `tcp-port = 1883`); config-file.ts checks them with the same
 * validator. This file only deals with the TOML side: syntax errors with their line and column,
 * the line of each key (smol-toml gives values, not positions), and what TOML cannot say (null).
 */
import { lazyModule } from '../lazy-module'

const toml = lazyModule<typeof import('smol-toml')>('smol-toml')

/** TOML has no null: a nullable setting is unset with this string, as on the command line (`--auth-file none`). */
export const NULL_IN_TOML = 'none'

export function isTomlPath(path: string): boolean {
  return path.toLowerCase().endsWith('.toml')
}

export type TomlDocument = { ok: true; data: Record<string, unknown>; lines: Map<string, number> } | { ok: false; errors: string[] }

/** Parse TOML text; `name` is what error messages call the file (`broker.toml:3:9: invalid value`). */
export function readTomlDocument(text: string, name: string): TomlDocument {
  let data: Record<string, unknown>
  try {
    data = toml().parse(text) as Record<string, unknown>
  } catch (err) {
    if (err instanceof toml().TomlError) {
      // smol-toml's message repeats the lines around the error; the first line says what is wrong.
      const what = err.message
        .split('\n')[0]
        .replace(/^Invalid TOML document:\s*/, '')
        .trim()
      return { ok: false, errors: [`${name}:${err.line}:${err.column}: ${what}`] }
    }
    return { ok: false, errors: [`${name}: ${err instanceof Error ? err.message : String(err)}`] }
  }
  const lines = topLevelTomlKeyLines(text)
  const errors: string[] = []
  for (const [key, value] of Object.entries(data)) {
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)) {
      const line = lines.get(key)
      errors.push(`${name}:${line ?? '?'}: [${key}]: settings are top-level keys (tcpPort = 1883); tables are not used`)
    }
  }
  if (errors.length > 0) return { ok: false, errors }
  return { ok: true, data, lines }
}

const KEY_LINE = /^\s*(?:"([^"\\]+)"|'([^']+)'|([A-Za-z0-9_-]+))\s*=/
const TABLE_LINE = /^\s*\[\[?\s*(?:"([^"\\]+)"|'([^']+)'|([A-Za-z0-9_.-]+))/

/**
 * The 1-based line of each top-level key (and of each [table] header, under its name), skipping
 * multi-line strings so a `key =` inside one is not taken for a key. Only called on text smol-toml
 * accepted.
 */
export function topLevelTomlKeyLines(text: string): Map<string, number> {
  const lines = new Map<string, number>()
  let inTable = false
  let openQuote: '"""' | "'''" | null = null
  text.split(/\r?\n/).forEach((line, index) => {
    if (openQuote !== null) {
      if (countOf(line, openQuote) % 2 === 1) openQuote = null
      return
    }
    const table = TABLE_LINE.exec(line)
    if (table) {
      inTable = true
      const tableName = table[1] ?? table[2] ?? table[3]
      if (!lines.has(tableName)) lines.set(tableName, index + 1)
      return
    }
    const key = KEY_LINE.exec(line)
    if (key && !inTable) lines.set(key[1] ?? key[2] ?? key[3], index + 1)
    for (const quote of ['"""', "'''"] as const) {
      if (countOf(line, quote) % 2 === 1) openQuote = quote
    }
  })
  return lines
}

function countOf(line: string, quote: string): number {
  let count = 0
  for (let at = line.indexOf(quote); at >= 0; at = line.indexOf(quote, at + quote.length)) count++
  return count
}

/** Settings as a TOML document (nulls written as "none", which reads back as null). */
export function settingsToToml(settings: Record<string, unknown>): string {
  const doc: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(settings)) doc[key] = value === null ? NULL_IN_TOML : value
  return toml().stringify(doc)
}
