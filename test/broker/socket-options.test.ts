import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect as netConnect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import { createRequire } from 'node:module'
import { afterEach, describe, expect, it } from 'vitest'
import type { Transport } from '../../src/main/broker/connection/transport'
import { ListenerSet, type ListenerConfig } from '../../src/main/broker/listeners/listener-set'
import { readBufferSizes } from '../../src/main/broker/listeners/socket-options'
import { createServerCertificate } from '../../src/main/headless/dev-certificate'
import { silentLogger } from '../../src/main/logger'
import { DEFAULT_SETTINGS } from '../../src/shared/settings'
import { freePort, waitFor } from '../helpers/broker-harness'

/**
 * mqtt-broker-tokio's socket options on the TCP and TLS listeners, read back from the accepted
 * sockets with getsockopt(2): TCP_NODELAY, SO_KEEPALIVE + TCP_KEEPIDLE, SO_SNDBUF, SO_RCVBUF.
 */
const sockopt = createRequire(import.meta.url)('sockopt') as { getsockopt(socket: unknown, level: number, name: number): number }
const SOL_SOCKET = 1
const SO_KEEPALIVE = 9
const IPPROTO_TCP = 6
const TCP_NODELAY = 1
const TCP_KEEPIDLE = 4

describe.runIf(process.platform === 'linux')('socket options (Linux getsockopt)', () => {
  let set: ListenerSet | null = null
  const sockets: Socket[] = []
  let folder: string | null = null
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy()
    await set?.stop()
    set = null
    if (folder) rmSync(folder, { recursive: true, force: true })
    folder = null
  })

  /** Start TCP (and TLS) listeners with `options`, connect once to each, return the broker-side sockets. */
  async function acceptedSockets(options: Partial<ListenerConfig>, tls = false): Promise<Socket[]> {
    const accepted: Socket[] = []
    set = new ListenerSet((transport: Transport) => {
      accepted.push(Reflect.get(transport, 'socket') as Socket)
    }, silentLogger)
    const tcpPort = await freePort()
    let tlsPort = 0
    let cert: { certFile: string; keyFile: string } | null = null
    if (tls) {
      folder = mkdtempSync(join(tmpdir(), 'bs-sockopt-'))
      const made = createServerCertificate()
      cert = { certFile: join(folder, 'cert.pem'), keyFile: join(folder, 'key.pem') }
      writeFileSync(cert.certFile, made.cert)
      writeFileSync(cert.keyFile, made.key)
      tlsPort = await freePort()
    }
    const config: ListenerConfig = {
      ...DEFAULT_SETTINGS,
      wsPort: 0,
      unixSocket: null,
      tcpPort,
      tlsPort,
      certFile: cert?.certFile ?? null,
      keyFile: cert?.keyFile ?? null,
      ...options
    }
    const infos = await set.start(config)
    expect(infos.every((info) => info.listening)).toBe(true)
    const tcp = netConnect(tcpPort, '127.0.0.1')
    sockets.push(tcp)
    if (tls) sockets.push(tlsConnect({ port: tlsPort, host: '127.0.0.1', rejectUnauthorized: false }))
    for (const socket of sockets) socket.on('error', () => {})
    await waitFor(() => accepted.length === sockets.length, 'the listeners to accept')
    return accepted
  }

  it('defaults: TCP_NODELAY on, keepalive off, kernel buffer sizes', async () => {
    const [socket] = await acceptedSockets({})
    expect(sockopt.getsockopt(socket, IPPROTO_TCP, TCP_NODELAY)).not.toBe(0)
    expect(sockopt.getsockopt(socket, SOL_SOCKET, SO_KEEPALIVE)).toBe(0)
  })

  it('socketNoDelay false, keepalive after 42 s, and 256 KiB / 128 KiB buffers reach TCP and TLS sockets', async () => {
    const accepted = await acceptedSockets(
      { socketNoDelay: false, socketKeepaliveTime: 42, socketSendBufSize: 262144, socketRecvBufSize: 131072 },
      true
    )
    expect(accepted).toHaveLength(2)
    for (const socket of accepted) {
      expect(sockopt.getsockopt(socket, IPPROTO_TCP, TCP_NODELAY)).toBe(0)
      expect(sockopt.getsockopt(socket, SOL_SOCKET, SO_KEEPALIVE)).not.toBe(0)
      expect(sockopt.getsockopt(socket, IPPROTO_TCP, TCP_KEEPIDLE)).toBe(42)
      // Linux doubles the value given for its own bookkeeping (socket(7)).
      expect(readBufferSizes(socket)).toEqual({ send: 2 * 262144, receive: 2 * 131072 })
    }
  })
})
