import { afterEach, describe, expect, it } from 'vitest'
import { collectMessages, delay, waitFor } from '../../helpers/broker-harness'
import { startAuthBroker, tempDir, writeAuthFile, type AuthBroker } from './auth-helpers'

/**
 * What was allowed when it was accepted and is no longer allowed when it is sent (issue 16): a
 * reload of the auth file (SIGHUP, the UI) withdraws a right; a will or a queued message waiting
 * under the old rules must not go out under the new ones.
 */
describe('rights withdrawn by a reload', () => {
  let tb: AuthBroker | null = null
  let tmp: ReturnType<typeof tempDir> | null = null
  afterEach(async () => {
    await tb?.close()
    tb = null
    tmp?.cleanup()
    tmp = null
  })

  const USERS = { alice: 'a', bob: 'b', watcher: 'w' }
  const BEFORE = [
    { user: 'alice', topic: 'alice/#', access: 'readwrite' },
    { user: 'bob', topic: 'feed/#', access: 'read' },
    { user: 'watcher', topic: '#', access: 'read' },
    { user: 'watcher', topic: 'feed/#', access: 'write' }
  ]
  const AFTER = [
    { user: 'watcher', topic: '#', access: 'read' },
    { user: 'watcher', topic: 'feed/#', access: 'write' }
  ]

  async function start(): Promise<{ authFile: string }> {
    tmp = tempDir()
    const authFile = tmp.path('auth.json5')
    writeAuthFile(authFile, USERS, BEFORE)
    tb = await startAuthBroker({ authFile })
    return { authFile }
  }

  it('drops a will whose topic the user may no longer publish to (counted)', async () => {
    const { authFile } = await start()
    const watcher = await tb!.connect({ clientId: 'watcher', username: 'watcher', password: 'w' })
    await watcher.subscribeAsync('alice/#')
    const seen = collectMessages(watcher)
    const alice = await tb!.connect({
      clientId: 'alice',
      username: 'alice',
      password: 'a',
      will: { topic: 'alice/status', payload: Buffer.from('gone'), qos: 0, retain: false }
    })
    writeAuthFile(authFile, USERS, AFTER)
    expect(await tb!.broker.reloadAuth()).toMatchObject({ ok: true })
    const dropsBefore = tb!.broker.stats().droppedByReason['not-authorized']
    alice.stream.destroy()
    await waitFor(() => !tb!.broker.listClients().some((c) => c.clientId === 'alice' && c.connected), 'alice gone')
    await delay(100)
    expect(seen.map((m) => m.topic)).toEqual([])
    expect(tb!.broker.stats().droppedByReason['not-authorized']).toBe(dropsBefore + 1)
    expect(tb!.log.join('\n')).toContain('will of alice to alice/status dropped')
    await watcher.endAsync()
  })

  it("drops a queued message the subscriber may no longer read ('rights-withdrawn')", async () => {
    const { authFile } = await start()
    const bob = await tb!.connect({ clientId: 'bob', username: 'bob', password: 'b', clean: false })
    await bob.subscribeAsync('feed/#', { qos: 1 })
    await bob.endAsync()
    const watcher = await tb!.connect({ clientId: 'watcher', username: 'watcher', password: 'w' })
    await watcher.publishAsync('feed/1', 'queued', { qos: 1 })
    await waitFor(() => tb!.broker.listClients().find((c) => c.clientId === 'bob')?.queued === 1, 'queued for bob')
    writeAuthFile(authFile, USERS, AFTER)
    expect(await tb!.broker.reloadAuth()).toMatchObject({ ok: true })

    const again = await tb!.connect({ clientId: 'bob', username: 'bob', password: 'b', clean: false })
    const received = collectMessages(again)
    await waitFor(() => tb!.broker.stats().droppedByReason['rights-withdrawn'] === 1, 'the drop to be counted')
    await delay(100)
    expect(received).toEqual([])
    expect(tb!.broker.listClients().find((c) => c.clientId === 'bob')?.queued).toBe(0)
    await again.endAsync()
    await watcher.endAsync()
  })
})
