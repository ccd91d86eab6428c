/**
 * The store's records: compact shapes (msgpack in LMDB) and the checks that turn what is read back
 * into trusted values. A record that fails its check is reported and skipped, never trusted: a
 * damaged value costs that record, not the store.
 */
import type { MessageProperties, ProtocolVersion, QoS } from '../../../shared/broker-types'
import type { Message } from '../message'
import type { InflightState, Session, Subscription } from '../session/session'

/**
 * Bumped when a record shape changes; a store in a format this version cannot read is set aside.
 * 2: a delivery may hold its message inline (`mi`); format 1 stores read as they are.
 */
export const STORE_FORMAT = 2
export const READABLE_STORE_FORMATS: readonly number[] = [1, 2]

export interface MessageRecord {
  /** topic */
  t: string
  /** payload */
  p: Uint8Array
  q: QoS
  /** retain flag as published */
  r: boolean
  /** v5 properties (correlation data as bytes) */
  pr?: MessageProperties
  /** expiresAt, epoch ms (0 = never) */
  e: number
  /** origin client id, null for the broker */
  o: string | null
  /** createdAt, epoch ms */
  c: number
}

/** [filter, topicFilter, shareGroup, qos, noLocal, retainAsPublished, retainHandling, subscriptionId] */
export type SubscriptionRecord = [string, string, string | null, QoS, boolean, boolean, 0 | 1 | 2, number | null]

export interface SessionRecord {
  /** owner (verified user) */
  ow: string | null
  /** user name */
  u: string | null
  pv: ProtocolVersion
  /** expiry interval, seconds */
  ex: number
  cs: boolean
  ka: number
  /** connected when written */
  on: boolean
  /** disconnectedAt, epoch ms (null while online) */
  dc: number | null
  /** pending will: message, delay seconds */
  w: { m: MessageRecord; d: number } | null
  s: SubscriptionRecord[]
}

export interface DeliveryRecord {
  /** message id (messages table); 0 when the message is inline */
  m: number
  /** the message itself, when only this delivery held it when it was written */
  mi?: MessageRecord
  q: QoS
  r: boolean
  s: number[] | null
  /** packet id, when in flight */
  pid?: number
  /** in-flight state: 1 awaiting PUBACK, 2 awaiting PUBREC, 3 awaiting PUBCOMP */
  st?: 1 | 2 | 3
}

export function messageRecord(message: Message): MessageRecord {
  const record: MessageRecord = {
    t: message.topic,
    p: message.payload,
    q: message.qos,
    r: message.retain,
    e: message.expiresAt,
    o: message.origin,
    c: message.createdAt
  }
  if (message.properties !== undefined) record.pr = message.properties
  return record
}

export function sessionRecord(session: Session): SessionRecord {
  const subscriptions: SubscriptionRecord[] = []
  for (const s of session.subscriptions.values()) subscriptions.push(subscriptionRecord(s))
  return {
    ow: session.owner,
    u: session.username,
    pv: session.protocolVersion,
    ex: session.expiryInterval,
    cs: session.cleanStart,
    ka: session.keepAlive,
    on: session.connection !== null,
    dc: session.disconnectedAt,
    w: session.will ? { m: messageRecord(session.will.message), d: session.will.delaySeconds } : null,
    s: subscriptions
  }
}

function subscriptionRecord(s: Subscription): SubscriptionRecord {
  return [s.filter, s.topicFilter, s.shareGroup, s.qos, s.noLocal, s.retainAsPublished, s.retainHandling, s.subscriptionId]
}

const STATE_CODES: Record<InflightState, 1 | 2 | 3> = { 'awaiting-puback': 1, 'awaiting-pubrec': 2, 'awaiting-pubcomp': 3 }
const STATES: Record<1 | 2 | 3, InflightState> = { 1: 'awaiting-puback', 2: 'awaiting-pubrec', 3: 'awaiting-pubcomp' }

export function stateCode(state: InflightState): 1 | 2 | 3 {
  return STATE_CODES[state]
}

export function stateOf(code: 1 | 2 | 3): InflightState {
  return STATES[code]
}

// ───────────────────────────── reading back ─────────────────────────────

