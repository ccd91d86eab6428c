import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../../helpers/broker-harness'
import { finished, requireTool, run, spawnTool, TOOLS } from '../../helpers/mosquitto-tools'
import { refusalCode, startAuthBroker, tempDir, writeAuthFile, type AuthBroker } from './auth-helpers'

/**
 * Issue 16, finding 1: a session belongs to the user that made it. Reproduced with the real
 * mosquitto clients, as the finding was: bob, a valid user, must not read, wipe or kick alice's
 * session by using her client id.
 */
describe('session ownership', () => {
  let tb: AuthBroker | null = null
  let tmp: ReturnType<typeof tempDir> | null = null
  afterEach(async () => {
    await tb?.close()
    tb = null
    tmp?.cleanup()
    tmp = null
  })

  async function start(settings: Record<string, unknown> = {}): Promise<AuthBroker> {
    requireTool(TOOLS.sub)
    requireTool(TOOLS.pub)
    tmp = tempDir()
    const authFile = tmp.path('auth.json5')
    writeAuthFile(authFile, { alice: 'alicepw', bob: 'bobpw' })
    tb = await startAuthBroker({ authFile, ...settings })
    return tb
  }
  const hp = (): string[] => ['-h', '127.0.0.1', '-p', String(tb!.tcpPort)]

  /** alice leaves a persistent session with one queued QoS 1 message. */
  async function aliceQueues(message: string): Promise<void> {
    await run(
      TOOLS.sub,
      [...hp(), '-u', 'alice', '-P', 'alicepw', '-i', 'alice-laptop', '-c', '-q', '1', '-t', 'alice/#', '-W', '1'],
      5000
    ).catch(() => {})
    await waitFor(() => tb!.broker.listClients().some((c) => c.clientId === 'alice-laptop' && !c.connected), 'alice offline')
    await run(TOOLS.pub, [...hp(), '-u', 'alice', '-P', 'alicepw', '-q', '1', '-t', 'alice/q/1', '-m', message])
    await waitFor(() => tb!.broker.listClients().find((c) => c.clientId === 'alice-laptop')?.queued === 1, 'the message queued')
  }

  it("refuses bob on alice's client id (clean = false), and alice still receives her queued message", async () => {
    await start()
    await aliceQueues('SECRET')
    const bob = spawnTool(TOOLS.sub, [
      ...hp(),
      '-u',
      'bob',
      '-P',
      'bobpw',
      '-i',
      'alice-laptop',
      '-c',
      '-q',
      '1',
      '-t',
      'bob/#',
      '-v',
      '-W',
      '2'
    ])
    const { code } = await bob.exited
    expect(code).not.toBe(0)
    expect(bob.stdout()).not.toContain('SECRET')
    expect(bob.stderr()).toMatch(/not authori[sz]ed/i)
    expect(tb!.broker.listClients().find((c) => c.clientId === 'alice-laptop')?.queued).toBe(1)
    expect(tb!.broker.stats().sessionTakeoversRefused).toBe(1)
    expect(tb!.log.join('\n')).toContain('belongs to user "alice"')

    const alice = await finished(
      spawnTool(TOOLS.sub, [
        ...hp(),
        '-u',
        'alice',
        '-P',
        'alicepw',
        '-i',
        'alice-laptop',
        '-c',
        '-q',
        '1',
        '-t',
        'alice/#',
        '-v',
        '-C',
        '1',
        '-W',
        '5'
      ])
    )
    expect(alice).toBe('alice/q/1 SECRET\n')
  })

  it('refuses bob with clean start too (3.1.1 return code 5, v5 0x87): the session is not wiped', async () => {
    await start()
    await aliceQueues('KEEP')
    expect(await refusalCode(tb!.connect({ clientId: 'alice-laptop', username: 'bob', password: 'bobpw', clean: true }))).toBe(5)
    expect(
      await refusalCode(tb!.connect({ clientId: 'alice-laptop', username: 'bob', password: 'bobpw', clean: true, protocolVersion: 5 }))
    ).toBe(0x87)
    const session = tb!.broker.listClients().find((c) => c.clientId === 'alice-laptop')
    expect(session).toMatchObject({ queued: 1, subscriptions: 1, username: 'alice' })
  })

  it('does not let bob kick alice while she is online', async () => {
    await start()
    const alice = await tb!.connect({ clientId: 'alice-phone', username: 'alice', password: 'alicepw' })
    let closed = false
    alice.on('close', () => {
      closed = true
    })
    expect(await refusalCode(tb!.connect({ clientId: 'alice-phone', username: 'bob', password: 'bobpw' }))).toBe(5)
    await alice.publishAsync('alice/still', 'here', { qos: 1 })
    expect(closed).toBe(false)
    expect(tb!.broker.listClients().find((c) => c.clientId === 'alice-phone')?.connected).toBe(true)
    await alice.endAsync()
  })

  it('lets the owner take over her own session', async () => {
    await start()
    await aliceQueues('MINE')
    const again = await tb!.connect({ clientId: 'alice-laptop', username: 'alice', password: 'alicepw', clean: false })
    expect(again.connected).toBe(true)
    await again.endAsync()
  })

  it("sessionTakeover 'any-user' restores mosquitto's behaviour", async () => {
    await start({ sessionTakeover: 'any-user' })
    await aliceQueues('SHARED')
    const bob = await finished(
      spawnTool(TOOLS.sub, [
        ...hp(),
        '-u',
        'bob',
        '-P',
        'bobpw',
        '-i',
        'alice-laptop',
        '-c',
        '-q',
        '1',
        '-t',
        'bob/#',
        '-v',
        '-C',
        '1',
        '-W',
        '5'
      ])
    )
    expect(bob).toBe('alice/q/1 SHARED\n')
  })

  it('treats unverified user names (no auth file) as one owner, so the default setup works as before', async () => {
    tb = await startAuthBroker({})
    const first = await tb.connect({ clientId: 'dev-1', username: 'someone', clean: false })
    await first.endAsync()
    const second = await tb.connect({ clientId: 'dev-1', username: 'someone-else', clean: false })
    expect(second.connected).toBe(true)
    await second.endAsync()
  })
})

