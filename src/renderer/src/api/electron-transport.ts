/**
 * BrokerScopeApi in the Electron app: the preload (src/preload/index.ts) has already put it on
 * `window.brokerscope`, backed by IPC. Nothing to wrap; this only finds it.
 */
import type { BrokerScopeApi } from '../../../shared/api'

export function electronTransport(): BrokerScopeApi | null {
  const api = window.brokerscope
  return api && api.transport === 'electron' ? api : null
}
