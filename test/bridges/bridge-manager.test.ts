import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BridgeManager } from '../../src/main/bridges/bridge-manager'
import { localClientIdOf } from '../../src/main/bridges/bridge'
import { Inspector } from '../../src/main/inspector/inspector'
import { MemorySavedMessageStore } from '../../src/main/inspector/saved-messages'
import { silentLogger } from '../../src/main/logger'
import { BridgeFileStore, MemoryBridgeStore } from '../../src/main/storage/bridge-file-store'
import type { InspectorBatch } from '../../src/shared/api'
import { freePort, startTestBroker, type TestBroker, waitFor } from '../helpers/broker-harness'
import { tempDataDir } from '../helpers/durable-broker'
import { bridgeConfig } from './bridge-helpers'

/**
 * The bridge manager as the UI drives it through the inspector's commands: add, change, start,
 * stop, delete, "Connect to a broker…", what is kept in bridges.json, and the bridge rows in the
 * batches. The remotes here are ports nobody listens on: these tests are about the bookkeeping
 * (the mosquitto tests are about the traffic).
 */

let tb: TestBroker | null = null
let manager: BridgeManager | null = null
let inspector: Inspector | null = null
const cleanups: Array<() => void> = []

afterEach(async () => {
  inspector?.dispose()
  await manager?.stop()
  await tb?.close()
  for (const cleanup of cleanups.splice(0)) cleanup()
  tb = null
  manager = null
  inspector = null
})

async function setup(options: { store?: MemoryBridgeStore | BridgeFileStore; explicit?: ReturnType<typeof bridgeConfig>[] } = {}) {
  tb = await startTestBroker()
  manager = new BridgeManager({
    broker: tb.broker,
    logger: silentLogger,
    store: options.store ?? new MemoryBridgeStore(),
    explicit: options.explicit ?? [],
    hostname: 'test-host',
    backoff: { baseMs: 50, capMs: 100 },
    connectTimeoutMs: 1000
  })
  manager.start()
  inspector = new Inspector(tb.broker, {
    savedMessages: new MemorySavedMessageStore(),
    batchIntervalMs: 20,
    listIntervalMs: 20,
    bridges: manager
  })
  const batches: InspectorBatch[] = []
  cleanups.push(inspector.onBatch((batch) => batches.push(batch)))
  return { inspector, manager, batches, broker: tb.broker }
}

