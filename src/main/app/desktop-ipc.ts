/**
 * The desktop channel (IPC_CHANNELS.desktop): the same sender checks as the inspector's channel
 * (our window's main frame showing our page), then the command envelope (ipc-guard.ts
 * checkDesktopCall), then the command itself (desktop-commands.ts).
 */
import { ipcMain, type IpcMainInvokeEvent } from 'electron'
import type { DesktopCommands } from '../../shared/desktop-api'
import { IPC_CHANNELS, type CallReply } from '../../shared/ipc-channels'
import type { Logger } from '../logger'
import { checkDesktopCall } from './ipc-guard'

/** Who may call: the inspector channel's guard (ipc.ts InspectorIpc). */
export interface SenderGuard {
  refusal(event: IpcMainInvokeEvent): string | null
  refuse(channel: string, reason: string): void
}

export class DesktopIpc {
  constructor(
    private readonly commands: DesktopCommands,
    private readonly guard: SenderGuard,
    private readonly logger: Logger
  ) {}

  register(): void {
    ipcMain.handle(IPC_CHANNELS.desktop, this.onCall)
  }

  dispose(): void {
    ipcMain.removeHandler(IPC_CHANNELS.desktop)
  }

  private readonly onCall = async (event: IpcMainInvokeEvent, name: unknown, args: unknown): Promise<CallReply> => {
    const refusal = this.guard.refusal(event)
    if (refusal !== null) {
      this.guard.refuse(IPC_CHANNELS.desktop, refusal)
      return { ok: false, error: 'forbidden' }
    }
    const call = checkDesktopCall(name, args)
    if (!call.ok) {
      this.logger.warn(`IPC ${IPC_CHANNELS.desktop}: ${call.error}`)
      return { ok: false, error: call.error }
    }
    try {
      const command = this.commands[call.name] as (...args: unknown[]) => unknown
      return { ok: true, result: await command.apply(this.commands, call.args) }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      this.logger.debug(`desktop command ${call.name} failed: ${message}`)
      return { ok: false, error: message }
    }
  }
}
