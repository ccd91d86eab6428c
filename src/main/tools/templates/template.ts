/**
 * Message templates: text with `{{function arg …}}` placeholders, parsed once into a compiled
 * form (literal text and calls with checked arguments) and rendered per message.
 *
 *   template  := ( text | '\{{' | placeholder )*
 *   placeholder := '{{' name ( argument )* '}}'         spaces allowed between the parts
 *   argument  := number | "text" | 'text'             \" \' \\ escape inside quotes
 *
 * Why not a template engine: Handlebars is the only one with `{{helper arg}}` calls, and it brings
 * blocks, partials, paths and HTML escaping that a payload template must not have, compiles to
 * `new Function`, and turns `20.0` into 20 before a helper sees it (the decimals of a bound are how
 * `random` knows its precision). Mustache and its kin have no arguments at all. The whole grammar
 * is the three lines above.
 *
 * Errors name the position (line:column) of the problem; a template that compiles renders
 * without errors.
 */
import { FUNCTIONS, type TemplateArgument, type TemplateFunction, type RenderContext } from './functions'

export class TemplateError extends Error {
  override readonly name = 'TemplateError'
  constructor(
    readonly detail: string,
    readonly line: number,
    readonly column: number
  ) {
    super(`${line}:${column}: ${detail}`)
  }
}

interface CompiledCall {
  fn: TemplateFunction
  /** The function's own compiled state (e.g. the random walk's settings). */
  bound: (context: RenderContext) => string
}

type Part = string | CompiledCall

export interface CompiledTemplate {
  readonly source: string
  /** True when the template has no placeholders (every message is the same). */
  readonly constant: boolean
  /** Functions used, by name (the UI shows them; `device` tells a topic differs per device). */
  readonly uses: ReadonlySet<string>
  /** Number of stateful slots (walks) this template needs per device. */
  readonly slots: number
  render(context: RenderContext): string
}

export function compileTemplate(source: string): CompiledTemplate {
  const parts: Part[] = []
  const uses = new Set<string>()
  let slots = 0
  let text = ''
  let i = 0
  while (i < source.length) {
    if (source.startsWith('\\{{', i)) {
      text += '{{'
      i += 3
      continue
    }
    if (!source.startsWith('{{', i)) {
      text += source[i]
      i++
      continue
    }
    if (text) parts.push(text)
    text = ''
    const call = parsePlaceholder(source, i)
    const fn = FUNCTIONS[call.name]
    if (fn === undefined || !Object.hasOwn(FUNCTIONS, call.name)) {
      const hint = closestName(call.name)
      throw errorAt(
        source,
        call.nameAt,
        `unknown function "${call.name}"${hint ? ` (did you mean "${hint}"?)` : ''}; known: ${Object.keys(FUNCTIONS).join(', ')}`
      )
    }
    let bound: (context: RenderContext) => string
    try {
      bound = fn.compile(call.args, slots)
    } catch (error) {
      throw errorAt(source, call.nameAt, `${call.name}: ${error instanceof Error ? error.message : String(error)}; usage: ${fn.usage}`)
    }
    slots += fn.slots ?? 0
    uses.add(call.name)
    parts.push({ fn, bound })
    i = call.end
  }
  if (text) parts.push(text)
  return new Template(source, parts, uses, slots)
}

class Template implements CompiledTemplate {
  readonly constant: boolean

  constructor(
    readonly source: string,
    private readonly parts: readonly Part[],
    readonly uses: ReadonlySet<string>,
    readonly slots: number
  ) {
    this.constant = parts.every((part) => typeof part === 'string')
  }

  render(context: RenderContext): string {
    let out = ''
    for (const part of this.parts) out += typeof part === 'string' ? part : part.bound(context)
    return out
  }
}

interface ParsedCall {
  name: string
  nameAt: number
  args: TemplateArgument[]
  /** Index just past the closing braces. */
  end: number
}

function parsePlaceholder(source: string, start: number): ParsedCall {
  let i = start + 2
  const skipSpaces = (): void => {
    while (i < source.length && (source[i] === ' ' || source[i] === '\t')) i++
  }
  skipSpaces()
  const nameAt = i
  while (i < source.length && /[A-Za-z0-9_]/.test(source[i])) i++
  const name = source.slice(nameAt, i)
  if (name === '') {
    if (i >= source.length) throw errorAt(source, start, '"{{" is not closed with "}}"')
    throw errorAt(source, i, `expected a function name after "{{", found ${describeChar(source[i])}`)
  }
  const args: TemplateArgument[] = []
  for (;;) {
    const before = i
    skipSpaces()
    if (i >= source.length) throw errorAt(source, start, '"{{" is not closed with "}}"')
    if (source.startsWith('}}', i)) return { name, nameAt, args, end: i + 2 }
    if (i === before) throw errorAt(source, i, `expected a space, an argument or "}}", found ${describeChar(source[i])}`)
    const at = i
    const ch = source[i]
    if (ch === '"' || ch === "'") {
      let value = ''
      i++
      for (;;) {
        if (i >= source.length || source[i] === '\n') throw errorAt(source, at, 'text argument is not closed with a matching quote')
        const c = source[i]
        if (c === '\\' && i + 1 < source.length) {
          value += source[i + 1]
          i += 2
          continue
        }
        if (c === ch) {
          i++
          break
        }
        value += c
        i++
      }
      args.push({ kind: 'text', value, at })
      continue
    }
    const number = /^[-+]?(\d+(\.\d*)?|\.\d+)/.exec(source.slice(i, i + 40))
    if (number && !/[A-Za-z0-9_]/.test(source[i + number[0].length] ?? '')) {
      const raw = number[0]
      const dot = raw.indexOf('.')
      args.push({ kind: 'number', value: Number(raw), decimals: dot < 0 ? 0 : raw.length - dot - 1, at })
      i += raw.length
      continue
    }
    throw errorAt(source, at, `expected a number or a quoted text argument, found ${describeWord(source, at)}`)
  }
}

function errorAt(source: string, index: number, detail: string): TemplateError {
  let line = 1
  let column = 1
  for (let k = 0; k < index && k < source.length; k++) {
    if (source[k] === '\n') {
      line++
      column = 1
    } else column++
  }
  return new TemplateError(detail, line, column)
}

function describeChar(ch: string | undefined): string {
  return ch === undefined ? 'the end' : `"${ch}"`
}

function describeWord(source: string, at: number): string {
  const word = /^\S+/.exec(source.slice(at, at + 30))?.[0] ?? source[at]
  return `"${word.replace(/}}.*$/, '')}" (text arguments need quotes)`
}

function closestName(name: string): string | null {
  const lower = name.toLowerCase()
  let best: string | null = null
  let bestDistance = Infinity
  for (const known of Object.keys(FUNCTIONS)) {
    const d = distance(lower, known.toLowerCase())
    if (d < bestDistance) {
      best = known
      bestDistance = d
    }
  }
  return best !== null && bestDistance <= Math.max(3, Math.floor(name.length / 3)) ? best : null
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1))
      diagonal = above
    }
  }
  return row[b.length]
}

export type { RenderContext } from './functions'
