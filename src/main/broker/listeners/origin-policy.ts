/**
 * The Origin check of the MQTT WebSocket listeners (ws and wss): a web page on another site must not
 * be able to use the broker from a developer's browser (anonymous access is on by default, so it
 * could read everything, publish and plant retained messages). The rules are in
 * src/shared/ws-origins.ts; this applies them to upgrades with the setting in force, answers
 * HTTP 403 before the upgrade, and counts and logs each refusal.
 */
import type { IncomingMessage } from 'node:http'
import type { RefusalReason } from '../../../shared/broker-types'
import type { BrokerSettings } from '../../../shared/settings'
import { originAllowed, parseAllowedOrigins, type AllowedOrigins } from '../../../shared/ws-origins'
import type { Logger } from '../../logger'
import { RateLimitedLog } from '../../rate-limited-log'

/** What the ws listeners need to decide on an upgrade. */
export interface UpgradePolicy {
  /** ws's verifyClient: `done(false, 403)` answers HTTP 403 before the upgrade. */
  verify(request: IncomingMessage, listener: 'ws' | 'wss', done: (allowed: boolean, status?: number, message?: string) => void): void
}

/** Serves every upgrade (tests, tools that build a ListenerSet alone). */
export const SERVE_EVERY_ORIGIN: UpgradePolicy = { verify: (_request, _listener, done) => done(true) }

/** What the policy reads from the broker: the settings in force, its counters and log. */
export interface OriginPolicyHost {
  readonly settings: Pick<BrokerSettings, 'wsAllowedOrigins'>
  readonly counters: { countRefusal(reason: RefusalReason): void }
  readonly logger: Logger
}

export class OriginPolicy implements UpgradePolicy {
  private parsedFrom: string | null = null
  private allowed: AllowedOrigins = { any: false, origins: new Set() }
  /** A page retrying a refused socket is one log line a second per listener. */
  private readonly refusals = { ws: new RateLimitedLog('warn'), wss: new RateLimitedLog('warn') }

  constructor(private readonly host: OriginPolicyHost) {
    this.current()
  }

  /** The settings changed: a new value is applied (and '*' warned about) now, not at the next upgrade. */
  settingsChanged(): void {
    this.current()
  }

  /** The setting in force, parsed once per value. */
  private current(): AllowedOrigins {
    const value = this.host.settings.wsAllowedOrigins
    if (value !== this.parsedFrom) {
      this.parsedFrom = value
      this.allowed = parseAllowedOrigins(value)
      if (this.allowed.any) {
        this.host.logger.warn(
          "wsAllowedOrigins is '*': any web page open in a browser that can reach the WebSocket listener can use the broker"
        )
      }
    }
    return this.allowed
  }

  verify(request: IncomingMessage, listener: 'ws' | 'wss', done: (allowed: boolean, status?: number, message?: string) => void): void {
    const header = request.headers.origin
    if (originAllowed(header, this.current())) return done(true)
    this.host.counters.countRefusal('ws-origin')
    const from = `${request.socket.remoteAddress ?? '?'}:${request.socket.remotePort ?? 0}`
    this.refusals[listener].log(
      this.host.logger,
      `${listener} listener: refused a WebSocket from ${from} with Origin ${JSON.stringify(String(header).slice(0, 200))} (not loopback, not in wsAllowedOrigins)`
    )
    done(false, 403, 'Forbidden')
  }
}
