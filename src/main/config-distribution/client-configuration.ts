/**
 * PMQ's client configuration file (YAML), parsed with the `yaml` package:
 *
 *   GLOBAL:                     # for every client
 *   - PROXY 127.0.0.14:8888
 *   MACHINE_SERVICE_01:         # a client family
 *   - CONNECTION 192.168.0.133
 *   MACHINE_SERVICE_01/02:      # one client of that family
 *   - PORT 2001
 *
 * Each rule is a list of `KEY value` lines (the value is the rest of the line, possibly empty).
 * A client subscribing to $CONFIG_MODULE/MACHINE_SERVICE_01/02 gets
 *
 *   {"GLOBAL":{"PROXY":"127.0.0.14:8888"},"GENERAL":{"CONNECTION":"192.168.0.133"},"SPECIFIC":{"PORT":"2001"}}
 *
 * Every error names the file, the line and the column.
 */
import type { Node } from 'yaml'
import { lazyModule } from '../lazy-module'

const yamlLib = lazyModule<typeof import('yaml')>('yaml')

export const CONFIG_TOPIC_PREFIX = '$CONFIG_MODULE/'
const GLOBAL = 'GLOBAL'

export type ConfigSection = Record<string, string>

export interface ClientConfiguration {
  global: ConfigSection
  /** By family name. */
  families: ReadonlyMap<string, ConfigSection>
  /** By "FAMILY/ID". */
  clients: ReadonlyMap<string, ConfigSection>
}

export type ParseResult = { ok: true; configuration: ClientConfiguration } | { ok: false; errors: string[] }

/** Parse the file's text; `name` is what errors call the file (`configuration.yaml:7:3: …`). */
export function parseClientConfiguration(text: string, name: string): ParseResult {
  const { LineCounter, isMap, isScalar, parseDocument } = yamlLib()
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter })
  const at = (node: Node | null | undefined): string => {
    const offset = node?.range?.[0]
    if (offset === undefined) return `${name}:`
    const { line, col } = lineCounter.linePos(offset)
    return `${name}:${line}:${col}:`
  }
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((error) => {
        const position = error.linePos?.[0]
        const where = position ? `${name}:${position.line}:${position.col}:` : `${name}:`
        return `${where} ${error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`
      })
    }
  }
  const global: ConfigSection = {}
  const families = new Map<string, ConfigSection>()
  const clients = new Map<string, ConfigSection>()
  if (doc.contents === null) return { ok: true, configuration: { global, families, clients } }
  if (!isMap(doc.contents)) {
    return {
      ok: false,
      errors: [`${at(doc.contents)} must be a mapping of rules (GLOBAL:, FAMILY:, FAMILY/ID:), each a list of "KEY value" lines`]
    }
  }
  const errors: string[] = []
  const seen = new Set<string>()
  for (const pair of doc.contents.items) {
    const keyNode = pair.key as Node | null
    const rule = isScalar(keyNode) ? String(keyNode.value) : null
    if (rule === null) {
      errors.push(`${at(keyNode)} a rule name must be plain text`)
      continue
    }
    const problem = ruleProblem(rule)
    if (problem) {
      errors.push(`${at(keyNode)} ${rule}: ${problem}`)
      continue
    }
    if (seen.has(rule)) {
      errors.push(`${at(keyNode)} ${rule}: given twice`)
      continue
    }
    seen.add(rule)
    const section = parseSection(pair.value as Node | null, rule, at, errors)
    if (section === null) continue
    if (rule === GLOBAL) Object.assign(global, section)
    else if (rule.includes('/')) clients.set(rule, section)
    else families.set(rule, section)
  }
  if (errors.length > 0) return { ok: false, errors }
  return { ok: true, configuration: { global, families, clients } }
}

function parseSection(
  node: Node | null,
  rule: string,
  at: (node: Node | null | undefined) => string,
  errors: string[]
): ConfigSection | null {
  const { isScalar, isSeq } = yamlLib()
  const section: ConfigSection = {}
  if (node === null || (isScalar(node) && node.value === null)) return section // an empty rule
  if (!isSeq(node)) {
    errors.push(`${at(node)} ${rule}: must be a list of "KEY value" lines (- PORT 2001)`)
    return null
  }
  let good = true
  for (const item of node.items as Array<Node | null>) {
    if (!isScalar(item) || item.value === null || typeof item.value === 'object') {
      errors.push(`${at(item)} ${rule}: each entry must be a "KEY value" line`)
      good = false
      continue
    }
    const line = String(item.value).trim()
    const space = line.search(/\s/)
    const key = space < 0 ? line : line.slice(0, space)
    if (key.length === 0) {
      errors.push(`${at(item)} ${rule}: an entry needs a KEY`)
      good = false
      continue
    }
    section[key] = space < 0 ? '' : line.slice(space).trim()
  }
  return good ? section : null
}

/** GLOBAL, FAMILY or FAMILY/ID: the levels of a topic below $CONFIG_MODULE/. */
function ruleProblem(rule: string): string | null {
  if (rule === GLOBAL) return null
  const levels = rule.split('/')
  if (levels.length > 2) return 'a rule is a family (NAME) or one client of it (NAME/ID)'
  if (levels.some((level) => level.length === 0)) return 'has an empty level'
  if (rule.includes('+') || rule.includes('#') || rule.includes('\u0000')) return 'must not contain +, # or U+0000 (it becomes a topic)'
  return null
}

/** The rule a $CONFIG_MODULE topic asks for ("MACHINE_SERVICE_01/02"), or null when the topic is not one. */
export function ruleOfTopic(topic: string): string | null {
  if (!topic.startsWith(CONFIG_TOPIC_PREFIX)) return null
  const rule = topic.slice(CONFIG_TOPIC_PREFIX.length)
  if (rule === GLOBAL || ruleProblem(rule) !== null) return null
  return rule
}

/** The JSON a subscriber of $CONFIG_MODULE/<rule> receives, in PMQ's shape. */
export function configurationPayload(configuration: ClientConfiguration, rule: string): string {
  const family = rule.split('/')[0]
  const general = configuration.families.get(family) ?? {}
  const specific = rule.includes('/') ? (configuration.clients.get(rule) ?? {}) : {}
  return JSON.stringify({ GLOBAL: configuration.global, GENERAL: general, SPECIFIC: specific })
}

/** The rules the file names: every family and every client. */
export function rulesOf(configuration: ClientConfiguration): string[] {
  return [...configuration.families.keys(), ...configuration.clients.keys()]
}
