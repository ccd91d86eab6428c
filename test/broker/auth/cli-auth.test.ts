import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { freePort, waitFor } from '../../helpers/broker-harness'
import { refusalCode, tempDir, writeAuthFile } from './auth-helpers'

// The built `brokerscope` (npm test builds out/ first).
const CLI = join(process.cwd(), 'out/main/cli.js')

describe('brokerscope with --auth-file', () => {
  // A missing build must fail these tests, not skip them.
  beforeAll(() => expect(existsSync(CLI), `${CLI} is missing: run npm run build`).toBe(true))
  let child: ChildProcess | null = null
  let tmp: ReturnType<typeof tempDir> | null = null
  afterEach(() => {
    child?.kill('SIGKILL')
    child = null
    tmp?.cleanup()
    tmp = null
  })

  it('does not start with a bad auth file: exit code 2 and the errors with their lines', () => {
    tmp = tempDir()
    const file = tmp.path('auth.json5')
    writeFileSync(file, "{\n  acl: [\n    { topic: 'a/#', access: 'all' },\n  ],\n}\n")
    const result = spawnSync(process.execPath, [CLI, '--auth-file', file, '--tcp-port', '0', '--ws-port', '0', '--tls-port', '1'], {
      encoding: 'utf8'
    })
    // --tls-port without a certificate is reported first (settings), then fixed and retried below.
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('tlsPort 1 needs certFile and keyFile')
    const again = spawnSync(process.execPath, [CLI, '--auth-file', file, '--ws-port', '0', '--ui-port', '0'], { encoding: 'utf8' })
    expect(again.status).toBe(2)
    expect(again.stderr).toBe(`brokerscope: ${file}:3: acl[0].access: must be one of read, write, readwrite, deny (got "all")\n`)
  })

  it('re-reads the auth file on SIGHUP without dropping connections', async () => {
    tmp = tempDir()
    const file = tmp.path('auth.json5')
    writeAuthFile(file, { alice: 'one' })
    const port = await freePort()
    const proc = spawn(process.execPath, [CLI, '--auth-file', file, '--tcp-port', String(port), '--ws-port', '0', '--ui-port', '0'])
    child = proc
    let output = ''
    proc.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    proc.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    await waitFor(() => output.includes('running'), 'the broker to start', 10_000)
    const url = `mqtt://127.0.0.1:${port}`
    const stays = await mqtt.connectAsync(url, { reconnectPeriod: 0, username: 'alice', password: 'one' })

    writeAuthFile(file, { alice: 'two' })
    proc.kill('SIGHUP')
    await waitFor(() => output.includes('SIGHUP: reloading'), 'the reload', 5000)
    await waitFor(() => output.split('1 user').length > 2, 'the reloaded file', 5000)
    expect(await refusalCode(mqtt.connectAsync(url, { reconnectPeriod: 0, username: 'alice', password: 'one' }))).toBe(4)
    const fresh = await mqtt.connectAsync(url, { reconnectPeriod: 0, username: 'alice', password: 'two' })
    await fresh.endAsync()

    writeFileSync(file, '{ users: [ { username: "alice" } ] }')
    proc.kill('SIGHUP')
    await waitFor(() => output.includes('keeping the rules loaded from'), 'the refusal of the bad file', 5000)
    expect(output).toMatch(/auth file: .*auth\.json5:1: users\[0\]\.password: must be a password hash string \(missing\)/)
    const still = await mqtt.connectAsync(url, { reconnectPeriod: 0, username: 'alice', password: 'two' })
    await still.endAsync()
    expect(stays.connected).toBe(true)
    await stays.endAsync()
  })
})
