/**
 * Finding 6 of the security review (issue 16), the inspector UI's side: the token can come from a
 * file or the environment instead of the command line (where `ps` shows it to every local user),
 * a UI bound beyond loopback over plain HTTP is warned about, and the HTTP server answers only Host
 * values that name it (DNS rebinding). Before the fix there was only --ui-token, no warning, and
 * any Host was served.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { connect as netConnect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { parseCliArgs, usage } from '../../src/main/config/cli-args'
import { isLoopbackHost, resolveUiToken } from '../../src/main/headless/ui-access'
import { startUiServer, type UiServer } from '../../src/main/headless/ui-server'
import { Inspector } from '../../src/main/inspector/inspector'
import { MemorySavedMessageStore } from '../../src/main/inspector/saved-messages'
import { startTestBroker, waitFor, type TestBroker } from '../helpers/broker-harness'
import { startCli } from '../helpers/cli-process'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'brokerscope-ui-access-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const TOKEN = 'file-token-0123456789abcdef'
const ui = (fields: Partial<ReturnType<typeof parseCliArgs>['ui']> = {}) => ({ ...parseCliArgs([]).ui, ...fields })

describe('the UI token', () => {
  it('comes from the flag, else the token file (first line), else $BROKERSCOPE_UI_TOKEN, else is random', async () => {
    const file = join(dir, 'token')
    writeFileSync(file, `${TOKEN}\nsecond line ignored\n`)
    chmodSync(file, 0o600)
    const env = { BROKERSCOPE_UI_TOKEN: 'env-token-0123456789abcdef' }
    expect(await resolveUiToken(ui({ token: 'flag-token-0123456789abcd' }), env)).toEqual({
      ok: true,
      token: 'flag-token-0123456789abcd',
      warnings: []
    })
    expect(await resolveUiToken(ui({ tokenFile: file }), env)).toEqual({ ok: true, token: TOKEN, warnings: [] })
    expect(await resolveUiToken(ui(), env)).toEqual({ ok: true, token: 'env-token-0123456789abcdef', warnings: [] })
    expect(await resolveUiToken(ui(), {})).toEqual({ ok: true, token: null, warnings: [] })
  })

  it('refuses a bad token from any source, a FIFO as the file, and warns about a file others can read', async () => {
    expect(await resolveUiToken(ui(), { BROKERSCOPE_UI_TOKEN: 'short' })).toEqual({
      ok: false,
      error: '$BROKERSCOPE_UI_TOKEN must be 16 to 256 characters: letters, digits, - _ . ~'
    })
    const bad = join(dir, 'bad-token')
    writeFileSync(bad, 'has spaces in it, not a token\n')
    expect(await resolveUiToken(ui({ tokenFile: bad }), {})).toMatchObject({ ok: false, error: expect.stringContaining('first line') })
    const fifo = join(dir, 'token.fifo')
    execFileSync('mkfifo', [fifo])
    expect(await resolveUiToken(ui({ tokenFile: fifo }), {})).toMatchObject({
      ok: false,
      error: expect.stringContaining('not a regular file')
    })
    const open = join(dir, 'open-token')
    writeFileSync(open, TOKEN)
    chmodSync(open, 0o644)
    expect(await resolveUiToken(ui({ tokenFile: open }), {})).toEqual({
      ok: true,
      token: TOKEN,
      warnings: [`${open} can be read by other users: chmod 600 ${open}`]
    })
    expect(parseCliArgs(['--ui-token', TOKEN, '--ui-token-file', open]).errors).toEqual(['--ui-token and --ui-token-file: give only one'])
  })

  it('--help says the flag is visible to other local users and names the safer ways', () => {
    const help = usage()
    expect(help).toMatch(/--ui-token <TOKEN>[\s\S]*other local users can read it in the process list/)
    expect(help).toContain('--ui-token-file <FILE>')
    expect(help).toContain('BROKERSCOPE_UI_TOKEN')
  })

  it('the brokerscope process takes it from the file or the environment', async () => {
    const file = join(dir, 'cli-token')
    writeFileSync(file, `${TOKEN}\n`)
    chmodSync(file, 0o600)
    const fromFile = await startCliWithout(['--ui-token-file', file])
    expect(fromFile.output()).toMatch(new RegExp(`inspector UI on http://127\\.0\\.0\\.1:\\d+/\\?token=${TOKEN}`))
    await fromFile.stop()
    const fromEnv = await startCliWithout([], { BROKERSCOPE_UI_TOKEN: 'env-token-for-the-cli-0123' })
    expect(fromEnv.output()).toContain('?token=env-token-for-the-cli-0123')
    await fromEnv.stop()
  })

  it('binding the UI beyond loopback warns that it is plain HTTP', async () => {
    expect(isLoopbackHost('127.0.0.1') && isLoopbackHost('::1') && isLoopbackHost('localhost') && isLoopbackHost('127.1.2.3')).toBe(true)
    expect(isLoopbackHost('0.0.0.0') || isLoopbackHost('192.168.1.2') || isLoopbackHost('::')).toBe(false)
    const exposed = await startCli(['--ui-host', '0.0.0.0'])
    await waitFor(() => exposed.output().includes('plain HTTP'), 'the warning')
    expect(exposed.output()).toMatch(/WARN .*inspector UI listens on 0\.0\.0\.0 over plain HTTP/)
    // The warning does not repeat the token.
    expect(
      exposed
        .output()
        .split('\n')
        .find((line) => line.includes('plain HTTP'))
    ).not.toContain('cli-test-token')
    await exposed.stop()
    const local = await startCli()
    await waitFor(() => local.output().includes('running; press Ctrl-C'), 'the start-up to finish')
    expect(local.output()).not.toContain('plain HTTP')
    await local.stop()
  })
})

/** startCli without its fixed --ui-token (so the token comes from elsewhere). */
function startCliWithout(extra: string[], env: NodeJS.ProcessEnv = {}) {
  return startCli(extra, env, { token: false })
}

