/**
 * A client connection with no socket, for the broker's own clients in the same process (a bridge's
 * local side, src/main/bridges). The client speaks MQTT over it exactly as over TCP, so its session
 * is an ordinary session: durable, queued, acknowledged, resumed on reconnection. Bytes are handed
 * over on a microtask in both directions, never inside the caller's stack, so neither side is
 * re-entered while it is in the middle of its own work (the broker flushing, the client parsing).
 *
 * Client ids that begin with IN_PROCESS_CLIENT_ID_PREFIX belong to these connections alone: a network
 * client that asks for one is refused (handlers/connect/validate.ts), so it cannot take over a
 * bridge's session.
 */
import type { SessionQueueLimits } from '../session/session'
import type { Transport, TransportHandlers } from './transport'

export const IN_PROCESS_CLIENT_ID_PREFIX = '$bridge/'

/** What the broker's side tells the client. */
export interface InProcessClientHandlers {
  /** Bytes from the broker (whole or partial packets, as from a socket). */
  onData(chunk: Buffer): void
  /** The broker closed the connection (or the client did, with close()). Called once. */
  onClose(): void
}

export interface InProcessOptions {
  handlers: InProcessClientHandlers
  /** How the connection is named where a socket's address would be ("bridge mosquitto"). */
  label: string
  /**
   * Bytes the client has taken and not passed on yet (a bridge: its remote socket's buffer). The
   * broker counts them as unread: past its congestion bound QoS 0 is dropped and QoS 1/2 waits.
   */
  backlogBytes?(): number
  /** The bound of the session this connection attaches to; none: the broker's settings. */
  sessionQueueLimits?: SessionQueueLimits
}

/** The client's end of an in-process connection. */
export interface InProcessLink {
  /** Bytes to the broker. Ignored once closed. */
  write(data: Buffer): void
  /** The client passed on its backlog (see InProcessOptions.backlogBytes): the broker may send again. */
  drained(): void
  /** Close the connection, as a socket close (send DISCONNECT first for a normal one). */
  close(): void
  readonly closed: boolean
}

export class InProcessTransport implements Transport {
  readonly kind = 'in-process' as const
  readonly remoteAddress: string
  readonly sessionQueueLimits: SessionQueueLimits | null
  readonly link: InProcessLink

  private handlers: TransportHandlers | null = null
  private toBroker: Buffer[] = []
  private toClient: Buffer[] = []
  private toClientBytes = 0
  private paused = false
  private scheduled = false
  private closing = false
  private isClosed = false

  constructor(private readonly options: InProcessOptions) {
    this.remoteAddress = options.label
    this.sessionQueueLimits = options.sessionQueueLimits ?? null
    const transport = this
    this.link = {
      write: (data) => transport.fromClient(data),
      drained: () => transport.handlers?.onTransportDrain(),
      close: () => transport.destroy(),
      get closed() {
        return transport.isClosed
      }
    }
  }

  setHandlers(handlers: TransportHandlers): void {
    this.handlers = handlers
  }

  /** Broker → client. */
  write(data: Buffer): void {
    if (this.isClosed || this.closing) return
    this.toClient.push(data)
    this.toClientBytes += data.length
    this.schedule()
  }

  bufferedBytes(): number {
    return this.toClientBytes + (this.options.backlogBytes?.() ?? 0)
  }

  /** Send what is queued, then close. */
  end(): void {
    if (this.isClosed) return
    this.closing = true
    this.schedule()
  }

  destroy(): void {
    if (this.isClosed) return
    this.isClosed = true
    this.toBroker = []
    this.toClient = []
    this.toClientBytes = 0
    queueMicrotask(() => {
      this.options.handlers.onClose()
      this.handlers?.onTransportClose()
    })
  }

  pause(): void {
    this.paused = true
  }

  resume(): void {
    if (!this.paused) return
    this.paused = false
    if (this.toBroker.length > 0) this.schedule()
  }

  private fromClient(data: Buffer): void {
    if (this.isClosed || this.closing) return
    this.toBroker.push(data)
    this.schedule()
  }

  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    queueMicrotask(() => this.deliver())
  }

  private deliver(): void {
    this.scheduled = false
    if (this.isClosed) return
    if (this.toClient.length > 0) {
      const chunks = this.toClient
      this.toClient = []
      this.toClientBytes = 0
      for (const chunk of chunks) {
        if (this.isClosed) return
        this.options.handlers.onData(chunk)
      }
      // What waited for this buffer to empty may go now (a socket says so with 'drain').
      this.handlers?.onTransportDrain()
    }
    // The broker pauses a reader for its read budget; what waits is handed over on resume().
    while (!this.paused && !this.closing && this.toBroker.length > 0 && !this.isClosed) {
      this.handlers?.onTransportData(this.toBroker.shift()!)
    }
    if (this.closing && this.toClient.length === 0) this.destroy()
  }
}
