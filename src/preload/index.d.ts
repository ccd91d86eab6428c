/** What the preload script exposes on `window` (sandboxed, contextIsolation on). */
import type { BrokerScopeApi } from '../shared/api'

declare global {
  interface Window {
    /** Present in the Electron app; absent when the page is served by the headless app. */
    brokerscope?: BrokerScopeApi
  }
}
