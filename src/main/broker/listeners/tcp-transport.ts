import type { Socket } from 'node:net'
import type { Transport, TransportHandlers } from '../connection/transport'

/** A TCP, TLS or Unix domain socket as a Transport. */
export class TcpTransport implements Transport {
  /** Built on demand: most connections are never asked for it. */
  get remoteAddress(): string {
    if (this.kind === 'unix') return 'unix socket'
    return `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? 0}`
  }

  constructor(
    private readonly socket: Socket,
    readonly kind: 'tcp' | 'tls' | 'unix' = 'tcp',
    /** TLS: the verified client certificate's CN (see tls-listeners.ts). */
    readonly certificateIdentity: string | null = null
  ) {
    // TCP_NODELAY and keepalive come from the listener (socket-options.ts: net.Server's noDelay / keepAlive).
    // Errors are followed by 'close'; the connection handles the close.
    socket.on('error', ignoreError)
  }

  setHandlers(handlers: TransportHandlers): void {
    // Shared listener functions find their connection on the socket: no closures per connection,
    // which matters with tens of thousands of idle clients.
    ;(this.socket as HandledSocket)[HANDLERS] = handlers
    this.socket.on('data', onSocketData)
    this.socket.on('close', onSocketClose)
  }

  write(data: Buffer): void {
    if (this.socket.destroyed) return
    // 'drain' is listened for only once a write was held back: most connections never need it, and
    // a fifth listener costs every idle connection a property array.
    if (!this.socket.write(data) && !this.listensForDrain) {
      this.listensForDrain = true
      this.socket.on('drain', onSocketDrain)
    }
  }

  private listensForDrain = false

  bufferedBytes(): number {
    return this.socket.writableLength
  }

  end(): void {
    this.socket.end()
    // A peer that never reads must not keep a closing socket alive.
    setTimeout(() => this.socket.destroy(), 2000).unref()
  }

  destroy(): void {
    this.socket.destroy()
  }

  pause(): void {
    this.socket.pause()
  }

  resume(): void {
    if (!this.socket.destroyed) this.socket.resume()
  }
}

const HANDLERS = Symbol('brokerscope.handlers')
type HandledSocket = Socket & { [HANDLERS]: TransportHandlers }

function ignoreError(): void {}

function onSocketData(this: HandledSocket, chunk: Buffer): void {
  this[HANDLERS].onTransportData(chunk)
}

function onSocketClose(this: HandledSocket): void {
  this[HANDLERS].onTransportClose()
}

function onSocketDrain(this: HandledSocket): void {
  this[HANDLERS].onTransportDrain()
}
