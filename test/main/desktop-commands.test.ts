/** The desktop commands on a real broker: a port taken by another process is a conflict with its holder and a free port. */
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DesktopCommandHandler, type DesktopCommandDeps } from '../../src/main/app/desktop-commands'
import { Broker } from '../../src/main/broker/broker'
import { silentLogger } from '../../src/main/logger'
import { RotatingLogFile } from '../../src/main/logging/rotating-log-file'
import { SettingsFile } from '../../src/main/storage/settings-file'
import { DEFAULT_SETTINGS } from '../../src/shared/settings'
import { freePort } from '../helpers/broker-harness'
import { holdPortInNode } from '../helpers/port-holder'

let dir: string
const cleanups: Array<() => unknown> = []
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'brokerscope-desktop-commands-'))
})
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  rmSync(dir, { recursive: true, force: true })
})

async function holdPort(port: number): Promise<ChildProcess> {
  const child = await holdPortInNode(port)
  cleanups.push(() => child.kill('SIGKILL'))
  return child
}

function handler(
  broker: DesktopCommandDeps['broker'],
  overrides: Partial<DesktopCommandDeps> = {}
): { commands: DesktopCommandHandler; opened: string[]; changed: unknown[] } {
  const opened: string[] = []
  const changed: unknown[] = []
  const settingsFile = new SettingsFile(join(dir, 'settings.json'))
  settingsFile.load()
  const commands = new DesktopCommandHandler({
    dataDir: dir,
    settingsFile,
    logFile: new RotatingLogFile(join(dir, 'logs', 'brokerscope.log'), { maxBytes: 1 << 20, keep: 1 }),
    broker,
    openPath: async (path) => {
      opened.push(path)
      return ''
    },
    version: '0.1.0',
    build: 'test',
    packaged: false,
    onDesktopSettingsChanged: (settings) => changed.push(settings),
    ...overrides
  })
  return { commands, opened, changed }
}

describe('DesktopCommandHandler', () => {
  it('names the holder of a taken port and suggests a free one; a listener that is just off is no conflict', async () => {
    const [taken, ws] = [await freePort(), await freePort()]
    const holder = await holdPort(taken)
    const broker = new Broker(
      { ...DEFAULT_SETTINGS, tcpPort: taken, wsPort: ws, sysInterval: 0 },
      { logger: silentLogger, version: 'test' }
    )
    await broker.start().catch(() => undefined)
    cleanups.push(() => broker.stop())
    const { commands } = handler(broker)
    const conflicts = await commands.portConflicts()
    expect(conflicts).toHaveLength(1)
    expect(conflicts[0]).toMatchObject({ listener: 'tcp', host: '127.0.0.1', port: taken })
    if (process.platform === 'linux') expect(conflicts[0].holder).toEqual({ pid: holder.pid, command: 'node' })
    expect(conflicts[0].suggestedPort).not.toBeNull()
    expect([taken, ws]).not.toContain(conflicts[0].suggestedPort)

    // Taking the suggestion ends the conflict.
    const result = await broker.updateSettings({ tcpPort: conflicts[0].suggestedPort }, 'ui')
    expect(result.ok).toBe(true)
    expect(await commands.portConflicts()).toEqual([])
  })

  it('a listener failing for another reason (a TLS port without a certificate) is not a port conflict', async () => {
    const broker = {
      listeners: () => [{ name: 'tls' as const, host: '127.0.0.1', port: 8883, listening: false, error: 'needs certFile and keyFile' }],
      getSettings: () => ({ ...DEFAULT_SETTINGS, tlsPort: 8883 })
    }
    const { commands } = handler(broker)
    // Unless something on this machine really holds 8883.
    const holder = await (await import('../../src/main/system/port-holder')).findPortHolder(8883)
    expect(await commands.portConflicts()).toHaveLength(holder ? 1 : 0)
  })

  it('opens only the data folder, and says why when the OS could not', async () => {
    const broker = { listeners: () => [], getSettings: () => DEFAULT_SETTINGS }
    const ok = handler(broker)
    expect(await ok.commands.openDataFolder()).toEqual({ ok: true, path: dir })
    expect(ok.opened).toEqual([dir])
    const failing = handler(broker, { openPath: async () => 'no file manager' })
    expect(await failing.commands.openDataFolder()).toEqual({ ok: false, path: dir, error: 'no file manager' })
  })

  it('desktop settings: validated, saved, and the app told; info names the files', () => {
    const { commands, changed } = handler({ listeners: () => [], getSettings: () => DEFAULT_SETTINGS })
    expect(commands.updateDesktopSettings({ closeToTray: 'yes' } as never)).toMatchObject({ ok: false })
    expect(changed).toEqual([])
    const saved = commands.updateDesktopSettings({ closeToTray: true })
    expect(saved).toMatchObject({ ok: true, settings: { closeToTray: true } })
    expect(changed).toHaveLength(1)
    expect(commands.getDesktopSettings().closeToTray).toBe(true)
    expect(commands.info()).toMatchObject({
      dataDir: dir,
      settingsFile: join(dir, 'settings.json'),
      savedMessagesFile: join(dir, 'saved-messages.json'),
      storeDir: join(dir, 'store'),
      logFile: join(dir, 'logs', 'brokerscope.log'),
      version: '0.1.0',
      build: 'test'
    })
  })
})
