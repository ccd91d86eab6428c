import type { Socket } from 'node:net'
import type { Transport, TransportHandlers } from '../connection/transport'

/** A TCP (or TLS) socket as a Transport. */
export class TcpTransport implements Transport {
  readonly kind = 'tcp' as const
  readonly remoteAddress: string

  constructor(private readonly socket: Socket) {
    this.remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`
    socket.setNoDelay(true)
    // Errors are followed by 'close'; the connection handles the close.
    socket.on('error', () => {})
  }

  setHandlers(handlers: TransportHandlers): void {
    this.socket.on('data', handlers.data)
    this.socket.on('close', handlers.close)
    this.socket.on('drain', handlers.drain)
  }

  write(data: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(data)
  }

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
}
