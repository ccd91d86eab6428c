/**
 * Headless mode's UI: serves the built renderer over HTTP and bridges the inspector API over a
 * WebSocket (/api), so a browser gets the same UI as the Electron window.
 *
 * Security model: the page itself holds no secrets (static files, /api/health); everything else
 * goes through the WebSocket, and its upgrade needs the token from the URL printed at start-up AND
 * an Origin equal to this server's own origin. The Origin check stops other web sites (and DNS
 * rebinding) from driving the broker from a user's browser; the token stops other local users
 * and programs. Every request (pages and upgrades) must also name this server in its Host header
 * (one of its own addresses, or localhost): a page on a rebound DNS name gets nothing, not even
 * the static files. Refusals happen before the upgrade, with a plain HTTP status.
 *
 * Back-pressure: a socket whose send buffer is over the limit skips batches (counted); once it
 * drains, it gets one full batch (InspectorBatch.full) and continues. The broker is never blocked.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { hostname, networkInterfaces } from 'node:os'
import { extname, resolve, sep } from 'node:path'
import { WebSocket, WebSocketServer, type RawData } from 'ws'
import type { InspectorBatch, WsResponse } from '../../shared/api'
import { uiTokenProblem } from '../config/ui-token'
import type { Inspector } from '../inspector/inspector'

export interface UiServerOptions {
  /** Listen address (default 127.0.0.1). */
  host?: string
  /** Port (default 8090; 0 picks a free one). */
  port?: number
  /** Access token (default: 32 random hex characters); see config/ui-token.ts for the rule. */
  token?: string
  /** The built renderer (out/renderer). */
  rendererDir: string
  /** Skip batches to a socket with more than this many bytes unsent (default 8 MiB). */
  maxBufferedBytes?: number
  /** Largest message accepted from a page (default 16 MiB; publish payloads travel in it). */
  maxMessageBytes?: number
  /** UI sockets open at once (default 16). */
  maxSockets?: number
}

export interface UiServer {
  /** http://127.0.0.1:PORT/?token=… — what the user opens. */
  url: string
  port: number
  token: string
  close(): Promise<void>
}

interface UiSocket {
  ws: WebSocket
  /** It missed batches: the next one it gets must be a full one. */
  needsFull: boolean
  skipped: number
}

const DEFAULT_PORT = 8090
const DEFAULT_MAX_BUFFERED = 8 * 1024 * 1024
const DEFAULT_MAX_MESSAGE = 16 * 1024 * 1024
const DEFAULT_MAX_SOCKETS = 16
/** A page that does not even read replies to its own requests is dropped at this multiple of the batch limit. */
const HARD_BUFFER_FACTOR = 4

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm'
}

