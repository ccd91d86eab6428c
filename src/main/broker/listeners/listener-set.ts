import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net'
import { WebSocketServer } from 'ws'
import type { ListenerInfo, ListenerName } from '../../../shared/broker-types'
import type { Logger } from '../../logger'
import type { Transport } from '../connection/transport'
import { SOCKET_OPTION_KEYS, applyBufferSizes, serverSocketOptions, type SocketOptionsConfig } from './socket-options'
import { SERVE_EVERY_ORIGIN, type UpgradePolicy } from './origin-policy'
import { TcpTransport } from './tcp-transport'
import { TLS_CONFIG_KEYS, startTls, startWss, type TlsListenerConfig } from './tls-listeners'
import { startUnix } from './unix-listener'
import { WsTransport } from './ws-transport'

/** What the listeners tell the broker, or ask it. */
export interface ListenerHooks {
  /** Decides on WebSocket upgrades (ws and wss) before they happen: the Origin check (origin-policy.ts). */
  upgrades?: UpgradePolicy
  /** A certificate file was refused for maxSettingFileSize. */
  limitHit?: (limit: 'maxSettingFileSize') => void
}

export interface ListenerConfig extends TlsListenerConfig, SocketOptionsConfig {
  host: string
  tcpPort: number
  wsPort: number
  wsPath: string
  unixSocket: string | null
}

/** The subprotocols MQTT over WebSocket uses (MQTT 5 §6.0; 'mqttv3.1' for old 3.1 clients). */
export const MQTT_SUBPROTOCOLS = ['mqtt', 'mqttv3.1']

export interface Running {
  info: ListenerInfo
  close: () => Promise<void>
}

/**
 * The TCP and WebSocket listeners. Each hands new sockets to the broker as Transports. They can be
 * started, stopped and rebound while the broker runs; a port that cannot be bound is reported in
 * its ListenerInfo, never thrown.
 */
export class ListenerSet {
  private running: Running[] = []
  private config: ListenerConfig | null = null

  constructor(
    private readonly accept: (transport: Transport) => void,
    private readonly logger: Logger,
    private readonly hooks: ListenerHooks = {}
  ) {}

  private get upgrades(): UpgradePolicy {
    return this.hooks.upgrades ?? SERVE_EVERY_ORIGIN
  }

  infos(): ListenerInfo[] {
    return this.running.map((r) => ({ ...r.info }))
  }

  sameAs(config: ListenerConfig): boolean {
    const c = this.config
    return (
      c !== null &&
      c.host === config.host &&
      c.tcpPort === config.tcpPort &&
      c.wsPort === config.wsPort &&
      c.wsPath === config.wsPath &&
      c.unixSocket === config.unixSocket &&
      TLS_CONFIG_KEYS.every((key) => c[key] === config[key]) &&
      SOCKET_OPTION_KEYS.every((key) => c[key] === config[key])
    )
  }

  /** Starts and stops run one at a time, in order: two settings changes at once must not bind the same port twice. */
  private turn: Promise<unknown> = Promise.resolve()

  private inTurn<T>(step: () => Promise<T>): Promise<T> {
    const next = this.turn.then(step)
    this.turn = next.catch(() => {})
    return next
  }

  start(config: ListenerConfig): Promise<ListenerInfo[]> {
    return this.inTurn(() => this.startNow(config))
  }

  stop(): Promise<void> {
    return this.inTurn(() => this.stopNow())
  }

  private async startNow(config: ListenerConfig): Promise<ListenerInfo[]> {
    await this.stopNow()
    this.config = { ...config }
    const starts: Promise<Running>[] = []
    if (config.tcpPort > 0) starts.push(this.startTcp(config))
    if (config.wsPort > 0) starts.push(this.startWs(config))
    if (config.tlsPort > 0) starts.push(startTls(config, this.accept, this.logger, this.hooks.limitHit))
    if (config.wssPort > 0) starts.push(startWss(config, this.accept, this.logger, this.upgrades, this.hooks.limitHit))
    if (config.unixSocket !== null) starts.push(startUnix(config.unixSocket, this.accept, this.logger))
    this.running = await Promise.all(starts)
    return this.infos()
  }

