/**
 * Profile BrokerScope under one scenario: start it under `node --cpu-prof --cpu-prof-dir=<dir>`,
 * run the load, stop it (SIGTERM: a clean exit writes the .cpuprofile) and print the functions with
 * the most self time.
 *
 *   npx tsx bench/profile.ts [scenario] [--measure ms] [--warmup ms] [--top n] [--keep]
 *   npx tsx bench/run.ts --profile [scenario]
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ROOT, availability, runGenerator, startBroker, startRemote } from './brokers'
import { scenarioById, workloadOf, type GeneratorJob } from './scenarios'

interface CpuProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }
  hitCount?: number
}

interface CpuProfile {
  nodes: CpuProfileNode[]
  startTime: number
  endTime: number
}

export interface SelfTime {
  name: string
  location: string
  hits: number
  ms: number
  percent: number
}

/** Self time per function (functionName + url + line), largest first; (idle) and (root) left out of the percentages. */
export function topSelfTime(profile: CpuProfile, top = 15): { rows: SelfTime[]; totalMs: number; idleMs: number } {
  const totalHits = profile.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0)
  const msPerHit = totalHits > 0 ? (profile.endTime - profile.startTime) / 1000 / totalHits : 0
  const byKey = new Map<string, SelfTime>()
  let idleHits = 0
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0
    if (hits === 0) continue
    const { functionName, url, lineNumber } = node.callFrame
    if (functionName === '(idle)') {
      idleHits += hits
      continue
    }
    if (functionName === '(root)') continue
    const location = url ? `${url.replace(pathToFileURL(ROOT).href + '/', '').replace(ROOT + '/', '')}:${lineNumber + 1}` : ''
    const key = `${functionName}\u0000${location}`
    const entry = byKey.get(key) ?? { name: functionName || '(anonymous)', location, hits: 0, ms: 0, percent: 0 }
    entry.hits += hits
    byKey.set(key, entry)
  }
  const busyHits = totalHits - idleHits
  const rows = [...byKey.values()].sort((a, b) => b.hits - a.hits).slice(0, top)
  for (const row of rows) {
    row.ms = row.hits * msPerHit
    row.percent = busyHits > 0 ? (100 * row.hits) / busyHits : 0
  }
  return { rows, totalMs: busyHits * msPerHit, idleMs: idleHits * msPerHit }
}

export interface ProfileOptions {
  scenario: string
  warmupMs: number
  measureMs: number
  top: number
  keep: boolean
}

export async function profile(options: ProfileOptions): Promise<number> {
  const scenario = scenarioById(options.scenario)
  if (!scenario) {
    process.stderr.write(`profile: unknown scenario ${options.scenario}\n`)
    return 2
  }
  const missing = availability('brokerscope')
  if (missing) {
    process.stderr.write(`profile: ${missing}\n`)
    return 1
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-cpuprof-'))
  // Bridge scenarios: the remote mosquitto the bridge carries the load to.
  const remote = scenario.bridge ? await startRemote() : null
  const bridgeTo = remote && scenario.bridge ? { port: remote.port, qos: scenario.bridge.qos } : undefined
  const broker = await startBroker('brokerscope', { cpuProfileDir: dir, ui: scenario.inspector === true, bridgeTo })
  process.stdout.write(`profiling BrokerScope (pid ${broker.pid}) under ${scenario.id}; profiles in ${dir}\n`)
  const job: GeneratorJob = {
    scenario: workloadOf(scenario.id),
    host: '127.0.0.1',
    port: broker.port,
    target: 'broker',
    warmupMs: options.warmupMs,
    measureMs: options.measureMs,
    drainMs: 5000,
    params: scenario.params,
    pid: broker.pid,
    ui: broker.ui,
    subscriberPort: remote?.port
  }
  try {
    const result = await runGenerator(job)
    const headline = scenario.metrics.filter((m) => m.headline)
    process.stdout.write(
      `load: ${headline.map((m) => `${m.label} ${Math.round(result.metrics[m.key] ?? NaN).toLocaleString('en-US')} ${m.unit}`).join(', ')}` +
        ` (slower than without the profiler)${result.failures.length > 0 ? `; FAILED: ${result.failures.join('; ')}` : ''}\n`
    )
  } finally {
    await broker.stop(15_000)
    await remote?.stop()
  }
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))
  if (files.length === 0) {
    process.stderr.write(`profile: no .cpuprofile written in ${dir}\n${broker.stderrTail()}\n`)
    return 1
  }
  const path = join(dir, files[0])
  const { rows, totalMs, idleMs } = topSelfTime(JSON.parse(readFileSync(path, 'utf8')) as CpuProfile, options.top)
  process.stdout.write(
    `\ntop ${rows.length} functions by self time (busy ${(totalMs / 1000).toFixed(2)} s, idle ${(idleMs / 1000).toFixed(2)} s):\n`
  )
  process.stdout.write(`${'self ms'.padStart(9)} ${'%busy'.padStart(6)}  function  location\n`)
  for (const row of rows) {
    process.stdout.write(`${row.ms.toFixed(1).padStart(9)} ${row.percent.toFixed(1).padStart(6)}  ${row.name}  ${row.location}\n`)
  }
  if (options.keep) process.stdout.write(`\nprofile kept: ${path} (open it in Chrome DevTools → Performance)\n`)
  else rmSync(dir, { recursive: true, force: true })
  return 0
}

export function parseProfileArgs(argv: string[]): ProfileOptions {
  const options: ProfileOptions = { scenario: 'fan-in', warmupMs: 1000, measureMs: 5000, top: 15, keep: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--measure') options.measureMs = Number(argv[++i])
    else if (arg === '--warmup') options.warmupMs = Number(argv[++i])
    else if (arg === '--top') options.top = Number(argv[++i])
    else if (arg === '--keep') options.keep = true
    else if (!arg.startsWith('-')) options.scenario = arg
  }
  return options
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  profile(parseProfileArgs(process.argv.slice(2))).then((code) => process.exit(code))
}
