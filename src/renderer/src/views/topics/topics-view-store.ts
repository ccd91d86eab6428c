import { create } from 'zustand'
import type { FindQuery, FindResult } from '../../../../shared/api'

/** What the Topics view remembers while other views are open. */
export interface TopicsViewState {
  expanded: ReadonlySet<string>
  selected: string | null
  search: string
  /** The payload search as typed. */
  find: FindQuery
  /** The last payload search's answer (the tree then shows only its matches). */
  found: FindResult | null
  showTalkers: boolean
  setFind(patch: Partial<FindQuery>): void
  setFound(found: FindResult | null): void
  setShowTalkers(show: boolean): void
  setExpanded(paths: ReadonlySet<string>): void
  toggle(path: string, open?: boolean): void
  select(path: string | null): void
  setSearch(search: string): void
}

export const useTopicsViewStore = create<TopicsViewState>()((set) => ({
  expanded: new Set<string>(),
  selected: null,
  search: '',
  find: { topic: '', payload: '', mode: 'substring', caseSensitive: false, history: true },
  found: null,
  showTalkers: false,
  setFind: (patch) => set((state) => ({ find: { ...state.find, ...patch } })),
  setFound: (found) => set({ found }),
  setShowTalkers: (showTalkers) => set({ showTalkers }),
  setExpanded: (expanded) => set({ expanded }),
  toggle: (path, open) =>
    set((state) => {
      const isOpen = state.expanded.has(path)
      const want = open ?? !isOpen
      if (want === isOpen) return {}
      const expanded = new Set(state.expanded)
      if (want) expanded.add(path)
      else expanded.delete(path)
      return { expanded }
    }),
  select: (selected) => set({ selected }),
  setSearch: (search) => set({ search })
}))
