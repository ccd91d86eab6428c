/**
 * BrokerScopeApi over the headless app's WebSocket bridge (src/main/headless/ui-server.ts):
 *
 *   client → server  { id, command, args }
 *   server → client  { id, ok: true, result } | { id, ok: false, error }
 *   server → client  { event: 'batch', batch }
 *
 * Calls are matched to answers by id and time out after 10 s. A lost connection fails the calls
 * already sent (their outcome is unknown), keeps unsent ones queued until they time out, and is
 * re-opened with exponential backoff. Uses only what browsers and Node share, so it can be tested on
 * Node with the `ws` package's WebSocket.
 */
import {
  COMMAND_NAMES,
  type BrokerScopeApi,
  type CommandArgs,
  type CommandName,
  type CommandResult,
  type InspectorBatch,
  type WsRequest
} from '../../../shared/api'

/** The part of the WebSocket interface used here (the browser's, or `ws` on Node). */
export interface WebSocketLike {
  readonly readyState: number
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: unknown) => void) | null
  onerror: ((event: unknown) => void) | null
  send(data: string): void
  close(code?: number, reason?: string): void
}

export type WebSocketConstructor = new (url: string) => WebSocketLike

/** denied: the server refused this page's token; the transport stopped for good (see checkAccess). */
export type ConnectionStatus = 'connecting' | 'open' | 'closed' | 'denied'

/** What the server says about this page's token (see WebSocketTransportOptions.checkAccess). */
export type AccessCheck = 'ok' | 'denied' | 'unreachable'

/** Why a denied transport stopped, for the page to show. */
export const TOKEN_REFUSED =
  'This page needs the address that brokerscope printed when it started (http://…/?token=…): the token this page has is missing, wrong or from an earlier run. Open that address.'

export interface WebSocketTransportOptions {
  url: string
  /** Defaults to globalThis.WebSocket (Node 20 has none: pass `ws`'s). */
  WebSocket?: WebSocketConstructor
  /** How long a call waits for its answer (default 10 000 ms). */
  timeoutMs?: number
  /** First reconnect delay, doubled after each failure (default 250 ms). */
  reconnectInitialMs?: number
  /** Longest reconnect delay (default 10 000 ms). */
  reconnectMaxMs?: number
  /**
   * Asked when a connection closes before it ever opened: a browser cannot see why an upgrade was
   * refused, so this asks the server whether the token is the problem. 'denied' stops the
   * transport for good (no retry can fix a wrong token); anything else retries as usual.
   */
  checkAccess?: () => Promise<AccessCheck>
}

const OPEN = 1
const DEFAULT_TIMEOUT_MS = 10_000
/** Calls waiting for an answer or for the connection; beyond this a call fails at once. */
const MAX_PENDING_CALLS = 1000

type Timer = ReturnType<typeof setTimeout>

interface PendingCall {
  command: CommandName
  resolve: (value: unknown) => void
  reject: (error: Error) => void
  timer: Timer
  /** The request text while it waits for the connection; null once sent. */
  unsent: string | null
}

export class WebSocketTransport implements BrokerScopeApi {
  readonly transport = 'headless'

  private readonly url: string
  private readonly WebSocketImpl: WebSocketConstructor
  private readonly timeoutMs: number
  private readonly reconnectInitialMs: number
  private readonly reconnectMaxMs: number
  private readonly checkAccess: (() => Promise<AccessCheck>) | null
  private denied: string | null = null

  private socket: WebSocketLike | null = null
  private status: ConnectionStatus = 'closed'
  private closedByUs = false
  private reconnectAttempt = 0
  private reconnectTimer: Timer | null = null
  private nextId = 1
  private readonly pending = new Map<number, PendingCall>()
  private readonly batchListeners = new Set<(batch: InspectorBatch) => void>()
  private readonly statusListeners = new Set<(status: ConnectionStatus) => void>()

  constructor(options: WebSocketTransportOptions) {
    const impl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
    if (!impl) throw new Error('no WebSocket implementation available')
    this.url = options.url
    this.WebSocketImpl = impl
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    this.reconnectInitialMs = options.reconnectInitialMs ?? 250
    this.reconnectMaxMs = options.reconnectMaxMs ?? 10_000
    this.checkAccess = options.checkAccess ?? null
    this.connect()
  }

  call<K extends CommandName>(name: K, ...args: CommandArgs<K>): Promise<Awaited<CommandResult<K>>> {
    return this.request(name, args) as Promise<Awaited<CommandResult<K>>>
  }

  onBatch(listener: (batch: InspectorBatch) => void): () => void {
    this.batchListeners.add(listener)
    return () => {
      this.batchListeners.delete(listener)
    }
  }

  /** Connection changes; after a reconnect the UI should fetch a fresh snapshot. */
  onStatusChange(listener: (status: ConnectionStatus) => void): () => void {
    this.statusListeners.add(listener)
    return () => {
      this.statusListeners.delete(listener)
    }
  }

  get connectionStatus(): ConnectionStatus {
    return this.status
  }

  /** Why the server refused this page (status 'denied'), else null. */
  get deniedReason(): string | null {
    return this.denied
  }

