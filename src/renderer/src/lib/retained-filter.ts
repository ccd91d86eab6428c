import type { RetainedRow } from '../../../shared/api'
import { compileTopicFilter, hasWildcard, isSysTopic } from './topic-match'

export type RetainedPredicate = (row: RetainedRow, previewText: string) => boolean

/**
 * The Retained view's filter. Text with `+` or `#` is an MQTT topic filter, matched as MQTT does
 * (`test/#` is test/ and everything under it, never `ui/test/props`); other text is found anywhere
 * in the topic or the payload preview, case-insensitively. An invalid filter says why.
 */
export function compileRetainedFilter(text: string): { ok: true; match: RetainedPredicate; mqtt: boolean } | { ok: false; error: string } {
  const trimmed = text.trim()
  if (trimmed === '') return { ok: true, match: () => true, mqtt: false }
  if (hasWildcard(trimmed)) {
    const filter = compileTopicFilter(trimmed)
    if (!filter.ok) return { ok: false, error: `not a valid MQTT filter: ${filter.error}` }
    return { ok: true, match: (row) => filter.match(row.topic), mqtt: true }
  }
  const needle = trimmed.toLowerCase()
  return {
    ok: true,
    match: (row, previewText) => row.topic.toLowerCase().includes(needle) || previewText.toLowerCase().includes(needle),
    mqtt: false
  }
}

/** The rows the view shows: $SYS ones only when asked for, then the filter. */
export function shownRetained(
  rows: readonly RetainedRow[],
  showSys: boolean,
  match: RetainedPredicate,
  previewText: (row: RetainedRow) => string
): RetainedRow[] {
  return rows.filter((row) => (showSys || !isSysTopic(row.topic)) && match(row, previewText(row)))
}
