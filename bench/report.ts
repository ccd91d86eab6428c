/**
 * The report: docs/benchmarks.md (medians, BrokerScope/peer ratios, the generator's ceiling, the
 * machine, versions and commands) and docs/benchmarks.svg (a hand-written bar chart, one panel per
 * headline metric). Pure formatting: everything measured comes in as ReportData.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, basename } from 'node:path'
import type { BrokerName } from './brokers'
import type { FuzzRun } from './fuzz-run'
import type { GeneratorResult, MetricSpec, Scenario, SinkMode } from './scenarios'
import { isStoreScenario } from './store-scenarios'
import { storeSection } from './store-report'
import type { StoreSteps } from './store-steps'

export interface Run {
  scenario: Scenario
  broker: BrokerName
  rep: number
  result: GeneratorResult | null
  /** The broker or generator could not run at all. */
  error?: string
}

export interface CeilingRun {
  scenario: Scenario
  mode: SinkMode
  result: GeneratorResult | null
  error?: string
}

export interface ReportData {
  date: string
  command: string
  options: { reps: number; warmupMs: number; measureMs: number; qos0DrainMs: number; quick: boolean }
  brokers: BrokerName[]
  scenarios: Scenario[]
  skipped: string[]
  runs: Run[]
  ceilings: CeilingRun[]
  machine: { nproc: number; cpu: string; kernel: string }
  versions: Record<string, string>
  brokerSettings: Record<BrokerName, string>
  loadAverage: { before: string; after: string }
  notes: string[]
  /** The protocol-fuzz run at the end (null: not run). */
  fuzz: FuzzRun | null
  /** Issue 10's store steps after it: restart, churn soak, crash run (null: none ran). */
  store: StoreSteps | null
  elapsedSeconds: number
}

export const BROKER_LABEL: Record<BrokerName, string> = { brokerscope: 'BrokerScope', aedes: 'aedes', mosquitto: 'mosquitto' }
const BROKER_COLOR: Record<BrokerName, string> = { brokerscope: '#2563eb', aedes: '#16a34a', mosquitto: '#ea580c' }

// ───────────────────────────── numbers ─────────────────────────────

export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return NaN
  const mid = v.length >> 1
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2
}

export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return '–'
  if (unit === 'ms') return value < 1 ? value.toFixed(3) : value < 10 ? value.toFixed(2) : value.toFixed(1)
  if (unit === '%') return value === 0 ? '0' : value < 0.01 ? '<0.01' : value.toFixed(2)
  if (unit === 'KiB') return value.toFixed(1)
  if (unit === '×') return value.toFixed(2)
  if (unit === 'batch/s') return value.toFixed(1)
  return Math.round(value).toLocaleString('en-US')
}

/** Short form for chart labels: 1.23M, 45.6k. */
function compact(value: number, unit: string): string {
  if (!Number.isFinite(value)) return '–'
  if (unit === 'ms' || unit === 'KiB' || unit === '%') return formatValue(value, unit)
  if (value >= 1e6) return (value / 1e6).toFixed(value >= 1e7 ? 1 : 2) + 'M'
  if (value >= 1e3) return (value / 1e3).toFixed(value >= 1e5 ? 0 : 1) + 'k'
  return value.toFixed(0)
}

/** Runs of one scenario on one broker that produced a result and passed the correctness checks. */
function goodRuns(data: ReportData, scenario: Scenario, broker: BrokerName): GeneratorResult[] {
  return data.runs
    .filter((r) => r.scenario.id === scenario.id && r.broker === broker && r.result !== null && r.result.failures.length === 0)
    .map((r) => r.result!)
}

export function medianOf(data: ReportData, scenario: Scenario, broker: BrokerName, metric: string): number {
  return median(goodRuns(data, scenario, broker).map((r) => r.metrics[metric]))
}

/** medianOf by scenario id, for the store section (NaN for a scenario that did not run). */
export function storeMedian(data: ReportData): (id: string, broker: BrokerName, metric: string) => number {
  return (id, broker, metric) => {
    const scenario = data.scenarios.find((s) => s.id === id)
    return scenario ? medianOf(data, scenario, broker, metric) : Number.NaN
  }
}

