/**
 * The TLS listeners: MQTT over TLS (mqtts, node:tls) and MQTT over secure WebSocket (wss, an
 * https server + ws). Their sockets become the same Transports as plain TCP and WebSocket (a
 * TLSSocket is a net.Socket), tagged 'tls' / 'wss' and carrying the client certificate's CN.
 *
 * Certificate problems (a missing or unreadable file, a key that does not match, PEM that does not
 * parse) are reported in the listener's ListenerInfo.error, never thrown, like a port in use. That
 * error is shown in the UI, so it says only what kind of problem it is; the log has the detail
 * (path, OS error, parser message). The files are read like every file a setting names
 * (config/setting-file.ts): regular files only, up to maxSettingFileSize, off the event loop.
 */
import { readSettingFile } from '../../config/setting-file'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import { createSecureContext, createServer as createTlsServer, type TLSSocket, type TlsOptions } from 'node:tls'
import { WebSocketServer } from 'ws'
import type { ListenerInfo, ListenerName } from '../../../shared/broker-types'
import type { Logger } from '../../logger'
import type { Transport } from '../connection/transport'
import { MQTT_SUBPROTOCOLS, closeServer, listen, type Running } from './listener-set'
import { serverSocketOptions, type SocketOptionsConfig } from './socket-options'
import type { UpgradePolicy } from './origin-policy'
import { TcpTransport } from './tcp-transport'
import { WsTransport } from './ws-transport'

/** The settings the TLS listeners use (all BrokerSettings keys). */
export interface TlsListenerConfig {
  host: string
  wsPath: string
  tlsPort: number
  wssPort: number
  certFile: string | null
  keyFile: string | null
  caFile: string | null
  requireClientCertificate: boolean
  useIdentityAsUsername: boolean
  /** The largest certFile, keyFile or caFile read, in bytes. */
  maxSettingFileSize: number
}

/** A change to any of these restarts the listeners (ListenerSet.sameAs). */
export const TLS_CONFIG_KEYS = [
  'tlsPort',
  'wssPort',
  'certFile',
  'keyFile',
  'caFile',
  'requireClientCertificate',
  'useIdentityAsUsername',
  'maxSettingFileSize'
] as const satisfies ReadonlyArray<keyof TlsListenerConfig>

/** A TLS handshake that does not finish in this time is abandoned. */
const HANDSHAKE_TIMEOUT_MS = 10_000

type Accept = (transport: Transport) => void
type LimitHit = (limit: 'maxSettingFileSize') => void

/** A TLS configuration problem: `error` for ListenerInfo (the UI), `detail` for the log. */
export type TlsOptionsResult = { ok: true; options: TlsOptions } | { ok: false; error: string; detail: string }

/** Read the PEM files and check them; the error names the setting and what kind of problem it is. */
export async function loadTlsOptions(config: TlsListenerConfig, limitHit?: LimitHit): Promise<TlsOptionsResult> {
  if (config.certFile === null || config.keyFile === null) {
    const error = 'needs certFile and keyFile (run `brokerscope gen-cert` for a development certificate)'
    return { ok: false, error, detail: error }
  }
  const files: Array<['certFile' | 'keyFile' | 'caFile', string]> = [
    ['certFile', config.certFile],
    ['keyFile', config.keyFile]
  ]
  if (config.caFile !== null) files.push(['caFile', config.caFile])
  const contents: Partial<Record<'certFile' | 'keyFile' | 'caFile', Buffer>> = {}
  for (const [key, path] of files) {
    const read = await readSettingFile(path, config.maxSettingFileSize)
    if (!read.ok && read.problem === 'too-large') limitHit?.('maxSettingFileSize')
    if (!read.ok) return { ok: false, error: `${key}: ${read.summary}`, detail: `cannot read ${key} ${read.detail}` }
    contents[key] = read.data
  }
  // Client certificates are asked for when they are required, or when their CN is wanted as the user name.
  const requestCert = config.caFile !== null && (config.requireClientCertificate || config.useIdentityAsUsername)
  const options: TlsOptions = {
    cert: contents.certFile,
    key: contents.keyFile,
    ca: contents.caFile,
    requestCert,
    rejectUnauthorized: requestCert && config.requireClientCertificate,
    minVersion: 'TLSv1.2',
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS
  }
  try {
    createSecureContext(options)
  } catch (err) {
    const names = `certFile ${config.certFile} / keyFile ${config.keyFile}${config.caFile ? ` / caFile ${config.caFile}` : ''}`
    return { ok: false, error: describeTlsError(err), detail: `${names}: ${err instanceof Error ? err.message : String(err)}` }
  }
  return { ok: true, options }
}

