import { create } from 'zustand'
import { readStored, writeStored } from '../lib/storage'
import { isViewId, type ViewId } from '../lib/views'

export type ThemeChoice = 'system' | 'light' | 'dark'

const THEME_KEY = 'brokerscope.theme'
const VIEW_KEY = 'brokerscope.view'
const SHOW_SYS_KEY = 'brokerscope.showSys'

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
  /** Show the broker's own $SYS topics in Topics, Retained and their counts (off by default: they crowd a newcomer's own). */
  showSys: boolean
  /** The Dashboard's "How to connect": null until the user opens or closes it (then it is open on a first run). */
  connectHelpOpen: boolean | null
  setConnectHelpOpen(open: boolean): void
  /** The nav, as the user last set it; null: open in a wide window, folded away in a narrow one. */
  navOpen: boolean | null
  setNavOpen(open: boolean | null): void
  setView(view: ViewId): void
  setShowSys(show: boolean): void
  setTheme(theme: ThemeChoice): void
  /** system → light → dark → system */
  cycleTheme(): void
  setHelpOpen(open: boolean): void
}

export const useUiStore = create<UiState>()((set, get) => ({
  view: storedView(),
  theme: storedTheme(),
  helpOpen: false,
  showSys: readStored(SHOW_SYS_KEY) === 'true',
  connectHelpOpen: null,
  navOpen: null,
  setNavOpen: (navOpen) => set({ navOpen }),
  setConnectHelpOpen: (connectHelpOpen) => set({ connectHelpOpen }),
  setShowSys: (showSys) => {
    writeStored(SHOW_SYS_KEY, String(showSys))
    set({ showSys })
  },
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
