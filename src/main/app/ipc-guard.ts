/**
 * The checks every IPC message passes before it reaches the inspector, kept free of Electron so
 * they can be tested on plain Node. ipc.ts maps Electron's event objects onto these shapes.
 */
import { COMMAND_NAMES, type CommandName } from '../../shared/api'
import { DESKTOP_COMMAND_NAMES, type DesktopCommandName } from '../../shared/desktop-api'

/** No command takes more than one argument; anything much longer is not from our renderer. */
export const MAX_COMMAND_ARGS = 4

/** Who sent an IPC message, as far as the guard needs to know. */
export interface IpcSender {
  /** `event.sender.id` */
  webContentsId: number
  /** `event.senderFrame`: null once the frame is gone (navigated or destroyed). */
  frame: { isMainFrame: boolean; url: string } | null
}

/** Who may send: the one app window (its webContents id) showing the app's own page. */
export interface IpcTrust {
  webContentsId: number | null
  isAppUrl: (url: string) => boolean
}

/** null when the sender is our window's main frame on our page; otherwise why it is refused. */
export function checkSender(sender: IpcSender, trust: IpcTrust): string | null {
  if (trust.webContentsId === null) return 'no app window is open'
  if (sender.webContentsId !== trust.webContentsId) return `sender ${sender.webContentsId} is not the app window`
  if (sender.frame === null) return 'the sending frame is gone'
  if (!sender.frame.isMainFrame) return 'the sender is a sub-frame'
  if (!trust.isAppUrl(sender.frame.url)) return `the sender is showing ${describeUrl(sender.frame.url)}, not the app`
  return null
}

export type CheckedCall = { ok: true; name: CommandName; args: unknown[] } | { ok: false; error: string }

/**
 * The envelope check: a known command name and an argument array. What the arguments themselves
 * must be is the inspector's business (Inspector.handleCommand validates them per command).
 */
export function checkCall(name: unknown, args: unknown): CheckedCall {
  if (typeof name !== 'string') return { ok: false, error: 'command name must be a string' }
  if (!(COMMAND_NAMES as readonly string[]).includes(name)) {
    return { ok: false, error: `unknown command "${name.slice(0, 64)}"` }
  }
  if (!Array.isArray(args)) return { ok: false, error: `${name}: arguments must be an array` }
  if (args.length > MAX_COMMAND_ARGS) return { ok: false, error: `${name}: too many arguments (${args.length})` }
  return { ok: true, name: name as CommandName, args }
}

export type CheckedDesktopCall = { ok: true; name: DesktopCommandName; args: unknown[] } | { ok: false; error: string }

/** Desktop commands take no argument, except the one settings patch (validated by mergeDesktopSettings). */
export function checkDesktopCall(name: unknown, args: unknown): CheckedDesktopCall {
  if (typeof name !== 'string') return { ok: false, error: 'command name must be a string' }
  if (!(DESKTOP_COMMAND_NAMES as readonly string[]).includes(name)) {
    return { ok: false, error: `unknown desktop command "${name.slice(0, 64)}"` }
  }
  if (!Array.isArray(args)) return { ok: false, error: `${name}: arguments must be an array` }
  const expected = name === 'updateDesktopSettings' ? 1 : 0
  if (args.length !== expected)
    return { ok: false, error: `${name}: takes ${expected} argument${expected === 1 ? '' : 's'}, got ${args.length}` }
  return { ok: true, name: name as DesktopCommandName, args }
}

/**
 * Matches the app's own page: in a packaged or built app the renderer's index.html (file: URL, same
 * path; query and hash ignored), in development the dev server's origin.
 */
export function appUrlMatcher(options: { rendererFileUrl: string; devServerUrl?: string | null }): (url: string) => boolean {
  const file = new URL(options.rendererFileUrl)
  const devOrigin = options.devServerUrl ? new URL(options.devServerUrl).origin : null
  return (url: string): boolean => {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      return false
    }
    if (parsed.protocol === 'file:') return file.protocol === 'file:' && parsed.pathname === file.pathname
    return devOrigin !== null && parsed.origin === devOrigin
  }
}

/** A blob: URL created by the app's own page (file: page: `blob:file:///…`; dev server: its origin). */
export function isAppBlob(url: string, appUrl: string): boolean {
  if (!url.startsWith('blob:')) return false
  try {
    const inner = new URL(url.slice('blob:'.length))
    const app = new URL(appUrl)
    if (app.protocol === 'file:') return inner.protocol === 'file:'
    return inner.origin === app.origin
  } catch {
    return false
  }
}

function describeUrl(url: string): string {
  return url.length > 100 ? `${url.slice(0, 100)}…` : url || '(no URL)'
}