/** A stored message as the broker holds it again (its expiry deadline kept, not recomputed). */
export function toMessage(record: MessageRecord): Message {
  return {
    topic: record.t,
    payload: Buffer.from(record.p.buffer, record.p.byteOffset, record.p.byteLength),
    qos: record.q,
    retain: record.r,
    properties: record.pr,
    expiresAt: record.e,
    origin: record.o,
    createdAt: record.c,
    templates: undefined,
    storeId: 0,
    storeRefs: 0
  }
}

/** Message.storeId of a message written inside its delivery records, not in the messages table (see lmdb-persistence.ts). */
export const INLINE_STORE_ID = -1

/** A message read back from inside a delivery record (its own copy). */
export function inlineMessage(record: MessageRecord): Message {
  const message = toMessage(record)
  message.storeId = INLINE_STORE_ID
  return message
}

type Check<T> = { ok: true; value: T } | { ok: false; why: string }

const isQos = (v: unknown): v is QoS => v === 0 || v === 1 || v === 2
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0
const isStringOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string'
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

export function checkMessageRecord(raw: unknown): Check<MessageRecord> {
  if (!isRecord(raw)) return { ok: false, why: 'not an object' }
  if (typeof raw.t !== 'string' || raw.t.length === 0) return { ok: false, why: 'no topic' }
  if (!(raw.p instanceof Uint8Array)) return { ok: false, why: 'no payload bytes' }
  if (!isQos(raw.q) || typeof raw.r !== 'boolean' || !isTime(raw.e) || !isTime(raw.c) || !isStringOrNull(raw.o)) {
    return { ok: false, why: 'bad fields' }
  }
  if (raw.pr !== undefined && !isRecord(raw.pr)) return { ok: false, why: 'bad properties' }
  return { ok: true, value: raw as unknown as MessageRecord }
}

export function checkSessionRecord(raw: unknown): Check<SessionRecord> {
  if (!isRecord(raw)) return { ok: false, why: 'not an object' }
  if (!isStringOrNull(raw.ow) || !isStringOrNull(raw.u)) return { ok: false, why: 'bad owner' }
  if (raw.pv !== 3 && raw.pv !== 4 && raw.pv !== 5) return { ok: false, why: 'bad protocol version' }
  if (!isTime(raw.ex) || typeof raw.cs !== 'boolean' || !isTime(raw.ka) || typeof raw.on !== 'boolean')
    return { ok: false, why: 'bad fields' }
  if (raw.dc !== null && !isTime(raw.dc)) return { ok: false, why: 'bad disconnect time' }
  if (raw.w !== null) {
    if (!isRecord(raw.w) || !isTime(raw.w.d) || !checkMessageRecord(raw.w.m).ok) return { ok: false, why: 'bad will' }
  }
  if (!Array.isArray(raw.s)) return { ok: false, why: 'bad subscriptions' }
  for (const s of raw.s) {
    if (
      !Array.isArray(s) ||
      s.length !== 8 ||
      typeof s[0] !== 'string' ||
      typeof s[1] !== 'string' ||
      !isStringOrNull(s[2]) ||
      !isQos(s[3]) ||
      typeof s[4] !== 'boolean' ||
      typeof s[5] !== 'boolean' ||
      (s[6] !== 0 && s[6] !== 1 && s[6] !== 2) ||
      (s[7] !== null && !isTime(s[7]))
    ) {
      return { ok: false, why: 'bad subscription' }
    }
  }
  return { ok: true, value: raw as unknown as SessionRecord }
}

export function checkDeliveryRecord(raw: unknown): Check<DeliveryRecord> {
  if (!isRecord(raw)) return { ok: false, why: 'not an object' }
  if (!isTime(raw.m) || !isQos(raw.q) || typeof raw.r !== 'boolean') return { ok: false, why: 'bad fields' }
  if (raw.mi !== undefined) {
    const inline = checkMessageRecord(raw.mi)
    if (!inline.ok) return { ok: false, why: `bad inline message: ${inline.why}` }
  }
  if (raw.s !== null && !(Array.isArray(raw.s) && raw.s.every((id) => isTime(id)))) return { ok: false, why: 'bad subscription ids' }
  if (raw.pid !== undefined) {
    if (typeof raw.pid !== 'number' || !Number.isInteger(raw.pid) || raw.pid < 1 || raw.pid > 65535)
      return { ok: false, why: 'bad packet id' }
    if (raw.st !== 1 && raw.st !== 2 && raw.st !== 3) return { ok: false, why: 'bad in-flight state' }
  }
  return { ok: true, value: raw as unknown as DeliveryRecord }
}
