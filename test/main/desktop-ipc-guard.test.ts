import { describe, expect, it } from 'vitest'
import { checkDesktopCall, isAppBlob } from '../../src/main/app/ipc-guard'
import { DESKTOP_COMMAND_NAMES } from '../../src/shared/desktop-api'

describe('checkDesktopCall', () => {
  it('accepts each desktop command with its argument count', () => {
    for (const name of DESKTOP_COMMAND_NAMES) {
      const args = name === 'updateDesktopSettings' ? [{ closeToTray: true }] : []
      expect(checkDesktopCall(name, args)).toEqual({ ok: true, name, args })
    }
  })

  it('refuses unknown names, inspector commands, non-arrays and extra arguments (no path ever comes from the page)', () => {
    expect(checkDesktopCall('openPath', ['/etc'])).toEqual({ ok: false, error: 'unknown desktop command "openPath"' })
    expect(checkDesktopCall('snapshot', [])).toMatchObject({ ok: false })
    expect(checkDesktopCall(42, [])).toMatchObject({ ok: false })
    expect(checkDesktopCall('info', 'x')).toMatchObject({ ok: false })
    expect(checkDesktopCall('openDataFolder', ['/etc'])).toEqual({ ok: false, error: 'openDataFolder: takes 0 arguments, got 1' })
    expect(checkDesktopCall('updateDesktopSettings', [])).toMatchObject({ ok: false })
  })
})

describe('isAppBlob (which downloads the session lets through)', () => {
  const file = 'file:///opt/BrokerScope/resources/app.asar/out/renderer/index.html'
  it('a blob of the app page, built or from the dev server', () => {
    expect(isAppBlob('blob:file:///0b6c2f0e-1111-4c2a-9f53-3f1f2d1e0a01', file)).toBe(true)
    expect(isAppBlob('blob:http://localhost:5173/0b6c2f0e-1111', 'http://localhost:5173/')).toBe(true)
  })
  it('nothing else', () => {
    expect(isAppBlob('https://example.com/file.csv', file)).toBe(false)
    expect(isAppBlob('file:///etc/passwd', file)).toBe(false)
    expect(isAppBlob('blob:https://evil.example/0b6c', file)).toBe(false)
    expect(isAppBlob('blob:http://localhost:5174/0b6c', 'http://localhost:5173/')).toBe(false)
    expect(isAppBlob('blob:', file)).toBe(false)
  })
})