describe('bridges from the UI, through the inspector’s commands', () => {
  it('add, list, stop, start, change and delete; each change reaches the batches', async () => {
    const { inspector, batches, broker } = await setup()
    const port = await freePort()
    const added = await inspector.handleCommand('saveBridge', [
      { config: { name: 'cloud', url: `mqtt://127.0.0.1:${port}`, topics: ['up/# out 1'] } }
    ])
    expect(added.config).toMatchObject({ name: 'cloud', topics: ['up/# out 1'], password: null })
    await waitFor(
      () => batches.some((b) => b.bridges?.some((s) => s.config.name === 'cloud' && s.state === 'waiting')),
      'a batch with it waiting'
    )
    expect((await inspector.handleCommand('listBridges', []))[0].lastError).toBe('connection refused')
    // Its local session exists and holds its subscription.
    expect(
      broker
        .listSubscriptions()
        .filter((s) => s.clientId === localClientIdOf('cloud'))
        .map((s) => s.filter)
    ).toEqual(['up/#'])

    expect((await inspector.handleCommand('setBridgeRunning', ['cloud', false])).state).toBe('stopped')
    expect((await inspector.handleCommand('listBridges', []))[0].config.enabled).toBe(false)
    expect((await inspector.handleCommand('setBridgeRunning', ['cloud', true])).state).not.toBe('stopped')

    // Changing its rules: the local session keeps its queue and follows the new rules.
    await inspector.handleCommand('saveBridge', [
      { config: { name: 'cloud', url: `mqtt://127.0.0.1:${port}`, topics: ['other/# out 1'] }, previousName: 'cloud' }
    ])
    await waitFor(
      () => broker.listSubscriptions().some((s) => s.clientId === localClientIdOf('cloud') && s.filter === 'other/#'),
      'the new subscription'
    )
    expect(
      broker
        .listSubscriptions()
        .filter((s) => s.clientId === localClientIdOf('cloud'))
        .map((s) => s.filter)
    ).toEqual(['other/#'])

    expect(await inspector.handleCommand('deleteBridge', ['cloud'])).toBe(true)
    expect(await inspector.handleCommand('listBridges', [])).toEqual([])
    expect(broker.listClients().some((c) => c.clientId === localClientIdOf('cloud'))).toBe(false)
    expect(broker.getRetained('$SYS/broker/connection/cloud/state')).toBeNull()
  })

  it('refuses a bad bridge with every reason, and names that clash', async () => {
    const { inspector } = await setup({
      explicit: [bridgeConfig({ name: 'fixed', url: 'mqtt://127.0.0.1:1', topics: ['#'], enabled: false })]
    })
    await expect(
      inspector.handleCommand('saveBridge', [{ config: { name: 'x', url: 'http://nope', topics: ['a in 9'] } }])
    ).rejects.toThrow(/saveBridge: url: scheme must be mqtt:\/\/.*; topics\.0: "a in 9" QoS must be 0, 1 or 2/)
    await expect(inspector.handleCommand('saveBridge', [{ config: { name: 'fixed', url: 'mqtt://h', topics: ['#'] } }])).rejects.toThrow(
      /defined in the config file/
    )
    await expect(inspector.handleCommand('deleteBridge', ['fixed'])).rejects.toThrow(/defined in the config file/)
    await expect(inspector.handleCommand('saveBridge', [{ config: { name: 'x' } }])).rejects.toThrow(/needs a name and a url/)
    await expect(inspector.handleCommand('connectRemote', [{ url: 'mqtt://h', colour: 'red' }])).rejects.toThrow(/colour/)
  })

  it('Connect to a broker…: a read-only inspection named after the host, with a prefix of its own', async () => {
    const { inspector, broker } = await setup()
    const port = await freePort()
    const first = await inspector.handleCommand('connectRemote', [{ url: `mqtt://localhost:${port}` }])
    expect(first.config).toMatchObject({
      name: 'localhost',
      kind: 'inspect',
      cleanStart: true,
      sessionExpiry: 0,
      topics: ['# in 0 remote/localhost/ ""', '$SYS/# in 0 remote/localhost/ ""']
    })
    const second = await inspector.handleCommand('connectRemote', [{ url: `mqtt://localhost:${port}` }])
    expect(second.config.name).toBe('localhost-2')
    expect(second.config.topics[0]).toBe('# in 0 remote/localhost-2/ ""')
    // Deleting an inspection takes its copies of the remote's retained messages along.
    broker.publish({ topic: 'remote/localhost/kept', payload: 'copy', retain: true })
    broker.publish({ topic: 'local/kept', payload: 'mine', retain: true })
    await inspector.handleCommand('deleteBridge', ['localhost'])
    expect(broker.getRetained('remote/localhost/kept')).toBeNull()
    expect(broker.getRetained('local/kept')).not.toBeNull()
  })
})

describe('bridges.json', () => {
  it('keeps the UI’s bridges (mode 0600: they hold passwords) for the next start; the config file’s are not written', async () => {
    const data = tempDataDir()
    cleanups.push(() => data.cleanup())
    const path = join(data.dir, 'bridges.json')
    const { inspector } = await setup({
      store: new BridgeFileStore(path),
      explicit: [bridgeConfig({ name: 'from-file', url: 'mqtt://127.0.0.1:1', topics: ['#'], enabled: false })]
    })
    await inspector.handleCommand('saveBridge', [
      { config: { name: 'saved', url: 'mqtt://user:secret@127.0.0.1:1', topics: ['a/# both 1'], enabled: false } }
    ])
    const written = JSON.parse(readFileSync(path, 'utf8'))
    expect(written.bridges.map((b: { name: string }) => b.name)).toEqual(['saved'])
    expect(written.bridges[0]).toMatchObject({ username: 'user', password: 'secret', url: 'mqtt://127.0.0.1:1' })
    expect(statSync(path).mode & 0o777).toBe(0o600)
    // The UI never gets the password back, only that there is one.
    const listed = (await inspector.handleCommand('listBridges', [])).find((b) => b.config.name === 'saved')!
    expect(listed.config.password).toBeNull()
    expect(listed.passwordSet).toBe(true)
    // An edit that leaves the password empty keeps it.
    await inspector.handleCommand('saveBridge', [
      {
        config: { name: 'saved', url: 'mqtt://127.0.0.1:1', username: 'user', topics: ['b/#'], enabled: false },
        previousName: 'saved',
        keepPassword: true
      }
    ])
    expect(JSON.parse(readFileSync(path, 'utf8')).bridges[0]).toMatchObject({ password: 'secret', topics: ['b/#'] })

    // A broken entry is dropped and reported; the good ones are kept.
    writeFileSync(path, JSON.stringify({ version: 1, bridges: [written.bridges[0], { name: 'bad', url: 'ftp://x', topics: [] }] }))
    const loaded = new BridgeFileStore(path).load()
    expect(loaded.bridges.map((b) => b.name)).toEqual(['saved'])
    expect(loaded.problem).toMatch(/bridges\[1\]: url: scheme must be/)
  })
})