describe('the UI server answers only Host values that name it (DNS rebinding)', () => {
  let target: TestBroker
  let server: UiServer
  const rendererDir = () => join(dir, 'renderer')

  beforeAll(async () => {
    mkdirSync(rendererDir(), { recursive: true })
    writeFileSync(join(rendererDir(), 'index.html'), '<!doctype html><title>BrokerScope</title>')
    target = await startTestBroker()
    const inspector = new Inspector(target.broker, { savedMessages: new MemorySavedMessageStore() })
    server = await startUiServer(inspector, { host: '127.0.0.1', port: 0, rendererDir: rendererDir(), token: TOKEN })
  })
  afterAll(async () => {
    await server.close()
    await target.close()
  })

  function get(path: string, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path, headers: { host } }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      req.end()
    })
  }

  it('serves its own names, refuses others with 421', async () => {
    expect(await get('/', `127.0.0.1:${server.port}`)).toBe(200)
    expect(await get('/', `localhost:${server.port}`)).toBe(200)
    expect(await get('/', `LOCALHOST:${server.port}`)).toBe(200)
    for (const host of [
      `evil.example:${server.port}`,
      'evil.example',
      `127.0.0.1.evil.example:${server.port}`,
      `localhost:${server.port + 1}`
    ]) {
      expect(await get('/', host), host).toBe(421)
      expect(await get('/api/health', host), host).toBe(421)
    }
  })

  it('refuses a request without a Host header', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = netConnect(server.port, '127.0.0.1', () => socket.write('GET / HTTP/1.0\r\n\r\n'))
      let text = ''
      socket.on('data', (chunk) => (text += chunk.toString()))
      socket.on('close', () => resolve(text))
      socket.on('error', reject)
    })
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 421 Misdirected Request')
  })

  it('refuses the WebSocket upgrade from a rebound name, even with the token and a matching Origin', async () => {
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${TOKEN}`, {
        headers: { host: `evil.example:${server.port}` },
        origin: `http://evil.example:${server.port}`
      })
      ws.once('open', () => resolve(101))
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      ws.once('error', () => resolve(-1))
    })
    expect(status).toBe(421)
  })
})
