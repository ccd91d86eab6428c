/**
 * The desktop app's own API (shared/desktop-api.ts), put on `window.brokerscopeDesktop` by the
 * preload; null in the headless app's page, where the desktop parts of the UI are not shown.
 */
import type { BrokerScopeDesktopApi } from '../../../shared/desktop-api'

export function desktopApi(): BrokerScopeDesktopApi | null {
  return window.brokerscopeDesktop ?? null
}
