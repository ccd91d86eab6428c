/**
 * mqtt-broker-tokio's socket options for the TCP and TLS listeners:
 *
 *   socketNoDelay        TCP_NODELAY        net.Server option `noDelay` (Node sets it on every accepted socket)
 *   socketKeepaliveTime  SO_KEEPALIVE + TCP_KEEPIDLE   net.Server options `keepAlive`, `keepAliveInitialDelay`
 *   socketSendBufSize    SO_SNDBUF          not in Node's API (libuv's uv_send_buffer_size is exposed for UDP only)
 *   socketRecvBufSize    SO_RCVBUF          likewise
 *
 * The buffer sizes are set with setsockopt(2) on the listening socket, whose value accepted
 * sockets inherit (so SO_RCVBUF is in force when the TCP window scale is agreed on the SYN), through
 * the optional `sockopt` package (a small Node-API addon with prebuilt binaries). Where it cannot
 * load, or on a platform whose constants we do not know, the listener still starts and the log says
 * the sizes were not applied. Linux doubles the value given (socket(7)) and caps it at
 * net.core.wmem_max / rmem_max.
 */
import { createRequire } from 'node:module'
import type { Server, ServerOpts } from 'node:net'

export interface SocketOptionsConfig {
  socketNoDelay: boolean
  socketSendBufSize: number
  socketRecvBufSize: number
  socketKeepaliveTime: number
}

/** A change to any of these rebinds the listeners (ListenerSet.sameAs). */
export const SOCKET_OPTION_KEYS = [
  'socketNoDelay',
  'socketSendBufSize',
  'socketRecvBufSize',
  'socketKeepaliveTime'
] as const satisfies ReadonlyArray<keyof SocketOptionsConfig>

/** The options net.createServer / tls.createServer take for every accepted socket. */
export function serverSocketOptions(config: SocketOptionsConfig): ServerOpts {
  return {
    noDelay: config.socketNoDelay,
    keepAlive: config.socketKeepaliveTime > 0,
    keepAliveInitialDelay: config.socketKeepaliveTime * 1000
  }
}

/** SOL_SOCKET, SO_SNDBUF, SO_RCVBUF per platform (<asm-generic/socket.h>, <sys/socket.h> on Darwin). */
const SOCKET_CONSTANTS: Partial<Record<NodeJS.Platform, { level: number; sndbuf: number; rcvbuf: number }>> = {
  linux: { level: 1, sndbuf: 7, rcvbuf: 8 },
  darwin: { level: 0xffff, sndbuf: 0x1001, rcvbuf: 0x1002 }
}

interface SockoptModule {
  getsockopt(socket: unknown, level: number, name: number): number
  setsockopt(socket: unknown, level: number, name: number, value: number): void
}

let sockopt: SockoptModule | null | undefined

function loadSockopt(): SockoptModule | string {
  if (sockopt === undefined) {
    try {
      sockopt = createRequire(import.meta.url)('sockopt') as SockoptModule
    } catch {
      sockopt = null
    }
  }
  return sockopt ?? 'the optional package "sockopt" (setsockopt for Node) is not installed or does not load here'
}

/**
 * Set SO_SNDBUF / SO_RCVBUF on a listening server (call once it listens). Returns a problem to log,
 * or null when done (or nothing was asked).
 */
export function applyBufferSizes(server: Server, config: SocketOptionsConfig): string | null {
  const wanted: Array<['sndbuf' | 'rcvbuf', number, string]> = []
  if (config.socketSendBufSize > 0) wanted.push(['sndbuf', config.socketSendBufSize, 'socketSendBufSize'])
  if (config.socketRecvBufSize > 0) wanted.push(['rcvbuf', config.socketRecvBufSize, 'socketRecvBufSize'])
  if (wanted.length === 0) return null
  const names = wanted.map(([, , key]) => key).join(' and ')
  const constants = SOCKET_CONSTANTS[process.platform]
  if (!constants) return `${names} not applied: not supported on ${process.platform}`
  const module = loadSockopt()
  if (typeof module === 'string') return `${names} not applied: Node cannot set socket buffer sizes on TCP, and ${module}`
  try {
    for (const [option, bytes] of wanted) module.setsockopt(server, constants.level, constants[option], bytes)
    return null
  } catch (err) {
    return `${names} not applied: ${err instanceof Error ? err.message : String(err)}`
  }
}

/** The kernel's SO_SNDBUF / SO_RCVBUF of a socket or server, or null when they cannot be read (tests, diagnostics). */
export function readBufferSizes(handleOwner: unknown): { send: number; receive: number } | null {
  const constants = SOCKET_CONSTANTS[process.platform]
  const module = loadSockopt()
  if (!constants || typeof module === 'string') return null
  return {
    send: module.getsockopt(handleOwner, constants.level, constants.sndbuf),
    receive: module.getsockopt(handleOwner, constants.level, constants.rcvbuf)
  }
}
