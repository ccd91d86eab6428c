import type { SessionQueueLimits } from '../session/session'

/**
 * What a Connection needs from a socket. TCP and WebSocket listeners each adapt their socket to it,
 * so the protocol code cannot tell them apart and behaves the same on every listener. 'in-process'
 * is a connection with no socket from the broker's own clients (in-process-transport.ts).
 */
export interface Transport {
  readonly kind: 'tcp' | 'ws' | 'tls' | 'wss' | 'unix' | 'in-process'
  readonly remoteAddress: string
  /** TLS listeners: the CN of the client certificate, when the client sent one that was verified. */
  readonly certificateIdentity?: string | null
  /** In-process connections: the bound of the session they attach to (null: the settings'). */
  readonly sessionQueueLimits?: SessionQueueLimits | null
  /** Queue bytes for the peer (one call per batch of packets). */
  write(data: Buffer): void
  /** Bytes accepted by write() that the OS has not taken yet. */
  bufferedBytes(): number
  /** Send what is queued, then close. */
  end(): void
  /** Close at once. */
  destroy(): void
  /** Stop reading from the peer (its data waits in the OS) until resume(). */
  pause(): void
  resume(): void
  setHandlers(handlers: TransportHandlers): void
}

export interface TransportHandlers {
  onTransportData(chunk: Buffer): void
  onTransportClose(): void
  /** The write buffer has drained below its high-water mark. */
  onTransportDrain(): void
}
