/**
 * How long a bridge waits before it tries again: "decorrelated jitter" between a base and a cap, as
 * mosquitto 2.1 does for bridges (restart_timeout, default base 5 s, cap 30 s): each wait is random
 * between the base and three times the previous one, never above the cap, so many bridges that
 * lost the same remote do not all come back at the same moment.
 */
export class ReconnectBackoff {
  private previous: number

  constructor(
    readonly baseMs = 5_000,
    readonly capMs = 30_000,
    private readonly random: () => number = Math.random
  ) {
    this.previous = baseMs
  }

  /** The next wait, in ms. */
  next(): number {
    const upper = Math.min(this.capMs, this.previous * 3)
    const wait = Math.min(this.capMs, this.baseMs + this.random() * Math.max(0, upper - this.baseMs))
    this.previous = wait
    return Math.round(wait)
  }

  /** A connection worked: start again from the base. */
  reset(): void {
    this.previous = this.baseMs
  }
}
