/**
 * Our rows in EMQX 5's shapes (docs.emqx.com, REST API), so scripts written for EMQX mostly work:
 * snake_case fields, times as RFC 3339, `{ data, meta: { page, limit, count, hasnext } }` pages and
 * `{ code, message }` errors.
 */
import type { ClientInfo, RetainedInfo, SubscriptionInfo } from '../../shared/broker-types'

export const NODE_NAME = 'brokerscope@127.0.0.1'

export interface EmqxClient {
  clientid: string
  username: string | null
  connected: boolean
  conn_state: 'connected' | 'disconnected'
  ip_address: string | null
  port: number | null
  listener: string | null
  proto_name: 'MQTT' | 'MQIsdp'
  proto_ver: number
  clean_start: boolean
  keepalive: number
  expiry_interval: number
  connected_at: string | null
  disconnected_at: string | null
  subscriptions_cnt: number
  inflight_cnt: number
  mqueue_len: number
  recv_msg: number
  send_msg: number
  node: string
}

export function emqxClient(client: ClientInfo): EmqxClient {
  const { ip, port } = splitAddress(client.address)
  return {
    clientid: client.clientId,
    username: client.username,
    connected: client.connected,
    conn_state: client.connected ? 'connected' : 'disconnected',
    ip_address: ip,
    port,
    listener: client.listener,
    proto_name: client.protocolVersion === 3 ? 'MQIsdp' : 'MQTT',
    proto_ver: client.protocolVersion,
    clean_start: client.cleanStart,
    keepalive: client.keepAlive,
    expiry_interval: client.sessionExpiryInterval,
    connected_at: isoTime(client.connectedAt),
    disconnected_at: isoTime(client.disconnectedAt),
    subscriptions_cnt: client.subscriptions,
    inflight_cnt: client.inflight,
    mqueue_len: client.queued,
    recv_msg: client.messagesIn,
    send_msg: client.messagesOut,
    node: NODE_NAME
  }
}

export interface EmqxSubscription {
  clientid: string
  topic: string
  qos: number
  nl: 0 | 1
  rap: 0 | 1
  rh: 0 | 1 | 2
  share_group: string | null
  node: string
}

export function emqxSubscription(subscription: SubscriptionInfo): EmqxSubscription {
  return {
    clientid: subscription.clientId,
    topic: subscription.filter,
    qos: subscription.qos,
    nl: subscription.noLocal ? 1 : 0,
    rap: subscription.retainAsPublished ? 1 : 0,
    rh: subscription.retainHandling,
    share_group: subscription.shareGroup,
    node: NODE_NAME
  }
}

export function emqxRetained(message: RetainedInfo): { topic: string; qos: number; payload_size: number; publish_at: string } {
  return { topic: message.topic, qos: message.qos, payload_size: message.size, publish_at: isoTime(message.updatedAt)! }
}

export interface Page<T> {
  data: T[]
  meta: { page: number; limit: number; count: number; hasnext: boolean }
}

/** EMQX paging: `page` from 1, `limit` rows; meta.count is the total before paging. */
export function paginate<T>(rows: readonly T[], page: number, limit: number): Page<T> {
  const start = (page - 1) * limit
  const data = rows.slice(start, start + limit)
  return { data, meta: { page, limit, count: rows.length, hasnext: start + data.length < rows.length } }
}

export function isoTime(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString()
}

/** "127.0.0.1:5000" / "[::1]:5000" → ip and port; anything else (a Unix socket) → the text and no port. */
function splitAddress(address: string | null): { ip: string | null; port: number | null } {
  if (address === null) return { ip: null, port: null }
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address)
  if (!match) return { ip: address, port: null }
  return { ip: match[1], port: Number(match[2]) }
}
