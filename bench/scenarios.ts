/**
 * The benchmark scenarios: what each one runs (shared by the orchestrator and the generator
 * process), which numbers it reports, and how the generator's own ceiling is measured for it.
 */
import { STORE_SCENARIOS, type StoreScenarioId } from './store-scenarios'

export type ScenarioId =
  | 'fan-in'
  | 'fan-out'
  | 'qos1'
  | 'qos2'
  | 'latency'
  | 'connections'
  | 'fan-in-inspector'
  | 'fan-in-no-capture'
  | 'fan-in-topics-chart'
  | 'fan-in-traffic-page'
  | 'latency-traffic-page'
  | 'flood-topics-chart'
  | 'bridge-qos0'
  | 'bridge-qos1'
  | StoreScenarioId

/**
 * What a fake broker does (bench/sink.ts): 'discard' answers CONNACK/SUBACK and then reads and
 * discards; 'ack' also answers PUBACK/PUBREC/PUBCOMP; 'forward' copies every QoS 0 PUBLISH frame,
 * byte for byte, to every connection that subscribed (a lossless, backpressured broker with no
 * routing), so the receive side of the generator is measured too.
 */
export type SinkMode = 'discard' | 'ack' | 'forward'

/** Where the generator is pointed. */
export type Target = 'broker' | SinkMode

export interface ScenarioParams {
  publishers: number
  subscribers: number
  qos: 0 | 1 | 2
  /** QoS 1/2: messages in flight per publisher. */
  window?: number
  /** Latency: messages per second, paced. */
  rate?: number
  /** Idle connections to open. */
  connections?: number
  /** flood-topics-chart: topics the paced flood spreads over. */
  topics?: number
  /** qos1/qos2 workloads: subscribers connect with clean session 0 (persistent sessions; store scenarios). */
  persistentSessions?: boolean
}

/**
 * A Chromium page (Playwright; on a core of its own when the machine has one beyond the broker's
 * and the generator's, else on the generator's) on the inspector: the Topics view with a chart
 * live, or the Traffic view following the live log.
 */
export interface PageSpec {
  view: 'topics' | 'traffic'
  /** Topics: the topic selected in the tree and charted (its payload, or `path` in it). */
  topic: string
  path: string
  /** Click tree rows during the measured window and report click-to-paint latency and the JS heap. */
  measureInput: boolean
}

export interface MetricSpec {
  key: string
  label: string
  unit: string
  better: 'higher' | 'lower'
  /** Drawn in the chart and used for the BrokerScope/peer ratios. */
  headline: boolean
}

export interface Scenario {
  id: ScenarioId
  title: string
  description: string
  params: ScenarioParams
  metrics: MetricSpec[]
  /** Fake brokers the generator's ceiling is measured against, and the metric each one bounds. */
  ceilings: Array<{ mode: SinkMode; metric: string }>
  /** The generator busy-waits to pace its sends (latency), so its CPU use says nothing about headroom. */
  generatorSpins?: boolean
  /** False: listed, but skipped with `unavailable` printed. */
  available: boolean
  unavailable?: string
  /**
   * BrokerScope only, started with its inspector UI (`--ui-port`, a fixed `--ui-token`); the
   * generator connects a UI client to the inspector's WebSocket API before the load starts, the
   * way the renderer does (token, Origin, one `snapshot`, then batches), so the inspector is
   * attached and streams the traffic view while the load runs (issue 3).
   */
  inspector?: boolean
  /** BrokerScope with `--persistence true`, mosquitto with `persistence true` (store scenarios). */
  persistence?: boolean
  /** Environment for the BrokerScope process (fan-in-no-capture: BROKERSCOPE_INSPECTOR=off). */
  brokerEnv?: Record<string, string>
  /** BrokerScope with its UI and a real page on it (implies the UI server). */
  page?: PageSpec
  /** Only these brokers run it (default: all). */
  brokers?: Array<'brokerscope' | 'aedes' | 'mosquitto'>
  /**
   * The broker under test bridges `# out <qos>` to a remote mosquitto (started first, on the
   * generator's core, the same for every broker); publishers write to the broker under test, the
   * subscriber reads from the remote (GeneratorJob.subscriberPort).
   */
  bridge?: { qos: 0 | 1 }
  /**
   * Compared with another scenario's figure on BrokerScope from the same run (run.ts runs the two
   * side by side in every repetition): `metric` here / `metric` there is reported as `vsBaseline`,
   * against the target ratio. `invert`: report the baseline's figure over this one instead (for a
   * run without something, compared with the baseline that has it).
   */
  baseline?: { scenario: ScenarioId; metric: string; target: number; invert?: boolean }
}

