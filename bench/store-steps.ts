/**
 * The store steps of `npm run bench` (issue 10), run after the scenarios and the fuzz run:
 * restart time with a full store (bench/restart.ts), the churn soak (bench/churn.ts) and the
 * crash run with 500 kill points (bench/crash.ts). Each is its own id for `--only`.
 */
import type { BrokerName } from './brokers'
import { CHURN_TARGETS, type ChurnRun, churnSummary, runChurn } from './churn'
import { type CrashStep, runCrashStep } from './crash'
import { DEFAULT_RESTART_SPEC, type RestartRun, runRestart } from './restart'

export const STORE_STEPS = ['restart', 'churn', 'crash'] as const
export type StoreStep = (typeof STORE_STEPS)[number]

export interface StoreStepOptions {
  steps: StoreStep[]
  brokers: BrokerName[]
  restartReps: number
  churnSeconds: number
  crashKillPoints: number
  crashSeed: number
}

export interface StoreSteps {
  restart: RestartRun[] | null
  churn: ChurnRun[] | null
  crash: CrashStep | null
  /** Wall time of each step, s. */
  seconds: Partial<Record<StoreStep, number>>
}

export async function runStoreSteps(options: StoreStepOptions, log: (line: string) => void): Promise<StoreSteps> {
  const out: StoreSteps = { restart: null, churn: null, crash: null, seconds: {} }
  const timed = async <T>(step: StoreStep, run: () => Promise<T>): Promise<T> => {
    const t0 = performance.now()
    try {
      return await run()
    } finally {
      out.seconds[step] = (performance.now() - t0) / 1000
    }
  }
  const withStore = options.brokers.filter((b): b is 'brokerscope' | 'mosquitto' => b === 'brokerscope' || b === 'mosquitto')
  if (options.steps.includes('restart')) {
    out.restart = await timed('restart', async () => {
      const runs: RestartRun[] = []
      for (const broker of withStore) runs.push(await runRestart(broker, { ...DEFAULT_RESTART_SPEC, reps: options.restartReps }, log))
      return runs
    })
  }
  if (options.steps.includes('churn')) {
    out.churn = await timed('churn', async () => {
      const runs: ChurnRun[] = []
      const targets = CHURN_TARGETS.filter((t) => withStore.includes(t === 'mosquitto' ? 'mosquitto' : 'brokerscope'))
      for (const target of targets) {
        log(`[churn] ${target}: ${options.churnSeconds} s`)
        const run = await runChurn(target, options.churnSeconds, options.crashSeed, log)
        log(`[churn] ${churnSummary(run)}`)
        runs.push(run)
      }
      return runs
    })
  }
  if (options.steps.includes('crash') && options.brokers.includes('brokerscope')) {
    log(`[crash] ${options.crashKillPoints} kill -9 points, seed ${options.crashSeed}`)
    out.crash = await timed('crash', () => runCrashStep(options.crashKillPoints, options.crashSeed, log))
  }
  return out
}
