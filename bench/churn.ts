/**
 * The churn soak (issue 10): bench/churn-load.ts on the generator's core against one broker at a
 * time on the broker's core (BrokerScope in memory, BrokerScope with its store, mosquitto), for
 * `seconds` each, with the broker's resident memory (VmRSS) sampled every SAMPLE_MS. Reported:
 * the plateau (the most seen in the last third of the run), the slope over the second half (a
 * leak keeps climbing once the queues are full), the peak, and the load's own health counts.
 * Every broker gets the same bounds: 1,000 queued and 100 in-flight messages per client.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { GENERATOR_CPU, ROOT, spawnPinned, startBroker, type BrokerName, type Running } from './brokers'
import type { ChurnLoadJob, ChurnLoadResult } from './churn-load'
import { MiniClient } from './mini-client'
import { memoryKiB } from './restart'

export const SAMPLE_MS = 2000
/** The issue's load: 20 at a time over 2,000 client ids at ~120 cycles/s. */
export const CHURN_LOAD = { rate: 120, parallel: 20, ids: 2000 } as const
export const CHURN_BOUNDS = { maxQueuedMessages: 1000, maxInflightMessages: 100 } as const

export type ChurnTarget = 'brokerscope-memory' | 'brokerscope-store' | 'mosquitto'
export const CHURN_TARGETS: ChurnTarget[] = ['brokerscope-memory', 'brokerscope-store', 'mosquitto']
export const CHURN_LABEL: Record<ChurnTarget, string> = {
  'brokerscope-memory': 'BrokerScope, persistence off',
  'brokerscope-store': 'BrokerScope, persistence on',
  mosquitto: 'mosquitto'
}

export interface ChurnRun {
  target: ChurnTarget
  seconds: number
  /** [seconds since the load started, VmRSS in KiB, RssAnon in KiB] */
  samples: Array<[number, number, number]>
  plateauMb: number
  /** The plateau of RssAnon alone (VmRSS less mapped files: LMDB's data file with the store on). */
  anonPlateauMb: number
  peakMb: number
  /** Least-squares slope of RSS over the second half, MB per minute. */
  slopeMbPerMin: number
  /** RSS before the load (idle broker). */
  idleMb: number
  load: ChurnLoadResult | null
  /** The broker still answered a CONNECT after the load. */
  healthy: boolean
  /** BrokerScope with its store: the store's size at the end. */
  storeBytes?: number
  error?: string
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Plateau, peak and slope from the samples. */
export function churnFigures(samples: Array<[number, number, number]>): {
  plateauMb: number
  anonPlateauMb: number
  peakMb: number
  slopeMbPerMin: number
} {
  const mb = (kib: number): number => kib / 1024
  if (samples.length === 0) return { plateauMb: Number.NaN, anonPlateauMb: Number.NaN, peakMb: Number.NaN, slopeMbPerMin: Number.NaN }
  const lastThird = samples.slice(Math.floor((samples.length * 2) / 3))
  const half = samples.slice(Math.floor(samples.length / 2))
  let slope = Number.NaN
  if (half.length >= 2) {
    const n = half.length
    const mx = half.reduce((a, [t]) => a + t, 0) / n
    const my = half.reduce((a, [, v]) => a + mb(v), 0) / n
    const sxx = half.reduce((a, [t]) => a + (t - mx) ** 2, 0)
    const sxy = half.reduce((a, [t, v]) => a + (t - mx) * (mb(v) - my), 0)
    slope = sxx > 0 ? (sxy / sxx) * 60 : Number.NaN
  }
  return {
    plateauMb: Math.max(...lastThird.map(([, v]) => mb(v))),
    anonPlateauMb: Math.max(...lastThird.map(([, , anon]) => mb(anon))),
    peakMb: Math.max(...samples.map(([, v]) => mb(v))),
    slopeMbPerMin: slope
  }
}

function runLoad(job: ChurnLoadJob): { result: Promise<ChurnLoadResult>; kill: () => void } {
  const child = spawnPinned(GENERATOR_CPU, [process.execPath, '--import', 'tsx', join(ROOT, 'bench/churn-load.ts'), JSON.stringify(job)])
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)))
  const result = new Promise<ChurnLoadResult>((resolve, reject) => {
    child.once('exit', (code, signal) => {
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as ChurnLoadResult)
      } catch {
        reject(new Error(`churn load exited with ${signal ?? code}: ${stderr.trim() || stdout.trim() || '(no output)'}`))
      }
    })
  })
  return { result, kill: () => child.kill('SIGKILL') }
}

