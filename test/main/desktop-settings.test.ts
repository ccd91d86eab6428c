import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SettingsFile } from '../../src/main/storage/settings-file'
import { DEFAULT_DESKTOP_SETTINGS, mergeDesktopSettings } from '../../src/shared/desktop-api'

describe('mergeDesktopSettings', () => {
  it('accepts valid values and refuses bad ones by key', () => {
    expect(mergeDesktopSettings(DEFAULT_DESKTOP_SETTINGS, { closeToTray: true, logFiles: 0 })).toEqual({
      ok: true,
      settings: { ...DEFAULT_DESKTOP_SETTINGS, closeToTray: true, logFiles: 0 }
    })
    const bad = mergeDesktopSettings(DEFAULT_DESKTOP_SETTINGS, {
      closeToTray: 'yes',
      logFileMaxBytes: 10,
      logFiles: 1.5,
      closeToTary: true
    })
    expect(bad.ok).toBe(false)
    if (!bad.ok) expect(bad.errors.map((e) => e.key)).toEqual(['closeToTray', 'logFileMaxBytes', 'logFiles', 'closeToTary'])
    expect(mergeDesktopSettings(DEFAULT_DESKTOP_SETTINGS, null).ok).toBe(false)
  })

  it('closing the window quits by default', () => {
    expect(DEFAULT_DESKTOP_SETTINGS.closeToTray).toBe(false)
  })
})

describe('settings.json desktop section', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'brokerscope-desktop-settings-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('saves only the changed desktop keys, keeps the broker section, and reads them back', () => {
    const path = join(dir, 'settings.json')
    writeFileSync(path, JSON.stringify({ version: 1, broker: { tcpPort: 1884 } }))
    const file = new SettingsFile(path)
    expect(file.load().problem).toBeNull()
    expect(file.desktop).toEqual(DEFAULT_DESKTOP_SETTINGS)
    file.saveDesktopChanges({ closeToTray: true })
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({
      version: 1,
      broker: { tcpPort: 1884 },
      inspector: {},
      desktop: { closeToTray: true }
    })
    file.saveBrokerChanges({ ...file.value.broker, wsPort: 9001 }, ['wsPort'])
    const again = new SettingsFile(path)
    again.load()
    expect(again.desktop.closeToTray).toBe(true)
    expect(again.value.saved).toEqual({ tcpPort: 1884, wsPort: 9001 })
  })

  it('a bad desktop key is reported and dropped, the good ones kept', () => {
    const path = join(dir, 'settings.json')
    writeFileSync(path, JSON.stringify({ version: 1, desktop: { closeToTray: true, logFiles: -1 } }))
    const file = new SettingsFile(path)
    const loaded = file.load()
    expect(loaded.problem).toMatch(/desktop\.logFiles/)
    expect(file.desktop).toEqual({ ...DEFAULT_DESKTOP_SETTINGS, closeToTray: true })
  })
})
