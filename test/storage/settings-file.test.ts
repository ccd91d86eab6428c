import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS } from '../../src/shared/settings'
import { SettingsFile } from '../../src/main/storage/settings-file'

let dir: string
let file: string

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'brokerscope-settings-'))
  file = join(dir, 'settings.json')
})

afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('SettingsFile', () => {
  it('gives the defaults without a file', () => {
    const loaded = new SettingsFile(file).load()
    expect(loaded.problem).toBeNull()
    expect(loaded.value.broker).toEqual(DEFAULT_SETTINGS)
    expect(loaded.value.inspector).toEqual({})
  })

  it('round-trips broker settings and keeps the inspector section', () => {
    writeFileSync(file, JSON.stringify({ version: 1, broker: {}, inspector: { trafficCapacity: 2000 } }))
    const settings = new SettingsFile(file)
    settings.load()
    settings.saveBrokerChanges({ ...DEFAULT_SETTINGS, tcpPort: 1999, serverKeepAlive: 30, maximumQos: 1 }, ['tcpPort', 'serverKeepAlive'])
    const again = new SettingsFile(file).load()
    expect(again.problem).toBeNull()
    expect(again.value.broker).toEqual({ ...DEFAULT_SETTINGS, tcpPort: 1999, serverKeepAlive: 30 })
    expect(again.value.inspector.trafficCapacity).toBe(2000)
    // Only the keys named are written: a value from the command line (maximumQos here) is not frozen in.
    expect(JSON.parse(readFileSync(file, 'utf8')).broker).toEqual({ tcpPort: 1999, serverKeepAlive: 30 })
  })

  it('keeps earlier saved keys when later ones are saved', () => {
    const settings = new SettingsFile(file)
    settings.load()
    settings.saveBrokerChanges({ ...DEFAULT_SETTINGS, tcpPort: 1999 }, ['tcpPort'])
    settings.saveBrokerChanges({ ...DEFAULT_SETTINGS, maximumQos: 1 }, ['maximumQos'])
    const again = new SettingsFile(file).load()
    expect(again.value.saved).toEqual({ tcpPort: 1999, maximumQos: 1 })
    expect(again.value.broker).toEqual({ ...DEFAULT_SETTINGS, tcpPort: 1999, maximumQos: 1 })
  })

  it('reports unknown and invalid keys but keeps the valid ones', () => {
    writeFileSync(
      file,
      JSON.stringify({ version: 1, broker: { tcpPort: 1884, tcpPrt: 1, maximumQos: 5 }, inspector: { trafficCapacity: 1 }, extra: {} })
    )
    const loaded = new SettingsFile(file).load()
    expect(loaded.value.broker).toEqual({ ...DEFAULT_SETTINGS, tcpPort: 1884 })
    expect(loaded.value.inspector).toEqual({})
    expect(loaded.problem).toContain('broker.tcpPrt: unknown setting "tcpPrt"')
    expect(loaded.problem).toContain('broker.maximumQos: maximumQos must be one of 0, 1, 2')
    expect(loaded.problem).toContain('inspector.trafficCapacity')
    expect(loaded.problem).toContain('unknown section "extra"')
    expect(readdirSync(dir).filter((n) => n.includes('.corrupt-'))).toHaveLength(1)
  })

  it('falls back to the defaults on a corrupt file and keeps it aside', () => {
    writeFileSync(file, '{"version":1,"broker":{')
    const loaded = new SettingsFile(file).load()
    expect(loaded.value.broker).toEqual(DEFAULT_SETTINGS)
    expect(loaded.problem).toContain('not valid JSON')
    expect(readdirSync(dir)).toEqual([expect.stringMatching(/^settings\.json\.corrupt-/)])
  })

  it('rejects a top level that is not a versioned object', () => {
    writeFileSync(file, JSON.stringify({ tcpPort: 1 }))
    expect(new SettingsFile(file).load().problem).toContain('unsupported version')
  })
})