/** The verified client certificate's CN, or null (no certificate, or one that did not verify). */
export function certificateIdentity(socket: TLSSocket): string | null {
  if (!socket.authorized) return null
  const subject = socket.getPeerCertificate()?.subject as Record<string, string | string[] | undefined> | undefined
  const cn = subject?.CN
  const name = Array.isArray(cn) ? cn[0] : cn
  return typeof name === 'string' && name.length > 0 ? name : null
}

export async function startTls(
  config: TlsListenerConfig & SocketOptionsConfig,
  accept: Accept,
  logger: Logger,
  limitHit?: LimitHit
): Promise<Running> {
  const loaded = await loadTlsOptions(config, limitHit)
  if (!loaded.ok) return failed('tls', config.host, config.tlsPort, loaded, logger)
  const server = createTlsServer({ ...serverSocketOptions(config), ...loaded.options }, (socket) => {
    accept(new TcpTransport(socket, 'tls', config.useIdentityAsUsername ? certificateIdentity(socket) : null))
  })
  server.on('tlsClientError', (error, socket) => {
    logger.debug(`TLS handshake with ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0} failed: ${error.message}`)
  })
  return listen(server, 'tls', config.host, config.tlsPort, logger, config).then((info) => ({ info, close: () => closeServer(server) }))
}

export async function startWss(
  config: TlsListenerConfig,
  accept: Accept,
  logger: Logger,
  upgrades: UpgradePolicy,
  limitHit?: LimitHit
): Promise<Running> {
  const loaded = await loadTlsOptions(config, limitHit)
  if (!loaded.ok) return failed('wss', config.host, config.wssPort, loaded, logger)
  const https: HttpsServer = createHttpsServer(loaded.options, (_request, response) => {
    response.writeHead(426, { 'content-type': 'text/plain' })
    response.end('This is an MQTT over secure WebSocket endpoint; connect with an MQTT client.\n')
  })
  https.on('tlsClientError', (error, socket) => {
    logger.debug(`TLS handshake with ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0} failed: ${error.message}`)
  })
  const wss = new WebSocketServer({
    server: https,
    path: config.wsPath,
    perMessageDeflate: false,
    maxPayload: 268435460,
    verifyClient: (info, done) => upgrades.verify(info.req, 'wss', done),
    handleProtocols: (offered) => {
      for (const protocol of MQTT_SUBPROTOCOLS) if (offered.has(protocol)) return protocol
      return false
    }
  })
  wss.on('connection', (ws, request) => {
    const socket = request.socket as TLSSocket
    const identity = config.useIdentityAsUsername ? certificateIdentity(socket) : null
    accept(new WsTransport(ws, `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`, 'wss', identity))
  })
  wss.on('error', () => {})
  return listen(https, 'wss', config.host, config.wssPort, logger).then((info) => ({
    info,
    close: async () => {
      for (const client of wss.clients) client.terminate()
      wss.close()
      await closeServer(https)
    }
  }))
}

function failed(name: ListenerName, host: string, port: number, problem: { error: string; detail: string }, logger: Logger): Running {
  const what = `${name === 'tls' ? 'TLS' : 'secure WebSocket'} port ${port} on ${host}`
  const error = `${what}: ${problem.error}`
  logger.error(`${what}: ${problem.detail}`)
  const info: ListenerInfo = { name, host, port, listening: false, error }
  return { info, close: async () => {} }
}

/** What the UI may be told about a certificate that does not load (the parser's words go to the log). */
function describeTlsError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  if (/key values mismatch/i.test(message)) return 'the key does not belong to the certificate'
  return 'certFile / keyFile / caFile: not a valid PEM certificate and key: see the broker log'
}
