/**
 * The tray (menu bar) icon: the broker's state in the tooltip and the first menu line, Open and
 * Quit. The state is read from the broker every couple of seconds (two cheap calls), not per
 * event, so a busy broker costs the tray nothing. The menu template is a pure function.
 */
import { Menu, nativeImage, Tray, type MenuItemConstructorOptions } from 'electron'
import type { ListenerInfo } from '../../shared/broker-types'

export interface TrayState {
  listeners: ListenerInfo[]
  clientsConnected: number
}

export interface TrayActions {
  open(): void
  quit(): void
}

const LISTENER_TITLES: Record<ListenerInfo['name'], string> = { tcp: 'TCP', ws: 'WebSocket', tls: 'TLS', wss: 'WSS' }

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

export interface TrayControllerOptions {
  iconPath: string
  state(): TrayState
  actions: TrayActions
  /** How often the state is read (ms). */
  refreshMs?: number
}

export class TrayController {
  private readonly tray: Tray
  private readonly timer: ReturnType<typeof setInterval>
  private shown = ''

  constructor(private readonly options: TrayControllerOptions) {
    const icon = nativeImage.createFromPath(options.iconPath)
    // macOS draws template images in the menu bar's colours.
    if (process.platform === 'darwin') icon.setTemplateImage(true)
    this.tray = new Tray(icon)
    this.tray.on('click', () => options.actions.open())
    this.refresh()
    this.timer = setInterval(() => this.refresh(), options.refreshMs ?? 2000)
    this.timer.unref()
  }

  /** Re-read the state; the menu is rebuilt only when its text changed. */
  refresh(): void {
    const state = this.options.state()
    const status = trayStatus(state)
    if (status === this.shown) return
    this.shown = status
    this.tray.setToolTip(`BrokerScope — ${status}`)
    this.tray.setContextMenu(Menu.buildFromTemplate(trayMenuTemplate(state, this.options.actions)))
  }

  dispose(): void {
    clearInterval(this.timer)
    if (!this.tray.isDestroyed()) this.tray.destroy()
  }
}
