/**
 * The store section of docs/benchmarks.md (issue 10): QoS 1/2 to persistent subscribers with the
 * store against the in-memory broker and mosquitto, restart time with a full store, the churn
 * soak and the crash run. Pure formatting; `--only` with just store scenarios and steps replaces
 * this section of an existing report and leaves the rest as it was.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { BrokerName } from './brokers'
import { CHURN_BOUNDS, CHURN_LABEL, CHURN_LOAD, SAMPLE_MS } from './churn'
import { crashFailures } from './crash'
import { RESTART_TARGET_MS, type TimedStart } from './restart'
import type { StoreSteps } from './store-steps'
import { STORE_TARGETS } from './store-scenarios'

const START = '<!-- store: start (npx tsx bench/run.ts --only qos1-durable,qos2-durable,restart,churn,crash replaces the parts it runs) -->'
const END = '<!-- store: end -->'

/** Median of a scenario's metric on a broker in this run (NaN when it did not run). */
export type MedianOf = (scenario: string, broker: BrokerName, metric: string) => number

const n = (v: number, digits = 0): string =>
  Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–'
const mb = (bytes: number): string => `${n(bytes / 1e6, 1)} MB`
const ratio = (a: number, b: number): number => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : Number.NaN)
const verdict = (ok: boolean | null): string => (ok === null ? 'not measured' : ok ? '**met**' : '**not met**')

function median(values: number[]): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b)
  if (v.length === 0) return Number.NaN
  return v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2
}

function throughputLines(medianOf: MedianOf): string[] {
  const rows: string[] = []
  for (const qos of [1, 2] as const) {
    const metric = qos === 1 ? 'acked' : 'completed'
    const memory = medianOf(`qos${qos}-session-memory`, 'brokerscope', metric)
    const store = medianOf(`qos${qos}-durable`, 'brokerscope', metric)
    const mosquitto = medianOf(`qos${qos}-durable`, 'mosquitto', metric)
    if (![memory, store, mosquitto].some(Number.isFinite)) continue
    const vsMemory = ratio(store, memory)
    const vsMosquitto = ratio(store, mosquitto)
    rows.push(
      `| QoS ${qos} (${qos === 1 ? 'acknowledged' : 'completed'} msg/s) | ${n(memory)} | ${n(store)} | ${n(vsMemory, 2)}× — ${verdict(
        Number.isFinite(vsMemory) ? vsMemory >= STORE_TARGETS.vsMemory : null
      )} | ${n(mosquitto)} | ${n(vsMosquitto, 2)}× — ${verdict(Number.isFinite(vsMosquitto) ? vsMosquitto >= STORE_TARGETS.vsMosquitto : null)} |`
    )
  }
  if (rows.length === 0) return []
  return [
    '### QoS 1 and QoS 2 to persistent subscribers',
    '',
    '8 publisher → subscriber pairs, subscribers with persistent sessions (3.1.1 clean session 0), 32 in flight per publisher; ' +
      'every message acknowledged and checked by sequence number as in the QoS 1/QoS 2 scenarios (scenarios `qos1-session-memory`, ' +
      '`qos1-durable`, `qos2-session-memory`, `qos2-durable`; a full run has them in the results table too). With the store on, BrokerScope acknowledges a ' +
      "PUBLISH only once it is synced to disk in the subscriber's session (group commit); mosquitto with `persistence true` keeps " +
      'state in memory and writes a snapshot every 30 minutes (autosave_interval 1800) and at shutdown.',
    '',
    `| load | BrokerScope in memory | BrokerScope, store on | store / in memory (target ≥ ${STORE_TARGETS.vsMemory}×) | mosquitto, persistence true | BrokerScope store / mosquitto (target ≥ ${STORE_TARGETS.vsMosquitto}×) |`,
    '|---|---:|---:|---|---:|---|',
    ...rows,
    ''
  ]
}

