/**
 * What the topic inspector remembers across views and reloads: the pinned topics (the watch
 * list), the decoder chosen per topic filter (with its .proto), and the detail panel's tab.
 * Pins and decoder rules live in localStorage.
 */
import { create } from 'zustand'
import type { DecoderId, DecoderRule } from '../lib/decoders'
import { readStored, writeStored } from '../lib/storage'
import { compileTopicFilter } from '../lib/topic-match'

const PINS_KEY = 'brokerscope.pinnedTopics'
const RULES_KEY = 'brokerscope.decoderRules'
/** Pins and rules kept at most. */
export const MAX_PINS = 200
export const MAX_RULES = 100

export type DetailTab = 'value' | 'history' | 'diff' | 'chart'

function readList<T>(key: string, check: (value: unknown) => value is T): T[] {
  try {
    const parsed: unknown = JSON.parse(readStored(key) ?? '[]')
    return Array.isArray(parsed) ? parsed.filter(check) : []
  } catch {
    return []
  }
}

const isString = (value: unknown): value is string => typeof value === 'string'
const isRule = (value: unknown): value is DecoderRule =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as DecoderRule).filter === 'string' &&
  typeof (value as DecoderRule).decoder === 'string'

export interface TopicInspectorState {
  pinned: string[]
  rules: DecoderRule[]
  tab: DetailTab
  /** The history entry shown (null: the newest). */
  entryId: number | null
  /** The entry the diff compares against (null: the one before entryId). */
  compareId: number | null
  togglePin(topic: string): void
  setTab(tab: DetailTab): void
  selectEntry(id: number | null): void
  setCompare(id: number | null): void
  /** Remember a decoder for a topic filter (replacing that filter's rule). */
  setRule(rule: DecoderRule): void
  removeRule(filter: string): void
}

export const useTopicInspectorStore = create<TopicInspectorState>()((set, get) => ({
  pinned: readList(PINS_KEY, isString).slice(0, MAX_PINS),
  rules: readList(RULES_KEY, isRule).slice(0, MAX_RULES),
  tab: 'value',
  entryId: null,
  compareId: null,
  togglePin: (topic) => {
    const pinned = get().pinned.includes(topic) ? get().pinned.filter((t) => t !== topic) : [...get().pinned, topic].slice(-MAX_PINS)
    writeStored(PINS_KEY, JSON.stringify(pinned))
    set({ pinned })
  },
  setTab: (tab) => set({ tab }),
  selectEntry: (entryId) => set({ entryId, compareId: null }),
  setCompare: (compareId) => set({ compareId }),
  setRule: (rule) => {
    const rules = [rule, ...get().rules.filter((r) => r.filter !== rule.filter)].slice(0, MAX_RULES)
    writeStored(RULES_KEY, JSON.stringify(rules))
    set({ rules })
  },
  removeRule: (filter) => {
    const rules = get().rules.filter((r) => r.filter !== filter)
    writeStored(RULES_KEY, JSON.stringify(rules))
    set({ rules })
  }
}))

/** The rule for a topic: the first whose filter matches it; Sparkplug B topics default to Sparkplug, others to auto. */
export function ruleFor(rules: readonly DecoderRule[], topic: string): DecoderRule {
  for (const rule of rules) {
    const compiled = compileTopicFilter(rule.filter)
    if (compiled.ok && compiled.match(topic)) return rule
  }
  const decoder: DecoderId = topic.startsWith('spBv1.0/') ? 'sparkplug' : 'auto'
  return { filter: topic, decoder }
}
