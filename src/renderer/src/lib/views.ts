/** The views of the inspector, in nav order, with their keyboard shortcuts. */
export type ViewId =
  | 'dashboard'
  | 'clients'
  | 'subscriptions'
  | 'retained'
  | 'traffic'
  | 'topics'
  | 'publish'
  | 'settings'
  | 'simulate'
  | 'bridges'

export interface ViewInfo {
  id: ViewId
  label: string
  /** Alt+<digit> opens the view. */
  digit: string
  /** "g" then this key opens the view. */
  goKey: string
}

export const VIEWS: readonly ViewInfo[] = [
  { id: 'dashboard', label: 'Dashboard', digit: '1', goKey: 'd' },
  { id: 'clients', label: 'Clients', digit: '2', goKey: 'c' },
  { id: 'subscriptions', label: 'Subscriptions', digit: '3', goKey: 's' },
  { id: 'retained', label: 'Retained', digit: '4', goKey: 'r' },
  { id: 'traffic', label: 'Traffic', digit: '5', goKey: 't' },
  { id: 'topics', label: 'Topics', digit: '6', goKey: 'o' },
  { id: 'publish', label: 'Publish', digit: '7', goKey: 'p' },
  { id: 'settings', label: 'Settings', digit: '8', goKey: ',' },
  { id: 'simulate', label: 'Simulate', digit: '9', goKey: 'm' },
  { id: 'bridges', label: 'Bridges', digit: '0', goKey: 'b' }
]

export function isViewId(value: unknown): value is ViewId {
  return typeof value === 'string' && VIEWS.some((v) => v.id === value)
}

export function viewForDigit(digit: string): ViewId | null {
  return VIEWS.find((v) => v.digit === digit)?.id ?? null
}

export function viewForGoKey(key: string): ViewId | null {
  return VIEWS.find((v) => v.goKey === key.toLowerCase())?.id ?? null
}

/** Shortcuts as the Help tooltip lists them. */
export const SHORTCUTS: readonly { keys: string; what: string }[] = [
  { keys: 'Alt+1 … Alt+9, Alt+0', what: 'open a view (in nav order)' },
  {
    keys: 'g then d c s r t o p , m b',
    what: 'go to Dashboard, Clients, Subscriptions, Retained, Traffic, Topics, Publish, Settings, Simulate, Bridges'
  },
  { keys: '/', what: 'focus the filter box of the view' },
  { keys: '?', what: 'show or hide this help' },
  { keys: '↑ ↓ Home End', what: 'move in the traffic log and the topic tree' },
  { keys: '← →', what: 'collapse / expand in the topic tree' },
  { keys: 'Space', what: 'pause / resume the traffic log (when it has focus)' },
  { keys: 'Esc', what: 'close details, dialogs and this help' },
  { keys: 'Ctrl+Enter', what: 'publish (in the Publish view)' }
]
