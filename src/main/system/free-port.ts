/** A TCP port that can be bound right now. */
import { createServer } from 'node:net'

/** How many ports above the taken one are tried before asking the OS for any free one. */
const NEARBY_TRIES = 20

/**
 * A port that was free on `host` just now: the first bindable one after `near` (skipping `avoid`,
 * the other listeners' ports), else one the OS picks; null when even that fails.
 */
export async function findFreePort(host: string, near: number, avoid: ReadonlySet<number> = new Set()): Promise<number | null> {
  for (let port = near + 1; port <= Math.min(65535, near + NEARBY_TRIES); port++) {
    if (avoid.has(port)) continue
    if ((await tryBind(host, port)) !== null) return port
  }
  return tryBind(host, 0)
}

/** Whether binding `port` on `host` fails because something else has it. */
export async function portInUse(host: string, port: number): Promise<boolean> {
  let code: string | undefined
  await tryBind(host, port, (error) => {
    code = error.code
  })
  return code === 'EADDRINUSE'
}

function tryBind(host: string, port: number, onError?: (error: NodeJS.ErrnoException) => void): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer()
    server.unref()
    server.once('error', (error: NodeJS.ErrnoException) => {
      onError?.(error)
      resolve(null)
    })
    server.listen({ host, port, exclusive: true }, () => {
      const address = server.address()
      const bound = typeof address === 'object' && address !== null ? address.port : null
      server.close(() => resolve(bound))
    })
  })
}
