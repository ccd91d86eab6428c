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
  wantsPublished = false
  wantsDelivered = false
  wantsDropped = false
  /** Packet consumers that have seen enough for now (see suspendPackets). */
  private readonly packetsSuspendedBy = new Set<object>()

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

  /**
   * Stop building packet events until resumePackets(). The inspector calls this when it has all
   * the rows it can show for this batch, so a flood costs the broker nothing per packet; it counts
   * what it missed from the broker's packet counters. While other packet listeners remain, events
   * still flow and a suspended consumer ignores them.
   */
  suspendPackets(consumer: object): void {
    this.packetsSuspendedBy.add(consumer)
    this.refreshFlags()
  }

  resumePackets(consumer: object): void {
    this.packetsSuspendedBy.delete(consumer)
    this.refreshFlags()
  }

  private refreshFlags(): void {
    // Packet events are built while any packet listener still wants them.
    const packetListeners = this.listeners.get('packet')?.size ?? 0
    this.wantsPackets = packetListeners > this.packetsSuspendedBy.size
    this.wantsPublished = this.wants('message.published')
    this.wantsDelivered = this.wants('message.delivered')
    this.wantsDropped = this.wants('message.dropped')
  }
}
