import type { Logger } from './logger'

/**
 * One log line per interval for an event that can repeat without bound (a web page retrying a
 * refused WebSocket, one bad message fanned out to thousands of clients): the first at once, then
 * at most one per interval, saying how many were left out since the last line.
 */
export class RateLimitedLog {
  private lastLogged = -Infinity
  private suppressed = 0

  constructor(
    private readonly level: 'error' | 'warn' | 'info',
    private readonly intervalMs = 1000,
    private readonly now: () => number = Date.now
  ) {}

  log(logger: Logger, message: string): void {
    const now = this.now()
    if (now - this.lastLogged < this.intervalMs) {
      this.suppressed++
      return
    }
    const more = this.suppressed > 0 ? ` (and ${this.suppressed} more like it since the last report)` : ''
    this.lastLogged = now
    this.suppressed = 0
    logger[this.level](`${message}${more}`)
  }
}
