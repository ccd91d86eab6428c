/**
 * The messages between the fake Electron main process (electron.ts, in the child that runs
 * out/main/index.js) and the test side that drives it (e2e/desktop-app.ts). They travel over the
 * child's Node IPC channel with `serialization: 'advanced'` (structured clone, like Electron's IPC).
 */

/** A menu item as the app built it, without its click handler (which stays in the child). */
export interface MenuItemRecord {
  label?: string
  role?: string
  type?: string
  accelerator?: string
  enabled?: boolean
  visible?: boolean
  checked?: boolean
  /** Whether the item has a click handler (clicked with `menu-click`). */
  clickable: boolean
  submenu?: MenuItemRecord[]
}

/** child → test */
export type FakeMainMessage =
  | { type: 'window-created'; windowId: number; webContentsId: number; options: Record<string, unknown> }
  | { type: 'window-load'; windowId: number; url: string; preload: string | null }
  | { type: 'window-shown'; windowId: number }
  | { type: 'window-hidden'; windowId: number }
  | { type: 'window-destroyed'; windowId: number }
  | { type: 'webcontents-send'; webContentsId: number; channel: string; args: unknown[] }
  | { type: 'ipc-reply'; id: number; ok: true; value: unknown }
  | { type: 'ipc-reply'; id: number; ok: false; error: string }
  | { type: 'application-menu'; template: MenuItemRecord[] | null }
  | { type: 'tray'; trayId: number; image: string; tooltip: string; menu: MenuItemRecord[] | null; destroyed: boolean }
  | { type: 'shell'; call: 'openPath' | 'openExternal' | 'showItemInFolder'; target: string }
  | { type: 'about-panel'; options: Record<string, unknown> }
  | { type: 'error-box'; title: string; content: string }
  | { type: 'unknown-api'; name: string }
  | { type: 'download-decision'; id: number; allowed: boolean }
  | { type: 'exit'; code: number }

/** test → child */
export type FakeDriverMessage =
  | {
      type: 'ipc-invoke'
      id: number
      webContentsId: number
      frame: { url: string; isMainFrame: boolean } | null
      channel: string
      args: unknown[]
    }
  | { type: 'ipc-send'; webContentsId: number; frame: { url: string; isMainFrame: boolean } | null; channel: string; args: unknown[] }
  | { type: 'webcontents-event'; webContentsId: number; event: 'did-start-loading' | 'did-finish-load' }
  /** The window's close button (preventable, like a person clicking ×). */
  | { type: 'window-close'; windowId: number }
  | { type: 'menu-click'; menu: 'application' | { trayId: number }; path: string[] }
  | { type: 'tray-click'; trayId: number }
  /** What the OS does on Cmd+Q / logout: app.quit(). */
  | { type: 'app-quit' }
  /** The page started a download: the session's will-download decides (preventDefault = refused). */
  | { type: 'will-download'; id: number; webContentsId: number; url: string; filename: string }
  | { type: 'app-activate' }
