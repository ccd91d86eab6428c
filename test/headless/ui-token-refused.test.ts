/**
 * Issue 15 bug 3: a page with a missing or wrong token (or one from an earlier run, still in
 * sessionStorage) said "Could not reach BrokerScope; retrying…" forever. The page's transport,
 * against the real UI server: it learns that the token was refused, says what to do, and stops.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { checkHeadlessAccess } from '../../src/renderer/src/api/access-check'
import { WebSocketTransport, type WebSocketConstructor, type WebSocketLike } from '../../src/renderer/src/api/websocket-transport'
import { startUiServer, type UiServer } from '../../src/main/headless/ui-server'
import { Inspector } from '../../src/main/inspector/inspector'
import { MemorySavedMessageStore } from '../../src/main/inspector/saved-messages'
import { delay, startTestBroker, waitFor, type TestBroker } from '../helpers/broker-harness'

let dir: string
let target: TestBroker
let inspector: Inspector
let server: UiServer

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'brokerscope-refused-'))
  await mkdir(join(dir, 'renderer'))
  await writeFile(join(dir, 'renderer', 'index.html'), '<!doctype html>')
  target = await startTestBroker()
  inspector = new Inspector(target.broker, { savedMessages: new MemorySavedMessageStore() })
  server = await startUiServer(inspector, { port: 0, rendererDir: join(dir, 'renderer') })
})

afterAll(async () => {
  await server.close()
  inspector.dispose()
  await target.close()
  await rm(dir, { recursive: true, force: true })
})

/** `ws`'s WebSocket with the page's Origin, counting the connections it opens. */
function countingWebSocket(origin: string): { Impl: WebSocketConstructor; attempts: () => number } {
  let attempts = 0
  const Impl = function (this: unknown, url: string): WebSocketLike {
    attempts++
    return new WebSocket(url, { origin }) as unknown as WebSocketLike
  } as unknown as WebSocketConstructor
  return { Impl, attempts: () => attempts }
}

function page(token: string | null): { transport: WebSocketTransport; attempts: () => number } {
  const base = `http://127.0.0.1:${server.port}`
  const socket = countingWebSocket(base)
  const query = token === null ? '' : `?token=${encodeURIComponent(token)}`
  const transport = new WebSocketTransport({
    url: `ws://127.0.0.1:${server.port}/api${query}`,
    WebSocket: socket.Impl,
    reconnectInitialMs: 20,
    reconnectMaxMs: 40,
    checkAccess: () => checkHeadlessAccess(base, token)
  })
  return { transport, attempts: socket.attempts }
}

describe('a page whose token is refused', () => {
  it.each([
    ['a wrong token', 'not-the-token-of-this-run'],
    ['no token', null]
  ])('with %s: says so and stops retrying', async (_, token) => {
    const { transport, attempts } = page(token)
    await waitFor(() => transport.connectionStatus === 'denied', 'the transport reports the refusal', 5_000)
    expect(transport.deniedReason).toMatch(/needs the address that brokerscope printed/)
    const tried = attempts()
    await delay(400) // ten reconnect delays
    expect(attempts()).toBe(tried)
    await expect(transport.call('snapshot')).rejects.toThrow(/needs the address that brokerscope printed/)
    transport.close()
  })

  it('with the right token: connects (the check does not refuse good pages)', async () => {
    const { transport } = page(server.token)
    await expect(transport.call('snapshot')).resolves.toHaveProperty('stats')
    expect(await checkHeadlessAccess(`http://127.0.0.1:${server.port}`, server.token)).toBe('ok')
    transport.close()
  })

  it('a broker that is down is "unreachable", not "denied": the page keeps retrying', async () => {
    expect(await checkHeadlessAccess('http://127.0.0.1:1', 'whatever-token-12345')).toBe('unreachable')
  })
})