function restartLines(steps: StoreSteps): string[] {
  if (!steps.restart) return []
  const spec = steps.restart[0]?.spec
  const out = ['### Restart with a full store', '']
  if (spec) {
    out.push(
      `State filled through MQTT (QoS 1, every message acknowledged): ${n(spec.retained)} retained messages (store/r/…, ` +
        `${spec.payloadBytes}-byte payloads) and ${n(spec.sessions)} offline persistent sessions (3.1.1 clean session 0), each with ` +
        `one subscription and ${spec.queuedPerSession} queued ${spec.payloadBytes}-byte QoS 1 messages. The broker is stopped with ` +
        'SIGTERM and restarted on the same data; then, ' +
        `${spec.reps} time${spec.reps === 1 ? '' : 's'}: restart after a clean stop, SIGKILL, restart after SIGKILL. Time from spawning ` +
        'the process (pinned to core 0) to its TCP listener accepting a connection (polled every 2 ms), and to the CONNACK of a CONNECT ' +
        `sent then; medians. Target ≤ ${RESTART_TARGET_MS / 1000} s to the accept. The page cache is warm (the files were just written). ` +
        'After the last restart every retained message is counted (subscribe store/r/# at QoS 1) and 100 sessions spread over ' +
        'the range reconnect and must get all their queued messages. "Empty start" is the first start on an empty data folder: ' +
        'what starting the process costs with nothing to load. RSS: VmRSS, in brackets its anonymous part (RssAnon; the rest is ' +
        "mostly mapped files: LMDB maps the store's data file). BrokerScope: `--persistence true`; mosquitto: `persistence true` " +
        '(it writes mosquitto.db at shutdown; after SIGKILL it loads the snapshot it last wrote).',
      ''
    )
  }
  out.push(
    '| broker | fill | on disk (clean stop) | RSS filled | empty start | after SIGTERM: accept / CONNACK | after SIGKILL: accept / CONNACK | RSS after restart | state after the last restart | ≤ 1 s |',
    '|---|---:|---|---:|---:|---:|---:|---:|---|---|'
  )
  for (const r of steps.restart) {
    const label = r.broker === 'brokerscope' ? 'BrokerScope' : 'mosquitto'
    if (r.error && r.starts.length === 0) {
      out.push(`| ${label} | error: ${oneLine(r.error)} | | | | | | | | |`)
      continue
    }
    const of = (after: TimedStart['after'], key: 'acceptMs' | 'connackMs' | 'rssKiB' | 'anonKiB'): number =>
      median(r.starts.filter((s) => s.after === after).map((s) => s[key]))
    const worst = Math.max(...r.starts.map((s) => s.acceptMs))
    const c = r.check
    const state = c
      ? `${n(c.retainedFound)} of ${n(r.spec.retained)} retained; ${c.sessionsComplete} of ${c.sessionsSampled} sampled sessions with all their queued messages`
      : 'not checked'
    out.push(
      `| ${label} | ${n(r.fillSeconds, 1)} s | ${r.store ? `${mb(r.store.bytes)} (${r.store.files})` : '–'} | ${n(r.filledRssKiB / 1024)} MB (${n(r.filledAnonKiB / 1024)}) | ` +
        `${n(r.emptyStart?.acceptMs ?? Number.NaN)} ms | ${n(of('SIGTERM', 'acceptMs'))} / ${n(of('SIGTERM', 'connackMs'))} ms | ` +
        `${n(of('SIGKILL', 'acceptMs'))} / ${n(of('SIGKILL', 'connackMs'))} ms | ${n(of('SIGKILL', 'rssKiB') / 1024)} MB (${n(of('SIGKILL', 'anonKiB') / 1024)}) | ${state}` +
        `${r.error ? `; error: ${oneLine(r.error)}` : ''} | ${r.broker === 'brokerscope' ? verdict(Number.isFinite(worst) ? worst <= RESTART_TARGET_MS : null) : '–'} |`
    )
  }
  out.push('')
  return out
}

