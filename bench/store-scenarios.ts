/**
 * The store's throughput scenarios (issue 10): QoS 1 and QoS 2 to persistent subscribers
 * (3.1.1 clean session 0) with the store on, against BrokerScope's own in-memory figure for the
 * same load (same sessions, `--persistence false`) and against mosquitto with `persistence true`.
 * Spread into SCENARIOS (scenarios.ts); kept apart so other scenario work merges cleanly.
 */
import type { MetricSpec, Scenario } from './scenarios'

export type StoreScenarioId = 'qos1-session-memory' | 'qos1-durable' | 'qos2-session-memory' | 'qos2-durable'

const rate = (key: string, label: string, headline = false): MetricSpec => ({ key, label, unit: 'msg/s', better: 'higher', headline })

/** BrokerScope in memory / with the store, and the store against mosquitto: the targets. */
export const STORE_TARGETS = { vsMemory: 0.5, vsMosquitto: 3 } as const

function pair(qos: 1 | 2): Scenario[] {
  const key = qos === 1 ? 'acked' : 'completed'
  const label = qos === 1 ? 'acknowledged' : 'completed'
  const load = `8 publisher → persistent subscriber pairs (bench/q/<i>; subscribers connect with clean session 0), QoS ${qos}, 32 in flight per publisher`
  return [
    {
      id: qos === 1 ? 'qos1-session-memory' : 'qos2-session-memory',
      title: `QoS ${qos}, persistent subscribers, in memory`,
      description: `${load}; BrokerScope with \`--persistence false\`: the in-memory figure the store is compared with`,
      params: { publishers: 8, subscribers: 8, qos, window: 32, persistentSessions: true },
      metrics: [rate(key, label, true), rate('delivered', 'delivered')],
      ceilings: [],
      available: true,
      brokers: ['brokerscope']
    },
    {
      id: qos === 1 ? 'qos1-durable' : 'qos2-durable',
      title: `QoS ${qos}, persistent subscribers, store on`,
      description:
        `${load}; BrokerScope with \`--persistence true\` (every PUBLISH acknowledged only once it is synced to disk in every ` +
        `persistent session it was queued to), mosquitto with \`persistence true\` (its default autosave: a snapshot every 30 minutes ` +
        `and at shutdown); compared with BrokerScope in memory on the same load (target ≥ ${STORE_TARGETS.vsMemory}×) and with ` +
        `mosquitto (target ≥ ${STORE_TARGETS.vsMosquitto}×)`,
      params: { publishers: 8, subscribers: 8, qos, window: 32, persistentSessions: true },
      metrics: [
        rate(key, label, true),
        { key: 'vsBaseline', label: `${label} vs in memory`, unit: '×', better: 'higher', headline: false },
        rate('delivered', 'delivered')
      ],
      ceilings: [],
      available: true,
      persistence: true,
      brokers: ['brokerscope', 'mosquitto'],
      baseline: { scenario: qos === 1 ? 'qos1-session-memory' : 'qos2-session-memory', metric: key, target: STORE_TARGETS.vsMemory }
    }
  ]
}

export const STORE_SCENARIOS: Scenario[] = [...pair(1), ...pair(2)]

export function isStoreScenario(id: string): id is StoreScenarioId {
  return STORE_SCENARIOS.some((s) => s.id === id)
}
