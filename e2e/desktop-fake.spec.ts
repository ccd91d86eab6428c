/**
 * The Electron fake stays honest: an Electron API the app would use that the fake does not model
 * fails at once (a missing export at link time, a missing member when touched), so a test cannot
 * pass on behaviour the fake made up. (Here rather than in vitest: each case starts a Node process
 * compiling the fake, which would crowd the timing-sensitive unit tests running beside it.)
 */
import { fork } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { expect, test } from '@playwright/test'
import type { FakeMainMessage } from '../test/electron-fake/protocol'

const root = resolve(import.meta.dirname, '..')
let dir: string
test.beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'brokerscope-fake-'))
})
test.afterEach(() => rmSync(dir, { recursive: true, force: true }))

/** Run `source` (an ES module importing 'electron') on the fake; its messages, output and exit code. */
function runOnFake(source: string): Promise<{ code: number | null; messages: FakeMainMessage[]; output: string }> {
  const entry = join(dir, 'entry.mjs')
  writeFileSync(entry, source)
  const child = fork(entry, [], {
    cwd: root,
    execArgv: ['--import', 'tsx', '--import', join(root, 'test/electron-fake/register.mjs')],
    serialization: 'advanced',
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, BROKERSCOPE_FAKE_USER_DATA: dir }
  })
  const messages: FakeMainMessage[] = []
  let output = ''
  child.on('message', (message: FakeMainMessage) => messages.push(message))
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  return new Promise((done) => child.once('exit', (code) => done({ code, messages, output })))
}

test.describe('the Electron fake', () => {
  test('runs what it models: a window, IPC registration, quit with exit code 0', async () => {
    const run = await runOnFake(`
      import { app, BrowserWindow, ipcMain } from 'electron'
      await app.whenReady()
      ipcMain.handle('x', () => 1)
      const window = new BrowserWindow({ show: false })
      void window.loadFile('/nowhere/index.html')
      app.quit()
    `)
    expect(run.code).toBe(0)
    expect(run.messages.map((m) => m.type)).toEqual(['window-created', 'window-load', 'window-destroyed', 'exit'])
  })

  test('fails loudly on a member it does not model, and reports it', async () => {
    const run = await runOnFake(`
      import { app } from 'electron'
      app.getGPUInfo('basic')
    `)
    expect(run.code).not.toBe(0)
    expect(run.output).toContain('electron fake: app.getGPUInfo is not implemented')
    expect(run.messages).toContainEqual({ type: 'unknown-api', name: 'app.getGPUInfo' })
  })

  test('fails at link time on an export it does not have', async () => {
    const run = await runOnFake(`import { autoUpdater } from 'electron'\nconsole.log(autoUpdater)`)
    expect(run.code).not.toBe(0)
    expect(run.output).toMatch(/does not provide an export named 'autoUpdater'/)
  })

  test('refuses paths of app.getPath it does not model, rather than inventing one', async () => {
    const run = await runOnFake(`
      import { app } from 'electron'
      console.log(app.getPath('userData'))
      app.getPath('documents')
    `)
    expect(run.output).toContain(dir)
    expect(run.output).toContain('app.getPath("documents") is not modelled')
    expect(run.code).not.toBe(0)
  })
})
