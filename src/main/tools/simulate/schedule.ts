/**
 * When each message of a generator is due. Messages form one sequence over all devices: message j
 * is device (j mod N) + 1, due at start + j × (interval / N), so N devices publishing every
 * `interval` are spread evenly over it instead of bursting together, and the rate over all
 * devices is exactly N / interval. Time is kept from the start, so timer jitter never adds up.
 */
export class Schedule {
  /** Index of the next message to send. */
  next = 0
  private startAt: number
  private pausedAt: number | null = null

  constructor(
    /** Ms between two messages of the sequence (interval / devices). */
    readonly stepMs: number,
    readonly devices: number,
    /** Messages in total, or Infinity. */
    readonly total: number,
    /** Ms after the start at which no more messages are due, or Infinity. */
    readonly durationMs: number,
    now: number
  ) {
    this.startAt = now
  }

  get paused(): boolean {
    return this.pausedAt !== null
  }

  pause(now: number): void {
    if (this.pausedAt === null) this.pausedAt = now
  }

  /** Resume where it paused: the paused time is not caught up. */
  resume(now: number): void {
    if (this.pausedAt === null) return
    this.startAt += now - this.pausedAt
    this.pausedAt = null
  }

  dueAt(index: number): number {
    return this.startAt + index * this.stepMs
  }

  /** No message is left: the count is reached or the duration is over. */
  done(now: number): boolean {
    if (this.next >= this.total) return true
    const elapsed = (this.pausedAt ?? now) - this.startAt
    return elapsed >= this.durationMs || this.next * this.stepMs >= this.durationMs
  }

  /** How many messages are due by `now` and not sent yet (0 while paused). */
  dueCount(now: number): number {
    if (this.pausedAt !== null) return 0
    const elapsed = Math.min(now - this.startAt, this.durationMs)
    const due = Math.min(
      this.total,
      Math.floor(elapsed / this.stepMs) + 1,
      this.durationMs === Infinity ? Infinity : Math.ceil(this.durationMs / this.stepMs)
    )
    return Math.max(0, due - this.next)
  }

  /** Device (1…N) and its message number (1…) for sequence index `index`. */
  slot(index: number): { device: number; counter: number } {
    return { device: (index % this.devices) + 1, counter: Math.floor(index / this.devices) + 1 }
  }

  /** Ms until the next message is due (0 when one is due now). */
  waitMs(now: number): number {
    return Math.max(0, this.dueAt(this.next) - now)
  }
}
