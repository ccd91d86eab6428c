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
import { fileURLToPath, pathToFileURL } from 'node:url'
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

/** Where a function's code comes from, for the per-area totals: the part of BrokerScope, or what else. */
export type Area = 'broker' | 'inspector' | 'UI server + ws' | 'other BrokerScope' | 'node internals' | 'garbage collector' | 'other'

/**
 * The module a bundled line belongs to: the bundle marks each module with a `// src/…` comment
 * line, so a function's line number maps to its source file. Cached per bundle file.
 */
const moduleMaps = new Map<string, Array<{ line: number; module: string }>>()
function moduleAt(url: string, line: number): string | null {
  const path = url.startsWith('file://') ? fileURLToPath(url) : url
  let map = moduleMaps.get(path)
  if (map === undefined) {
    map = []
    try {
      readFileSync(path, 'utf8')
        .split('\n')
        .forEach((text, index) => {
          const marker = /^\/\/ (src\/\S+)$/.exec(text)
          if (marker) map!.push({ line: index, module: marker[1] })
        })
    } catch {
      // Not a file we can read (node internals): no modules.
    }
    moduleMaps.set(path, map)
  }
  let found: string | null = null
  for (const entry of map) {
    if (entry.line > line) break
    found = entry.module
  }
  return found
}

export function areaOf(functionName: string, url: string, line: number): Area {
  if (functionName === '(garbage collector)') return 'garbage collector'
  if (url.includes('/node_modules/ws/')) return 'UI server + ws'
  if (url === '' || url.startsWith('node:')) return 'node internals'
  if (!url.includes('/out/main/')) return 'other'
  const module = moduleAt(url, line) ?? (url.includes('ui-server') ? 'src/main/headless/ui-server.ts' : null)
  if (module === null) return 'other BrokerScope'
  if (module.startsWith('src/main/broker/')) return 'broker'
  if (module.startsWith('src/main/inspector/')) return 'inspector'
  if (module.startsWith('src/main/headless/ui-server')) return 'UI server + ws'
  return 'other BrokerScope'
}

/** Self time per area (see Area), as a share of the busy time. */
export function selfTimeByArea(profile: CpuProfile): Array<{ area: Area; ms: number; percent: number }> {
  const totalHits = profile.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0)
  const msPerHit = totalHits > 0 ? (profile.endTime - profile.startTime) / 1000 / totalHits : 0
  const hits = new Map<Area, number>()
  let busy = 0
  for (const node of profile.nodes) {
    const n = node.hitCount ?? 0
    const { functionName, url, lineNumber } = node.callFrame
    if (n === 0 || functionName === '(idle)' || functionName === '(root)') continue
    busy += n
    const area = areaOf(functionName, url, lineNumber)
    hits.set(area, (hits.get(area) ?? 0) + n)
  }
  return [...hits].map(([area, n]) => ({ area, ms: n * msPerHit, percent: busy > 0 ? (100 * n) / busy : 0 })).sort((a, b) => b.ms - a.ms)
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
  const broker = await startBroker('brokerscope', {
    cpuProfileDir: dir,
    ui: scenario.inspector === true || scenario.page !== undefined,
    env: scenario.brokerEnv,
    persistence: scenario.persistence,
    bridgeTo
  })
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
    page: scenario.page,
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
  const cpuProfile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile
  const { rows, totalMs, idleMs } = topSelfTime(cpuProfile, options.top)
  process.stdout.write(
    `\ntop ${rows.length} functions by self time (busy ${(totalMs / 1000).toFixed(2)} s, idle ${(idleMs / 1000).toFixed(2)} s):\n`
  )
  process.stdout.write(`${'self ms'.padStart(9)} ${'%busy'.padStart(6)}  function  location\n`)
  for (const row of rows) {
    process.stdout.write(`${row.ms.toFixed(1).padStart(9)} ${row.percent.toFixed(1).padStart(6)}  ${row.name}  ${row.location}\n`)
  }
  process.stdout.write('\nself time by area (the inspector is ours on every message; the UI server + ws only with a page):\n')
  for (const row of selfTimeByArea(cpuProfile)) {
    process.stdout.write(`${row.ms.toFixed(1).padStart(9)} ${row.percent.toFixed(1).padStart(6)}  ${row.area}\n`)
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
