/**
 * The broker's counters and gauges in the Prometheus text format (served at /metrics and at EMQX's
 * /api/v5/prometheus/stats), through prom-client: its registry writes the HELP and TYPE lines and
 * the escaping. The values are read from one broker.stats() snapshot per scrape (each metric's
 * collect() reads it), so a scrape costs one walk over the sessions, and nothing is counted twice.
 *
 * What exists today is exported: the dashboard's counters and gauges, drops by reason, limits hit,
 * connections per listener and whether each listener is up. There is no persistent store and no
 * bridge yet; their metrics belong here when they arrive.
 */
import { Counter, Gauge, Registry } from 'prom-client'
import { DROP_REASONS, LIMIT_NAMES, type BrokerStats, type ListenerInfo, type ListenerName } from '../../shared/broker-types'
import type { BrokerControl } from '../broker/control'

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

const LISTENERS: readonly ListenerName[] = ['tcp', 'ws', 'tls', 'wss', 'unix']

interface Scrape {
  stats: BrokerStats
  listeners: ListenerInfo[]
  connections: Record<ListenerName, number>
}

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
  ['brokerscope_sessions_expired_total', 'clientsExpired', 'sessions that expired']
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

  constructor(private readonly broker: BrokerControl) {
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
      name: 'brokerscope_start_time_seconds',
      help: 'when the broker started, seconds since the Unix epoch',
      registers: [this.registry],
      collect() {
        this.set(current().stats.startedAt / 1000)
      }
    })
  }

  /** One scrape in the text exposition format. */
  async render(): Promise<string> {
    this.scrape = {
      stats: this.broker.stats(),
      listeners: this.broker.listeners(),
      connections: this.broker.connectionsByListener()
    }
    try {
      return await this.registry.metrics()
    } finally {
      this.scrape = null
    }
  }
}
