import type { Packet } from 'mqtt-packet'
import type { DropReason, PacketRecord, QoS } from '../../../shared/broker-types'
import type { BrokerSettings } from '../../../shared/settings'
import type { Logger } from '../../logger'
import type { BrokerEventBus } from '../events'
import type { Message } from '../message'
import type { Session } from '../session/session'
import type { BrokerCounters } from '../stats'
import type { Connection } from './connection'

/** What a Connection needs from the broker that owns it. */
export interface ConnectionHost {
  readonly settings: BrokerSettings
  readonly counters: BrokerCounters
  readonly events: BrokerEventBus
  readonly logger: Logger
  now(): number
  handlePacket(connection: Connection, packet: Packet): void
  connectionClosed(connection: Connection): void
  scheduleFlush(connection: Connection): void
  /** True while output must wait for the store (a commit is pending or on its way to disk). */
  holdingOutput(): boolean
  /** Resume reading from a connection paused for its read budget, on the next turn of the loop. */
  scheduleResume(connection: Connection): void
  drop(session: Session | null, message: Message, reason: DropReason): void
  emitPacket(record: PacketRecord): void
  messageDelivered(clientId: string, message: Message, qos: QoS): void
}