  private async stopNow(): Promise<void> {
    const running = this.running
    this.running = []
    this.config = null
    await Promise.all(running.map((r) => r.close()))
  }

  private startTcp(config: ListenerConfig): Promise<Running> {
    const server: TcpServer = createTcpServer(serverSocketOptions(config), (socket) => this.accept(new TcpTransport(socket)))
    return listen(server, 'tcp', config.host, config.tcpPort, this.logger, config).then((info) => ({
      info,
      close: () => closeServer(server)
    }))
  }

  private startWs(config: ListenerConfig): Promise<Running> {
    const http: HttpServer = createHttpServer((_request, response) => {
      response.writeHead(426, { 'content-type': 'text/plain' })
      response.end('This is an MQTT over WebSocket endpoint; connect with an MQTT client.\n')
    })
    const wss = new WebSocketServer({
      server: http,
      path: config.wsPath,
      perMessageDeflate: false,
      maxPayload: 268435460,
      verifyClient: (info, done) => this.upgrades.verify(info.req, 'ws', done),
      handleProtocols: (offered) => {
        for (const protocol of MQTT_SUBPROTOCOLS) if (offered.has(protocol)) return protocol
        return false
      }
    })
    wss.on('connection', (ws, request) => {
      const socket = request.socket
      this.accept(new WsTransport(ws, `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`))
    })
    wss.on('error', () => {})
    return listen(http, 'ws', config.host, config.wsPort, this.logger).then((info) => ({
      info,
      close: async () => {
        for (const client of wss.clients) client.terminate()
        wss.close()
        await closeServer(http)
      }
    }))
  }
}

const LISTENER_TITLES: Record<ListenerName, string> = {
  tcp: 'TCP',
  ws: 'WebSocket',
  tls: 'TLS',
  wss: 'secure WebSocket',
  unix: 'Unix socket'
}

export function listen(
  server: TcpServer | HttpServer,
  name: ListenerName,
  host: string,
  port: number,
  logger: Logger,
  /** TCP and TLS: the socket buffer sizes to set once it listens. */
  socketOptions?: SocketOptionsConfig
): Promise<ListenerInfo> {
  return new Promise((resolve) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const what = `${LISTENER_TITLES[name]} port ${port} on ${host}`
      const message =
        error.code === 'EADDRINUSE'
          ? `${what} is already in use`
          : error.code === 'EACCES'
            ? `${what}: permission denied`
            : error.code === 'EADDRNOTAVAIL'
              ? `${what}: address not available on this machine`
              : `${what}: ${error.message}`
      logger.error(message)
      resolve({ name, host, port, listening: false, error: message })
    }
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      server.on('error', (error) => logger.error(`${name} listener error: ${error.message}`))
      const address = server.address()
      const bound = typeof address === 'object' && address !== null ? address.port : port
      const problem = socketOptions ? applyBufferSizes(server, socketOptions) : null
      if (problem) logger.warn(`${LISTENER_TITLES[name]} port ${bound}: ${problem}`)
      resolve({ name, host, port: bound, listening: true, error: null })
    })
  })
}

/**
 * Stop listening. Connections already accepted are not waited for: they are the broker's to end
 * (stop() disconnects them first; a settings change that rebinds the listeners leaves TCP and TLS
 * clients connected). Waiting for the close callback, which fires only once every connection has
 * gone, made such a settings change hang for as long as one client stayed (found by the
 * inspector command fuzzer).
 */
export function closeServer(server: TcpServer | HttpServer): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve()
    server.close()
    if ('closeAllConnections' in server) server.closeAllConnections()
    // The listening socket is closed at once; let its handle finish closing before the port is bound again.
    setImmediate(resolve)
  })
}
