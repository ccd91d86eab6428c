import type { BrokerEvent, BrokerEventOf, BrokerEventType } from '../../shared/broker-types'

type Listener<T extends BrokerEventType> = (event: BrokerEventOf<T>) => void

/**
 * The broker's typed event stream. Producers ask `wants(type)` before building an event so that a
 * broker nobody watches does no per-message work for it.
 */
export class BrokerEventBus {
  private readonly listeners = new Map<BrokerEventType, Set<(event: BrokerEvent) => void>>()
  /** Cheap flags for the hot path (one property read per message). */
  wantsPackets = false
  wantsMessages = false

  on<T extends BrokerEventType>(type: T, listener: Listener<T>): () => void {
    let set = this.listeners.get(type)
    if (!set) {
      set = new Set()
      this.listeners.set(type, set)
    }
    const erased = listener as (event: BrokerEvent) => void
    set.add(erased)
    this.refreshFlags()
    return () => {
      set.delete(erased)
      this.refreshFlags()
    }
  }

  wants(type: BrokerEventType): boolean {
    const set = this.listeners.get(type)
    return set !== undefined && set.size > 0
  }

  emit(event: BrokerEvent): void {
    const set = this.listeners.get(event.type)
    if (!set) return
    for (const listener of set) {
      // A faulty listener must never break the broker's packet handling.
      try {
        listener(event)
      } catch {
        /* ignored on purpose */
      }
    }
  }

  private refreshFlags(): void {
    this.wantsPackets = this.wants('packet')
    this.wantsMessages =
      this.wants('message.published') || this.wants('message.delivered') || this.wants('message.dropped')
  }
}
