import type { DropReason, LimitName } from '../../../shared/broker-types'
import type { BrokerSettings } from '../../../shared/settings'
import type { Message } from '../message'
import type { DeliveryJournal } from '../persistence/persistence'
import type { DeliveryAuthorizer } from '../topics/router'
import type { Session } from './session'

/** What a session needs from the broker to deliver: the live settings, the clock, the ACL, and drop accounting. */
export interface DeliveryContext {
  readonly settings: BrokerSettings
  /** Checked again when a queued or in-flight message is sent: the rules may have changed since it was routed. */
  readonly auth: DeliveryAuthorizer
  /** Where a durable session records its queue, window and incoming QoS 2 ids. */
  readonly journal: DeliveryJournal
  now(): number
  drop(session: Session, message: Message, reason: DropReason): void
  /** A configured limit held a delivery back or refused it (counted in BrokerStats.limitsHit). */
  limitHit(limit: LimitName): void
}
