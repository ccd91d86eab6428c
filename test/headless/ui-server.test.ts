import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises'
import { request, type IncomingHttpHeaders } from 'node:http'
import type { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { startUiServer, type UiServer } from '../../src/main/headless/ui-server'
import { Inspector } from '../../src/main/inspector/inspector'
import { MemorySavedMessageStore } from '../../src/main/inspector/saved-messages'
import type { InspectorBatch, InspectorSnapshot, WsResponse, WsServerMessage } from '../../src/shared/api'
import type { PacketRecord } from '../../src/shared/broker-types'
import { delay, startTestBroker, waitFor, type TestBroker } from '../helpers/broker-harness'

let dir: string
let rendererDir: string
let target: TestBroker
let inspector: Inspector
let server: UiServer
const sockets: WebSocket[] = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'brokerscope-ui-'))
  rendererDir = join(dir, 'renderer')
  await mkdir(join(rendererDir, 'assets'), { recursive: true })
  await writeFile(
    join(rendererDir, 'index.html'),
    '<!doctype html><title>BrokerScope</title><script type="module" src="./assets/app.js"></script>'
  )
  await writeFile(join(rendererDir, 'assets', 'app.js'), 'console.log("app")')
  await writeFile(join(rendererDir, 'assets', 'style.css'), 'body{}')
  await writeFile(join(dir, 'secret.txt'), 'do not serve')
  await symlink(join(dir, 'secret.txt'), join(rendererDir, 'link.txt'))
  target = await startTestBroker()
  inspector = new Inspector(target.broker, { savedMessages: new MemorySavedMessageStore(), batchIntervalMs: 20 })
  server = await startUiServer(inspector, { host: '127.0.0.1', port: 0, rendererDir })
})

afterEach(() => {
  for (const ws of sockets.splice(0)) ws.terminate()
})

afterAll(async () => {
  await server.close()
  await target.close()
  await rm(dir, { recursive: true, force: true })
})

interface HttpResult {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** Raw request: the path is sent exactly as given (fetch would normalise '..'). */
function get(port: number, path: string, method = 'GET'): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }))
    })
    req.on('error', reject)
    req.end()
  })
}

type Opened = { ok: true; ws: WebSocket } | { ok: false; status: number }

function open(url: string, origin?: string): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin === undefined ? {} : { origin })
    sockets.push(ws)
    ws.once('open', () => resolve({ ok: true, ws }))
    ws.once('unexpected-response', (req, res) => {
      resolve({ ok: false, status: res.statusCode ?? 0 })
      req.destroy()
    })
    ws.on('error', (error) => reject(error))
  })
}

const apiUrl = (token: string | null, path = '/api'): string =>
  `ws://127.0.0.1:${server.port}${path}${token === null ? '' : `?token=${encodeURIComponent(token)}`}`
const ownOrigin = (): string => `http://127.0.0.1:${server.port}`

/** A connected page: requests by id, batches collected. */
class Page {
  readonly batches: InspectorBatch[] = []
  readonly responses: WsResponse[] = []
  private nextId = 1
  private readonly waiting = new Map<number | string, (response: WsResponse) => void>()

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as WsServerMessage
      if ('event' in message) return void this.batches.push(message.batch)
      this.responses.push(message)
      if (message.id !== null) this.waiting.get(message.id)?.(message)
    })
  }

  static async open(origin = ownOrigin()): Promise<Page> {
    const opened = await open(apiUrl(server.token), origin)
    if (!opened.ok) throw new Error(`refused with ${opened.status}`)
    return new Page(opened.ws)
  }

  call(command: string, args: unknown[] = []): Promise<WsResponse> {
    const id = this.nextId++
    return new Promise((resolve) => {
      this.waiting.set(id, resolve)
      this.ws.send(JSON.stringify({ id, command, args }))
    })
  }

  sendRaw(text: string): void {
    this.ws.send(text)
  }
}

