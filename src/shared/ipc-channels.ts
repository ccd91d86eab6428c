/**
 * The Electron IPC channels, named once for main and preload. There are exactly four; the preload
 * never forwards any other channel.
 */
export const IPC_CHANNELS = {
  /** renderer → main, invoke: `(name: CommandName, args: unknown[])` → CallReply. */
  call: 'brokerscope:call',
  /** main → renderer, send: one InspectorBatch. */
  batch: 'brokerscope:batch',
  /** renderer → main, send (no payload): a batch listener exists; start pushing batches. */
  ready: 'brokerscope:ready',
  /** renderer → main, invoke: `(name: DesktopCommandName, args: unknown[])` → CallReply (shared/desktop-api.ts). */
  desktop: 'brokerscope:desktop'
} as const

export type IpcChannel = (typeof IPC_CHANNELS)[keyof typeof IPC_CHANNELS]

/**
 * What the call channel resolves with. Errors travel as data rather than as a rejected invoke so
 * the renderer sees the main side's message as is (Electron prefixes rejected invokes with
 * "Error invoking remote method …"); the preload turns `ok: false` into a rejected promise.
 * Same shape as the WebSocket bridge's response, minus the id.
 */
export type CallReply = { ok: true; result: unknown } | { ok: false; error: string }
