import type { QoS } from '../../../shared/broker-types'
import type { Message } from '../message'
import type { Session, Subscription } from '../session/session'
import { SubscriptionTrie } from './subscription-trie'

/** What SUBSCRIBE asks for, after validation. */
export interface SubscriptionRequest {
  filter: string
  topicFilter: string
  shareGroup: string | null
  qos: QoS
  noLocal: boolean
  retainAsPublished: boolean
  retainHandling: 0 | 1 | 2
  subscriptionId: number | null
}

/** Who may receive what (the ACL); `aclActive` false means everyone may, and is the only check then. */
export interface DeliveryAuthorizer {
  readonly aclActive: boolean
  canReceive(session: Session, topic: string): boolean
}

/** The members of one shared subscription group on one filter, served round-robin. */
interface ShareGroup {
  readonly members: Subscription[]
  next: number
}

/** Placeholder for the routing scratch array's free slots. */
const NO_SESSION = null as unknown as Session

/**
 * Who gets a message: the subscription index (one trie for plain subscriptions, keyed by client
 * id, and one for shared groups, keyed by group name), and the scratch space that merges a
 * client's overlapping subscriptions into one delivery without allocating per message.
 * A session owns its own subscription list; the router keeps the two in step.
 */
export class Router {
  private readonly subscriptions = new SubscriptionTrie<Subscription>()
  private readonly shared = new SubscriptionTrie<ShareGroup>()
  private sharedSubscriptions = 0

  // Routing scratch space (see route).
  private matchGeneration = 0
  private readonly matched: Session[] = []
  private matchedCount = 0
  private sharedDeliveries = 0
  private routing: Message | null = null

  constructor(private readonly auth: DeliveryAuthorizer) {}

  /** Plain and shared subscriptions, counted once each. */
  get size(): number {
    return this.subscriptions.size + this.sharedSubscriptions
  }

  get sharedSize(): number {
    return this.sharedSubscriptions
  }

  /** Store one subscription (replacing the session's subscription to the same filter). Returns true if it is new. */
  subscribe(session: Session, request: SubscriptionRequest): { subscription: Subscription; added: boolean } {
    const existing = session.subscriptions.get(request.filter)
    if (existing) this.remove(existing)
    const subscription: Subscription = { session, ...request }
    session.subscriptions.set(request.filter, subscription)
    if (request.shareGroup === null) {
      this.subscriptions.add(request.topicFilter, session.clientId, subscription)
    } else {
      let group = this.shared.get(request.topicFilter, request.shareGroup)
      if (!group) {
        group = { members: [], next: 0 }
        this.shared.add(request.topicFilter, request.shareGroup, group)
      }
      group.members.push(subscription)
      this.sharedSubscriptions++
    }
    return { subscription, added: existing === undefined }
  }

  /** Remove the session's subscription to `filter` (as sent, with any $share prefix). False if it had none. */
  unsubscribe(session: Session, filter: string): boolean {
    const subscription = session.subscriptions.get(filter)
    if (!subscription) return false
    this.remove(subscription)
    return true
  }

  /** Every subscription of a session that is ending. */
  removeAll(session: Session): void {
    for (const subscription of session.subscriptions.values()) this.remove(subscription)
  }

  private remove(subscription: Subscription): void {
    const session = subscription.session
    if (session.subscriptions.get(subscription.filter) === subscription) session.subscriptions.delete(subscription.filter)
    if (subscription.shareGroup === null) {
      if (this.subscriptions.get(subscription.topicFilter, session.clientId) === subscription) {
        this.subscriptions.remove(subscription.topicFilter, session.clientId)
      }
      return
    }
    const group = this.shared.get(subscription.topicFilter, subscription.shareGroup)
    if (!group) return
    const index = group.members.indexOf(subscription)
    if (index < 0) return
    group.members.splice(index, 1)
    this.sharedSubscriptions--
    if (group.members.length === 0) this.shared.remove(subscription.topicFilter, subscription.shareGroup)
  }

  /**
   * Deliver a message to every matching session. Returns how many sessions it went to.
   * One copy per session at the highest matching QoS, carrying every matching subscription id
   * [MQTT-3.3.4-2..-5]; shared groups get one copy per group.
   */
  route(message: Message): number {
    this.matchGeneration++
    this.routing = message
    const matched = this.matched
    this.matchedCount = 0
    this.subscriptions.match(message.topic, this.collectSubscription)
    let recipients = this.matchedCount
    for (let i = 0; i < recipients; i++) {
      const session = matched[i]
      // Cleared as we go (a scratch array must not keep ended sessions alive), without resizing it.
      matched[i] = NO_SESSION
      const ids = session.matchSubscriptionIds
      session.matchSubscriptionIds = null
      session.deliver(message, session.matchQos, session.matchRetainAsPublished && message.retain, ids)
    }
    if (this.sharedSubscriptions > 0) {
      this.sharedDeliveries = 0
      this.shared.match(message.topic, this.deliverToShareGroup)
      recipients += this.sharedDeliveries
    }
    this.routing = null
    return recipients
  }

  private readonly collectSubscription = (subscription: Subscription): void => {
    const message = this.routing!
    const session = subscription.session
    // [MQTT-3.8.3-3] No Local: not back to the client that published it.
    if (subscription.noLocal && session.clientId === message.origin) return
    // A filter may be granted and still cover topics the ACL keeps from this client.
    if (this.auth.aclActive && !this.auth.canReceive(session, message.topic)) return
    const qos = Math.min(subscription.qos, message.qos) as QoS
    if (session.matchGeneration !== this.matchGeneration) {
      session.matchGeneration = this.matchGeneration
      session.matchQos = qos
      session.matchRetainAsPublished = subscription.retainAsPublished
      session.matchSubscriptionIds = subscription.subscriptionId !== null ? [subscription.subscriptionId] : null
      this.matched[this.matchedCount++] = session
      return
    }
    if (qos > session.matchQos) session.matchQos = qos
    if (subscription.retainAsPublished) session.matchRetainAsPublished = true
    if (subscription.subscriptionId !== null) {
      if (session.matchSubscriptionIds === null) session.matchSubscriptionIds = [subscription.subscriptionId]
      else session.matchSubscriptionIds.push(subscription.subscriptionId)
    }
  }

  /** One member per message, round-robin, preferring members that are online [MQTT-4.8.2-?]. */
  private readonly deliverToShareGroup = (group: ShareGroup): void => {
    const message = this.routing!
    const members = group.members
    if (members.length === 0) return
    let chosen: Subscription | null = null
    for (let tries = 0; tries < members.length; tries++) {
      const candidate = members[group.next % members.length]
      group.next = (group.next + 1) % members.length
      if (this.auth.aclActive && !this.auth.canReceive(candidate.session, message.topic)) continue
      if (candidate.session.connection?.isReady) {
        chosen = candidate
        break
      }
      if (chosen === null) chosen = candidate
    }
    if (chosen === null) return
    this.sharedDeliveries++
    const qos = Math.min(chosen.qos, message.qos) as QoS
    const retain = chosen.retainAsPublished && message.retain
    chosen.session.deliver(message, qos, retain, chosen.subscriptionId !== null ? [chosen.subscriptionId] : null)
  }
}
