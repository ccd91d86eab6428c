/** What the preload script exposes on `window` (sandboxed, contextIsolation on). */
export interface BrokerScopeApi {
  /** The app version (package.json "version"). */
  readonly version: string
}

declare global {
  interface Window {
    readonly brokerscope: BrokerScopeApi
  }
}
