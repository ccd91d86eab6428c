/**
 * Find: topics by name (an MQTT filter with + / #, else a case-insensitive substring) and by
 * payload content (substring or regular expression) over each topic's latest value and, when
 * asked, its history. Runs on the broker's event loop, so it is made safe there:
 *
 * - regular expressions run on V8's linear-time engine (the `l` flag), so no pattern can
 *   backtrack for ever; one it cannot run in linear time (backreferences, lookaround) is refused
 *   with a message;
 * - each payload is searched in its first MAX_SEARCH_BYTES;
 * - the scan yields to the broker every SLICE_MS and stops after BUDGET_MS, saying so.
 */
import { setFlagsFromString } from 'node:v8'
import type { FindMatch, FindQuery, FindResult } from '../../shared/api'
import { compileTopicSearch } from '../../shared/topic-match'
import type { TopicHistory } from './topic-history'
import type { TopicEntry } from './topic-tree'

export const MAX_SEARCH_BYTES = 64 * 1024
export const MAX_PATTERN_LENGTH = 500
const SLICE_MS = 8
const BUDGET_MS = 2000
const MAX_MATCHES = 2000

let linearRegexAvailable: boolean | null = null

/** Turn on V8's linear-time regular expression engine once (it only adds the `l` flag). */
function linearRegex(): boolean {
  if (linearRegexAvailable === null) {
    try {
      setFlagsFromString('--enable-experimental-regexp-engine')
      // Built from a string on purpose: a literal with the `l` flag would not parse before the flag is set.
      const probe = 'a'
      linearRegexAvailable = new RegExp(probe, 'l').test('a')
    } catch {
      linearRegexAvailable = false
    }
  }
  return linearRegexAvailable
}

type PayloadTest = (text: string) => boolean

export function compilePayloadTest(query: FindQuery): { ok: true; test: PayloadTest | null } | { ok: false; error: string } {
  if (query.payload === '') return { ok: true, test: null }
  if (query.payload.length > MAX_PATTERN_LENGTH)
    return { ok: false, error: `the search text is longer than ${MAX_PATTERN_LENGTH} characters` }
  if (query.mode === 'substring') {
    if (query.caseSensitive) return { ok: true, test: (text) => text.includes(query.payload) }
    const needle = query.payload.toLowerCase()
    return { ok: true, test: (text) => text.toLowerCase().includes(needle) }
  }
  if (!linearRegex()) return { ok: false, error: 'regular expressions are not available in this build' }
  let regex: RegExp
  try {
    // The linear engine has no `i` flag: without "match case" the text and the pattern's letters are lowercased.
    regex = new RegExp(query.caseSensitive ? query.payload : lowercasePattern(query.payload), 'l')
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    return {
      ok: false,
      error: /linear/.test(message)
        ? 'this pattern needs backtracking (backreferences or lookaround), which the broker does not run; simplify it'
        : `not a valid regular expression: ${message.replace(/^Invalid regular expression: /, '')}`
    }
  }
  if (query.caseSensitive) return { ok: true, test: (text) => regex.test(text) }
  return { ok: true, test: (text) => regex.test(text.toLowerCase()) }
}

/** Lowercase a pattern's letters but not its escapes (\D, \S, \W, \B, \p{Lu}, \k<Name> keep their meaning). */
export function lowercasePattern(pattern: string): string {
  let out = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]
    if (c !== '\\') {
      out += c.toLowerCase()
      continue
    }
    const next = pattern[i + 1] ?? ''
    const open = pattern[i + 2]
    if ((next === 'p' || next === 'P' || next === 'u' || next === 'k') && (open === '{' || open === '<')) {
      const close = pattern.indexOf(open === '{' ? '}' : '>', i + 2)
      const end = close < 0 ? pattern.length : close + 1
      out += pattern.slice(i, end)
      i = end - 1
    } else {
      out += c + next
      i++
    }
  }
  return out
}

const decoder = new TextDecoder('utf-8', { fatal: false })

function text(bytes: Uint8Array): string {
  return decoder.decode(bytes.length > MAX_SEARCH_BYTES ? bytes.subarray(0, MAX_SEARCH_BYTES) : bytes)
}

export interface SearchSource {
  records(): Iterable<TopicEntry>
  /** The latest payload of a topic as far as it is kept (the history's newest, else the tree's preview). */
  latest(entry: TopicEntry): Uint8Array | null
  history: TopicHistory
}

export async function findTopics(query: FindQuery, source: SearchSource): Promise<FindResult> {
  const topicMatch = compileTopicSearch(query.topic)
  if (!topicMatch.ok) return empty(`topic filter ${topicMatch.error}`)
  const payloadTest = compilePayloadTest(query)
  if (!payloadTest.ok) return empty(payloadTest.error)
  const test = payloadTest.test
  const result: FindResult = { matches: [], topicsScanned: 0, messagesScanned: 0, notListed: 0, stoppedEarly: false }
  const started = Date.now()
  let sliceStart = started
  for (const entry of [...source.records()]) {
    if (Date.now() - sliceStart > SLICE_MS) {
      if (Date.now() - started > BUDGET_MS) {
        result.stoppedEarly = true
        break
      }
      await new Promise((resolve) => setImmediate(resolve))
      sliceStart = Date.now()
    }
    if (!topicMatch.match(entry.topic)) continue
    result.topicsScanned++
    const match: FindMatch = { topic: entry.topic, latest: false, historyMatches: 0 }
    if (test === null) match.latest = true
    else {
      const latest = source.latest(entry)
      if (latest !== null) {
        result.messagesScanned++
        match.latest = test(text(latest))
      }
      if (query.history) {
        source.history.forEachPayload(entry, (payload) => {
          result.messagesScanned++
          if (test(text(payload))) match.historyMatches++
        })
      }
    }
    if (!match.latest && match.historyMatches === 0) continue
    if (result.matches.length < MAX_MATCHES) result.matches.push(match)
    else result.notListed++
  }
  return result
}

function empty(error: string): FindResult {
  return { matches: [], topicsScanned: 0, messagesScanned: 0, notListed: 0, stoppedEarly: false, error }
}
