/**
 * MQTT topic filters in the renderer: `+` matches one level, `#` the rest (including the parent
 * level itself), and wildcards at the first level never match topics starting with `$`
 * ([MQTT-4.7.2-1]). Used by the traffic filter and the topic tree filter.
 */

/** Why a filter is not a valid MQTT topic filter, or null when it is. */
export function topicFilterProblem(filter: string): string | null {
  if (filter.length === 0) return 'is empty'
  const levels = filter.split('/')
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]
    // [MQTT-4.7.1-1] '#' must be alone in its level and the last level.
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      return '"#" must be the whole last level (e.g. sensors/#)'
    }
    // [MQTT-4.7.1-2] '+' must occupy a whole level.
    if (level.includes('+') && level !== '+') return '"+" must be a whole level (e.g. sensors/+/temp)'
  }
  if (filter.includes('\u0000')) return 'contains a null character'
  return null
}

/**
 * $SYS and everything under it: the broker's own topics. The UI hides them unless asked and never
 * deletes their retained messages (the broker writes them again at the next $SYS interval anyway).
 */
export function isSysTopic(topic: string): boolean {
  return topic.startsWith('$SYS') && (topic.length === 4 || topic.charCodeAt(4) === 0x2f)
}

export function hasWildcard(filter: string): boolean {
  return filter.includes('+') || filter.includes('#')
}

/** Does a topic match a (valid) topic filter? */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/')
  const t = topic.split('/')
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false
  for (let i = 0; i < f.length; i++) {
    const level = f[i]
    if (level === '#') return true // matches this level and everything below, also the parent
    if (i >= t.length) return false
    if (level !== '+' && level !== t[i]) return false
  }
  return f.length === t.length
}

export type TopicPredicate = (topic: string) => boolean

/**
 * Compile a filter once for many topics. An empty filter matches everything; an invalid one
 * returns its problem instead of a predicate.
 */
export function compileTopicFilter(filter: string): { ok: true; match: TopicPredicate } | { ok: false; error: string } {
  const trimmed = filter.trim()
  if (trimmed.length === 0) return { ok: true, match: () => true }
  const problem = topicFilterProblem(trimmed)
  if (problem) return { ok: false, error: problem }
  if (!hasWildcard(trimmed)) return { ok: true, match: (topic) => topic === trimmed }
  return { ok: true, match: (topic) => topicMatches(trimmed, topic) }
}

/**
 * The looser search used by the topic tree: a pattern with wildcards is an MQTT filter, plain
 * text is a case-insensitive substring of the topic.
 */
export function compileTopicSearch(search: string): { ok: true; match: TopicPredicate } | { ok: false; error: string } {
  const trimmed = search.trim()
  if (trimmed.length === 0) return { ok: true, match: () => true }
  if (hasWildcard(trimmed)) return compileTopicFilter(trimmed)
  const needle = trimmed.toLowerCase()
  return { ok: true, match: (topic) => topic.toLowerCase().includes(needle) }
}