export async function startUiServer(inspector: Inspector, options: UiServerOptions): Promise<UiServer> {
  const host = options.host ?? '127.0.0.1'
  const token = options.token ?? randomBytes(16).toString('hex')
  const tokenProblem = uiTokenProblem(token)
  if (tokenProblem !== null) throw new Error(`UI token ${tokenProblem}`)
  const maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED
  const maxSockets = options.maxSockets ?? DEFAULT_MAX_SOCKETS
  const root = await realpath(options.rendererDir).catch(() => resolve(options.rendererDir))

  const sockets = new Set<UiSocket>()
  let stopBatches: (() => void) | null = null
  let allowedOrigins = new Set<string>()
  /** Host header values (host[:port], lowercase) that name this server. */
  let allowedHosts = new Set<string>()
  let csp = ''

  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE })
  const server = createServer((req, res) => {
    // DNS rebinding: a page on attacker.example resolved to 127.0.0.1 sends Host: attacker.example.
    if (!allowedHosts.has((req.headers.host ?? '').toLowerCase())) return sendStatus(res, 421, csp)
    if (splitUrl(req.url).pathname === '/api/access') return answerAccessCheck(req, res, token, csp)
    serveHttp(req, res, root, csp).catch(() => {
      if (!res.headersSent) sendStatus(res, 500, csp)
      else res.destroy()
    })
  })

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    if (!allowedHosts.has((req.headers.host ?? '').toLowerCase())) return refuse(socket, 421)
    const { pathname, query } = splitUrl(req.url)
    if (pathname !== '/api') return refuse(socket, 404)
    const given = new URLSearchParams(query).get('token')
    if (given === null || !sameSecret(given, token)) return refuse(socket, 403)
    const origin = req.headers.origin
    if (typeof origin !== 'string' || !allowedOrigins.has(origin)) return refuse(socket, 403)
    if (sockets.size >= maxSockets) return refuse(socket, 503)
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws))
  })

  function accept(ws: WebSocket): void {
    const client: UiSocket = { ws, needsFull: false, skipped: 0 }
    sockets.add(client)
    // The inspector attaches to the broker only while some page is connected.
    if (stopBatches === null) stopBatches = inspector.onBatch(fanOut)
    ws.on('message', (data, isBinary) => onMessage(client, data, isBinary))
    ws.on('error', () => ws.terminate())
    ws.on('close', () => {
      sockets.delete(client)
      if (sockets.size === 0 && stopBatches !== null) {
        stopBatches()
        stopBatches = null
      }
    })
  }

  function fanOut(batch: InspectorBatch): void {
    let text: string | null = null
    for (const client of sockets) {
      const ws = client.ws
      if (ws.readyState !== WebSocket.OPEN) continue
      if (ws.bufferedAmount > maxBuffered) {
        client.skipped++
        client.needsFull = true
        continue
      }
      if (client.needsFull) {
        const full: InspectorBatch = { ...inspector.fullBatch(), batchesSkipped: client.skipped }
        client.needsFull = false
        client.skipped = 0
        ws.send(JSON.stringify({ event: 'batch', batch: full }))
        continue
      }
      // Serialised once for every socket.
      text ??= JSON.stringify({ event: 'batch', batch })
      ws.send(text)
    }
  }

  function onMessage(client: UiSocket, data: RawData, isBinary: boolean): void {
    if (isBinary) return reply(client, { id: null, ok: false, error: 'requests must be JSON text' })
    let request: unknown
    try {
      request = JSON.parse(rawText(data))
    } catch {
      return reply(client, { id: null, ok: false, error: 'request is not valid JSON' })
    }
    if (typeof request !== 'object' || request === null || Array.isArray(request)) {
      return reply(client, { id: null, ok: false, error: 'request must be an object {id, command, args}' })
    }
    const fields = request as Record<string, unknown>
    const id = fields.id
    const validId = (typeof id === 'number' && Number.isFinite(id)) || (typeof id === 'string' && id.length <= 100)
    if (!validId) return reply(client, { id: null, ok: false, error: 'request id must be a number or a short string' })
    inspector.handleCommand(fields.command, fields.args).then(
      (result) => reply(client, { id, ok: true, result: result ?? null }),
      (error: unknown) => reply(client, { id, ok: false, error: error instanceof Error ? error.message : String(error) })
    )
  }

  function reply(client: UiSocket, response: WsResponse): void {
    const ws = client.ws
    if (ws.readyState !== WebSocket.OPEN) return
    // Replies are never skipped (the page awaits them), so a page that stops reading is cut off instead.
    if (ws.bufferedAmount > maxBuffered * HARD_BUFFER_FACTOR) {
      ws.terminate()
      return
    }
    ws.send(JSON.stringify(response))
  }

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen)
    server.listen(options.port ?? DEFAULT_PORT, host, () => {
      server.off('error', rejectListen)
      resolveListen()
    })
  })
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  const hosts = originHosts(host)
  allowedOrigins = new Set(hosts.map((h) => `http://${h}:${port}`))
  // Without the port too: HTTP clients leave out the default port (80) in Host.
  allowedHosts = new Set(hosts.flatMap((h) => [`${h.toLowerCase()}:${port}`, ...(port === 80 ? [h.toLowerCase()] : [])]))
  csp = [
    "default-src 'self'",
    `connect-src 'self' ${hosts.map((h) => `ws://${h}:${port}`).join(' ')}`,
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'"
  ].join('; ')

  let closing: Promise<void> | null = null
  return {
    url: `http://${urlHost(host)}:${port}/?token=${token}`,
    port,
    token,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolveClose) => {
        if (stopBatches !== null) stopBatches()
        stopBatches = null
        for (const client of sockets) client.ws.terminate()
        sockets.clear()
        wss.close()
        server.close(() => resolveClose())
        server.closeAllConnections()
      })
      return closing
    }
  }
}

// ───────────────────────────── HTTP ─────────────────────────────

