/** What the tray says and offers (pure, so it is tested without Electron; tray.ts shows it). */
import type { MenuItemConstructorOptions } from 'electron'
import type { ListenerInfo } from '../../shared/broker-types'

export interface TrayState {
  listeners: ListenerInfo[]
  clientsConnected: number
}

export interface TrayActions {
  open(): void
  quit(): void
}

const LISTENER_TITLES: Record<ListenerInfo['name'], string> = { tcp: 'TCP', ws: 'WebSocket', tls: 'TLS', wss: 'WSS', unix: 'Unix socket' }

/** One line: "Running · 3 clients", or what is wrong. */
export function trayStatus(state: TrayState): string {
  const listening = state.listeners.filter((l) => l.listening)
  const failed = state.listeners.filter((l) => !l.listening && l.error)
  const clients = `${state.clientsConnected} client${state.clientsConnected === 1 ? '' : 's'} connected`
  if (listening.length === 0) return failed.length > 0 ? `Not listening: ${failed[0].error}` : 'Not listening'
  const ports = listening.map((l) => `${LISTENER_TITLES[l.name]} ${l.port}`).join(', ')
  return `Running on ${ports} · ${clients}${failed.length > 0 ? ` · ${failed.length} listener${failed.length === 1 ? '' : 's'} failed` : ''}`
}

export function trayMenuTemplate(state: TrayState, actions: TrayActions): MenuItemConstructorOptions[] {
  return [
    { label: trayStatus(state), enabled: false },
    { type: 'separator' },
    { label: 'Open BrokerScope', click: () => actions.open() },
    { type: 'separator' },
    { label: 'Quit BrokerScope', click: () => actions.quit() }
  ]
}
