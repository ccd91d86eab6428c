/**
 * The benchmark suite (`npm run bench`): measures the generator's ceiling against fake brokers,
 * then runs every scenario on BrokerScope, aedes and mosquitto in turn (A B C A B C …), each on a
 * freshly started broker pinned to core 0 with the generator pinned to core 1, and writes
 * docs/benchmarks.md and docs/benchmarks.svg.
 *
 *   npx tsx bench/run.ts [--quick] [--only fan-in,qos1] [--brokers brokerscope,aedes] …  (--help)
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  ALL_BROKERS,
  BROKER_SETTINGS,
  ROOT,
  availability,
  hardFdLimit,
  hasTaskset,
  machine,
  runGenerator,
  startBroker,
  startRemote,
  startSink,
  versions,
  type BrokerName,
  type Running
} from './brokers'
import { runFuzzStep, type FuzzRun } from './fuzz-run'
import { parseProfileArgs, profile } from './profile'
import {
  BROKER_LABEL,
  formatValue,
  fuzzSummary,
  storeMedian,
  writeFuzzSection,
  writeReport,
  type CeilingRun,
  type ReportData,
  type Run
} from './report'
import { SCENARIOS, workloadOf, type GeneratorJob, type GeneratorResult, type Scenario, type Target } from './scenarios'
import { isStoreScenario } from './store-scenarios'
import { storeSection, writeStoreSection } from './store-report'
import { STORE_STEPS, runStoreSteps, type StoreStep, type StoreSteps } from './store-steps'
import { crashFailures } from './crash'

/**
 * The fuzz run's default budget: enough for its 1,000,000 cases on this 2-core machine (about
 * 270 s quiet, 325 s with other work beside it); a run that finishes earlier just ends. It used to get what the scenarios left of a
 * 10-minute budget, which the bridge, page and store scenarios cut to 37 s (130,798 cases).
 */
const FUZZ_BUDGET_S = 400

/** Store steps: churn seconds per broker and crash kill points, default and --quick. */
const DEFAULT_CHURN_S = 60
const QUICK_CHURN_S = 20
const DEFAULT_KILL_POINTS = 500
const QUICK_KILL_POINTS = 50

const USAGE = `usage: npx tsx bench/run.ts [options]

  --quick                  1 repetition, 0.5 s warm-up, 1.5 s measured, fuzz 50,000 cases / 30 s,
                           churn ${QUICK_CHURN_S} s per broker, ${QUICK_KILL_POINTS} kill points
  --only a,b               scenarios: ${SCENARIOS.map((s) => s.id).join(', ')}, fuzz,
                           and the store steps: ${STORE_STEPS.join(', ')}
                           (fuzz alone replaces only the fuzz section of an existing report; store
                           scenarios and steps alone only the store section)
  --brokers a,b            brokers: ${ALL_BROKERS.join(', ')}
  --reps n                 repetitions per broker (default 3)
  --warmup ms              warm-up per measurement (default 1000)
  --measure ms             measured window (default 2000)
  --connections n          idle connections (default 10000)
  --no-ceiling             skip the generator ceiling runs
  --no-fuzz                skip the protocol fuzz run (bench/fuzz.ts) at the end
  --fuzz-cases n           fuzz cases (default 1000000)
  --fuzz-seconds s         fuzz time budget: stopped after this long, the cases done so far
                           reported (default ${FUZZ_BUDGET_S})
  --no-store-steps         skip the store steps (restart, churn, crash) after the fuzz run
  --churn-seconds s        churn soak per broker (default ${DEFAULT_CHURN_S}; --quick ${QUICK_CHURN_S}; the issue's soak: 540)
  --crash-kill-points n    SIGKILL points of the crash run (default ${DEFAULT_KILL_POINTS}; --quick ${QUICK_KILL_POINTS})
  --crash-seed n           seed of the crash run's kill points and the churn's choices (default: from the clock)
  --out path.md            report path (default docs/benchmarks.md; the chart goes next to it as .svg)
  --no-report              print only, write nothing
  --note text              add a note to the top of the report (repeatable)
  --profile [scenario]     profile BrokerScope under one scenario (default fan-in) and print the
                           top 15 self-time functions; see bench/profile.ts
  --help`