/** Issue 16, finding 2: a will never writes $SYS. */
describe('wills to $SYS', () => {
  let tb: AuthBroker | null = null
  afterEach(async () => {
    await tb?.close()
    tb = null
  })

  it('refuses the CONNECT (3.1.1 return code 5, v5 0x87), so $SYS/broker/version cannot be spoofed', async () => {
    tb = await startAuthBroker({ sysInterval: 1 })
    for (const protocolVersion of [4, 5] as const) {
      const code = await refusalCode(
        tb.connect({
          clientId: `spoof-${protocolVersion}`,
          protocolVersion,
          will: { topic: '$SYS/broker/version', payload: Buffer.from('SPOOFED'), qos: 0, retain: true }
        })
      )
      expect(code).toBe(protocolVersion === 5 ? 0x87 : 5)
    }
    expect(tb.broker.listClients()).toEqual([])
    const version = tb.broker.getRetained('$SYS/broker/version')
    if (version) expect(Buffer.from(version.payload).toString()).not.toBe('SPOOFED')
  })

  it('refuses mosquitto_sub with a $SYS will topic', async () => {
    requireTool(TOOLS.sub)
    tb = await startAuthBroker({})
    const sub = spawnTool(TOOLS.sub, [
      '-h',
      '127.0.0.1',
      '-p',
      String(tb.tcpPort),
      '-t',
      'x',
      '--will-topic',
      '$SYS/broker/version',
      '--will-payload',
      'SPOOFED',
      '--will-retain',
      '-W',
      '2'
    ])
    const { code } = await sub.exited
    expect(code).not.toBe(0)
    expect(sub.stderr()).toMatch(/not authori[sz]ed/i)
  })
})
