import { spawn } from 'node:child_process'
import { hostname } from 'node:os'
import { existsSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { open } from 'lmdb'
import { afterEach, describe, expect, it } from 'vitest'
import { DataFolderLockedError, lockDataFolder } from '../../../src/main/broker/persistence/open-store'
import { collectMessages, waitFor } from '../../helpers/broker-harness'
import { startDurable, tempDataDir, type DurableBroker } from '../../helpers/durable-broker'

/**
 * A store in a bad state (issue 10): the broker starts with a clear error naming the file, keeps
 * every record it can read or sets the bad store aside (never deleting it), and never loops.
 */
describe('a store in a bad state', () => {
  let data: ReturnType<typeof tempDataDir>
  let running: DurableBroker | null = null
  afterEach(async () => {
    await running?.stop()
    running = null
    data?.cleanup()
  })

  /** A store holding one retained message and one offline session with a queued message. */
  async function seed(): Promise<void> {
    running = await startDurable(data.dir)
    const sub = await running.connect({ clientId: 'kept', clean: false })
    await sub.subscribeAsync('kept/#', { qos: 1 })
    await sub.endAsync()
    const pub = await running.connect()
    await pub.publishAsync('kept/retained', 'R', { qos: 1, retain: true })
    await pub.publishAsync('kept/queued', 'Q', { qos: 1 })
    await pub.endAsync()
    await running.stop()
    running = null
  }

  const asideDirs = (): string[] => readdirSync(data.dir).filter((name) => name.startsWith('store.unusable-'))

  it('a data file that is not an LMDB file: moved aside with a clear error, the broker starts empty', async () => {
    data = tempDataDir()
    await seed()
    const dataFile = join(data.dir, 'store', 'data.mdb')
    writeFileSync(dataFile, Buffer.alloc(64 * 1024, 0x5a))
    running = await startDurable(data.dir)
    expect(running.broker.listRetained()).toEqual([])
    const log = running.log.join('\n')
    expect(log).toContain(dataFile)
    expect(log).toMatch(/moved to .*store\.unusable-/)
    expect(asideDirs()).toHaveLength(1)
    // Kept, not deleted: the bytes are still there for a look.
    expect(readFileSync(join(data.dir, asideDirs()[0], 'data.mdb')).subarray(0, 4)).toEqual(Buffer.alloc(4, 0x5a))
    expect(running.broker.storeStatus()).toMatchObject({
      enabled: true,
      recovery: { setAside: expect.stringContaining('store.unusable-') }
    })
  })

  it('a truncated data file: moved aside, never read past its end', async () => {
    data = tempDataDir()
    await seed()
    const dataFile = join(data.dir, 'store', 'data.mdb')
    truncateSync(dataFile, 3 * 4096)
    running = await startDurable(data.dir)
    expect(running.log.join('\n')).toMatch(/truncated/)
    expect(asideDirs()).toHaveLength(1)
  })

  it('a damaged record: skipped and counted, every other record recovered', async () => {
    data = tempDataDir()
    await seed()
    // Damage one record the way a bad disk block or a foreign writer would: a value of the wrong shape.
    const root = open({ path: join(data.dir, 'store'), maxDbs: 8 })
    await root.openDB('retained', {}).put('kept/broken', { t: 42, nonsense: true })
    await root.close()

    running = await startDurable(data.dir)
    expect(running.broker.listRetained().map((r) => r.topic)).toEqual(['kept/retained'])
    expect(running.log.join('\n')).toContain('skipped retained record "kept/broken"')
    expect(running.broker.storeStatus()).toMatchObject({ recovery: { skippedRecords: 1 } })
    const { client, received } = await running.connectCollecting({ clientId: 'kept', clean: false })
    await waitFor(() => received.length === 2, 'the queued messages')
    expect(received.map((m) => m.payload.toString())).toEqual(['R', 'Q'])
    await client.endAsync()
  })

  it('a store whose opening crashed the broker twice in a row is moved aside (no crash loop)', async () => {
    data = tempDataDir()
    await seed()
    // What two starts that died while opening the store leave behind.
    writeFileSync(join(data.dir, 'store.opening'), '2')
    running = await startDurable(data.dir)
    expect(running.log.join('\n')).toContain('the broker stopped 2 times in a row while opening it')
    expect(asideDirs()).toHaveLength(1)
    expect(existsSync(join(data.dir, 'store.opening'))).toBe(false)
  })

  it('one crash while opening is not enough to set the store aside: the next start keeps it', async () => {
    data = tempDataDir()
    await seed()
    writeFileSync(join(data.dir, 'store.opening'), '1')
    running = await startDurable(data.dir)
    expect(asideDirs()).toHaveLength(0)
    expect(running.broker.listRetained().map((r) => r.topic)).toEqual(['kept/retained'])
  })

  it('a second broker on the same data folder is refused with a clear message; a stale lock is taken over', async () => {
    data = tempDataDir()
    // Another live process holds the lock (as a second broker process would find the first).
    const other = spawn('sleep', ['30'], { stdio: 'ignore' })
    try {
      writeFileSync(join(data.dir, 'broker.lock'), JSON.stringify({ pid: other.pid, host: hostname(), since: 'earlier' }))
      expect(() => lockDataFolder(data.dir)).toThrow(DataFolderLockedError)
      expect(() => lockDataFolder(data.dir)).toThrow(
        `another BrokerScope (pid ${other.pid}, since earlier) is using the data folder ${data.dir}`
      )
    } finally {
      other.kill('SIGKILL')
    }
    await new Promise((resolve) => other.once('exit', resolve))
    // Now the holder is gone: its lock is stale and taken over.
    const mine = lockDataFolder(data.dir)
    expect(JSON.parse(readFileSync(join(data.dir, 'broker.lock'), 'utf8')).pid).toBe(process.pid)
    expect(() => lockDataFolder(data.dir)).toThrow(/already runs a broker/)
    mine.release()
    expect(existsSync(join(data.dir, 'broker.lock'))).toBe(false)
  })

  it('a retained message published while the store works is there after a restart; the status reports the store', async () => {
    data = tempDataDir()
    running = await startDurable(data.dir)
    const pub = await running.connect()
    await pub.publishAsync('status/x', 'y', { qos: 1, retain: true })
    await pub.endAsync()
    const status = running.broker.storeStatus()
    expect(status).toMatchObject({ enabled: true, retained: 1, failing: false, writeFailures: 0 })
    if (status.enabled) {
      expect(status.path).toBe(join(data.dir, 'store'))
      expect(status.commits).toBeGreaterThan(0)
      expect(status.lastSyncAt).not.toBeNull()
      expect(status.sizeBytes).toBeGreaterThan(0)
    }
    const sub = await running.connect()
    const got = collectMessages(sub)
    await sub.subscribeAsync('status/#')
    await waitFor(() => got.length === 1, 'the retained message')
    await sub.endAsync()
  })
})