function ceilingFor(data: ReportData, scenario: Scenario, metric: string): { value: number; mode: SinkMode } | null {
  const spec = scenario.ceilings.find((c) => c.metric === metric)
  if (!spec) return null
  const run = data.ceilings.find((c) => c.scenario.id === scenario.id && c.mode === spec.mode)
  const value = run?.result?.metrics[metric]
  return value === undefined ? null : { value, mode: spec.mode }
}

/**
 * A scenario against its baseline on BrokerScope (fan-in + inspector vs fan-in): median of its
 * metric over the baseline scenario's median, both from this run.
 */
export function baselineRatio(
  data: ReportData,
  scenario: Scenario
): { ours: number; theirs: number; ratio: number; baseline: Scenario } | null {
  const base = scenario.baseline
  const baseline = base && data.scenarios.find((s) => s.id === base.scenario)
  if (!base || !baseline) return null
  const ours = medianOf(data, scenario, 'brokerscope', base.metric)
  const theirs = medianOf(data, baseline, 'brokerscope', base.metric)
  const ratio = base.invert ? (ours > 0 ? theirs / ours : NaN) : theirs > 0 ? ours / theirs : NaN
  return { ours, theirs, ratio, baseline }
}

/** The brokers that have runs of this scenario. */
function brokersOf(data: ReportData, scenario: Scenario): BrokerName[] {
  return data.brokers.filter((b) => data.runs.some((r) => r.scenario.id === scenario.id && r.broker === b))
}

function ratio(data: ReportData, scenario: Scenario, peer: BrokerName, metric: MetricSpec): string {
  // Percentages (loss) have no meaningful ratio.
  if (metric.unit === '%' || !data.brokers.includes('brokerscope') || !data.brokers.includes(peer)) return '–'
  const ours = medianOf(data, scenario, 'brokerscope', metric.key)
  const theirs = medianOf(data, scenario, peer, metric.key)
  if (!Number.isFinite(ours) || !Number.isFinite(theirs) || theirs === 0) return '–'
  const r = ours / theirs
  return `${r >= 10 ? r.toFixed(1) : r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}×`
}

// ───────────────────────────── markdown ─────────────────────────────

