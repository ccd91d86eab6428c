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
  startSink,
  versions,
  type BrokerName,
  type Running
} from './brokers'
import { parseProfileArgs, profile } from './profile'
import { BROKER_LABEL, formatValue, writeReport, type CeilingRun, type ReportData, type Run } from './report'
import { SCENARIOS, workloadOf, type GeneratorJob, type GeneratorResult, type Scenario, type Target } from './scenarios'

const USAGE = `usage: npx tsx bench/run.ts [options]

  --quick                  1 repetition, 0.5 s warm-up, 1.5 s measured
  --only a,b               scenarios: ${SCENARIOS.map((s) => s.id).join(', ')}
  --brokers a,b            brokers: ${ALL_BROKERS.join(', ')}
  --reps n                 repetitions per broker (default 3)
  --warmup ms              warm-up per measurement (default 1000)
  --measure ms             measured window (default 3000)
  --connections n          idle connections (default 10000)
  --no-ceiling             skip the generator ceiling runs
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
  out: string | null
  notes: string[]
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
    out: join(ROOT, 'docs/benchmarks.md'),
    notes: []
  }
  let reps: number | null = null
  let warmup: number | null = null
  let measure: number | null = null
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
        const ids = value(++i, arg).split(',').map((s) => s.trim()).filter(Boolean)
        for (const id of ids) if (!SCENARIOS.some((s) => s.id === id)) fail(`unknown scenario ${id} (${SCENARIOS.map((s) => s.id).join(', ')})`)
        options.scenarios = SCENARIOS.filter((s) => ids.includes(s.id))
        break
      }
      case '--brokers': {
        const names = value(++i, arg).split(',').map((s) => s.trim()).filter(Boolean)
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
  options.measureMs = measure ?? (options.quick ? 1500 : 3000)
  options.drainMs = options.quick ? 5000 : 10_000
  options.qos0DrainMs = options.quick ? 2000 : 3000
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
    .filter((m) => result.metrics[m.key] !== undefined)
    .map((m) => `${m.label} ${formatValue(result.metrics[m.key], m.unit)} ${m.unit}`)
    .join(', ')
  const status = result.failures.length > 0 ? `  FAILED: ${result.failures.join('; ')}` : result.notes.length > 0 ? `  (${result.notes.join('; ')})` : ''
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
  if (brokers.length === 0) fail('no broker to run')
  if (!hasTaskset()) log('taskset not found: processes are not pinned to cores')
  const connectionsNeeded = (options.connections ?? 10_000) + 200
  if (hardFdLimit() < connectionsNeeded) {
    log(`open-file hard limit ${hardFdLimit()} is below ${connectionsNeeded}: the connections scenario will fail; raise it (ulimit -Hn)`)
  }

  const skipped: string[] = []
  const scenarios: Scenario[] = []
  for (const listed of options.scenarios) {
    const scenario = withOptions(listed, options)
    if (scenario.available) scenarios.push(scenario)
    else {
      log(scenario.unavailable ?? `${scenario.id}: not available`)
      skipped.push(scenario.unavailable ?? scenario.id)
    }
  }

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
  const runs: Run[] = []
  for (const scenario of scenarios) {
    if (scenario.attach) log(`${scenario.id}: attaching to BrokerScope`)
    for (let rep = 1; rep <= options.reps; rep++) {
      for (const broker of brokers) {
        const label = `[${scenario.id} ${rep}/${options.reps}] ${BROKER_LABEL[broker]}`
        try {
          let detach: (() => Promise<void>) | null = null
          const result = await against(
            async () => {
              const running = await startBroker(broker)
              if (scenario.attach && broker === 'brokerscope') detach = await scenario.attach(running)
              return running
            },
            (running) => jobFor(scenario, options, running.port, 'broker', running.pid)
          )
          if (detach) await (detach as () => Promise<void>)()
          runs.push({ scenario, broker, rep, result })
          log(`${label}: ${summary(scenario, result)}`)
        } catch (err) {
          runs.push({ scenario, broker, rep, result: null, error: errorText(err) })
          log(`${label}: error: ${errorText(err)}`)
        }
      }
    }
  }

  const data: ReportData = {
    date: new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'),
    command: ['npx tsx bench/run.ts', ...argv.map((a) => (/[\s'"]/.test(a) ? JSON.stringify(a) : a))].join(' '),
    options: {
      reps: options.reps,
      warmupMs: options.warmupMs,
      measureMs: options.measureMs,
      qos0DrainMs: options.qos0DrainMs,
      quick: options.quick
    },
    brokers,
    scenarios,
    skipped,
    runs,
    ceilings,
    machine: machine(),
    versions: versions(),
    brokerSettings: BROKER_SETTINGS,
    loadAverage: { before: loadBefore, after: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') },
    notes: options.notes,
    elapsedSeconds: (Date.now() - started) / 1000
  }
  if (options.out) {
    const written = writeReport(data, options.out)
    log(`wrote ${written.markdown} and ${written.svg}`)
  }
  const failed = runs.filter((r) => r.result === null || r.result.failures.length > 0).length
  log(`done in ${Math.round(data.elapsedSeconds)} s: ${runs.length} runs, ${failed} failed`)
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
