import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type Core, resolveSettings, startCore } from '../../src/main/core'
import { createLogger } from '../../src/main/logger'
import { freePort } from '../helpers/broker-harness'

const dirs: string[] = []
const cores: Core[] = []
afterEach(async () => {
  for (const core of cores.splice(0)) await core.stop()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'brokerscope-core-'))
  dirs.push(dir)
  return dir
}

async function start(dataDir: string, explicit: Record<string, unknown>, lines: string[] = []): Promise<Core> {
  const resolved = resolveSettings(dataDir, { sysInterval: 0, wsPort: 0, tcpPort: await freePort(), ...explicit })
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.errors))
  const logger = createLogger('info', (line) => lines.push(line))
  const core = await startCore({ dataDir, resolved: resolved.value, logger, version: 'test' })
  cores.push(core)
  return core
}

describe('the composition root (core.ts)', () => {
  it('saves settings changed from the UI in the data folder and starts with them next time', async () => {
    const dataDir = tempDir()
    const first = await start(dataDir, {})
    const result = await first.inspector.handleCommand('updateSettings', [{ maximumQos: 1, maxQueuedMessages: 50 }])
    expect(result).toMatchObject({ ok: true })
    expect(JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8')).broker).toEqual({ maximumQos: 1, maxQueuedMessages: 50 })
    await first.stop()
    cores.length = 0

    const second = await start(dataDir, {})
    expect(second.broker.getSettings()).toMatchObject({ maximumQos: 1, maxQueuedMessages: 50 })
  })

  it('lets the command line override a saved setting, and says so', async () => {
    const dataDir = tempDir()
    const first = await start(dataDir, {})
    await first.inspector.handleCommand('updateSettings', [{ maximumQos: 1 }])
    await first.stop()
    cores.length = 0

    const lines: string[] = []
    const second = await start(dataDir, { maximumQos: 0 }, lines)
    expect(second.broker.getSettings().maximumQos).toBe(0)
    expect(lines.join('\n')).toContain('overridden by the config file or command line: maximumQos')
  })

  it('does not save settings the program changes, and logs every change with its source', async () => {
    const dataDir = tempDir()
    const lines: string[] = []
    const core = await start(dataDir, {}, lines)
    await core.broker.updateSettings({ maxInflightMessages: 7 })
    await core.inspector.handleCommand('updateSettings', [{ maxInflightMessages: 9 }])
    const saved = JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8')).broker
    expect(saved).toEqual({ maxInflightMessages: 9 })
    expect(lines.join('\n')).toContain('settings (program): maxInflightMessages 100 → 7')
    expect(lines.join('\n')).toContain('settings (ui): maxInflightMessages 7 → 9')
  })
})