function resultsTable(data: ReportData): string[] {
  const peers = (['mosquitto', 'aedes'] as BrokerName[]).filter((p) => data.brokers.includes(p))
  const header = [
    'scenario',
    'metric',
    ...data.brokers.map((b) => BROKER_LABEL[b]),
    ...(data.brokers.includes('brokerscope') ? peers.map((p) => `BrokerScope / ${p}`) : []),
    'generator ceiling',
    'flags'
  ]
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i < 2 || i === header.length - 1 ? '---' : '---:')).join('|')}|`]
  for (const scenario of data.scenarios) {
    for (const metric of scenario.metrics) {
      const cells = [scenario.title, `${metric.label} (${metric.unit}${metric.better === 'lower' ? ', lower is better' : ''})`]
      for (const broker of data.brokers) {
        // vsBaseline: the ratio of the medians (the runs table has each repetition's paired ratio).
        const value =
          metric.key === 'vsBaseline' && broker === 'brokerscope'
            ? (baselineRatio(data, scenario)?.ratio ?? NaN)
            : medianOf(data, scenario, broker, metric.key)
        const good = goodRuns(data, scenario, broker).length
        const total = data.runs.filter((r) => r.scenario.id === scenario.id && r.broker === broker).length
        const failed = total - good
        cells.push(formatValue(value, metric.unit) + (failed > 0 ? ` (${failed}/${total} runs failed)` : ''))
      }
      if (data.brokers.includes('brokerscope')) for (const peer of peers) cells.push(ratio(data, scenario, peer, metric))
      const ceiling = ceilingFor(data, scenario, metric.key)
      let ceilingCell = '–'
      if (ceiling) {
        ceilingCell = `${metric.better === 'lower' ? 'floor ' : ''}${formatValue(ceiling.value, metric.unit)} (${ceiling.mode} sink)`
        const best = Math.max(...data.brokers.map((b) => medianOf(data, scenario, b, metric.key)).filter(Number.isFinite))
        if (metric.better === 'higher' && Number.isFinite(best) && best > ceiling.value) {
          // The fake broker, not the generator, was the limit: a real broker got more out of the generator.
          ceilingCell += ` — the fake broker was the limit; the generator reached ${formatValue(best, metric.unit)} against a broker`
        } else if (metric.better === 'higher' && Number.isFinite(best) && best > 0.7 * ceiling.value) {
          ceilingCell += ' ⚠ close to the ceiling'
        }
      }
      cells.push(ceilingCell)
      cells.push(metric === scenario.metrics[0] ? flags(data, scenario).join('; ') || '–' : '')
      lines.push(`| ${cells.join(' | ')} |`)
    }
  }
  return lines
}

/** Above this share of its core, the generator may be what a run measured. */
const GENERATOR_BUSY = 85
/** A spinning generator (latency) below this share of its core was descheduled: its timing is off. */
const GENERATOR_DESCHEDULED = 90
/** Other work on the machine above this (% of one core) during a run: the run was disturbed. */
const OTHER_BUSY = 50

function scenarioRuns(data: ReportData, scenario: Scenario, broker?: BrokerName): GeneratorResult[] {
  return data.runs
    .filter((r) => r.scenario.id === scenario.id && (broker === undefined || r.broker === broker) && r.result !== null)
    .map((r) => r.result!)
}

function busiestGenerator(data: ReportData, scenario: Scenario): number {
  const cpu = scenarioRuns(data, scenario).map((r) => r.metrics.generatorCpu ?? 0)
  return cpu.length > 0 ? Math.max(...cpu) : 0
}

/** Per broker, why its numbers in this scenario may not be the broker's alone. */
function flags(data: ReportData, scenario: Scenario): string[] {
  const out: string[] = []
  for (const broker of data.brokers) {
    const runs = scenarioRuns(data, scenario, broker)
    if (runs.length === 0) continue
    const generator = runs.map((r) => r.metrics.generatorCpu ?? 0)
    const other = Math.max(...runs.map((r) => r.metrics.otherCpu ?? 0))
    const why: string[] = []
    if (scenario.generatorSpins) {
      const least = Math.min(...generator)
      if (least < GENERATOR_DESCHEDULED) why.push(`generator got only ${least.toFixed(0)} % of its core`)
    } else if (Math.max(...generator) > GENERATOR_BUSY) {
      why.push(`generator CPU ${Math.max(...generator).toFixed(0)} %`)
    }
    if (other > OTHER_BUSY) why.push(`other load ${other.toFixed(0)} %`)
    if (why.length > 0) out.push(`⚠ ${BROKER_LABEL[broker]}: ${why.join(', ')}`)
  }
  return out
}

/** The paragraph for each scenario compared with a baseline (fan-in + inspector: issue 3's target). */
function baselineLines(data: ReportData): string[] {
  const out: string[] = []
  for (const scenario of data.scenarios) {
    const b = baselineRatio(data, scenario)
    // The store scenarios have their own summary (bench/store-report.ts).
    if (!b || !scenario.baseline || isStoreScenario(scenario.id)) continue
    const metric = scenario.metrics.find((m) => m.key === scenario.baseline!.metric)!
    const target = scenario.baseline.target
    const paired = data.runs
      .filter((r) => r.scenario.id === scenario.id && r.result?.metrics.vsBaseline !== undefined)
      .map((r) => `${r.result!.metrics.vsBaseline.toFixed(2)}×`)
    const ui = (key: string, unit: string): string => `${formatValue(medianOf(data, scenario, 'brokerscope', key), unit)} ${unit}`
    const verdict = !Number.isFinite(b.ratio) ? 'not measured' : b.ratio >= target ? '**met**' : '**not met**'
    out.push(
      `**${scenario.title}:** BrokerScope ${metric.label} ${formatValue(b.ours, metric.unit)} ${metric.unit} with the inspector attached, ` +
        `${formatValue(b.theirs, metric.unit)} ${metric.unit} without it (${b.baseline.title}, same run, UI off): ` +
        `**${Number.isFinite(b.ratio) ? b.ratio.toFixed(2) : '–'}×**; target ≥ ${target}× (issue 3): ${verdict}` +
        (paired.length > 1
          ? ` (repetition by repetition, each against the ${b.baseline.title} run just before it: ${paired.join(', ')})`
          : '') +
        `. The UI client received ${ui('uiBatches', 'batch/s')}, ${ui('uiRows', 'rows/s')} (traffic rows) and ` +
        `${ui('uiNotShown', 'rows/s')} counted in trafficNotShown (packets beyond the 500-row batch limit).`,
      ''
    )
  }
  return out
}

function cpuCell(result: GeneratorResult | null): string {
  if (!result) return '–'
  const pct = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '?' : `${v.toFixed(0)} %`)
  return `${pct(result.metrics.targetCpu)} / ${pct(result.metrics.generatorCpu)} / ${pct(result.metrics.otherCpu)}`
}

function runsTable(data: ReportData): string[] {
  const lines = ['| scenario | broker | rep | values | CPU broker / generator / other | checks |', '|---|---|---:|---|---:|---|']
  for (const run of data.runs) {
    const values = run.result
      ? run.scenario.metrics.map((m) => `${m.label} ${formatValue(run.result!.metrics[m.key], m.unit)}`).join(', ')
      : '–'
    const checks = run.error
      ? `error: ${oneLine(run.error)}`
      : run.result!.failures.length > 0
        ? `FAILED: ${run.result!.failures.join('; ')}`
        : ['ok', ...run.result!.notes].join('; ')
    lines.push(
      `| ${run.scenario.title} | ${BROKER_LABEL[run.broker]} | ${run.rep} | ${values} | ${cpuCell(run.result)} | ${oneLine(checks)} |`
    )
  }
  return lines
}

function ceilingTable(data: ReportData): string[] {
  const lines = [
    '| scenario | fake broker | what it bounds | generator reached | CPU sink / generator / other | checks |',
    '|---|---|---|---:|---:|---|'
  ]
  for (const c of data.ceilings) {
    const spec = c.scenario.ceilings.find((s) => s.mode === c.mode)!
    const metric = c.scenario.metrics.find((m) => m.key === spec.metric)!
    const value = c.result ? formatValue(c.result.metrics[spec.metric], metric.unit) + ` ${metric.unit}` : '–'
    const checks = c.error
      ? `error: ${oneLine(c.error)}`
      : c.result!.failures.length > 0
        ? `FAILED: ${c.result!.failures.join('; ')}`
        : 'ok'
    lines.push(`| ${c.scenario.title} | ${c.mode} | ${metric.label} | ${value} | ${cpuCell(c.result)} | ${oneLine(checks)} |`)
  }
  return lines
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').slice(0, 300)
}

export function renderMarkdown(data: ReportData, svgName: string): string {
  const o = data.options
  const out: string[] = []
  out.push('# Benchmarks', '')
  out.push(
    `BrokerScope against ${
      data.brokers
        .filter((b) => b !== 'brokerscope')
        .map((b) => BROKER_LABEL[b])
        .join(' and ') || 'no peer'
    }, ` +
      `measured by the load generator in \`bench/\` on one machine, 127.0.0.1, ` +
      `the broker pinned to core 0 and the generator to core 1 (\`taskset -c\`). Generated ${data.date} by \`${data.command}\` ` +
      `in ${Math.round(data.elapsedSeconds)} s.`,
    ''
  )
  if (data.notes.length > 0) {
    for (const note of data.notes) out.push(`> **Note:** ${note}`)
    out.push('')
  }
  out.push(`![benchmark chart](${svgName})`, '')
  out.push('## Results', '')
  out.push(
    `Medians of ${o.reps} repetition${o.reps === 1 ? '' : 's'} per broker, run alternately (A B C A B C …), each on a freshly started broker: ` +
      `${o.warmupMs / 1000} s warm-up, then ${o.measureMs / 1000} s measured. ` +
      'A run whose correctness checks fail is left out of the median and counted as failed. ' +
      'Ratios are BrokerScope / peer from the same run (above 1 is better for BrokerScope when higher is better, below 1 when lower is better). ' +
      `Flags (worst run per broker): the generator above ${GENERATOR_BUSY} % of its core (it may be the limit), a busy-waiting ` +
      `generator below ${GENERATOR_DESCHEDULED} % (it was descheduled, so its timestamps are late), or other work on the machine ` +
      `above ${OTHER_BUSY} % of a core during the measurement (the run was disturbed).`,
    ''
  )
  out.push(...resultsTable(data), '')
  out.push(...baselineLines(data))
  if (data.skipped.length > 0) {
    out.push('Not run:', '')
    for (const s of data.skipped) out.push(`- ${s}`)
    out.push('')
  }
  out.push(...fuzzSection(data.fuzz, data.date), '')
  out.push(...storeSection(data.store, storeMedian(data), data.date), '')
  out.push('## Scenarios', '')
  for (const s of data.scenarios) out.push(`- **${s.title}** — ${s.description}.`)
  out.push(
    '',
    'Every message carries its publisher index, a sequence number and its send time in the 64-byte payload; ' +
      'every subscriber checks each sequence number. QoS 0: loss (a message skipped: a later one from the same publisher arrived) ' +
      `and undelivered (still not delivered ${o.qos0DrainMs / 1000} s after the publishers stopped, i.e. queued in the broker or its socket buffers) ` +
      'are reported, not failed. Publishers write whenever their socket accepts more, so a broker that reads faster than it delivers ' +
      'builds a backlog; the rates are those seen in the measured window. A broker that drops QoS 0 messages for a subscriber ' +
      'that falls behind, instead of slowing the publishers down (BrokerScope drops above 4 MB unsent), shows loss, and its ' +
      'drops after the last delivered message count as undelivered. ' +
      'QoS 1: any loss fails the run (duplicates are reported). QoS 2: loss or any duplicate fails the run. ' +
      'Any connection closed by the broker fails the run. ' +
      'Idle connections: the connect rate counts CONNECT+SUBSCRIBE handshakes (both pipelined, done at SUBACK) per second; ' +
      'RSS per connection is (VmRSS after − VmRSS before) / connections, from `/proc/<pid>/status`, read 1 s after the last SUBACK.',
    ''
  )
  out.push('## Generator ceiling', '')
  out.push(
    "The same generator against fake brokers (`bench/sink.ts`, pinned to the broker's core): `discard` answers CONNACK/SUBACK and then " +
      'reads and drops; `ack` answers every QoS 1/2 packet from pre-encoded bytes; `forward` copies each QoS 0 PUBLISH frame unchanged ' +
      "to every subscriber with TCP backpressure (no loss), so the generator's receive side is measured too. A broker result near the " +
      'ceiling (⚠ above 70 %) may be limited by the generator, not the broker. ' +
      'The fake brokers write large batches; a broker that writes each packet separately (mosquitto does) costs the generator one ' +
      "read per packet, so the generator's CPU use during every broker run is recorded too (all runs, below) and flagged " +
      `(⚠) in the results when it exceeds ${GENERATOR_BUSY} % of its core. CPU is utime+stime from /proc over the measured window, ` +
      'in % of one core; "other" is the rest of the machine\'s busy time in that window (other jobs, kernel softirq work on the ' +
      'loopback): a broker below 100 % with a large "other" was competing for its core.',
    ''
  )
  out.push(...(data.ceilings.length > 0 ? ceilingTable(data) : ['(not measured in this run)']), '')
  const busiest = data.scenarios
    .filter((s) => !s.generatorSpins)
    .map((s) => `${s.title} ${busiestGenerator(data, s).toFixed(0)} %`)
    .join(', ')
  out.push(
    `Generator CPU during the broker runs, highest per scenario: ${busiest}` +
      (data.scenarios.some((s) => s.generatorSpins)
        ? ' (the latency generator busy-waits to pace its sends, so its core always reads ~100 %)'
        : '') +
      '. A ceiling is a lower bound of what the generator can do: the fake broker (plain Node) may be the limit, as it is ' +
      'when a broker beats it.',
    ''
  )
  out.push('## All runs', '')
  out.push(...runsTable(data), '')
  out.push('## Machine and versions', '')
  out.push(`- CPU: ${data.machine.cpu}, nproc ${data.machine.nproc}; ${data.machine.kernel}`)
  out.push(`- load average before / after: ${data.loadAverage.before} / ${data.loadAverage.after}`)
  for (const [name, version] of Object.entries(data.versions)) out.push(`- ${name}: ${version}`)
  out.push('', 'Broker settings (everything else is the default):', '')
  for (const broker of data.brokers) out.push(`- ${BROKER_LABEL[broker]}: ${data.brokerSettings[broker]}`)
  out.push('', '## Commands', '')
  out.push(
    '```sh',
    'npm run bench                                    # build, then the full suite (3 repetitions, the fuzz run, then the store steps; about 25 minutes)',
    'npx tsx bench/run.ts --quick                     # 1 repetition, shorter windows (needs a build: npx electron-vite build)',
    'npx tsx bench/run.ts --only fan-in,qos1          # some scenarios',
    'npx tsx bench/run.ts --only fan-in-inspector     # BrokerScope fan-in with and without the inspector attached',
    'npx tsx bench/run.ts --brokers brokerscope,aedes # some brokers',
    'npx tsx bench/run.ts --only fuzz                 # only the protocol fuzz run (updates only its section here)',
    'npx tsx bench/run.ts --no-fuzz                   # everything but the fuzz run',
    'npx tsx bench/run.ts --only qos1-durable,qos2-durable,restart,churn,crash  # the store (issue 10): updates only its section here',
    'npx tsx bench/run.ts --only churn --churn-seconds 540                      # the 9-minute churn soak',
    'npx tsx bench/run.ts --no-store-steps            # everything but restart, churn and crash',
    'npx tsx bench/fuzz.ts --cases 1000000            # the fuzz run on its own, no time budget',
    'npx tsx bench/run.ts --profile fan-in            # BrokerScope under --cpu-prof, top 15 self-time functions',
    'npx tsx bench/run.ts --help                      # every option',
    '```',
    ''
  )
  return out.join('\n')
}