interface Options {
  quick: boolean
  reps: number
  warmupMs: number
  measureMs: number
  drainMs: number
  qos0DrainMs: number
  scenarios: Scenario[]
  brokers: BrokerName[]
  connections: number | null
  ceiling: boolean
  fuzz: boolean
  fuzzCases: number
  /** null: FUZZ_BUDGET_S. */
  fuzzSeconds: number | null
  out: string | null
  notes: string[]
  storeSteps: StoreStep[]
  churnSeconds: number
  crashKillPoints: number
  crashSeed: number
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`)
  process.exit(2)
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    quick: false,
    reps: 3,
    warmupMs: 1000,
    measureMs: 3000,
    drainMs: 10_000,
    qos0DrainMs: 3000,
    scenarios: SCENARIOS,
    brokers: ALL_BROKERS,
    connections: null,
    ceiling: true,
    fuzz: true,
    fuzzCases: 1_000_000,
    fuzzSeconds: null,
    out: join(ROOT, 'docs/benchmarks.md'),
    notes: [],
    storeSteps: [...STORE_STEPS],
    churnSeconds: DEFAULT_CHURN_S,
    crashKillPoints: DEFAULT_KILL_POINTS,
    crashSeed: Date.now() % 1_000_000
  }
  let churnSeconds: number | null = null
  let killPoints: number | null = null
  let reps: number | null = null
  let warmup: number | null = null
  let measure: number | null = null
  let fuzzCases: number | null = null
  let fuzzSeconds: number | null = null
  let noFuzz = false
  const value = (i: number, flag: string): string => argv[i] ?? fail(`${flag} needs a value`)
  const number = (text: string, flag: string): number => {
    const n = Number(text)
    if (!Number.isFinite(n) || n < 0) fail(`${flag}: not a number: ${text}`)
    return n
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    switch (arg) {
      case '--quick':
        options.quick = true
        break
      case '--only': {
        const ids = value(++i, arg)
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
        const steps: readonly string[] = STORE_STEPS
        for (const id of ids) {
          if (id !== 'fuzz' && !steps.includes(id) && !SCENARIOS.some((s) => s.id === id))
            fail(`unknown scenario ${id} (${SCENARIOS.map((s) => s.id).join(', ')}, fuzz, ${STORE_STEPS.join(', ')})`)
        }
        options.scenarios = SCENARIOS.filter((s) => ids.includes(s.id))
        options.fuzz = ids.includes('fuzz')
        options.storeSteps = STORE_STEPS.filter((s) => ids.includes(s))
        break
      }
      case '--brokers': {
        const names = value(++i, arg)
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
        for (const name of names) if (!ALL_BROKERS.includes(name as BrokerName)) fail(`unknown broker ${name} (${ALL_BROKERS.join(', ')})`)
        options.brokers = ALL_BROKERS.filter((b) => names.includes(b))
        break
      }
      case '--reps':
        reps = Math.max(1, Math.round(number(value(++i, arg), arg)))
        break
      case '--warmup':
        warmup = number(value(++i, arg), arg)
        break
      case '--measure':
        measure = Math.max(100, number(value(++i, arg), arg))
        break
      case '--connections':
        options.connections = Math.max(1, Math.round(number(value(++i, arg), arg)))
        break
      case '--no-ceiling':
        options.ceiling = false
        break
      case '--no-fuzz':
        noFuzz = true
        break
      case '--fuzz-cases':
        fuzzCases = Math.max(1, Math.round(number(value(++i, arg), arg)))
        break
      case '--fuzz-seconds':
        fuzzSeconds = Math.max(1, number(value(++i, arg), arg))
        break
      case '--no-store-steps':
        options.storeSteps = []
        break
      case '--churn-seconds':
        churnSeconds = Math.max(6, number(value(++i, arg), arg))
        break
      case '--crash-kill-points':
        killPoints = Math.max(1, Math.round(number(value(++i, arg), arg)))
        break
      case '--crash-seed':
        options.crashSeed = Math.round(number(value(++i, arg), arg))
        break
      case '--out':
        options.out = value(++i, arg)
        break
      case '--no-report':
        options.out = null
        break
      case '--note':
        options.notes.push(value(++i, arg))
        break
      case '--help':
      case '-h':
        process.stdout.write(USAGE + '\n')
        process.exit(0)
        break
      default:
        fail(`unknown option ${arg}\n${USAGE}`)
    }
  }
  options.reps = reps ?? (options.quick ? 1 : 3)
  options.warmupMs = warmup ?? (options.quick ? 500 : 1000)
  options.measureMs = measure ?? (options.quick ? 1500 : 2000)
  options.drainMs = options.quick ? 5000 : 10_000
  options.qos0DrainMs = options.quick ? 2000 : 3000
  if (noFuzz) options.fuzz = false
  options.fuzzCases = fuzzCases ?? (options.quick ? 50_000 : 1_000_000)
  options.fuzzSeconds = fuzzSeconds ?? (options.quick ? 30 : null)
  options.churnSeconds = churnSeconds ?? (options.quick ? QUICK_CHURN_S : DEFAULT_CHURN_S)
  options.crashKillPoints = killPoints ?? (options.quick ? QUICK_KILL_POINTS : DEFAULT_KILL_POINTS)
  return options
}

/** The scenario as this run uses it (--connections changes the idle-connection count). */
function withOptions(scenario: Scenario, options: Options): Scenario {
  if (scenario.id !== 'connections' || options.connections === null) return scenario
  const count = options.connections
  return {
    ...scenario,
    params: { ...scenario.params, connections: count },
    description: scenario.description.replace(/^[\d,]+ connections/, `${count.toLocaleString('en-US')} connections`)
  }
}

function jobFor(scenario: Scenario, options: Options, port: number, target: Target, pid: number): GeneratorJob {
  const params = { ...scenario.params }
  return {
    scenario: workloadOf(scenario.id),
    host: '127.0.0.1',
    port,
    target,
    warmupMs: options.warmupMs,
    measureMs: options.measureMs,
    // QoS 0: what a broker has not delivered after this long is reported as undelivered, not waited for.
    drainMs: scenario.params.qos === 0 ? options.qos0DrainMs : options.drainMs,
    params,
    pid
  }
}

function summary(scenario: Scenario, result: GeneratorResult): string {
  const values = scenario.metrics
    // vsBaseline: printed by pairedBaseline().
    .filter((m) => result.metrics[m.key] !== undefined && m.key !== 'vsBaseline')
    .map((m) => `${m.label} ${formatValue(result.metrics[m.key], m.unit)} ${m.unit}`)
    .join(', ')
  const status =
    result.failures.length > 0 ? `  FAILED: ${result.failures.join('; ')}` : result.notes.length > 0 ? `  (${result.notes.join('; ')})` : ''
  return values + status
}

const log = (line: string): void => void process.stdout.write(line + '\n')
const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err))

/** Run one job against a process started by `start`, always stopping it. */
async function against(start: () => Promise<Running>, job: (running: Running) => GeneratorJob): Promise<GeneratorResult> {
  const running = await start()
  try {
    return await runGenerator(job(running))
  } finally {
    await running.stop()
  }
}

interface Plan {
  /** The scenarios that run, in report order. */
  scenarios: Scenario[]
  /** Run together, repetition by repetition: a baseline scenario and those compared with it. */
  groups: Scenario[][]
  brokers: Map<string, BrokerName[]>
  log: string[]
  skipped: string[]
}

/**
 * Which brokers run which scenario, and in which groups. A scenario limited to some brokers
 * (fan-in + inspector: BrokerScope) runs on those; one with a baseline pulls the baseline scenario
 * in on BrokerScope if it was not selected, and runs right after it in every repetition.
 */
function planRuns(selected: Scenario[], brokers: BrokerName[], options: Options): Plan {
  const plan: Plan = { scenarios: [], groups: [], brokers: new Map(), log: [], skipped: [] }
  const scenarios = [...selected]
  for (const scenario of selected) {
    const base = scenario.baseline
    if (!base || !brokers.includes('brokerscope') || scenarios.some((s) => s.id === base.scenario)) continue
    const baseline = SCENARIOS.find((s) => s.id === base.scenario)!
    scenarios.splice(scenarios.indexOf(scenario), 0, withOptions(baseline, options))
    plan.brokers.set(baseline.id, ['brokerscope'])
    plan.log.push(`${scenario.id}: running ${baseline.id} on BrokerScope too, as its baseline`)
  }
  for (const scenario of scenarios) {
    if (!plan.brokers.has(scenario.id))
      plan.brokers.set(
        scenario.id,
        brokers.filter((b) => !scenario.brokers || scenario.brokers.includes(b))
      )
    if (plan.brokers.get(scenario.id)!.length === 0) {
      const why = `${scenario.id}: only runs on ${scenario.brokers!.map((b) => BROKER_LABEL[b]).join(', ')}`
      plan.log.push(why)
      plan.skipped.push(why)
      continue
    }
    plan.scenarios.push(scenario)
  }
  for (const scenario of plan.scenarios) {
    const base = scenario.baseline && plan.groups.find((g) => g[0].id === scenario.baseline!.scenario)
    if (base) base.push(scenario)
    else plan.groups.push([scenario])
  }
  return plan
}

/**
 * For a scenario with a baseline: its metric over the baseline's on the same broker in the same
 * repetition (result.metrics.vsBaseline), and the text for the log line.
 */
function pairedBaseline(runs: Run[], scenario: Scenario, broker: BrokerName, rep: number, result: GeneratorResult): string {
  const base = scenario.baseline
  // Baselines are BrokerScope's own figures (a store scenario also runs on mosquitto).
  if (!base || broker !== 'brokerscope') return ''
  const paired = runs.find((r) => r.scenario.id === base.scenario && r.broker === broker && r.rep === rep)
  const ours = result.metrics[base.metric]
  const theirs = paired?.result?.metrics[base.metric]
  if (!paired?.result || paired.result.failures.length > 0 || theirs === undefined || ours === undefined || !(theirs > 0)) {
    return `; no ${base.scenario} run to compare with`
  }
  result.metrics.vsBaseline = base.invert ? theirs / ours : ours / theirs
  const verdict = result.metrics.vsBaseline >= base.target ? 'meets' : 'below'
  const what = base.invert ? `${base.scenario} over this run` : `× ${base.scenario} without it`
  return `; ${result.metrics.vsBaseline.toFixed(2)}${base.invert ? '×' : ''} ${what} (${verdict} the ${base.target} target)`
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  const profileAt = argv.indexOf('--profile')
  if (profileAt >= 0) {
    const rest = argv.slice(profileAt + 1)
    process.exit(await profile(parseProfileArgs(rest)))
  }
  const options = parseArgs(argv)
  const started = Date.now()
  const loadBefore = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')

  const brokers: BrokerName[] = []
  for (const name of options.brokers) {
    const missing = availability(name)
    if (missing) log(`${name}: skipped: ${missing}`)
    else brokers.push(name)
  }
  if (brokers.length === 0 && (options.scenarios.length > 0 || options.storeSteps.length > 0)) fail('no broker to run')
  if (!hasTaskset()) log('taskset not found: processes are not pinned to cores')
  const connectionsNeeded = (options.connections ?? 10_000) + 200
  if (options.scenarios.some((s) => s.id === 'connections') && hardFdLimit() < connectionsNeeded) {
    log(`open-file hard limit ${hardFdLimit()} is below ${connectionsNeeded}: the connections scenario will fail; raise it (ulimit -Hn)`)
  }

  const skipped: string[] = []
  const selected: Scenario[] = []
  for (const listed of options.scenarios) {
    const scenario = withOptions(listed, options)
    if (scenario.available) selected.push(scenario)
    else {
      log(scenario.unavailable ?? `${scenario.id}: not available`)
      skipped.push(scenario.unavailable ?? scenario.id)
    }
  }
  const plan = planRuns(selected, brokers, options)
  for (const line of plan.log) log(line)
  for (const line of plan.skipped) skipped.push(line)
  const scenarios = plan.scenarios

  // 1. The generator's own ceiling, against fake brokers on the broker's core.
  const ceilings: CeilingRun[] = []
  if (options.ceiling) {
    for (const scenario of scenarios) {
      for (const { mode } of scenario.ceilings) {
        try {
          const result = await against(
            () => startSink(mode),
            (sink) => jobFor(scenario, options, sink.port, mode, sink.pid)
          )
          ceilings.push({ scenario, mode, result })
          log(`[ceiling] ${scenario.id} vs ${mode} sink: ${summary(scenario, result)}`)
        } catch (err) {
          ceilings.push({ scenario, mode, result: null, error: errorText(err) })
          log(`[ceiling] ${scenario.id} vs ${mode} sink: error: ${errorText(err)}`)
        }
      }
    }
  }

  // 2. The brokers, alternating within each repetition.
  // A scenario compared with a baseline (fan-in + inspector vs fan-in) runs right after it in every
  // repetition, so each pair is measured minutes closer together than scenario after scenario.
  const runs: Run[] = []
  for (const group of plan.groups) {
    for (let rep = 1; rep <= options.reps; rep++) {
      for (const scenario of group) {
        for (const broker of plan.brokers.get(scenario.id)!) {
          const label = `[${scenario.id} ${rep}/${options.reps}] ${BROKER_LABEL[broker]}`
          // Bridge scenarios: the remote first (fresh for every run), then the broker bridging to it.
          const remote = scenario.bridge ? await startRemote().catch((err: unknown) => err as Error) : null
          try {
            if (remote instanceof Error) throw remote
            const bridgeTo = remote && scenario.bridge ? { port: remote.port, qos: scenario.bridge.qos } : undefined
            const result = await against(
              () =>
                startBroker(broker, {
                  ui: scenario.inspector === true || scenario.page !== undefined,
                  env: scenario.brokerEnv,
                  persistence: scenario.persistence,
                  bridgeTo
                }),
              (running) => ({
                ...jobFor(scenario, options, running.port, 'broker', running.pid),
                ui: running.ui,
                page: scenario.page,
                subscriberPort: remote?.port
              })
            )
            const baseline = pairedBaseline(runs, scenario, broker, rep, result)
            runs.push({ scenario, broker, rep, result })
            log(`${label}: ${summary(scenario, result)}${baseline}`)
          } catch (err) {
            runs.push({ scenario, broker, rep, result: null, error: errorText(err) })
            log(`${label}: error: ${errorText(err)}`)
          } finally {
            if (remote && !(remote instanceof Error)) await remote.stop()
          }
        }
      }
    }
  }

  // 3. The long protocol-fuzz run (bench/fuzz.ts), last, within its time budget.
  let fuzz: FuzzRun | null = null
  if (options.fuzz) {
    const budget = options.fuzzSeconds ?? FUZZ_BUDGET_S
    log(`[fuzz] ${options.fuzzCases.toLocaleString('en-US')} cases, at most ${budget} s`)
    fuzz = await runFuzzStep(options.fuzzCases, budget, log)
    log(`[fuzz] ${fuzzSummary(fuzz)}`)
  }

  // 4. The store steps (issue 10): restart with a full store, the churn soak, the crash run.
  let store: StoreSteps | null = null
  if (options.storeSteps.length > 0) {
    store = await runStoreSteps(
      {
        steps: options.storeSteps,
        brokers,
        restartReps: options.reps,
        churnSeconds: options.churnSeconds,
        crashKillPoints: options.crashKillPoints,
        crashSeed: options.crashSeed
      },
      log
    )
  }

  const data: ReportData = {
    date: new Date()
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, ' UTC'),
    command: ['npx tsx bench/run.ts', ...argv.map((a) => (/[\s'"]/.test(a) ? JSON.stringify(a) : a))].join(' '),
    options: {
      reps: options.reps,
      warmupMs: options.warmupMs,
      measureMs: options.measureMs,
      qos0DrainMs: options.qos0DrainMs,
      quick: options.quick
    },
    // Those that ran something (a broker selected only for scenarios limited to others did not).
    brokers: brokers.filter((b) => runs.some((r) => r.broker === b)),
    scenarios,
    skipped,
    runs,
    ceilings,
    machine: machine(),
    versions: versions(),
    brokerSettings: BROKER_SETTINGS,
    loadAverage: { before: loadBefore, after: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') },
    notes: options.notes,
    fuzz,
    store,
    elapsedSeconds: (Date.now() - started) / 1000
  }
  const onlySections = options.scenarios.every((s) => isStoreScenario(s.id))
  if (options.out) {
    if (onlySections && (fuzz || store || options.scenarios.length > 0)) {
      // --only fuzz, or only store scenarios and steps: the rest of the report stays as it was.
      if (fuzz) log(`${writeFuzzSection(fuzz, data.date, options.out) ? 'updated the fuzz section of' : 'wrote'} ${options.out}`)
      if (store || options.scenarios.length > 0) {
        // --note goes into the section: the rest of the report, and its notes, stay as they were.
        const section = storeSection(store, storeMedian(data), data.date, options.notes)
        log(`${writeStoreSection(section, options.out) ? 'updated the store section of' : 'wrote'} ${options.out}`)
      }
    } else {
      const written = writeReport(data, options.out)
      log(`wrote ${written.markdown} and ${written.svg}`)
    }
  }
  const failed = runs.filter((r) => r.result === null || r.result.failures.length > 0).length
  const fuzzFailed = fuzz !== null && (fuzz.error !== undefined || fuzz.failureCount > 0)
  const storeFailures = [
    ...(store?.restart ?? []).filter((r) => r.error).map((r) => `restart ${r.broker}`),
    ...(store?.churn ?? []).filter((r) => r.error || !r.healthy).map((r) => `churn ${r.target}`),
    ...(store?.crash && crashFailures(store.crash).length > 0 ? ['crash'] : [])
  ]
  log(
    `done in ${Math.round(data.elapsedSeconds)} s: ${runs.length} runs, ${failed} failed${fuzz ? `; fuzz ${fuzzFailed ? 'FAILED' : 'ok'}` : ''}` +
      (store ? `; store steps ${storeFailures.length > 0 ? `FAILED: ${storeFailures.join(', ')}` : 'ok'}` : '')
  )
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
