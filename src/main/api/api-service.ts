/**
 * The management API's lifecycle, driven by the settings: it serves while apiPort > 0 on `host`,
 * follows changes of apiPort and host while the broker runs (the Settings view, PUT /settings),
 * and makes the API key when the API is first turned on and none is set (saved like a change from
 * the UI, so it stays; shown in the Settings view).
 */
import { randomBytes } from 'node:crypto'
import type { BrokerSettings } from '../../shared/settings'
import type { BrokerControl } from '../broker/control'
import type { Logger } from '../logger'
// The HTTP stack (fastify, ajv, prom-client: ~300 ms to load) is imported when the API is first enabled.
import type { ApiServer } from './server'

export interface ApiStatus {
  url: string | null
  error: string | null
}

export class ManagementApi {
  private server: ApiServer | null = null
  private bound: { host: string; port: number } | null = null
  private status: ApiStatus = { url: null, error: null }
  private unsubscribe: (() => void) | null = null
  /** Changes are applied one after another (a rebind awaits the close of the previous server). */
  private applying: Promise<void> = Promise.resolve()

  constructor(
    private readonly broker: BrokerControl,
    private readonly logger: Logger
  ) {}

  /** Serve if the settings say so, and follow their changes. */
  async start(): Promise<ApiStatus> {
    this.unsubscribe = this.broker.events.on('settings.changed', (event) => {
      if (event.changed.some((key) => key === 'apiPort' || key === 'host' || key === 'apiKey')) void this.apply(event.settings)
    })
    await this.apply(this.broker.getSettings())
    return this.current()
  }

  current(): ApiStatus {
    return { ...this.status }
  }

  async stop(): Promise<void> {
    this.unsubscribe?.()
    this.unsubscribe = null
    await this.applying
    await this.close()
  }

  private apply(settings: BrokerSettings): Promise<void> {
    this.applying = this.applying
      .then(() => this.reconcile(settings))
      .catch((err: unknown) => {
        this.logger.error('management API:', err)
      })
    return this.applying
  }

  private async reconcile(settings: BrokerSettings): Promise<void> {
    if (settings.apiPort > 0 && settings.apiKey === null) {
      // First time on: make a key. The settings change comes back here with the key set.
      const apiKey = randomBytes(24).toString('base64url')
      const result = await this.broker.updateSettings({ apiKey }, 'api')
      if (result.ok) this.logger.info('management API: made an API key (see Settings, or settings.json in the data folder)')
    }
    const wanted = settings.apiPort > 0 ? { host: settings.host, port: settings.apiPort } : null
    if (wanted !== null && this.bound !== null && wanted.host === this.bound.host && wanted.port === this.bound.port) return
    await this.close()
    if (wanted === null) return
    try {
      const { startApiServer } = await import('./server')
      this.server = await startApiServer(this.broker, { ...wanted, logger: this.logger, version: this.broker.version })
      this.bound = wanted
      this.status = { url: this.server.url, error: null }
      this.logger.info(`management API on ${this.server.url}/api/v5 (Prometheus: ${this.server.url}/metrics)`)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      const why =
        code === 'EADDRINUSE'
          ? 'is already in use'
          : code === 'EACCES'
            ? 'permission denied'
            : err instanceof Error
              ? err.message
              : String(err)
      this.status = { url: null, error: `API port ${wanted.port} on ${wanted.host}: ${why}` }
      this.logger.error(`management API: ${this.status.error}`)
    }
  }

  private async close(): Promise<void> {
    const server = this.server
    this.server = null
    this.bound = null
    this.status = { url: null, error: null }
    if (server) await server.close()
  }
}