// ───────────────────────────── fuzz ─────────────────────────────

const FUZZ_START = '<!-- fuzz: start (npx tsx bench/run.ts --only fuzz replaces this section) -->'
const FUZZ_END = '<!-- fuzz: end -->'

/** One line for the log. */
export function fuzzSummary(f: FuzzRun): string {
  if (f.error) return `error: ${f.error}`
  const rate = Number.isFinite(f.casesPerSecond) ? `${Math.round(f.casesPerSecond).toLocaleString('en-US')} cases/s` : 'rate unknown'
  const done = `${f.cases.toLocaleString('en-US')} of ${f.casesAsked.toLocaleString('en-US')} cases in ${f.seconds.toFixed(0)} s, ${rate}`
  const budget = f.stoppedByBudget ? ` (stopped at the ${f.budgetSeconds} s budget${projection(f)})` : ''
  const failures = f.failureCount > 0 ? `, ${f.failureCount} FAILURE(S), seed ${f.seed}` : ', no failures'
  return done + budget + failures
}

function projection(f: FuzzRun): string {
  return f.casesPerSecond > 0
    ? `; all ${f.casesAsked.toLocaleString('en-US')} would take about ${Math.round(f.casesAsked / f.casesPerSecond)} s`
    : ''
}

export function fuzzSection(f: FuzzRun | null, date: string): string[] {
  const out = [FUZZ_START, '## Protocol fuzzing', '']
  if (f === null) {
    out.push('Not run this time (`--no-fuzz`, or `--only` without `fuzz`).', '', FUZZ_END)
    return out
  }
  out.push(
    `\`${f.command}\` (${date}, time budget ${f.budgetSeconds} s): test/fuzz/fuzzer.ts sends valid packets of every type and ` +
      'MQTT version, mutated, over real TCP sockets to a broker running inside the fuzz process, while a healthy client checks that the broker ' +
      'keeps serving; it stops at the first failure (an exception out of a connection, an error logged by a handler, a lost probe), ' +
      'which it prints with the seed and case indices that reproduce it. Not pinned to a core: the broker and the fuzz sockets are ' +
      'one Node process, so it uses about one core. The run is stopped at its time budget (what is left of the 10 minutes the ' +
      'scenarios and the fuzz run share; the store steps come after), and the cases done by then are reported.',
    ''
  )
  if (f.error) {
    out.push(`**Did not run to a result:** ${oneLine(f.error)}`, '', FUZZ_END)
    return out
  }
  const rate = Number.isFinite(f.casesPerSecond) ? `${Math.round(f.casesPerSecond).toLocaleString('en-US')} cases/s` : '–'
  out.push('| cases | time | rate | seed | failures |', '|---:|---:|---:|---:|---|')
  out.push(
    `| ${f.cases.toLocaleString('en-US')} of ${f.casesAsked.toLocaleString('en-US')} | ${f.seconds.toFixed(1)} s | ${rate} | ${f.seed ?? '–'} | ` +
      `${f.failureCount > 0 ? `**${f.failureCount}**` : 'none'} |`,
    ''
  )
  if (f.stoppedByBudget) {
    out.push(
      `⚠ Stopped at the ${f.budgetSeconds} s time budget before all ${f.casesAsked.toLocaleString('en-US')} cases${projection(f)}.`,
      ''
    )
  }
  if (f.summary) out.push(`Fuzzer summary: ${f.summary}`, '')
  if (f.failures.length > 0) {
    out.push(`Failures (the first ${f.failures.length}):`, '', '```', f.failures.join('\n\n'), '```', '')
  }
  out.push(FUZZ_END)
  return out
}

