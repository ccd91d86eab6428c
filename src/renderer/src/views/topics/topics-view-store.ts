import { create } from 'zustand'

/** What the Topics view remembers while other views are open. */
export interface TopicsViewState {
  expanded: ReadonlySet<string>
  selected: string | null
  search: string
  setExpanded(paths: ReadonlySet<string>): void
  toggle(path: string, open?: boolean): void
  select(path: string | null): void
  setSearch(search: string): void
}

export const useTopicsViewStore = create<TopicsViewState>()((set) => ({
  expanded: new Set<string>(),
  selected: null,
  search: '',
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
