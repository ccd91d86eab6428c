/**
 * The broker's counters and gauges in the Prometheus text format (served at /metrics and at EMQX's
 * /api/v5/prometheus/stats), through prom-client: its registry writes the HELP and TYPE lines and
 * the escaping. The values are read from one broker.stats() snapshot per scrape (each metric's
 * collect() reads it), so a scrape costs one walk over the sessions, and nothing is counted twice.
 *
 * Exported: the dashboard's counters and gauges, drops by reason, limits hit, connections per
 * listener and whether each listener is up, and the durable store's state (when it is on). There
 * is no bridge yet; its metrics belong here when it arrives.
 */
import { Counter, Gauge, Registry } from 'prom-client'
import {
  DROP_REASONS,
  LIMIT_NAMES,
  type BrokerStats,
  type ListenerInfo,
  type ListenerName,
  type StoreStatus
} from '../../shared/broker-types'
import type { BrokerControl } from '../broker/control'

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

const LISTENERS: readonly ListenerName[] = ['tcp', 'ws', 'tls', 'wss', 'unix']

interface Scrape {
  stats: BrokerStats
  listeners: ListenerInfo[]
  connections: Record<ListenerName, number>
  store: StoreStatus
}

type EnabledStore = Extract<StoreStatus, { enabled: true }>
type StoreKey = Extract<{ [K in keyof EnabledStore]: EnabledStore[K] extends number ? K : never }[keyof EnabledStore], string>

/** The store's numbers, exported only while it is on (a family with no sample when it is off). */
const STORE_GAUGES: ReadonlyArray<[name: string, field: StoreKey, help: string]> = [
  ['brokerscope_store_size_bytes', 'sizeBytes', 'bytes the durable store takes on disk'],
  ['brokerscope_store_retained_messages', 'retained', 'retained messages in the durable store'],
  ['brokerscope_store_sessions', 'sessions', 'persistent sessions in the durable store'],
  ['brokerscope_store_messages', 'messages', 'distinct messages the store holds for sessions'],
  ['brokerscope_store_deliveries', 'deliveries', 'queued and in-flight deliveries in the store']
]

type StatKey = Extract<{ [K in keyof BrokerStats]: BrokerStats[K] extends number ? K : never }[keyof BrokerStats], string>

const COUNTERS: ReadonlyArray<[name: string, stat: StatKey, help: string]> = [
  ['brokerscope_packets_received_total', 'messagesReceived', 'MQTT packets received, every type'],
  ['brokerscope_packets_sent_total', 'messagesSent', 'MQTT packets sent, every type'],
  ['brokerscope_publish_received_total', 'publishReceived', 'PUBLISH packets received from clients'],
  ['brokerscope_publish_sent_total', 'publishSent', 'PUBLISH packets sent to clients'],
  [
    'brokerscope_publish_dropped_total',
    'publishDropped',
    'messages that did not reach a subscriber (see brokerscope_dropped_total by reason)'
  ],
  ['brokerscope_bytes_received_total', 'bytesReceived', 'bytes received on client connections'],
  ['brokerscope_bytes_sent_total', 'bytesSent', 'bytes sent on client connections'],
  ['brokerscope_publish_bytes_received_total', 'publishBytesReceived', 'PUBLISH payload bytes received'],
  ['brokerscope_publish_bytes_sent_total', 'publishBytesSent', 'PUBLISH payload bytes sent'],
  ['brokerscope_connections_total', 'connectionsTotal', 'client connections accepted (CONNACK sent)'],
  ['brokerscope_sockets_total', 'socketsTotal', 'sockets opened to the listeners'],
  ['brokerscope_clients_total', 'clientsTotal', 'sessions seen since start'],
  ['brokerscope_sessions_expired_total', 'clientsExpired', 'sessions that expired'],
  [
    'brokerscope_session_takeovers_refused_total',
    'sessionTakeoversRefused',
    "CONNECTs refused because the client id's session belongs to another user"
  ],
  ['brokerscope_store_refusals_total', 'storeRefusals', 'QoS 1/2 PUBLISH refused because the store could not write']
]

const GAUGES: ReadonlyArray<[name: string, stat: StatKey, help: string]> = [
  ['brokerscope_clients_connected', 'clientsConnected', 'clients connected now'],
  ['brokerscope_clients_disconnected', 'clientsDisconnected', 'sessions kept for clients that are offline'],
  ['brokerscope_clients_maximum', 'clientsMaximum', 'most clients connected at once since start'],
  ['brokerscope_retained_messages', 'retainedCount', 'retained messages stored'],
  ['brokerscope_subscriptions', 'subscriptionCount', 'subscriptions, shared ones included'],
  ['brokerscope_shared_subscriptions', 'sharedSubscriptionCount', 'shared subscriptions'],
  ['brokerscope_stored_messages', 'storedMessages', 'messages held: retained and queued'],
  ['brokerscope_stored_bytes', 'storedBytes', 'payload bytes held: retained and queued'],
  ['brokerscope_inflight_messages', 'inflight', 'outgoing QoS 1/2 messages not yet acknowledged']
]