function dirBytes(dir: string): number {
  let total = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    total += entry.isDirectory() ? dirBytes(path) : statSync(path).size
  }
  return total
}

export async function runChurn(target: ChurnTarget, seconds: number, seed: number, log: (line: string) => void): Promise<ChurnRun> {
  const run: ChurnRun = {
    target,
    seconds,
    samples: [],
    plateauMb: Number.NaN,
    anonPlateauMb: Number.NaN,
    peakMb: Number.NaN,
    slopeMbPerMin: Number.NaN,
    idleMb: Number.NaN,
    load: null,
    healthy: false
  }
  const broker: BrokerName = target === 'mosquitto' ? 'mosquitto' : 'brokerscope'
  const dataDir = broker === 'brokerscope' ? mkdtempSync(join(tmpdir(), 'bench-churn-')) : undefined
  let running: Running | null = null
  let stopLoad: (() => void) | null = null
  try {
    running = await startBroker(broker, {
      persistence: target === 'brokerscope-store',
      dataDir,
      maxQueuedMessages: CHURN_BOUNDS.maxQueuedMessages,
      maxInflightMessages: CHURN_BOUNDS.maxInflightMessages
    })
    run.idleMb = memoryKiB(running.pid).rss / 1024
    const load = runLoad({ port: running.port, seconds, seed, ...CHURN_LOAD })
    stopLoad = load.kill
    const t0 = performance.now()
    let done = false
    const finished = load.result.finally(() => (done = true))
    let nextLog = 15
    while (!done) {
      const memory = memoryKiB(running.pid)
      const kib = memory.rss
      const t = (performance.now() - t0) / 1000
      if (Number.isFinite(kib)) run.samples.push([t, kib, memory.anon])
      else throw new Error(`${broker} is gone during the churn:\n${running.stderrTail()}`)
      if (t >= nextLog) {
        log(`[churn] ${CHURN_LABEL[target]}: ${t.toFixed(0)} s, RSS ${(kib / 1024).toFixed(0)} MB`)
        nextLog += 15
      }
      await Promise.race([sleep(SAMPLE_MS), finished.catch(() => {})])
    }
    run.load = await finished
    Object.assign(run, churnFigures(run.samples))
    const probe = await MiniClient.connect({ port: running.port, clientId: 'churn-probe', clean: true, timeoutMs: 10_000 })
    await probe.disconnect()
    run.healthy = true
  } catch (err) {
    run.error = err instanceof Error ? err.message : String(err)
  } finally {
    stopLoad?.()
    await running?.stop(30_000)
    if (dataDir) {
      if (target === 'brokerscope-store') run.storeBytes = dirBytes(join(dataDir, 'store'))
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
  return run
}

/** One line for the log. */
export function churnSummary(r: ChurnRun): string {
  if (r.error) return `${CHURN_LABEL[r.target]}: error: ${r.error}`
  const l = r.load!
  const errors = Object.entries(l.errors)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ')
  return (
    `${CHURN_LABEL[r.target]}: plateau ${r.plateauMb.toFixed(0)} MB (anonymous ${r.anonPlateauMb.toFixed(0)} MB; peak ${r.peakMb.toFixed(0)}, idle ${r.idleMb.toFixed(0)}), ` +
    `slope ${r.slopeMbPerMin.toFixed(1)} MB/min over the second half; ${l.cyclesPerSecond.toFixed(0)} cycles/s ` +
    `(${l.cyclesDone} done, ${l.behind} behind the pace, load CPU ${l.cpuPercent.toFixed(0)} %), ${l.acknowledged} of ${l.published} QoS 1 acknowledged, ${l.received} received` +
    `${errors ? `; errors: ${errors}` : ''}${l.sessionsLost > 0 ? `; ${l.sessionsLost} sessions lost` : ''}${r.healthy ? '' : '; NOT answering after the load'}`
  )
}
