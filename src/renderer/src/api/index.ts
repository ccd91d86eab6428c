/**
 * The renderer's one way to reach the broker: IPC in the Electron app (the preload put the API on
 * `window.brokerscope`), the WebSocket bridge when the page is served by the headless app.
 */
import type { BrokerScopeApi } from '../../../shared/api'
import { electronTransport } from './electron-transport'
import { checkHeadlessAccess } from './access-check'
import { forgetHeadlessToken, headlessApiUrl, takeHeadlessToken } from './headless-token'
import { WebSocketTransport } from './websocket-transport'

let api: BrokerScopeApi | null = null

export function getApi(): BrokerScopeApi {
  api ??= electronTransport() ?? headlessTransport()
  return api
}

function headlessTransport(): WebSocketTransport {
  const token = takeHeadlessToken()
  return new WebSocketTransport({
    url: headlessApiUrl(token),
    checkAccess: async () => {
      const answer = await checkHeadlessAccess(window.location.origin, token)
      if (answer === 'denied') forgetHeadlessToken(token)
      return answer
    }
  })
}

export type { BrokerScopeApi } from '../../../shared/api'
export type { ConnectionStatus } from './websocket-transport'
export { TOKEN_REFUSED } from './websocket-transport'
export { WebSocketTransport } from './websocket-transport'
