/**
 * Is this page's token the one the headless UI server runs with? GET /api/access answers 204 (yes)
 * or 403 (no); anything else, or no answer, means the server could not be asked. No DOM use, so
 * it runs (and is tested) on Node too.
 */
import type { AccessCheck } from './websocket-transport'

export async function checkHeadlessAccess(base: string, token: string | null, fetchImpl: typeof fetch = fetch): Promise<AccessCheck> {
  const query = token ? `?token=${encodeURIComponent(token)}` : ''
  try {
    const response = await fetchImpl(`${base}/api/access${query}`)
    return response.status === 204 ? 'ok' : response.status === 403 ? 'denied' : 'unreachable'
  } catch {
    return 'unreachable'
  }
}
