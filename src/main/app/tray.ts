/**
 * The tray (menu bar) icon: the broker's state in the tooltip and the first menu line, Open and
 * Quit. The state is read from the broker every couple of seconds (two cheap calls), not per
 * event, so a busy broker costs the tray nothing. The menu's text is in tray-menu.ts (pure).
 */
import { Menu, nativeImage, Tray } from 'electron'
import { type TrayActions, type TrayState, trayMenuTemplate, trayStatus } from './tray-menu'

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