/** A registry bound to one broker; render() is one scrape. */
export class BrokerMetrics {
  private readonly registry = new Registry()
  private scrape: Scrape | null = null
  /** The API's own answers by status code: refusals (401, 403, 413, …) are counted like any bound hit. */
  private readonly apiResponses: Counter<'code'>

  constructor(private readonly broker: BrokerControl) {
    this.apiResponses = new Counter({
      name: 'brokerscope_api_responses_total',
      help: 'management API answers by HTTP status (401 unauthorized, 403 other origin, 413 body too large, …)',
      labelNames: ['code'],
      registers: [this.registry]
    })
    const current = (): Scrape => {
      if (this.scrape === null) throw new Error('metrics are read only inside render()')
      return this.scrape
    }
    for (const [name, stat, help] of COUNTERS) {
      new Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.reset()
          this.inc(current().stats[stat])
        }
      })
    }
    for (const [name, stat, help] of GAUGES) {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(current().stats[stat])
        }
      })
    }
    new Counter({
      name: 'brokerscope_dropped_total',
      help: 'messages that did not reach a subscriber, by reason',
      labelNames: ['reason'],
      registers: [this.registry],
      collect() {
        this.reset()
        for (const reason of DROP_REASONS) this.inc({ reason }, current().stats.droppedByReason[reason])
      }
    })
    new Counter({
      name: 'brokerscope_limit_hits_total',
      help: 'times a configured limit was hit, by setting name',
      labelNames: ['limit'],
      registers: [this.registry],
      collect() {
        this.reset()
        for (const limit of LIMIT_NAMES) this.inc({ limit }, current().stats.limitsHit[limit])
      }
    })
    new Gauge({
      name: 'brokerscope_listener_connections',
      help: 'clients connected now, by listener',
      labelNames: ['listener'],
      registers: [this.registry],
      collect() {
        for (const listener of LISTENERS) this.set({ listener }, current().connections[listener])
      }
    })
    new Gauge({
      name: 'brokerscope_listener_up',
      help: '1 when the listener is listening, 0 when it is configured but could not start',
      labelNames: ['listener'],
      registers: [this.registry],
      collect() {
        this.reset()
        for (const info of current().listeners) this.set({ listener: info.name }, info.listening ? 1 : 0)
      }
    })
    new Gauge({
      name: 'brokerscope_store_enabled',
      help: '1 when messages and sessions are kept in the durable store',
      registers: [this.registry],
      collect() {
        this.set(current().store.enabled ? 1 : 0)
      }
    })
    new Gauge({
      name: 'brokerscope_store_failing',
      help: '1 while writes to the durable store are failing (QoS 1/2 PUBLISH is refused)',
      registers: [this.registry],
      collect() {
        this.reset()
        const store = current().store
        if (store.enabled) this.set(store.failing ? 1 : 0)
      }
    })
    for (const [name, field, help] of STORE_GAUGES) {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.reset()
          const store = current().store
          if (store.enabled) this.set(store[field])
        }
      })
    }
    for (const [name, field, help] of [
      ['brokerscope_store_commits_total', 'commits', 'commits made to the durable store'],
      ['brokerscope_store_write_failures_total', 'writeFailures', 'writes to the durable store that failed']
    ] as const) {
      new Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.reset()
          const store = current().store
          if (store.enabled) this.inc(store[field])
        }
      })
    }
    new Gauge({
      name: 'brokerscope_store_last_sync_seconds',
      help: 'how long the last commit took to reach the disk',
      registers: [this.registry],
      collect() {
        this.reset()
        const store = current().store
        if (store.enabled && store.lastSyncMs !== null) this.set(store.lastSyncMs / 1000)
      }
    })
    new Gauge({
      name: 'brokerscope_start_time_seconds',
      help: 'when the broker started, seconds since the Unix epoch',
      registers: [this.registry],
      collect() {
        this.set(current().stats.startedAt / 1000)
      }
    })
  }

  /** Count one answer of the API (server.ts calls it for every response). */
  countApiResponse(status: number): void {
    this.apiResponses.inc({ code: String(status) })
  }

  /** One scrape in the text exposition format. */
  async render(): Promise<string> {
    this.scrape = {
      stats: this.broker.stats(),
      listeners: this.broker.listeners(),
      connections: this.broker.connectionsByListener(),
      store: this.broker.storeStatus()
    }
    try {
      return await this.registry.metrics()
    } finally {
      this.scrape = null
    }
  }
}