const rate = (key: string, label: string, headline = false): MetricSpec => ({ key, label, unit: 'msg/s', better: 'higher', headline })
/** QoS 0: messages skipped (a later one from the same publisher arrived). */
const loss: MetricSpec = { key: 'loss', label: 'loss', unit: '%', better: 'lower', headline: false }
/** QoS 0: messages still not delivered when the drain after the run ended (queued in the broker). */
const undelivered: MetricSpec = { key: 'undelivered', label: 'undelivered after drain', unit: '%', better: 'lower', headline: false }

/** How the bridge scenarios describe the setup (the report shows it under each). */
const BRIDGE_SETUP =
  'BrokerScope: a bridge from the config file (MQTT 3.1.1 with the bridge flag, clean session, `# out <qos>`, its queue ' +
  '100,000 messages, 65,535 in flight); mosquitto: its own bridge (`connection`, `address`, `topic # out <qos>`, ' +
  '`bridge_protocol_version mqttv311`, `try_private true`, `cleansession true`); the remote is the same mosquitto setup ' +
  'for both, on the generator’s core'

export const SCENARIOS: Scenario[] = [
  {
    id: 'fan-in',
    title: 'fan-in',
    description: '8 QoS 0 publishers (bench/p0 … bench/p7) → 1 subscriber on bench/#, publishers as fast as the broker reads',
    params: { publishers: 8, subscribers: 1, qos: 0 },
    metrics: [rate('received', 'received', true), rate('sent', 'published'), loss, undelivered],
    ceilings: [
      { mode: 'discard', metric: 'sent' },
      { mode: 'forward', metric: 'received' }
    ],
    available: true
  },
  {
    id: 'fan-out',
    title: 'fan-out',
    description: '1 QoS 0 publisher (bench/fo) → 50 subscribers, publisher as fast as the broker reads',
    params: { publishers: 1, subscribers: 50, qos: 0 },
    metrics: [rate('deliveries', 'deliveries', true), rate('sent', 'published'), loss, undelivered],
    ceilings: [
      { mode: 'discard', metric: 'sent' },
      { mode: 'forward', metric: 'deliveries' }
    ],
    available: true
  },
  {
    id: 'qos1',
    title: 'QoS 1',
    description: '8 publisher → subscriber pairs (bench/q/<i>), QoS 1, 32 in flight per publisher',
    params: { publishers: 8, subscribers: 8, qos: 1, window: 32 },
    metrics: [rate('acked', 'acknowledged', true), rate('delivered', 'delivered')],
    ceilings: [{ mode: 'ack', metric: 'acked' }],
    available: true
  },
  {
    id: 'qos2',
    title: 'QoS 2',
    description: '8 publisher → subscriber pairs (bench/q/<i>), QoS 2, 32 in flight per publisher',
    params: { publishers: 8, subscribers: 8, qos: 2, window: 32 },
    metrics: [rate('completed', 'completed', true), rate('delivered', 'delivered')],
    ceilings: [{ mode: 'ack', metric: 'completed' }],
    available: true
  },
  {
    id: 'latency',
    title: 'latency',
    description:
      '1 publisher → 1 subscriber (bench/lat), QoS 0, paced at 5,000 msg/s; send time in the payload, measured from the scheduled send time',
    params: { publishers: 1, subscribers: 1, qos: 0, rate: 5000 },
    metrics: [
      { key: 'p50', label: 'p50', unit: 'ms', better: 'lower', headline: true },
      { key: 'p99', label: 'p99', unit: 'ms', better: 'lower', headline: true },
      { key: 'max', label: 'max', unit: 'ms', better: 'lower', headline: false },
      loss,
      undelivered
    ],
    ceilings: [{ mode: 'forward', metric: 'p99' }],
    generatorSpins: true,
    available: true
  },
  {
    id: 'connections',
    title: 'idle connections',
    description: '10,000 connections, each CONNECT + SUBSCRIBE pipelined (bench/idle/<i>), 64 handshakes at a time, then idle',
    params: { publishers: 0, subscribers: 0, qos: 0, connections: 10_000 },
    metrics: [
      { key: 'connectRate', label: 'connect rate', unit: 'conn/s', better: 'higher', headline: true },
      { key: 'rssPerConnection', label: 'RSS per connection', unit: 'KiB', better: 'lower', headline: true }
    ],
    ceilings: [{ mode: 'ack', metric: 'connectRate' }],
    available: true
  },
  {
    id: 'fan-in-inspector',
    title: 'fan-in + inspector',
    description:
      "the fan-in load on BrokerScope with its inspector attached: a UI client on the generator's core connects to the " +
      "inspector's WebSocket API like the renderer does (token, Origin), calls `snapshot` once and then receives every batch " +
      "(traffic rows, stats, topics) while the load runs; compared with BrokerScope's own fan-in figure (UI off) from the same run",
    params: { publishers: 8, subscribers: 1, qos: 0 },
    metrics: [
      rate('received', 'received', true),
      { key: 'vsBaseline', label: 'received vs fan-in without the inspector', unit: '×', better: 'higher', headline: false },
      rate('sent', 'published'),
      loss,
      undelivered,
      { key: 'uiBatches', label: 'UI batches', unit: 'batch/s', better: 'higher', headline: false },
      { key: 'uiRows', label: 'UI traffic rows', unit: 'rows/s', better: 'higher', headline: false },
      { key: 'uiNotShown', label: 'UI trafficNotShown', unit: 'rows/s', better: 'lower', headline: false }
    ],
    ceilings: [],
    available: true,
    inspector: true,
    brokers: ['brokerscope'],
    baseline: { scenario: 'fan-in', metric: 'received', target: 0.85 }
  },
  {
    id: 'fan-in-no-capture',
    title: 'fan-in, inspector capture off',
    description:
      'the fan-in load on BrokerScope started with BROKERSCOPE_INSPECTOR=off (the inspector subscribes to nothing), so the plain ' +
      'fan-in run, where the inspector records the topic tree, history, activity and traffic log from the start with no UI, ' +
      'can be compared with it: the figure is fan-in (capture on) over this run (capture off)',
    params: { publishers: 8, subscribers: 1, qos: 0 },
    metrics: [
      rate('received', 'received', true),
      { key: 'vsBaseline', label: 'fan-in with capture vs without', unit: '×', better: 'higher', headline: false },
      rate('sent', 'published'),
      loss,
      undelivered
    ],
    ceilings: [],
    available: true,
    brokerEnv: { BROKERSCOPE_INSPECTOR: 'off' },
    brokers: ['brokerscope'],
    baseline: { scenario: 'fan-in', metric: 'received', target: 0.9, invert: true }
  },
  {
    id: 'fan-in-topics-chart',
    title: 'fan-in + Topics page with a chart',
    description:
      "the fan-in load on BrokerScope with a Chromium page (Playwright, on the generator's core) on the inspector's Topics view, " +
      'bench/p0 selected and charted live; compared with fan-in with no UI from the same run',
    params: { publishers: 8, subscribers: 1, qos: 0 },
    metrics: [
      rate('received', 'received', true),
      { key: 'vsBaseline', label: 'received vs fan-in without a UI', unit: '×', better: 'higher', headline: false },
      rate('sent', 'published'),
      loss,
      undelivered,
      { key: 'pageCpu', label: 'browser CPU', unit: '% of a core', better: 'lower', headline: false }
    ],
    ceilings: [],
    available: true,
    page: { view: 'topics', topic: 'bench/p0', path: '', measureInput: false },
    brokers: ['brokerscope'],
    baseline: { scenario: 'fan-in', metric: 'received', target: 0.9 }
  },
  {
    id: 'fan-in-traffic-page',
    title: 'fan-in + Traffic page',
    description:
      "the fan-in load on BrokerScope with a Chromium page (Playwright, on the generator's core, or a core of its own on a machine " +
      "with three or more) on the inspector's Traffic view, following the live packet log; compared with fan-in with no UI from the same run",
    params: { publishers: 8, subscribers: 1, qos: 0 },
    metrics: [
      rate('received', 'received', true),
      { key: 'vsBaseline', label: 'received vs fan-in without a UI', unit: '×', better: 'higher', headline: false },
      rate('sent', 'published'),
      loss,
      undelivered,
      { key: 'pageCpu', label: 'browser CPU', unit: '% of a core', better: 'lower', headline: false }
    ],
    ceilings: [],
    available: true,
    page: { view: 'traffic', topic: 'bench/p0', path: '', measureInput: false },
    brokers: ['brokerscope'],
    baseline: { scenario: 'fan-in', metric: 'received', target: 0.9 }
  },
  {
    id: 'latency-traffic-page',
    title: 'latency + Traffic page',
    description:
      'the latency load (QoS 0 at 5,000 msg/s, bench/lat) on BrokerScope with a Chromium page on the Traffic view following the ' +
      "live log; the browser shares the generator's core unless the machine has a third, so on two cores part of any rise is the " +
      'generator being slowed by the browser',
    params: { publishers: 1, subscribers: 1, qos: 0, rate: 5000 },
    metrics: [
      { key: 'p50', label: 'p50', unit: 'ms', better: 'lower', headline: true },
      { key: 'p99', label: 'p99', unit: 'ms', better: 'lower', headline: true },
      { key: 'max', label: 'max', unit: 'ms', better: 'lower', headline: false },
      loss,
      undelivered,
      { key: 'pageCpu', label: 'browser CPU', unit: '% of a core', better: 'lower', headline: false }
    ],
    ceilings: [],
    generatorSpins: true,
    available: true,
    page: { view: 'traffic', topic: 'bench/lat', path: '', measureInput: false },
    brokers: ['brokerscope']
  },
  {
    id: 'flood-topics-chart',
    title: 'flood over 500 topics, page input latency',
    description:
      '50,000 msg/s of small JSON payloads ({"v": …}) paced over 500 topics (flood/t0 … flood/t499) from 4 publishers, with a ' +
      'Chromium page on the Topics view charting flood/t0 v live; during the measured window the page clicks a tree row every ' +
      '250 ms: click-to-paint latency (event time to the frame after it) and the JS heap (CDP Performance.getMetrics)',
    params: { publishers: 4, subscribers: 0, qos: 0, rate: 50_000, topics: 500 },
    metrics: [
      rate('sent', 'published', true),
      { key: 'inputP95', label: 'click to paint p95', unit: 'ms', better: 'lower', headline: false },
      { key: 'inputMax', label: 'click to paint max', unit: 'ms', better: 'lower', headline: false },
      { key: 'heapMb', label: 'JS heap at the end', unit: 'MB', better: 'lower', headline: false },
      { key: 'heapMaxMb', label: 'JS heap max', unit: 'MB', better: 'lower', headline: false },
      { key: 'chartPoints', label: 'chart points shown', unit: 'points', better: 'higher', headline: false }
    ],
    ceilings: [],
    available: true,
    page: { view: 'topics', topic: 'flood/t0', path: 'v', measureInput: true },
    brokers: ['brokerscope']
  },
  {
    id: 'bridge-qos0',
    title: 'bridge, QoS 0',
    description:
      '4 QoS 0 publishers (bench/p0 … bench/p3) on the broker under test, paced together at 50,000 msg/s → its bridge → a remote ' +
      'mosquitto → 1 subscriber there on bench/#: what comes through, and what is lost. Paced because the two brokers fail ' +
      'differently when flooded: mosquitto reads its publishers more slowly, BrokerScope reads them at full speed and drops the ' +
      `QoS 0 messages its bridge cannot pass on (counted as slow-consumer). ${BRIDGE_SETUP}`,
    params: { publishers: 4, subscribers: 1, qos: 0, rate: 50_000 },
    metrics: [rate('received', 'through the bridge', true), rate('sent', 'published'), loss, undelivered],
    ceilings: [],
    available: true,
    brokers: ['brokerscope', 'mosquitto'],
    bridge: { qos: 0 }
  },
  {
    id: 'bridge-qos1',
    title: 'bridge, QoS 1',
    description: `4 QoS 1 publishers (bench/q/0 … bench/q/3, 32 in flight each) on the broker under test → its bridge (QoS 1) → a remote mosquitto → 1 QoS 1 subscriber there on bench/#; every message must arrive. ${BRIDGE_SETUP}`,
    params: { publishers: 4, subscribers: 1, qos: 1, window: 32 },
    metrics: [rate('delivered', 'through the bridge', true), rate('acked', 'acknowledged to the publishers')],
    ceilings: [],
    available: true,
    brokers: ['brokerscope', 'mosquitto'],
    bridge: { qos: 1 }
  },
  // Issue 10: QoS 1/2 to persistent subscribers, in memory and with the store (bench/store-scenarios.ts).
  ...STORE_SCENARIOS
]

