/// <reference path="./index.d.ts" />
/**
 * Sandboxed preload (built as CommonJS to out/preload/index.cjs). Exposes exactly the typed
 * BrokerScopeApi on `window.brokerscope`, and the desktop-only BrokerScopeDesktopApi on
 * `window.brokerscopeDesktop`, over the four channels in shared/ipc-channels.ts; never a generic
 * ipcRenderer passthrough. Only `electron` and pure shared modules may be imported here.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { COMMAND_NAMES, type BrokerScopeApi, type CommandName, type InspectorBatch } from '../shared/api'
import { DESKTOP_COMMAND_NAMES, type BrokerScopeDesktopApi, type DesktopCommandName } from '../shared/desktop-api'
import { IPC_CHANNELS, type CallReply } from '../shared/ipc-channels'

const listeners = new Set<(batch: InspectorBatch) => void>()
let announcedReady = false

// One IPC listener for the page, fanned out here, so unsubscribing never touches other listeners.
ipcRenderer.on(IPC_CHANNELS.batch, (_event: IpcRendererEvent, batch: InspectorBatch) => {
  for (const listener of [...listeners]) {
    try {
      listener(batch)
    } catch (err) {
      console.error('brokerscope: batch listener failed', err)
    }
  }
})

async function call(name: CommandName, ...args: unknown[]): Promise<unknown> {
  if (!(COMMAND_NAMES as readonly string[]).includes(name)) throw new Error(`unknown command "${String(name)}"`)
  const reply = (await ipcRenderer.invoke(IPC_CHANNELS.call, name, args)) as CallReply
  if (!reply.ok) throw new Error(reply.error)
  return reply.result
}

function onBatch(listener: (batch: InspectorBatch) => void): () => void {
  if (typeof listener !== 'function') throw new TypeError('onBatch needs a function')
  listeners.add(listener)
  // The main side holds batches until someone listens.
  if (!announcedReady) {
    announcedReady = true
    ipcRenderer.send(IPC_CHANNELS.ready)
  }
  return () => {
    listeners.delete(listener)
  }
}

const api: BrokerScopeApi = Object.freeze({
  call: call as BrokerScopeApi['call'],
  onBatch,
  transport: 'electron'
})

async function desktopCall(name: DesktopCommandName, ...args: unknown[]): Promise<unknown> {
  if (!(DESKTOP_COMMAND_NAMES as readonly string[]).includes(name)) throw new Error(`unknown desktop command "${String(name)}"`)
  const reply = (await ipcRenderer.invoke(IPC_CHANNELS.desktop, name, args)) as CallReply
  if (!reply.ok) throw new Error(reply.error)
  return reply.result
}

const desktop: BrokerScopeDesktopApi = Object.freeze({ call: desktopCall as BrokerScopeDesktopApi['call'] })

contextBridge.exposeInMainWorld('brokerscope', api)
contextBridge.exposeInMainWorld('brokerscopeDesktop', desktop)
