/**
 * A stand-in web site for browser tests: one page that loads MQTT.js, served from 127.0.0.1 on a
 * free port under whatever host name the browser uses (http://localhost:PORT for a local dev
 * server, http://evil.test:PORT with a host resolver rule for another site).
 */
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { projectRoot } from './fixtures'

export interface WebSite {
  port: number
  close(): Promise<void>
}

const MQTT_JS = join(projectRoot, 'node_modules/mqtt/dist/mqtt.min.js')

export async function startWebSite(title = 'a web site'): Promise<WebSite> {
  const script = readFileSync(MQTT_JS, 'utf8')
  const server: Server = createServer((req, res) => {
    if (req.url === '/mqtt.min.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' })
      res.end(script)
      return
    }
    res.writeHead(200, { 'content-type': 'text/html' })
    res.end(`<!doctype html><title>${title}</title><script src="/mqtt.min.js"></script>`)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}