  /** Close for good: no reconnect, every waiting call fails. */
  close(): void {
    this.closedByUs = true
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer)
    this.reconnectTimer = null
    const socket = this.socket
    this.socket = null
    if (socket) {
      detach(socket)
      socket.close(1000, 'client closed')
    }
    this.failAll(() => 'the connection to BrokerScope was closed')
    this.setStatus('closed')
  }

  private request(command: CommandName, args: unknown[]): Promise<unknown> {
    if (!(COMMAND_NAMES as readonly string[]).includes(command)) {
      return Promise.reject(new Error(`unknown command "${String(command)}"`))
    }
    if (this.denied !== null) return Promise.reject(new Error(`${command} failed: ${this.denied}`))
    if (this.closedByUs) return Promise.reject(new Error(`${command} failed: the connection to BrokerScope was closed`))
    if (this.pending.size >= MAX_PENDING_CALLS) {
      return Promise.reject(new Error(`${command} failed: too many calls waiting for BrokerScope`))
    }
    const id = this.nextId++
    const request: WsRequest = { id, command, args }
    const text = JSON.stringify(request)
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        const seconds = Math.round(this.timeoutMs / 100) / 10
        reject(new Error(`${command} timed out: no answer from BrokerScope within ${seconds} s`))
      }, this.timeoutMs)
      const call: PendingCall = { command, resolve, reject, timer, unsent: text }
      this.pending.set(id, call)
      if (this.socket !== null && this.socket.readyState === OPEN) this.transmit(call)
    })
  }

  private transmit(call: PendingCall): void {
    if (call.unsent === null || this.socket === null) return
    try {
      this.socket.send(call.unsent)
      call.unsent = null
    } catch {
      // The socket is closing; the call stays queued for the next connection.
    }
  }

  private connect(): void {
    this.reconnectTimer = null
    this.setStatus('connecting')
    let socket: WebSocketLike
    try {
      socket = new this.WebSocketImpl(this.url)
    } catch {
      this.scheduleReconnect()
      return
    }
    this.socket = socket
    let opened = false
    socket.onopen = () => {
      opened = true
      this.reconnectAttempt = 0
      this.setStatus('open')
      for (const call of this.pending.values()) this.transmit(call)
    }
    socket.onmessage = (event) => this.receive(event.data)
    // Errors are always followed by a close event; the close handles them.
    socket.onerror = () => {}
    socket.onclose = () => {
      if (this.socket !== socket) return
      detach(socket)
      this.socket = null
      this.failAll((call) => (call.unsent === null ? 'the connection to BrokerScope was lost' : null))
      this.setStatus('closed')
      if (opened || this.checkAccess === null) this.scheduleReconnect()
      else this.retryUnlessDenied(this.checkAccess)
    }
  }

  /** A connection was refused before it opened: retry, unless the server says the token is wrong. */
  private retryUnlessDenied(check: () => Promise<AccessCheck>): void {
    check().then(
      (answer) => {
        if (this.closedByUs) return
        if (answer !== 'denied') return this.scheduleReconnect()
        this.denied = TOKEN_REFUSED
        this.closedByUs = true
        this.failAll(() => TOKEN_REFUSED)
        this.setStatus('denied')
      },
      () => this.scheduleReconnect()
    )
  }

  private scheduleReconnect(): void {
    if (this.closedByUs || this.reconnectTimer !== null) return
    const delay = Math.min(this.reconnectMaxMs, this.reconnectInitialMs * 2 ** this.reconnectAttempt)
    this.reconnectAttempt = Math.min(this.reconnectAttempt + 1, 30)
    this.reconnectTimer = setTimeout(() => this.connect(), delay)
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return
    let message: unknown
    try {
      message = JSON.parse(data)
    } catch {
      return
    }
    if (typeof message !== 'object' || message === null) return
    const record = message as Record<string, unknown>

    if (record.event === 'batch') {
      if (typeof record.batch !== 'object' || record.batch === null) return
      const batch = record.batch as InspectorBatch
      for (const listener of [...this.batchListeners]) {
        try {
          listener(batch)
        } catch (err) {
          console.error('brokerscope: batch listener failed', err)
        }
      }
      return
    }

    if (typeof record.id !== 'number') return
    const call = this.pending.get(record.id)
    if (!call) return // answered after its timeout
    this.pending.delete(record.id)
    clearTimeout(call.timer)
    if (record.ok === true) call.resolve(record.result)
    else call.reject(new Error(typeof record.error === 'string' ? record.error : `${call.command} failed`))
  }

  /** Fail the calls for which `why` gives a reason (null keeps the call waiting). */
  private failAll(why: (call: PendingCall) => string | null): void {
    for (const [id, call] of this.pending) {
      const reason = why(call)
      if (reason === null) continue
      this.pending.delete(id)
      clearTimeout(call.timer)
      call.reject(new Error(`${call.command} failed: ${reason}`))
    }
  }

  private setStatus(status: ConnectionStatus): void {
    if (this.status === status) return
    this.status = status
    for (const listener of [...this.statusListeners]) listener(status)
  }
}

function detach(socket: WebSocketLike): void {
  socket.onopen = null
  socket.onmessage = null
  socket.onclose = null
  // Not null: Node's `ws` throws an 'error' event nobody listens to (e.g. closed while connecting).
  socket.onerror = () => {}
}
