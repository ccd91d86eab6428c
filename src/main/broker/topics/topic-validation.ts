/**
 * Topic name and topic filter rules (MQTT 3.1.1 §4.7, 5.0 §4.7 and §4.8.2), plus a plain matcher.
 * The broker matches through SubscriptionTrie; topicMatchesFilter is the readable reference used by
 * the inspector and by tests.
 */
import { mqttStringProblem } from '../../../shared/mqtt-wire'

const SHARE_PREFIX = '$share/'

/**
 * Checks what names and filters have in common: no U+0000 [MQTT-4.7.3-2] [MQTT-1.5.4-2],
 * well-formed UTF-16 (so well-formed UTF-8 on the wire) [MQTT-1.5.4-1], and the byte limit: the
 * shared wire rules (src/shared/mqtt-wire.ts). Returns an error or null.
 */
const checkString = mqttStringProblem

/** Null when `topic` is a valid topic name for PUBLISH (and Will/Response Topic), else why not. */
export function validateTopicName(topic: string): string | null {
  // At least one character [MQTT-4.7.3-1].
  if (topic.length === 0) return 'topic name must not be empty'
  // Wildcards are for filters only [MQTT-3.3.2-2].
  if (topic.includes('+') || topic.includes('#')) return 'topic name must not contain wildcards (+ or #)'
  return checkString(topic, 'topic name')
}

/**
 * Null when `filter` is a valid topic filter, else why not. A `$share/...` filter is checked as a
 * plain filter here; use parseSharedFilter for the share syntax.
 */
export function validateTopicFilter(filter: string): string | null {
  // At least one character [MQTT-4.7.3-1].
  if (filter.length === 0) return 'topic filter must not be empty'
  // One pass, checking each wildcard's neighbours, so a long filter costs linear time.
  const last = filter.length - 1
  for (let i = 0; i <= last; i++) {
    const c = filter.charCodeAt(i)
    if (c !== 0x23 /* '#' */ && c !== 0x2b /* '+' */) continue
    const alone = (i === 0 || filter.charCodeAt(i - 1) === 0x2f) && (i === last || filter.charCodeAt(i + 1) === 0x2f)
    if (c === 0x23) {
      // '#' alone in its level and the last level [MQTT-4.7.1-2].
      if (!alone) return "'#' must occupy a whole level"
      if (i !== last) return "'#' must be the last level"
    } else if (!alone) {
      // '+' alone in its level [MQTT-4.7.1-3].
      return "'+' must occupy a whole level"
    }
  }
  return checkString(filter, 'topic filter')
}

/** True when the filter has a '+' or '#' level (so it can match more than one topic). */
export function hasWildcard(filter: string): boolean {
  return filter.includes('+') || filter.includes('#')
}

/**
 * Splits `$share/{ShareName}/{filter}` (MQTT 5 §4.8.2). Null when `filter` is not a shared
 * subscription; `{ error }` when it is one but malformed. The ShareName ends at the first '/', so it
 * can never contain one.
 */
export function parseSharedFilter(filter: string): { group: string; topicFilter: string } | null | { error: string } {
  // '$share' alone is treated as an (invalid) shared filter, not a plain one, so it cannot slip through.
  if (filter !== '$share' && !filter.startsWith(SHARE_PREFIX)) return null
  const rest = filter.slice(SHARE_PREFIX.length)
  const slash = rest.indexOf('/')
  const group = slash === -1 ? rest : rest.slice(0, slash)
  // ShareName at least one character [MQTT-4.8.2-1].
  if (group.length === 0) return { error: 'shared subscription needs a non-empty ShareName' }
  // ShareName must not contain '/', '+' or '#' [MQTT-4.8.2-2].
  if (group.includes('+') || group.includes('#')) return { error: "ShareName must not contain '+' or '#'" }
  const groupError = checkString(group, 'ShareName')
  if (groupError !== null) return { error: groupError }
  if (slash === -1) return { error: 'shared subscription needs a topic filter after the ShareName' }
  const topicFilter = rest.slice(slash + 1)
  const filterError = validateTopicFilter(topicFilter)
  if (filterError !== null) return { error: filterError }
  // The whole string still travels as one UTF-8 string, so it carries the byte limit too.
  const lengthError = checkString(filter, 'topic filter')
  if (lengthError !== null) return { error: lengthError }
  return { group, topicFilter }
}

/**
 * Whether `topic` (a valid name) matches `filter` (a valid filter, without any $share prefix).
 * '#' matches the parent level too ('a/#' matches 'a'); '+' matches exactly one level, which may be
 * empty.
 */
export function topicMatchesFilter(filter: string, topic: string): boolean {
  const filterLevels = filter.split('/')
  const topicLevels = topic.split('/')
  // A topic starting with '$' is not matched by a filter starting with a wildcard [MQTT-4.7.2-1].
  if (topic.startsWith('$') && (filterLevels[0] === '+' || filterLevels[0] === '#')) return false
  for (let i = 0; i < filterLevels.length; i++) {
    const level = filterLevels[i]
    // '#' matches the rest, including no levels at all [MQTT-4.7.1-2].
    if (level === '#') return true
    if (i >= topicLevels.length) return false
    if (level !== '+' && level !== topicLevels[i]) return false
  }
  return filterLevels.length === topicLevels.length
}

/** $SYS and everything under it: written by the broker alone. */
export function isSysTopic(topic: string): boolean {
  return topic.startsWith('$SYS') && (topic.length === 4 || topic.charCodeAt(4) === 0x2f)
}