/**
 * `--only fuzz`: replace the fuzz section of an existing report (or add one); true when the file
 * existed. The chart is left alone.
 */
export function writeFuzzSection(f: FuzzRun, date: string, markdownPath: string): boolean {
  const section = fuzzSection(f, date).join('\n')
  if (!existsSync(markdownPath)) {
    mkdirSync(dirname(markdownPath), { recursive: true })
    writeFileSync(markdownPath, `# Benchmarks\n\n${section}\n`)
    return false
  }
  const text = readFileSync(markdownPath, 'utf8')
  const start = text.indexOf(FUZZ_START)
  const end = text.indexOf(FUZZ_END)
  if (start >= 0 && end > start) writeFileSync(markdownPath, text.slice(0, start) + section + text.slice(end + FUZZ_END.length))
  else {
    // An older report without the section: before "## Scenarios", or at the end.
    const at = text.indexOf('\n## Scenarios')
    writeFileSync(
      markdownPath,
      at >= 0 ? `${text.slice(0, at + 1)}${section}\n\n${text.slice(at + 1)}` : `${text.trimEnd()}\n\n${section}\n`
    )
  }
  return true
}

// ───────────────────────────── SVG ─────────────────────────────

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** One panel per headline metric, one bar per broker, each panel with its own scale. */
export function renderSvg(data: ReportData): string {
  const panels: Array<{ title: string; metric: MetricSpec; values: Array<{ broker: BrokerName; value: number }> }> = []
  // Panel titles: the scenario, then the metric and its unit on the second line.
  for (const scenario of data.scenarios) {
    for (const metric of scenario.metrics.filter((m) => m.headline)) {
      panels.push({
        title: scenario.title,
        metric,
        values: brokersOf(data, scenario).map((broker) => ({ broker, value: medianOf(data, scenario, broker, metric.key) }))
      })
    }
  }
  const columns = 4
  const panelW = 230
  const panelH = 210
  const top = 64
  const rows = Math.max(1, Math.ceil(panels.length / columns))
  const width = columns * panelW + 20
  const height = top + rows * panelH + 10
  const parts: string[] = []
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="24" font-size="16" font-weight="600" fill="#111827">BrokerScope benchmarks — ${
      data.options.reps === 1 ? 'one run per broker' : `medians of ${data.options.reps} runs per broker`
    } (${escapeXml(data.date)})</text>`
  )
  let legendX = 10
  for (const broker of data.brokers) {
    parts.push(`<rect x="${legendX}" y="38" width="12" height="12" fill="${BROKER_COLOR[broker]}"/>`)
    parts.push(`<text x="${legendX + 16}" y="48" font-size="12" fill="#374151">${BROKER_LABEL[broker]}</text>`)
    legendX += 16 + BROKER_LABEL[broker].length * 7 + 18
  }
  parts.push(
    `<text x="${legendX + 10}" y="48" font-size="11" fill="#6b7280">each panel has its own scale; ↑ higher is better, ↓ lower is better</text>`
  )

  panels.forEach((panel, index) => {
    const x0 = 10 + (index % columns) * panelW
    const y0 = top + Math.floor(index / columns) * panelH
    const chartTop = y0 + 40
    const chartBottom = y0 + panelH - 30
    const chartH = chartBottom - chartTop
    const max = Math.max(0, ...panel.values.map((v) => v.value).filter(Number.isFinite))
    parts.push(`<rect x="${x0}" y="${y0}" width="${panelW - 10}" height="${panelH - 10}" rx="6" fill="#f9fafb" stroke="#e5e7eb"/>`)
    const arrow = panel.metric.better === 'higher' ? '↑' : '↓'
    parts.push(`<text x="${x0 + 10}" y="${y0 + 20}" font-size="12" font-weight="600" fill="#111827">${escapeXml(panel.title)}</text>`)
    parts.push(
      `<text x="${x0 + 10}" y="${y0 + 34}" font-size="11" fill="#4b5563">${escapeXml(`${panel.metric.label}, ${panel.metric.unit}`)} ${arrow}</text>`
    )
    parts.push(`<line x1="${x0 + 10}" y1="${chartBottom}" x2="${x0 + panelW - 20}" y2="${chartBottom}" stroke="#9ca3af"/>`)
    const n = panel.values.length
    const slot = (panelW - 30) / Math.max(1, n)
    const barW = Math.min(44, slot * 0.6)
    panel.values.forEach(({ broker, value }, i) => {
      const cx = x0 + 10 + slot * i + slot / 2
      const h = Number.isFinite(value) && max > 0 ? Math.max(1, (value / max) * (chartH - 16)) : 0
      if (h > 0)
        parts.push(
          `<rect x="${(cx - barW / 2).toFixed(1)}" y="${(chartBottom - h).toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${BROKER_COLOR[broker]}"/>`
        )
      parts.push(
        `<text x="${cx.toFixed(1)}" y="${(chartBottom - h - 4).toFixed(1)}" font-size="11" text-anchor="middle" fill="#111827">${escapeXml(compact(value, panel.metric.unit))}</text>`
      )
      parts.push(
        `<text x="${cx.toFixed(1)}" y="${chartBottom + 14}" font-size="10" text-anchor="middle" fill="#374151">${BROKER_LABEL[broker]}</text>`
      )
    })
  })
  parts.push('</svg>')
  return parts.join('\n') + '\n'
}

export function writeReport(data: ReportData, markdownPath: string): { markdown: string; svg: string } {
  const svg = markdownPath.replace(/\.md$/, '') + '.svg'
  mkdirSync(dirname(markdownPath), { recursive: true })
  writeFileSync(markdownPath, renderMarkdown(data, basename(svg)))
  writeFileSync(svg, renderSvg(data))
  return { markdown: markdownPath, svg }
}
