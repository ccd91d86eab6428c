import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer, type WebSocket as ServerSocket } from 'ws'
import type { CommandName, InspectorBatch } from '../../src/shared/api'
import {
  WebSocketTransport,
  type ConnectionStatus,
  type WebSocketConstructor,
  type WebSocketTransportOptions
} from '../../src/renderer/src/api/websocket-transport'

type Answer = ({ ok: true; result: unknown } | { ok: false; error: string }) & { delayMs?: number }

/** What the test server received, and a way to talk back. */
interface TestServer {
  url: string
  requests: Array<{ id: number; command: string; args: unknown[] }>
  urls: string[]
  sockets: ServerSocket[]
  /** command → answer; a missing entry means "never answer". */
  answers: Map<string, (args: unknown[]) => Answer>
  pushBatch(batch: InspectorBatch): void
  close(): Promise<void>
}

const servers: TestServer[] = []
const transports: WebSocketTransport[] = []

afterEach(async () => {
  for (const t of transports.splice(0)) t.close()
  for (const s of servers.splice(0)) await s.close()
})

async function startServer(): Promise<TestServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/api' })
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
  const server: TestServer = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/api?token=secret`,
    requests: [],
    urls: [],
    sockets: [],
    answers: new Map(),
    pushBatch(batch) {
      for (const socket of server.sockets) socket.send(JSON.stringify({ event: 'batch', batch }))
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate()
        wss.close(() => resolve())
      })
  }
  wss.on('connection', (socket, request) => {
    server.urls.push(request.url ?? '')
    server.sockets.push(socket)
    socket.on('close', () => server.sockets.splice(server.sockets.indexOf(socket), 1))
    socket.on('message', (data) => {
      const request = JSON.parse(data.toString()) as { id: number; command: string; args: unknown[] }
      server.requests.push(request)
      const answer = server.answers.get(request.command)
      if (!answer) return
      const { delayMs, ...reply } = answer(request.args)
      const send = (): void => socket.send(JSON.stringify({ id: request.id, ...reply }))
      if (delayMs) setTimeout(send, delayMs)
      else send()
    })
  })
  servers.push(server)
  return server
}

function transport(url: string, options: Partial<WebSocketTransportOptions> = {}): WebSocketTransport {
  const t = new WebSocketTransport({ url, WebSocket: WebSocket as unknown as WebSocketConstructor, ...options })
  transports.push(t)
  return t
}

function nextStatus(t: WebSocketTransport, wanted: ConnectionStatus): Promise<void> {
  return new Promise((resolve) => {
    const off = t.onStatusChange((status) => {
      if (status === wanted) {
        off()
        resolve()
      }
    })
  })
}

function batch(seq: number): InspectorBatch {
  return {
    seq,
    time: 1000 + seq,
    stats: {} as InspectorBatch['stats'],
    rates: { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 },
    traffic: [],
    trafficNotShown: 0
  }
}

describe('WebSocketTransport', () => {
  it('says it is the headless transport and connects to the given URL with the token', async () => {
    const server = await startServer()
    const t = transport(server.url)
    expect(t.transport).toBe('headless')
    await nextStatus(t, 'open')
    expect(server.urls).toEqual(['/api?token=secret'])
  })

  it('sends calls made before the connection opens once it does', async () => {
    const server = await startServer()
    server.answers.set('clearRetained', () => ({ ok: true, result: 3 }))
    const t = transport(server.url)
    await expect(t.call('clearRetained')).resolves.toBe(3)
  })

  it('matches each answer to its request by id, whatever the order of the answers', async () => {
    const server = await startServer()
    const t = transport(server.url)
    await nextStatus(t, 'open')
    // getRetained is answered late, deleteRetained at once: the answers arrive in reverse order.
    server.answers.set('getRetained', (args) => ({ ok: true, result: { payload: String(args[0]), size: 1 }, delayMs: 50 }))
    server.answers.set('deleteRetained', (args) => ({ ok: true, result: args[0] === 'a/b' }))
    const order: string[] = []
    const slow = t.call('getRetained', 'x/y').then((r) => {
      order.push('getRetained')
      return r
    })
    const fast = t.call('deleteRetained', 'a/b').then((r) => {
      order.push('deleteRetained')
      return r
    })
    await expect(slow).resolves.toEqual({ payload: 'x/y', size: 1 })
    await expect(fast).resolves.toBe(true)
    expect(order).toEqual(['deleteRetained', 'getRetained'])

    // Many concurrent calls of the same command, each answered with its own argument.
    server.answers.set('getTrafficPayload', (args) => ({ ok: true, result: { payload: `p${String(args[0])}`, size: Number(args[0]) } }))
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => t.call('getTrafficPayload', n)))
    expect(results).toEqual([1, 2, 3, 4, 5].map((n) => ({ payload: `p${n}`, size: n })))
    const ids = server.requests.map((r) => r.id)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('rejects with the server error message', async () => {
    const server = await startServer()
    server.answers.set('publish', () => ({ ok: false, error: 'topic must not contain wildcards' }))
    const t = transport(server.url)
    await expect(t.call('publish', { topic: 'a/#', payload: '', qos: 0, retain: false })).rejects.toThrow(
      'topic must not contain wildcards'
    )
  })

  it('rejects an unknown command without sending it', async () => {
    const server = await startServer()
    const t = transport(server.url)
    await nextStatus(t, 'open')
    await expect(t.call('rm -rf' as CommandName)).rejects.toThrow('unknown command "rm -rf"')
    expect(server.requests).toEqual([])
  })

  it('times out a call that gets no answer, with a clear error', async () => {
    const server = await startServer()
    const t = transport(server.url, { timeoutMs: 150 })
    const started = Date.now()
    await expect(t.call('clearTraffic')).rejects.toThrow('clearTraffic timed out: no answer from BrokerScope within 0.2 s')
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    expect(server.requests.map((r) => r.command)).toEqual(['clearTraffic'])
  })

  it('times out calls while no server is reachable', async () => {
    const server = await startServer()
    const url = server.url
    await server.close()
    servers.splice(0)
    const t = transport(url, { timeoutMs: 150, reconnectInitialMs: 20 })
    await expect(t.call('snapshot')).rejects.toThrow(/timed out/)
  })

  it('delivers pushed batches to every listener until it unsubscribes', async () => {
    const server = await startServer()
    const t = transport(server.url)
    const first: number[] = []
    const second: number[] = []
    const offFirst = t.onBatch((b) => first.push(b.seq))
    t.onBatch((b) => second.push(b.seq))
    await nextStatus(t, 'open')
    server.pushBatch(batch(1))
    server.pushBatch(batch(2))
    await waitFor(() => second.length === 2)
    offFirst()
    server.pushBatch(batch(3))
    await waitFor(() => second.length === 3)
    expect(first).toEqual([1, 2])
    expect(second).toEqual([1, 2, 3])
  })

  it('ignores malformed messages and answers to unknown ids', async () => {
    const server = await startServer()
    server.answers.set('snapshot', () => ({ ok: true, result: 'snap' }))
    const t = transport(server.url)
    const seen: number[] = []
    t.onBatch((b) => seen.push(b.seq))
    await nextStatus(t, 'open')
    const socket = server.sockets[0]!
    socket.send('not json')
    socket.send(JSON.stringify({ id: 9999, ok: true, result: 1 }))
    socket.send(JSON.stringify({ event: 'batch' }))
    socket.send(JSON.stringify(null))
    await expect(t.call('snapshot')).resolves.toBe('snap')
    expect(seen).toEqual([])
  })

  it('fails calls in flight when the connection drops, reconnects, and works again', async () => {
    const server = await startServer()
    const t = transport(server.url, { reconnectInitialMs: 20 })
    await nextStatus(t, 'open')
    const inFlight = t.call('clearTraffic') // never answered
    await waitFor(() => server.requests.length === 1)
    const reopened = nextStatus(t, 'open')
    server.sockets[0]!.terminate()
    await expect(inFlight).rejects.toThrow('clearTraffic failed: the connection to BrokerScope was lost')
    await reopened
    server.answers.set('snapshot', () => ({ ok: true, result: 'after reconnect' }))
    await expect(t.call('snapshot')).resolves.toBe('after reconnect')
    expect(server.urls).toHaveLength(2)
  })

  it('close() fails waiting calls and stops reconnecting', async () => {
    const server = await startServer()
    const t = transport(server.url, { reconnectInitialMs: 20 })
    await nextStatus(t, 'open')
    const waiting = t.call('clearTraffic')
    t.close()
    await expect(waiting).rejects.toThrow('the connection to BrokerScope was closed')
    await expect(t.call('snapshot')).rejects.toThrow(/closed/)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(server.urls).toHaveLength(1)
    expect(t.connectionStatus).toBe('closed')
  })
})

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