function churnLines(steps: StoreSteps): string[] {
  if (!steps.churn) return []
  const seconds = steps.churn[0]?.seconds ?? 0
  const out = [
    '### Churn soak',
    '',
    `Clients connect with a will, subscribe to three filters, publish five QoS 1 messages and leave (half cleanly with DISCONNECT, ` +
      `half by dropping the socket, which sends the will), ${CHURN_LOAD.parallel} at a time over ${n(CHURN_LOAD.ids)} client ids, ` +
      `half of them with persistent sessions (3.1.1 clean session 0), paced at ${CHURN_LOAD.rate} cycles/s, for ${n(seconds)} s per ` +
      `broker (\`--churn-seconds\`; the issue's soak is 540). Client i subscribes to churn/c/<i>, churn/g/<i mod 20>/# and ` +
      'churn/all and publishes twice to churn/c/<random id>, twice to churn/g/<random group>/m and once to churn/all; its will is ' +
      `churn/g/<group>/will/<i> (bench/churn-load.ts). So the offline persistent sessions fill their queues up to the bound: ` +
      `every broker gets ${n(CHURN_BOUNDS.maxQueuedMessages)} queued and ${CHURN_BOUNDS.maxInflightMessages} in-flight messages ` +
      'per client. The load process runs on core 1 (its CPU use is shown: near 100 % it, not the broker, set the pace). ' +
      `Resident memory (VmRSS) is read every ${SAMPLE_MS / 1000} s; the plateau is the most seen in the last third ` +
      'of the run, the slope a least-squares fit over its second half (a leak keeps climbing once the queues are full). mosquitto: ' +
      '`persistence false` (its memory is the same with persistence true between snapshots).',
    '',
    '| broker | plateau (max, last third) | of it anonymous (RssAnon) | slope, second half | peak | idle before | cycles/s | load CPU | QoS 1 acknowledged | received | errors | answers after |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|'
  ]
  for (const r of steps.churn) {
    if (r.error || !r.load) {
      out.push(`| ${CHURN_LABEL[r.target]} | error: ${oneLine(r.error ?? 'no result')} | | | | | | | | | | |`)
      continue
    }
    const l = r.load
    const errors = Object.entries(l.errors).map(([k, v]) => `${v} ${k}`)
    if (l.sessionsLost > 0) errors.push(`${l.sessionsLost} sessions lost`)
    out.push(
      `| ${CHURN_LABEL[r.target]} | ${n(r.plateauMb)} MB | ${n(r.anonPlateauMb)} MB | ${n(r.slopeMbPerMin, 1)} MB/min | ${n(r.peakMb)} MB | ${n(r.idleMb)} MB | ` +
        `${n(l.cyclesPerSecond)}${l.behind > 0 ? ` (${n(l.behind)} starts behind the pace)` : ''} | ${n(l.cpuPercent)} % | ` +
        `${n(l.acknowledged)} of ${n(l.published)} | ` +
        `${n(l.received)} | ${errors.length > 0 ? errors.join(', ') : 'none'} | ${r.healthy ? 'yes' : '**no**'} |`
    )
  }
  const mosquitto = steps.churn.find((r) => r.target === 'mosquitto' && !r.error)
  if (mosquitto) {
    const parts = steps.churn
      .filter((r) => r.target !== 'mosquitto' && !r.error)
      .map(
        (r) => `${CHURN_LABEL[r.target]} ${n(ratio(r.plateauMb, mosquitto.plateauMb), 2)}× (${verdict(r.plateauMb <= mosquitto.plateauMb)})`
      )
    if (parts.length > 0) out.push('', `Plateau over mosquitto's (target ≤ 1×, issue 10): ${parts.join('; ')}.`)
  }
  const store = steps.churn.find((r) => r.storeBytes !== undefined)
  if (store) out.push('', `The store after the run with persistence on: ${mb(store.storeBytes!)} on disk.`)
  out.push('')
  return out
}

function crashLines(steps: StoreSteps): string[] {
  const step = steps.crash
  if (!step) return []
  const out = [
    '### Crash run',
    '',
    `test/helpers/crash-load.ts — the crash test of \`npm test\` (50 kill points) with ${n(step.killPoints)}: the built broker ` +
      '(`node out/main/cli.js`, persistence on) under QoS 1 load (a v5 publisher, to a v5 subscriber at QoS 2 and a 3.1.1 subscriber ' +
      'at QoS 1, both persistent), QoS 2 load (a 3.1.1 publisher) and retained QoS 1 updates on 4 topics, 16 messages outstanding per ' +
      'publisher, killed with SIGKILL 20–270 ms apart (random, from the seed) and restarted on the same data folder. After every ' +
      'restart each retained topic must hold at least the last acknowledged value; at the end every message whose PUBACK (QoS 1) ' +
      'or PUBCOMP (QoS 2) the publisher got must have reached every persistent subscriber, QoS 2 exactly once. ' +
      '`CRASH_KILL_POINTS=500 CRASH_SEED=<seed> npx vitest run test/broker/persistence/crash.test.ts` runs the same load with the same kill delays.',
    ''
  ]
  const r = step.result
  if (!r) {
    out.push(`**Did not run to a result:** ${oneLine(step.error ?? 'unknown error')}`, '')
    return out
  }
  const failures = crashFailures(step)
  out.push(
    '| kills | seed | time | QoS 1 acknowledged (sent) | QoS 2 acknowledged (sent) | retained acknowledged (sent) | lost QoS 1 | lost QoS 2 | QoS 2 duplicates | QoS 1 duplicates (allowed) | retained behind | restart median / max | result |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    `| ${n(r.restarts)} | ${r.seed} | ${n(r.seconds)} s | ${n(r.acknowledged.qos1)} (${n(r.sent.qos1)}) | ${n(r.acknowledged.qos2)} (${n(r.sent.qos2)}) | ` +
      `${n(r.acknowledged.retained)} (${n(r.sent.retained)}) | ${r.lost.qos1.length} | ${r.lost.qos2.length} | ${r.qos2Duplicates.length} | ` +
      `${n(r.qos1Duplicates)} | ${r.retainedProblems.length} | ${n(median(r.restartMs))} / ${n(Math.max(...r.restartMs))} ms | ` +
      `${failures.length === 0 ? 'nothing acknowledged lost' : `**FAILED:** ${failures.join('; ')}`} |`,
    ''
  )
  return out
}