export type Workload = Exclude<
  ScenarioId,
  'fan-in-inspector' | 'fan-in-no-capture' | 'fan-in-topics-chart' | 'fan-in-traffic-page' | 'latency-traffic-page' | StoreScenarioId
>

/**
 * The generator workload a scenario runs (the inspector, no-capture and page variants run the
 * fan-in or latency load; the store scenarios the qos1/qos2 load with persistent subscribers).
 */
export function workloadOf(id: ScenarioId): Workload {
  if (id === 'latency-traffic-page') return 'latency'
  if (id === 'qos1-session-memory' || id === 'qos1-durable') return 'qos1'
  if (id === 'qos2-session-memory' || id === 'qos2-durable') return 'qos2'
  return id === 'fan-in-inspector' || id === 'fan-in-no-capture' || id === 'fan-in-topics-chart' || id === 'fan-in-traffic-page'
    ? 'fan-in'
    : id
}

export function scenarioById(id: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.id === id)
}

/** One run of the generator process: argv[2] of bench/generator.ts, as JSON. */
export interface GeneratorJob {
  scenario: ScenarioId
  host: string
  port: number
  target: Target
  warmupMs: number
  measureMs: number
  /** Longest wait, after the publishers stop, for the last messages to arrive. */
  drainMs: number
  params: ScenarioParams
  /** For the connections scenario: the process whose VmRSS is read. */
  pid?: number
  /** fan-in-inspector: BrokerScope's inspector UI, which the generator connects to before the load. */
  ui?: { port: number; token: string }
  /** A Chromium page on the UI (needs `ui`); the generator opens it before the load. */
  page?: PageSpec
  /** Bridge scenarios: the remote broker the subscriber reads from (the publishers use `port`). */
  subscriberPort?: number
}

export interface GeneratorResult {
  scenario: ScenarioId
  target: Target
  metrics: Record<string, number>
  counts: {
    sent: number
    acknowledged: number
    expected: number
    delivered: number
    duplicates: number
    outOfOrder: number
  }
  /** Correctness failures: the run does not count. */
  failures: string[]
  notes: string[]
}
