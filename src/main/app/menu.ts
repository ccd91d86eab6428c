/**
 * The application menu. The template is built by a pure function (tested without Electron); the
 * roles are Electron's own, so copy / paste / select all work in every input (on macOS only an
 * Edit menu with these roles makes the shortcuts work at all). Reload and DevTools only in
 * development.
 */
import type { MenuItemConstructorOptions } from 'electron'

export interface MenuActions {
  openDataFolder(): void
  openDocumentation(): void
}

export interface MenuOptions {
  platform: NodeJS.Platform
  /** Not packaged: reload and DevTools are offered. */
  development: boolean
  appName: string
  actions: MenuActions
}

export function applicationMenuTemplate(options: MenuOptions): MenuItemConstructorOptions[] {
  const mac = options.platform === 'darwin'
  const { actions } = options
  const separator: MenuItemConstructorOptions = { type: 'separator' }

  const appMenu: MenuItemConstructorOptions = {
    label: options.appName,
    submenu: [
      { role: 'about' },
      separator,
      { role: 'services' },
      separator,
      { role: 'hide' },
      { role: 'hideOthers' },
      { role: 'unhide' },
      separator,
      { role: 'quit' }
    ]
  }
  const fileMenu: MenuItemConstructorOptions = {
    label: 'File',
    submenu: [{ label: 'Open Data Folder', click: () => actions.openDataFolder() }, separator, mac ? { role: 'close' } : { role: 'quit' }]
  }
  const editMenu: MenuItemConstructorOptions = {
    label: 'Edit',
    submenu: [
      { role: 'undo' },
      { role: 'redo' },
      separator,
      { role: 'cut' },
      { role: 'copy' },
      { role: 'paste' },
      ...(mac ? [{ role: 'pasteAndMatchStyle' } as const] : []),
      { role: 'delete' },
      separator,
      { role: 'selectAll' }
    ]
  }
  const viewMenu: MenuItemConstructorOptions = {
    label: 'View',
    submenu: [
      ...(options.development
        ? [{ role: 'reload' } as const, { role: 'forceReload' } as const, { role: 'toggleDevTools' } as const, separator]
        : []),
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      separator,
      { role: 'togglefullscreen' }
    ]
  }
  const windowMenu: MenuItemConstructorOptions = {
    label: 'Window',
    submenu: [{ role: 'minimize' }, { role: 'zoom' }, separator, { role: 'front' }]
  }
  const helpMenu: MenuItemConstructorOptions = {
    role: 'help',
    label: 'Help',
    submenu: [
      { label: 'Documentation', click: () => actions.openDocumentation() },
      // macOS has About in the app menu; elsewhere Electron shows its own About box for this role.
      ...(mac ? [] : [separator, { role: 'about' } as const])
    ]
  }
  return [...(mac ? [appMenu] : []), fileMenu, editMenu, viewMenu, ...(mac ? [windowMenu] : []), helpMenu]
}
