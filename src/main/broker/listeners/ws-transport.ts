import type { WebSocket } from 'ws'
import type { Transport, TransportHandlers } from '../connection/transport'

/**
 * A WebSocket carrying MQTT as a Transport. Binary frames may hold several packets or part of one
 * (MQTT 5 §6.0), so frames feed the same stream parser as TCP.
 */
export class WsTransport implements Transport {
  readonly remoteAddress: string
  private handlers: TransportHandlers | null = null

  constructor(
    private readonly ws: WebSocket,
    remoteAddress: string,
    readonly kind: 'ws' | 'wss' = 'ws',
    /** WSS: the verified client certificate's CN (see tls-listeners.ts). */
    readonly certificateIdentity: string | null = null
  ) {
    this.remoteAddress = remoteAddress
    ws.on('error', () => {})
  }

  setHandlers(handlers: TransportHandlers): void {
    this.handlers = handlers
    this.ws.on('message', (data, isBinary) => {
      // [MQTT-6.0.0-1] MQTT must be sent in binary frames; a text frame closes the connection.
      if (!isBinary) {
        this.ws.close(1003, 'MQTT requires binary frames')
        return
      }
      handlers.onTransportData(toBuffer(data))
    })
    this.ws.on('close', () => handlers.onTransportClose())
  }

  write(data: Buffer): void {
    if (this.ws.readyState !== this.ws.OPEN) return
    this.ws.send(data, { binary: true }, () => {
      if (this.ws.bufferedAmount === 0) this.handlers?.onTransportDrain()
    })
  }

  bufferedBytes(): number {
    return this.ws.bufferedAmount
  }

  end(): void {
    this.ws.close()
    setTimeout(() => this.ws.terminate(), 2000).unref()
  }

  destroy(): void {
    this.ws.terminate()
  }

  pause(): void {
    this.ws.pause()
  }

  resume(): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.resume()
  }
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data
  if (Array.isArray(data)) return Buffer.concat(data)
  return Buffer.from(data)
}