const PARTS = ['throughput', 'restart', 'churn', 'crash'] as const
type Part = (typeof PARTS)[number]
const partStart = (part: Part): string => `<!-- store part: ${part} -->`
const partEnd = (part: Part): string => `<!-- store part end: ${part} -->`

/**
 * The section: one marked part per thing measured this time (the throughput scenarios, restart,
 * churn, crash), each with its date, step time and notes, so a later `--only crash` replaces the
 * crash part and keeps the others (writeStoreSection).
 */
export function storeSection(steps: StoreSteps | null, medianOf: MedianOf, date: string, notes: string[] = []): string[] {
  const out = [START, '## The store (issue 10)', '']
  const bodies: Record<Part, string[]> = {
    throughput: throughputLines(medianOf),
    restart: steps ? restartLines(steps) : [],
    churn: steps ? churnLines(steps) : [],
    crash: steps ? crashLines(steps) : []
  }
  let any = false
  for (const part of PARTS) {
    const [heading, blank, ...body] = bodies[part]
    if (heading === undefined) continue
    any = true
    const seconds = part === 'throughput' ? undefined : steps?.seconds[part]
    out.push(partStart(part), heading, blank ?? '', `Measured ${date}${seconds !== undefined ? ` (this step: ${n(seconds)} s)` : ''}.`, '')
    for (const note of notes) out.push(`> **Note:** ${note}`, '')
    out.push(...body, partEnd(part), '')
  }
  if (!any) out.push('Not run this time.', '')
  out.push(END)
  return out
}

/** The marked parts of a store section's text. */
function partsOf(text: string): Map<Part, string> {
  const found = new Map<Part, string>()
  for (const part of PARTS) {
    const start = text.indexOf(partStart(part))
    const end = text.indexOf(partEnd(part))
    if (start >= 0 && end > start) found.set(part, text.slice(start, end + partEnd(part).length))
  }
  return found
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').slice(0, 300)
}

/**
 * Replace the store section of an existing report (or add it before "## Scenarios"), keeping the
 * parts of the old section that were not measured this time; true when the file existed.
 */
export function writeStoreSection(section: string[], markdownPath: string): boolean {
  let text = section.join('\n')
  if (!existsSync(markdownPath)) {
    mkdirSync(dirname(markdownPath), { recursive: true })
    writeFileSync(markdownPath, `# Benchmarks\n\n${text}\n`)
    return false
  }
  const old = readFileSync(markdownPath, 'utf8')
  const start = old.indexOf(START.slice(0, 20))
  const end = old.indexOf(END)
  if (start >= 0 && end > start) {
    const kept = partsOf(old.slice(start, end))
    const fresh = partsOf(text)
    const merged = PARTS.filter((p) => fresh.has(p) || kept.has(p)).map((p) => fresh.get(p) ?? kept.get(p)!)
    if (merged.length > 0) text = [START, '## The store (issue 10)', '', merged.join('\n\n'), '', END].join('\n')
    writeFileSync(markdownPath, old.slice(0, start) + text + old.slice(end + END.length))
  } else {
    const at = old.indexOf('\n## Scenarios')
    writeFileSync(markdownPath, at >= 0 ? `${old.slice(0, at + 1)}${text}\n\n${old.slice(at + 1)}` : `${old.trimEnd()}\n\n${text}\n`)
  }
  return true
}
