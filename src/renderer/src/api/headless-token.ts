/**
 * The headless app's access token. It arrives once in the page URL (`/?token=…`, printed by the
 * command line), is kept in sessionStorage for reloads of this tab, and is removed from the address
 * bar so it does not linger in history, bookmarks or screenshots.
 */
const STORAGE_KEY = 'brokerscope.token'

export function takeHeadlessToken(): string | null {
  const url = new URL(window.location.href)
  const fromUrl = url.searchParams.get('token')
  if (fromUrl) {
    try {
      window.sessionStorage.setItem(STORAGE_KEY, fromUrl)
    } catch {
      // Storage can be disabled; the token still works for this page load.
    }
    url.searchParams.delete('token')
    window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash)
    return fromUrl
  }
  try {
    return window.sessionStorage.getItem(STORAGE_KEY)
  } catch {
    return null
  }
}

/** ws://<the page's host>/api?token=… (wss when the page itself came over https). */
export function headlessApiUrl(token: string | null): string {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws'
  const query = token ? `?token=${encodeURIComponent(token)}` : ''
  return `${scheme}://${window.location.host}/api${query}`
}

/** Forget a token the server refused, so a reload does not try it again. */
export function forgetHeadlessToken(token: string | null): void {
  try {
    if (window.sessionStorage.getItem(STORAGE_KEY) === token) window.sessionStorage.removeItem(STORAGE_KEY)
  } catch {
    // Storage can be disabled.
  }
}
