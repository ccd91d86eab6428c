/**
 * What a Connection needs from a socket. TCP and WebSocket listeners each adapt their socket to it,
 * so the protocol code cannot tell them apart and behaves the same on every listener.
 */
export interface Transport {
  readonly kind: 'tcp' | 'ws'
  readonly remoteAddress: string
  /** Queue bytes for the peer (one call per batch of packets). */
  write(data: Buffer): void
  /** Bytes accepted by write() that the OS has not taken yet. */
  bufferedBytes(): number
  /** Send what is queued, then close. */
  end(): void
  /** Close at once. */
  destroy(): void
  setHandlers(handlers: TransportHandlers): void
}

export interface TransportHandlers {
  data(chunk: Buffer): void
  close(): void
  /** The write buffer has drained below its high-water mark. */
  drain(): void
}