describe('UI server: static files', () => {
  it('serves index.html at / with a strict CSP and security headers', async () => {
    const res = await get(server.port, '/?token=abc')
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(res.body).toContain('<title>BrokerScope</title>')
    const csp = String(res.headers['content-security-policy'])
    expect(csp).toContain("default-src 'self'")
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${server.port}`)
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("style-src 'self' 'unsafe-inline'")
    expect(csp).toContain("img-src 'self' data:")
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.headers['referrer-policy']).toBe('no-referrer')
  })

  it('serves assets with their content types', async () => {
    const js = await get(server.port, '/assets/app.js')
    expect(js.status).toBe(200)
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(js.body).toBe('console.log("app")')
    const css = await get(server.port, '/assets/style.css')
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8')
    const head = await get(server.port, '/assets/app.js', 'HEAD')
    expect(head.status).toBe(200)
    expect(head.body).toBe('')
  })

  it('answers 404 for missing files, directories and every traversal attempt', async () => {
    for (const path of [
      '/missing.js',
      '/assets',
      '/assets/',
      '/../secret.txt',
      '/../package.json',
      '/%2e%2e/secret.txt',
      '/%2E%2E/secret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/%2e%2e%2fsecret.txt',
      '/..%2fsecret.txt',
      '/..%5csecret.txt',
      '/assets/..\\..\\secret.txt',
      '/%00index.html',
      '/%zz',
      '/link.txt'
    ]) {
      const res = await get(server.port, path)
      expect(res.status, path).toBe(404)
      expect(res.body, path).not.toContain('do not serve')
    }
  })

  it('refuses other methods', async () => {
    const res = await get(server.port, '/', 'POST')
    expect(res.status).toBe(405)
  })

  it('GET /api/health → 200 without a token, and no data', async () => {
    const res = await get(server.port, '/api/health')
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body)).toEqual({ ok: true })
  })
})

describe('UI server: WebSocket /api', () => {
  it('accepts the token with its own origin: snapshot call and batches', async () => {
    const page = await Page.open()
    const response = await page.call('snapshot')
    expect(response.ok).toBe(true)
    if (response.ok) {
      const snapshot = response.result as InspectorSnapshot
      expect(snapshot.trafficCapacity).toBe(10_000)
      expect(snapshot.settings.tcpPort).toBe(target.tcpPort)
    }
    const published = await page.call('publish', [{ topic: 'ui/test', payload: 'hi', qos: 0, retain: true }])
    expect(published).toEqual({ id: 2, ok: true, result: { recipients: 0 } })
    await waitFor(
      () => page.batches.some((b) => b.retained?.some((r) => r.topic === 'ui/test') ?? false),
      'a batch with the retained message'
    )
    expect(page.batches[0].seq).toBeGreaterThan(0)
    // void results arrive as null
    expect(await page.call('clearTraffic')).toEqual({ id: 3, ok: true, result: null })
  })

  it('accepts http://localhost:PORT as the origin too', async () => {
    const opened = await open(apiUrl(server.token), `http://localhost:${server.port}`)
    expect(opened.ok).toBe(true)
  })

  it('refuses an upgrade without the token, with a wrong token, from another origin or without an origin (403)', async () => {
    expect(await open(apiUrl(null), ownOrigin())).toEqual({ ok: false, status: 403 })
    expect(await open(apiUrl('wrong'), ownOrigin())).toEqual({ ok: false, status: 403 })
    expect(await open(apiUrl(server.token.slice(0, -1)), ownOrigin())).toEqual({ ok: false, status: 403 })
    expect(await open(apiUrl(server.token), 'http://evil.example')).toEqual({ ok: false, status: 403 })
    expect(await open(apiUrl(server.token), `http://evil.example:${server.port}`)).toEqual({ ok: false, status: 403 })
    expect(await open(apiUrl(server.token), `https://127.0.0.1:${server.port}`)).toEqual({ ok: false, status: 403 })
    expect(await open(apiUrl(server.token), 'null')).toEqual({ ok: false, status: 403 })
    expect(await open(apiUrl(server.token))).toEqual({ ok: false, status: 403 })
    expect(await open(apiUrl(server.token, '/other'), ownOrigin())).toEqual({ ok: false, status: 404 })
  })

  it('answers bad requests with errors and keeps the socket open', async () => {
    const page = await Page.open()
    page.sendRaw('{not json')
    page.sendRaw('[1,2]')
    page.sendRaw(JSON.stringify({ id: { nested: true }, command: 'snapshot' }))
    await waitFor(() => page.responses.length === 3, 'three error replies')
    for (const response of page.responses) expect(response).toMatchObject({ id: null, ok: false })
    expect(await page.call('nope')).toEqual({ id: 1, ok: false, error: 'unknown command "nope"' })
    expect(await page.call('getTrafficPayload', ['x'])).toMatchObject({ ok: false, error: expect.stringMatching(/non-negative integer/) })
    expect(await page.call('publish', [{ topic: 'a/#', payload: '', qos: 0, retain: false }])).toMatchObject({ ok: false })
    expect((await page.call('listSavedMessages')).ok).toBe(true)
  })

  it('detaches the inspector when the last page leaves', async () => {
    await waitFor(() => !inspector.attached, 'detached before the test')
    const a = await Page.open()
    const b = await Page.open()
    expect(inspector.attached).toBe(true)
    a.ws.close()
    await delay(50)
    expect(inspector.attached).toBe(true)
    b.ws.close()
    await waitFor(() => !inspector.attached, 'detached')
    // Still recording for the next page (issue 15): the traffic log runs without a UI by default.
    expect(target.broker.events.wantsPackets).toBe(true)
  })
})

