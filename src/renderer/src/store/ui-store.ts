import { create } from 'zustand'
import { readStored, writeStored } from '../lib/storage'
import { isViewId, type ViewId } from '../lib/views'

export type ThemeChoice = 'system' | 'light' | 'dark'

const THEME_KEY = 'brokerscope.theme'
const VIEW_KEY = 'brokerscope.view'

function storedTheme(): ThemeChoice {
  const value = readStored(THEME_KEY)
  return value === 'light' || value === 'dark' || value === 'system' ? value : 'system'
}

function storedView(): ViewId {
  const value = readStored(VIEW_KEY)
  return isViewId(value) ? value : 'dashboard'
}

export interface UiState {
  view: ViewId
  theme: ThemeChoice
  helpOpen: boolean
  setView(view: ViewId): void
  setTheme(theme: ThemeChoice): void
  /** system → light → dark → system */
  cycleTheme(): void
  setHelpOpen(open: boolean): void
}

export const useUiStore = create<UiState>()((set, get) => ({
  view: storedView(),
  theme: storedTheme(),
  helpOpen: false,
  setView: (view) => {
    writeStored(VIEW_KEY, view)
    set({ view })
  },
  setTheme: (theme) => {
    writeStored(THEME_KEY, theme)
    set({ theme })
  },
  cycleTheme: () => {
    const order: ThemeChoice[] = ['system', 'light', 'dark']
    get().setTheme(order[(order.indexOf(get().theme) + 1) % order.length])
  },
  setHelpOpen: (helpOpen) => set({ helpOpen })
}))
