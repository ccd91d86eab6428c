/**
 * Finding 5 of the security review (issue 16): a file a setting names (authFile, certFile,
 * keyFile, caFile) is opened only if it is a regular file under maxSettingFileSize, read without
 * blocking the event loop, and a refusal tells the UI only what kind of problem it is. Before the
 * fix, `updateSettings {authFile: FIFO}` blocked the broker's only thread for good (no reply, no
 * CONNACK, SIGTERM ignored), and error replies showed the first bytes of any file.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readSettingFile } from '../../src/main/config/setting-file'
import { InspectorSocket, startCli, type CliBroker } from '../helpers/cli-process'

let dir: string
let fifo: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'brokerscope-files-'))
  fifo = join(dir, 'auth.fifo')
  execFileSync('mkfifo', [fifo])
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('readSettingFile', () => {
  it('reads a regular file (also through a symlink)', async () => {
    writeFileSync(join(dir, 'ok.txt'), 'hello')
    symlinkSync(join(dir, 'ok.txt'), join(dir, 'link.txt'))
    for (const name of ['ok.txt', 'link.txt']) {
      const read = await readSettingFile(join(dir, name), 1024)
      expect(read.ok && read.data.toString()).toBe('hello')
    }
  })

  it('refuses a FIFO at once, without waiting for a writer', async () => {
    const started = Date.now()
    const read = await readSettingFile(fifo, 1024)
    expect(read).toMatchObject({ ok: false, problem: 'not-regular', summary: 'not a regular file' })
    if (!read.ok) expect(read.detail).toContain('a FIFO')
    expect(Date.now() - started).toBeLessThan(1000)
  })

  it('refuses /dev/zero and a directory without reading them', async () => {
    expect(await readSettingFile('/dev/zero', 1024)).toMatchObject({
      ok: false,
      problem: 'not-regular',
      detail: '/dev/zero: not a regular file (a device)'
    })
    expect(await readSettingFile(dir, 1024)).toMatchObject({ ok: false, problem: 'not-regular' })
  })

  it('refuses a file over the cap, and says so without its contents', async () => {
    writeFileSync(join(dir, 'big.txt'), 'x'.repeat(2048))
    const read = await readSettingFile(join(dir, 'big.txt'), 1024)
    expect(read).toMatchObject({ ok: false, problem: 'too-large', summary: 'larger than maxSettingFileSize (1024 bytes)' })
    writeFileSync(join(dir, 'exact.txt'), 'x'.repeat(1024))
    expect((await readSettingFile(join(dir, 'exact.txt'), 1024)).ok).toBe(true)
  })

  it('gives the same summary for a missing file and an unreadable one', async () => {
    writeFileSync(join(dir, 'private.txt'), 'secret')
    chmodSync(join(dir, 'private.txt'), 0)
    const missing = await readSettingFile(join(dir, 'nope.txt'), 1024)
    const unreadable = await readSettingFile(join(dir, 'private.txt'), 1024)
    expect(missing).toMatchObject({ ok: false, summary: 'cannot be read: see the broker log' })
    // Root can read anything; the check only means something for other users.
    if (process.getuid?.() !== 0) expect(unreadable).toMatchObject({ ok: false, summary: 'cannot be read: see the broker log' })
  })
})

describe('the broker process, told to use such files', () => {
  let cli: CliBroker
  let inspector: InspectorSocket

  beforeAll(async () => {
    cli = await startCli()
    inspector = await InspectorSocket.open(cli.uiPort)
  })
  afterAll(async () => {
    inspector?.close()
    await cli?.stop()
  })

  /** The broker still answers MQTT. */
  async function serves(): Promise<void> {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${cli.tcpPort}`, { reconnectPeriod: 0, connectTimeout: 3000 })
    await client.endAsync()
  }

  it('authFile = a FIFO: refused at once as "not a regular file"; the broker keeps serving', async () => {
    const reply = await inspector.call('updateSettings', [{ authFile: fifo }], 3000)
    expect(reply).toEqual({
      id: expect.any(Number),
      ok: true,
      result: { ok: false, errors: [{ key: 'authFile', message: 'authFile: not a regular file' }] }
    })
    await serves()
    expect(cli.output()).toContain(`${fifo}: not a regular file (a FIFO)`)
  })

  it('authFile = /dev/zero: refused without reading it', async () => {
    const reply = await inspector.call('updateSettings', [{ authFile: '/dev/zero' }], 3000)
    expect(reply).toMatchObject({ ok: true, result: { ok: false, errors: [{ key: 'authFile', message: 'authFile: not a regular file' }] } })
    await serves()
  })

  it("an invalid auth file: the reply does not show the file's contents; the log has the detail", async () => {
    const secret = join(dir, 'secret.txt')
    writeFileSync(secret, 'SECRET-TOKEN-4711 do not show me\n')
    const reply = await inspector.call('updateSettings', [{ authFile: secret }], 3000)
    expect(reply).toMatchObject({
      ok: true,
      result: { ok: false, errors: [{ key: 'authFile', message: 'authFile: not a valid auth file: see the broker log' }] }
    })
    expect(JSON.stringify(reply)).not.toMatch(/SECRET|'S'|4711/)
    expect(cli.output()).toMatch(/secret\.txt:1:1/)
    // A missing file reads the same as an unreadable one: the reply does not say which files exist.
    const missing = await inspector.call('updateSettings', [{ authFile: join(dir, 'no-such-file') }], 3000)
    expect(missing).toMatchObject({
      ok: true,
      result: { ok: false, errors: [{ message: 'authFile: cannot be read: see the broker log' }] }
    })
  })

  it('an auth file over maxSettingFileSize is refused', async () => {
    const big = join(dir, 'big.json5')
    writeFileSync(big, `{ users: [], acl: [] }${' '.repeat(4096)}`)
    expect((await inspector.call('updateSettings', [{ maxSettingFileSize: 1024 }])).ok).toBe(true)
    const reply = await inspector.call('updateSettings', [{ authFile: big }], 3000)
    expect(reply).toMatchObject({
      ok: true,
      result: { ok: false, errors: [{ message: 'authFile: larger than maxSettingFileSize (1024 bytes)' }] }
    })
    // Counted like every limit: the dashboard's "Limits hit" table.
    const snapshot = await inspector.call('snapshot')
    expect(snapshot).toMatchObject({ ok: true, result: { stats: { limitsHit: { maxSettingFileSize: 1 } } } })
    await inspector.call('updateSettings', [{ maxSettingFileSize: 16 * 1024 * 1024 }])
  })

  it('certFile and keyFile = a FIFO: the TLS listener reports "not a regular file"; the rest keeps serving', async () => {
    const reply = await inspector.call('updateSettings', [{ tlsPort: cli.tcpPort + 1, certFile: fifo, keyFile: fifo }], 5000)
    expect(reply.ok).toBe(true)
    const result = (reply as { result: { ok: boolean; listeners?: Array<{ name: string; error: string | null }> } }).result
    expect(result.ok).toBe(true)
    expect(result.listeners?.find((l) => l.name === 'tls')?.error).toMatch(/certFile: not a regular file$/)
    await serves()
    await inspector.call('updateSettings', [{ tlsPort: 0, certFile: null, keyFile: null }], 5000)
  })

  it('SIGTERM still stops it', async () => {
    cli.process.kill('SIGTERM')
    expect(await cli.exited).toBe(0)
  })
})
