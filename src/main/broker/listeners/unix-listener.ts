/**
 * MQTT over a Unix domain socket (mqtt-broker-tokio's --unix-socket; `mosquitto_pub --unix PATH`).
 * Its connections are the same Transports as TCP, tagged 'unix'. A socket file left behind by a
 * broker that died is removed first; a path where another process is listening, or a file that is
 * not a socket, is never replaced: the listener reports it (ListenerInfo.error) like a port in use.
 */
import { existsSync, lstatSync, unlinkSync } from 'node:fs'
import { connect, createServer, type Server } from 'node:net'
import { dirname } from 'node:path'
import type { ListenerInfo } from '../../../shared/broker-types'
import type { Logger } from '../../logger'
import type { Transport } from '../connection/transport'
import type { Running } from './listener-set'
import { TcpTransport } from './tcp-transport'

/** How long a connect to an existing socket file may take before it is taken for stale. */
const LIVE_CHECK_TIMEOUT_MS = 1000

export async function startUnix(path: string, accept: (transport: Transport) => void, logger: Logger): Promise<Running> {
  const fail = (problem: string): Running => {
    const error = `Unix socket ${path}: ${problem}`
    logger.error(error)
    return { info: info(path, false, error), close: async () => {} }
  }
  const existing = await checkExisting(path)
  if (existing === 'live') return fail('another process is listening on it; not replaced')
  if (existing === 'not-a-socket') return fail('exists and is not a socket; not replaced')
  if (existing === 'stale') {
    try {
      unlinkSync(path)
      logger.info(`removed the stale Unix socket ${path}`)
    } catch (err) {
      return fail(`a stale socket file is in the way and cannot be removed (${errorText(err)})`)
    }
  }

  const server: Server = createServer((socket) => accept(new TcpTransport(socket, 'unix')))
  return new Promise((resolve) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      // libuv reports a missing folder as EACCES on bind(2) of a pipe: look for ourselves.
      const why = !existsSync(dirname(path)) ? 'its folder does not exist' : error.code === 'EACCES' ? 'permission denied' : error.message
      resolve(fail(why))
    }
    server.once('error', onError)
    server.listen(path, () => {
      server.off('error', onError)
      server.on('error', (error) => logger.error(`unix listener error: ${error.message}`))
      resolve({
        info: info(path, true, null),
        close: () =>
          new Promise<void>((done) => {
            // Node removes the socket file when the server closes.
            server.close(() => done())
          })
      })
    })
  })
}

function info(path: string, listening: boolean, error: string | null): ListenerInfo {
  return { name: 'unix', host: path, port: 0, listening, error }
}

/** What is at `path`: nothing, a socket someone listens on, a socket nobody does (stale), or another kind of file. */
async function checkExisting(path: string): Promise<'absent' | 'live' | 'stale' | 'not-a-socket'> {
  let isSocket: boolean
  try {
    isSocket = lstatSync(path).isSocket()
  } catch {
    return 'absent'
  }
  if (!isSocket) return 'not-a-socket'
  return new Promise((resolve) => {
    const probe = connect(path)
    const done = (result: 'live' | 'stale'): void => {
      clearTimeout(timer)
      probe.destroy()
      resolve(result)
    }
    // A listener that does not answer in time is not serving anyone: take it for stale.
    const timer = setTimeout(() => done('stale'), LIVE_CHECK_TIMEOUT_MS)
    probe.once('connect', () => done('live'))
    probe.once('error', (error: NodeJS.ErrnoException) => done(error.code === 'EACCES' || error.code === 'EPERM' ? 'live' : 'stale'))
  })
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