async function serveHttp(req: IncomingMessage, res: ServerResponse, root: string, csp: string): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD')
    return sendStatus(res, 405, csp)
  }
  const { pathname } = splitUrl(req.url)
  if (pathname === '/api/health') {
    setSecurityHeaders(res, csp)
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' })
    res.end(req.method === 'HEAD' ? undefined : '{"ok":true}')
    return
  }
  const file = await staticFile(root, pathname)
  if (file === null) return sendStatus(res, 404, csp)
  setSecurityHeaders(res, csp)
  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[extname(file.path).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': file.size,
    // index.html names the hashed assets: always revalidate it.
    'Cache-Control': file.path.endsWith('.html') ? 'no-cache' : 'public, max-age=3600'
  })
  if (req.method === 'HEAD') {
    res.end()
    return
  }
  const stream = createReadStream(file.path)
  stream.on('error', () => res.destroy())
  stream.pipe(res)
}

/**
 * GET /api/access?token=…: 204 when the token is this run's, 403 when it is missing or wrong. A
 * browser cannot read the status of a refused WebSocket upgrade, so the page asks here to tell a
 * refused token (say so, stop retrying) from a broker that is down (keep retrying). It answers
 * nothing the upgrade does not already answer.
 */
function answerAccessCheck(req: IncomingMessage, res: ServerResponse, token: string, csp: string): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD')
    return sendStatus(res, 405, csp)
  }
  const given = new URLSearchParams(splitUrl(req.url).query).get('token')
  setSecurityHeaders(res, csp)
  res.writeHead(given !== null && sameSecret(given, token) ? 204 : 403, { 'Cache-Control': 'no-store' })
  res.end()
}

/**
 * The file under `root` for a URL path, or null. Refuses anything that could leave `root`:
 * '..' segments (raw or percent-encoded), backslashes, NUL bytes, and symlinks pointing outside.
 */
export async function staticFile(root: string, pathname: string): Promise<{ path: string; size: number } | null> {
  let decoded: string
  try {
    decoded = decodeURIComponent(pathname)
  } catch {
    return null
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null
  const segments = decoded.split('/')
  if (segments.some((segment) => segment === '..' || segment === '.')) return null
  const relative = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '')
  const candidate = resolve(root, relative)
  if (!candidate.startsWith(root + sep)) return null
  try {
    const real = await realpath(candidate)
    if (!real.startsWith(root + sep)) return null
    const info = await stat(real)
    return info.isFile() ? { path: real, size: info.size } : null
  } catch {
    return null
  }
}

function setSecurityHeaders(res: ServerResponse, csp: string): void {
  res.setHeader('Content-Security-Policy', csp)
  res.setHeader('X-Content-Type-Options', 'nosniff')
  // The page URL carries the token: never send it on as a Referer.
  res.setHeader('Referrer-Policy', 'no-referrer')
  res.setHeader('X-Frame-Options', 'DENY')
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin')
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin')
}

function sendStatus(res: ServerResponse, status: number, csp: string): void {
  setSecurityHeaders(res, csp)
  const body = `${status} ${STATUS_CODES[status] ?? ''}\n`
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) })
  res.end(body)
}

function refuse(socket: Duplex, status: number): void {
  const reason = STATUS_CODES[status] ?? 'Error'
  // Destroy only once the answer is flushed, or the client may see a reset instead of the status.
  socket.once('finish', () => socket.destroy())
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${reason.length}\r\n\r\n${reason}`
  )
}

/** Path and query, undecoded: WHATWG URL parsing would resolve '..' and hide a traversal attempt. */
function splitUrl(url: string | undefined): { pathname: string; query: string } {
  const raw = url ?? '/'
  const mark = raw.indexOf('?')
  return mark < 0 ? { pathname: raw, query: '' } : { pathname: raw.slice(0, mark), query: raw.slice(mark + 1) }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8')
  return data.toString('utf8')
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', ''])

/** Host names a page served by us can have as its origin. */
function originHosts(host: string): string[] {
  const hosts = new Set(['127.0.0.1', 'localhost'])
  if (WILDCARD_HOSTS.has(host)) {
    // Listening everywhere (opened to the LAN on purpose): accept this machine's own addresses and name.
    hosts.add(hostname().toLowerCase())
    for (const addresses of Object.values(networkInterfaces())) {
      for (const address of addresses ?? []) hosts.add(address.family === 'IPv6' ? `[${address.address}]` : address.address)
    }
  } else {
    hosts.add(urlHost(host))
  }
  return [...hosts]
}

function urlHost(host: string): string {
  if (WILDCARD_HOSTS.has(host)) return '127.0.0.1'
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
}
