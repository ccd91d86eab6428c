import type { TrafficRow } from '../../../shared/api'
import { compileTopicFilter } from './topic-match'

export interface TrafficFilters {
  /** Case-insensitive substring of the client id. */
  client: string
  /** MQTT topic filter (+ and # allowed); empty = any. Rows without a topic never match a non-empty one. */
  topic: string
  direction: 'all' | 'in' | 'out'
  /** Packet type (e.g. "publish"), empty = any. */
  type: string
}

export const EMPTY_TRAFFIC_FILTERS: TrafficFilters = { client: '', topic: '', direction: 'all', type: '' }

/** The MQTT packet types, in the order the spec lists them. */
export const PACKET_TYPES: readonly string[] = [
  'connect',
  'connack',
  'publish',
  'puback',
  'pubrec',
  'pubrel',
  'pubcomp',
  'subscribe',
  'suback',
  'unsubscribe',
  'unsuback',
  'pingreq',
  'pingresp',
  'disconnect',
  'auth'
]

export type CompiledTrafficFilter = { ok: true; active: boolean; match: (row: TrafficRow) => boolean } | { ok: false; error: string }

export function compileTrafficFilter(filters: TrafficFilters): CompiledTrafficFilter {
  const topic = compileTopicFilter(filters.topic)
  if (!topic.ok) return { ok: false, error: `Topic filter ${topic.error}` }
  const client = filters.client.trim().toLowerCase()
  const topicText = filters.topic.trim()
  const type = filters.type.trim().toLowerCase()
  const direction = filters.direction
  const active = client !== '' || topicText !== '' || type !== '' || direction !== 'all'
  const topicMatch = topic.match
  return {
    ok: true,
    active,
    match: (row) => {
      if (direction !== 'all' && row.direction !== direction) return false
      if (type !== '' && row.type.toLowerCase() !== type) return false
      if (client !== '' && !row.clientId.toLowerCase().includes(client)) return false
      if (topicText !== '') {
        if (row.topic === undefined) return false
        if (!topicMatch(row.topic)) return false
      }
      return true
    }
  }
}

/** Rows that pass the filters; the same array when no filter is active. Invalid filters match nothing. */
export function filterTraffic(rows: readonly TrafficRow[], filters: TrafficFilters): readonly TrafficRow[] {
  const compiled = compileTrafficFilter(filters)
  if (!compiled.ok) return []
  if (!compiled.active) return rows
  return rows.filter(compiled.match)
}
