/** The menu and tray templates (pure); e2e/desktop-app.spec.ts checks the app installs them. */
import type { MenuItemConstructorOptions } from 'electron'
import { describe, expect, it, vi } from 'vitest'
import { applicationMenuTemplate } from '../../src/main/app/menu'
import { trayMenuTemplate, trayStatus } from '../../src/main/app/tray-menu'
import type { ListenerInfo } from '../../src/shared/broker-types'

const actions = { openDataFolder: vi.fn(), openDocumentation: vi.fn() }

function submenu(template: MenuItemConstructorOptions[], label: string): string[] {
  const menu = template.find((item) => item.label === label)?.submenu as MenuItemConstructorOptions[] | undefined
  return (menu ?? []).map((item) => item.role ?? item.type ?? item.label ?? '?')
}

describe('applicationMenuTemplate', () => {
  it('macOS: the app menu with About and Quit, Edit with Paste and Match Style, a Window menu', () => {
    const template = applicationMenuTemplate({ platform: 'darwin', development: false, appName: 'BrokerScope', actions })
    expect(template.map((item) => item.label)).toEqual(['BrokerScope', 'File', 'Edit', 'View', 'Window', 'Help'])
    expect(submenu(template, 'BrokerScope')).toEqual([
      'about',
      'separator',
      'services',
      'separator',
      'hide',
      'hideOthers',
      'unhide',
      'separator',
      'quit'
    ])
    expect(submenu(template, 'Edit')).toEqual([
      'undo',
      'redo',
      'separator',
      'cut',
      'copy',
      'paste',
      'pasteAndMatchStyle',
      'delete',
      'separator',
      'selectAll'
    ])
    expect(submenu(template, 'File')).toEqual(['Open Data Folder', 'separator', 'close'])
    expect(submenu(template, 'Help')).toEqual(['Documentation'])
  })

  it('Linux and Windows: no app menu, Quit in File, About in Help', () => {
    for (const platform of ['linux', 'win32'] as const) {
      const template = applicationMenuTemplate({ platform, development: false, appName: 'BrokerScope', actions })
      expect(template.map((item) => item.label)).toEqual(['File', 'Edit', 'View', 'Help'])
      expect(submenu(template, 'File')).toEqual(['Open Data Folder', 'separator', 'quit'])
      expect(submenu(template, 'Help')).toEqual(['Documentation', 'separator', 'about'])
    }
  })

  it('reload and DevTools only in development', () => {
    const packaged = applicationMenuTemplate({ platform: 'linux', development: false, appName: 'BrokerScope', actions })
    const dev = applicationMenuTemplate({ platform: 'linux', development: true, appName: 'BrokerScope', actions })
    expect(submenu(packaged, 'View')).toEqual(['resetZoom', 'zoomIn', 'zoomOut', 'separator', 'togglefullscreen'])
    expect(submenu(dev, 'View').slice(0, 3)).toEqual(['reload', 'forceReload', 'toggleDevTools'])
  })

  it('the click items call their actions', () => {
    const template = applicationMenuTemplate({ platform: 'linux', development: false, appName: 'BrokerScope', actions })
    const click = (menu: string, label: string): void => {
      const items = template.find((i) => i.label === menu)?.submenu as MenuItemConstructorOptions[] | undefined
      const item = items?.find((i) => i.label === label)
      if (typeof item?.click !== 'function') throw new Error(`${menu} › ${label} has no click`)
      ;(item.click as () => void)()
    }
    click('File', 'Open Data Folder')
    click('Help', 'Documentation')
    expect(actions.openDataFolder).toHaveBeenCalledOnce()
    expect(actions.openDocumentation).toHaveBeenCalledOnce()
  })
})

const listener = (overrides: Partial<ListenerInfo>): ListenerInfo => ({
  name: 'tcp',
  host: '127.0.0.1',
  port: 1883,
  listening: true,
  error: null,
  ...overrides
})

describe('the tray', () => {
  it('says where the broker runs and how many clients it has', () => {
    expect(trayStatus({ listeners: [listener({}), listener({ name: 'ws', port: 8083 })], clientsConnected: 1 })).toBe(
      'Running on TCP 1883, WebSocket 8083 · 1 client connected'
    )
    expect(
      trayStatus({
        listeners: [listener({}), listener({ name: 'ws', port: 8083, listening: false, error: 'in use' })],
        clientsConnected: 2
      })
    ).toBe('Running on TCP 1883 · 2 clients connected · 1 listener failed')
    expect(
      trayStatus({
        listeners: [listener({ listening: false, error: 'TCP port 1883 on 127.0.0.1 is already in use' })],
        clientsConnected: 0
      })
    ).toBe('Not listening: TCP port 1883 on 127.0.0.1 is already in use')
  })

  it('has the state, Open and Quit', () => {
    const open = vi.fn()
    const quit = vi.fn()
    const template = trayMenuTemplate({ listeners: [listener({})], clientsConnected: 0 }, { open, quit })
    expect(template.map((i) => i.label ?? i.type)).toEqual([
      'Running on TCP 1883 · 0 clients connected',
      'separator',
      'Open BrokerScope',
      'separator',
      'Quit BrokerScope'
    ])
    expect(template[0].enabled).toBe(false)
    ;(template[2].click as () => void)()
    ;(template[4].click as () => void)()
    expect(open).toHaveBeenCalledOnce()
    expect(quit).toHaveBeenCalledOnce()
  })
})
