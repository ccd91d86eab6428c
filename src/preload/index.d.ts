/** What the preload script exposes on `window` (sandboxed, contextIsolation on). */
import type { BrokerScopeApi } from '../shared/api'
import type { BrokerScopeDesktopApi } from '../shared/desktop-api'

declare global {
  interface Window {
    /** Present in the Electron app; absent when the page is served by the headless app. */
    brokerscope?: BrokerScopeApi
    /** The desktop app only: its data folder, port conflicts, its own settings. */
    brokerscopeDesktop?: BrokerScopeDesktopApi
  }
}
