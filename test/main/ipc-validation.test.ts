import { describe, expect, it } from 'vitest'
import { COMMAND_NAMES } from '../../src/shared/api'
import { appUrlMatcher, checkCall, checkSender, MAX_COMMAND_ARGS, type IpcSender } from '../../src/main/app/ipc-guard'

const APP_FILE = 'file:///opt/BrokerScope/resources/app/out/renderer/index.html'
const isAppUrl = appUrlMatcher({ rendererFileUrl: APP_FILE })
const trust = { webContentsId: 3, isAppUrl }

function sender(overrides: Partial<IpcSender> = {}): IpcSender {
  return { webContentsId: 3, frame: { isMainFrame: true, url: APP_FILE }, ...overrides }
}

describe('checkSender', () => {
  it('accepts the app window main frame showing the app page', () => {
    expect(checkSender(sender(), trust)).toBeNull()
    expect(checkSender(sender({ frame: { isMainFrame: true, url: `${APP_FILE}#/traffic` } }), trust)).toBeNull()
  })

  it('refuses another webContents', () => {
    expect(checkSender(sender({ webContentsId: 4 }), trust)).toMatch(/not the app window/)
  })

  it('refuses everything while no window is attached', () => {
    expect(checkSender(sender(), { webContentsId: null, isAppUrl })).toMatch(/no app window/)
  })

  it('refuses sub-frames and frames that are gone', () => {
    expect(checkSender(sender({ frame: { isMainFrame: false, url: APP_FILE } }), trust)).toMatch(/sub-frame/)
    expect(checkSender(sender({ frame: null }), trust)).toMatch(/gone/)
  })

  it('refuses our window once it shows anything but the app', () => {
    for (const url of [
      'https://evil.example/',
      'file:///etc/passwd',
      'file:///opt/BrokerScope/resources/app/out/renderer/other.html',
      'data:text/html,<script>1</script>',
      'about:blank',
      'not a url'
    ]) {
      expect(checkSender(sender({ frame: { isMainFrame: true, url } }), trust), url).toMatch(/not the app/)
    }
  })
})

describe('appUrlMatcher in development', () => {
  const dev = appUrlMatcher({ rendererFileUrl: APP_FILE, devServerUrl: 'http://localhost:5173/' })

  it('accepts the dev server origin only', () => {
    expect(dev('http://localhost:5173/index.html')).toBe(true)
    expect(dev('http://localhost:5174/')).toBe(false)
    expect(dev('http://127.0.0.1:5173/')).toBe(false)
    expect(dev(APP_FILE)).toBe(true)
  })

  it('accepts no http origin when there is no dev server', () => {
    expect(isAppUrl('http://localhost:5173/')).toBe(false)
  })
})

describe('checkCall', () => {
  it('accepts every known command with an argument array', () => {
    for (const name of COMMAND_NAMES) expect(checkCall(name, [])).toEqual({ ok: true, name, args: [] })
    expect(checkCall('publish', [{ topic: 'a' }])).toEqual({ ok: true, name: 'publish', args: [{ topic: 'a' }] })
  })

  it('refuses unknown or non-string command names', () => {
    expect(checkCall('eval', [])).toEqual({ ok: false, error: 'unknown command "eval"' })
    expect(checkCall('__proto__', [])).toMatchObject({ ok: false })
    expect(checkCall('constructor', [])).toMatchObject({ ok: false })
    expect(checkCall(42, [])).toEqual({ ok: false, error: 'command name must be a string' })
    expect(checkCall(undefined, [])).toMatchObject({ ok: false })
  })

  it('truncates a huge unknown name in the error', () => {
    const result = checkCall('x'.repeat(10_000), [])
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error.length).toBeLessThan(100)
  })

  it('refuses arguments that are not an array, or too many of them', () => {
    expect(checkCall('snapshot', undefined)).toEqual({ ok: false, error: 'snapshot: arguments must be an array' })
    expect(checkCall('snapshot', { 0: 'a', length: 1 })).toMatchObject({ ok: false })
    expect(checkCall('snapshot', 'abc')).toMatchObject({ ok: false })
    expect(checkCall('snapshot', new Array(MAX_COMMAND_ARGS + 1).fill(0))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/too many arguments/)
    })
  })
})
