/**
 * Topic name and topic filter rules (MQTT 3.1.1 §4.7, 5.0 §4.7 and §4.8.2), plus a plain matcher.
 * The broker matches through SubscriptionTrie; topicMatchesFilter is the readable reference used by
 * the inspector and by tests.
 */

/** An MQTT UTF-8 encoded string is at most 65535 bytes: its length prefix is two bytes [MQTT-1.5.3]. */
const MAX_UTF8_BYTES = 65535

/** A UTF-16 string never takes more than 3 UTF-8 bytes per code unit, so short strings skip the count. */
const SAFE_UTF16_LENGTH = Math.floor(MAX_UTF8_BYTES / 3)

const SHARE_PREFIX = '$share/'

/**
 * Checks what names and filters have in common: no U+0000, well-formed UTF-16 (so well-formed
 * UTF-8 on the wire), and the byte limit. Returns an error or null.
 */
function checkString(value: string, what: string): string | null {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    // U+0000 is forbidden in topic names and filters [MQTT-4.7.3-2] [MQTT-1.5.4-2].
    if (c === 0) return `${what} must not contain U+0000`
    if (c >= 0xd800 && c <= 0xdfff) {
      // A lone surrogate has no UTF-8 encoding: it would be ill-formed on the wire [MQTT-1.5.4-1].
      if (c <= 0xdbff) {
        const next = i + 1 < value.length ? value.charCodeAt(i + 1) : 0
        if (next >= 0xdc00 && next <= 0xdfff) {
          i++
          continue
        }
      }
      return `${what} contains an unpaired surrogate (invalid UTF-8)`
    }
  }
  if (value.length > SAFE_UTF16_LENGTH && Buffer.byteLength(value, 'utf8') > MAX_UTF8_BYTES) {
    return `${what} is longer than ${MAX_UTF8_BYTES} bytes`
  }
  return null
}

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
