/**
 * The Electron side of the typed API: one invoke channel for commands, one push channel for
 * inspector batches, one "ready" signal. Every message is checked first (ipc-guard.ts): it must
 * come from our window's main frame showing our page, name a known command and carry an argument
 * array; anything else is dropped and logged. Batches are held (bounded) until the renderer says it
 * is listening, and the hold is reset when the page reloads.
 */
import { ipcMain, type BrowserWindow, type IpcMainEvent, type IpcMainInvokeEvent, type WebContents } from 'electron'
import type { InspectorBatch } from '../../shared/api'
import { IPC_CHANNELS, type CallReply } from '../../shared/ipc-channels'
import type { Logger } from '../logger'
import { checkCall, checkSender, type IpcSender } from './ipc-guard'

/** What the IPC layer needs from the inspector. */
export interface InspectorEndpoint {
  handleCommand(name: string, args: unknown[]): Promise<unknown> | unknown
  onBatch(listener: (batch: InspectorBatch) => void): () => void
}

export interface InspectorIpcOptions {
  isAppUrl: (url: string) => boolean
  logger: Logger
}

/** Batches kept while the renderer is not listening yet; older ones are dropped (and counted). */
const MAX_HELD_BATCHES = 100

export class InspectorIpc {
  private target: WebContents | null = null
  private ready = false
  private held: InspectorBatch[] = []
  private heldDropped = 0
  private refused = 0
  private unsubscribe: (() => void) | null = null

  constructor(
    private readonly inspector: InspectorEndpoint,
    private readonly options: InspectorIpcOptions
  ) {}

  /** Install the channel handlers once per app run. */
  register(): void {
    ipcMain.handle(IPC_CHANNELS.call, this.onCall)
    ipcMain.on(IPC_CHANNELS.ready, this.onReady)
    this.unsubscribe = this.inspector.onBatch((batch) => this.push(batch))
  }

  /** The window whose renderer may talk to us (one at a time; a new window replaces the old). */
  attach(window: BrowserWindow): void {
    const contents = window.webContents
    this.target = contents
    this.resetDelivery()
    // A reload (or a crash and reload) starts a new page that must say it is ready again.
    contents.on('did-start-loading', () => {
      if (this.target === contents) this.resetDelivery()
    })
    contents.on('render-process-gone', () => {
      if (this.target === contents) this.resetDelivery()
    })
    contents.once('destroyed', () => {
      if (this.target === contents) {
        this.target = null
        this.resetDelivery()
      }
    })
  }

  dispose(): void {
    ipcMain.removeHandler(IPC_CHANNELS.call)
    ipcMain.removeListener(IPC_CHANNELS.ready, this.onReady)
    this.unsubscribe?.()
    this.unsubscribe = null
    this.target = null
    this.resetDelivery()
  }

  private readonly onCall = async (event: IpcMainInvokeEvent, name: unknown, args: unknown): Promise<CallReply> => {
    const refusal = this.refusal(event)
    if (refusal !== null) {
      this.refuse(IPC_CHANNELS.call, refusal)
      return { ok: false, error: 'forbidden' }
    }
    const call = checkCall(name, args)
    if (!call.ok) {
      this.options.logger.warn(`IPC ${IPC_CHANNELS.call}: ${call.error}`)
      return { ok: false, error: call.error }
    }
    try {
      const result = await this.inspector.handleCommand(call.name, call.args)
      return { ok: true, result }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      this.options.logger.debug(`command ${call.name} failed: ${message}`)
      return { ok: false, error: message }
    }
  }

  private readonly onReady = (event: IpcMainEvent): void => {
    const refusal = this.refusal(event)
    if (refusal !== null) return this.refuse(IPC_CHANNELS.ready, refusal)
    if (this.ready) return
    this.ready = true
    if (this.heldDropped > 0) this.options.logger.debug(`${this.heldDropped} batches were dropped before the renderer was ready`)
    const held = this.held
    this.held = []
    this.heldDropped = 0
    for (const batch of held) this.send(batch)
  }

  private push(batch: InspectorBatch): void {
    if (this.target === null) return
    if (this.ready) return this.send(batch)
    if (this.held.length >= MAX_HELD_BATCHES) {
      this.held.shift()
      this.heldDropped++
    }
    this.held.push(batch)
  }

  private send(batch: InspectorBatch): void {
    const target = this.target
    if (target === null || target.isDestroyed()) return
    target.send(IPC_CHANNELS.batch, batch)
  }

  private resetDelivery(): void {
    this.ready = false
    this.held = []
    this.heldDropped = 0
  }

  /** Why this sender may not talk to us, or null: for the other channels too (desktop-ipc.ts). */
  refusal(event: IpcMainEvent | IpcMainInvokeEvent): string | null {
    const frame = event.senderFrame
    const sender: IpcSender = {
      webContentsId: event.sender.id,
      frame: frame ? { isMainFrame: frame.parent === null, url: frame.url } : null
    }
    return checkSender(sender, { webContentsId: this.target?.id ?? null, isAppUrl: this.options.isAppUrl })
  }

  /** Refusals are logged, but only the first few in full: a hostile page must not flood the log. */
  refuse(channel: string, reason: string): void {
    this.refused++
    if (this.refused <= 10) this.options.logger.warn(`IPC ${channel} dropped: ${reason}`)
    else if (this.refused % 1000 === 0) this.options.logger.warn(`IPC: ${this.refused} messages dropped so far`)
  }
}