describe('UI server: a slow page', () => {
  it('skips batches to a page that does not read, then sends it one full batch', async () => {
    const own = await startUiServer(inspector, { port: 0, rendererDir, maxBufferedBytes: 64 * 1024 })
    try {
      const opened = await open(`ws://127.0.0.1:${own.port}/api?token=${own.token}`, `http://127.0.0.1:${own.port}`)
      if (!opened.ok) throw new Error('refused')
      const page = new Page(opened.ws)
      // Stop reading: the server's send buffer fills up.
      const socket = (opened.ws as unknown as { _socket: Socket })._socket
      socket.pause()
      const payload = Buffer.alloc(4096, 0x62)
      const packet: PacketRecord = {
        direction: 'in',
        clientId: 'x',
        type: 'publish',
        size: 4106,
        topic: 'slow',
        qos: 0,
        retain: false,
        dup: false,
        payload
      }
      const flood = setInterval(() => {
        for (let i = 0; i < 200; i++) target.broker.events.emit({ type: 'packet', packet })
      }, 5)
      try {
        await delay(1500)
      } finally {
        clearInterval(flood)
      }
      socket.resume()
      await waitFor(() => page.batches.some((b) => b.full === true), 'a full batch', 10_000)
      const full = page.batches.find((b) => b.full === true)
      expect(full?.batchesSkipped).toBeGreaterThan(0)
      expect(full?.traffic.length).toBe(inspector.usage().trafficRows)
      expect(full?.clients).toBeDefined()
      expect(full?.settings).toBeDefined()
      expect(full?.topics).toBeDefined()
      console.log(
        `[slow page] received ${page.batches.length} batches; full batch after ${full?.batchesSkipped} skipped, ${full?.traffic.length} rows`
      )
    } finally {
      await own.close()
    }
  }, 20_000)
})

describe('UI server: lifecycle', () => {
  it('creates a random 32-hex token and a URL carrying it; close() stops everything', async () => {
    const own = await startUiServer(inspector, { port: 0, rendererDir })
    expect(own.token).toMatch(/^[0-9a-f]{32}$/)
    expect(own.url).toBe(`http://127.0.0.1:${own.port}/?token=${own.token}`)
    const page = await open(`ws://127.0.0.1:${own.port}/api?token=${own.token}`, `http://127.0.0.1:${own.port}`)
    expect(page.ok).toBe(true)
    await own.close()
    await own.close() // idempotent
    await expect(get(own.port, '/api/health')).rejects.toThrow()
    await waitFor(() => !inspector.attached, 'inspector detached')
  })

  it('refuses a token that cannot travel in a URL', async () => {
    await expect(startUiServer(inspector, { port: 0, rendererDir, token: 'a b' })).rejects.toThrow(/token/)
  })
})
