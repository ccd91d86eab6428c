/**
 * The crash step of `npm run bench` (issue 10): test/helpers/crash-load.ts, the load the crash test
 * in `npm test` runs with 50 kill points, here with 500 (--crash-kill-points): the built broker
 * (`node out/main/cli.js`, persistence on) under QoS 1 and QoS 2 load to persistent subscribers
 * and retained updates, killed with SIGKILL at random points and restarted on the same data
 * folder. Not pinned to cores: what is measured is loss, not speed.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type CrashRunResult, crashSummary, runCrashLoad } from '../test/helpers/crash-load'
import { freePort } from './brokers'

export interface CrashStep {
  killPoints: number
  seed: number
  result: CrashRunResult | null
  error?: string
}

/**
 * Loss, QoS 2 duplicates, retained values behind, a store set aside, fewer restarts than asked, or
 * no more acknowledged messages than kills (the crash test's checks): the step fails.
 */
export function crashFailures(step: CrashStep): string[] {
  const r = step.result
  if (!r) return [step.error ?? 'did not run']
  const out: string[] = []
  if (r.restarts !== step.killPoints) out.push(`${r.restarts} of ${step.killPoints} restarts`)
  // As the test asks: more acknowledged than kills, or the load did not run between the kills.
  if (r.acknowledged.qos1 <= step.killPoints)
    out.push(`only ${r.acknowledged.qos1} QoS 1 messages acknowledged over ${step.killPoints} kills`)
  if (r.acknowledged.qos2 <= step.killPoints)
    out.push(`only ${r.acknowledged.qos2} QoS 2 messages acknowledged over ${step.killPoints} kills`)
  if (r.lost.qos1.length > 0) out.push(`${r.lost.qos1.length} acknowledged QoS 1 messages lost`)
  if (r.lost.qos2.length > 0) out.push(`${r.lost.qos2.length} acknowledged QoS 2 messages lost`)
  if (r.qos2Duplicates.length > 0) out.push(`${r.qos2Duplicates.length} QoS 2 messages delivered twice`)
  if (r.retainedProblems.length > 0)
    out.push(`${r.retainedProblems.length} retained values behind: ${r.retainedProblems.slice(0, 3).join('; ')}`)
  if (r.storeSetAside > 0) out.push(`the store was set aside as unusable ${r.storeSetAside} times`)
  return out
}

export async function runCrashStep(killPoints: number, seed: number, log: (line: string) => void): Promise<CrashStep> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-crash-'))
  const step: CrashStep = { killPoints, seed, result: null }
  const started = performance.now()
  try {
    step.result = await runCrashLoad({
      dataDir,
      port: await freePort(),
      killPoints,
      seed,
      onRestart: (restarts) => {
        if (restarts % 50 === 0)
          log(`[crash] ${restarts}/${killPoints} kill -9 restarts, ${((performance.now() - started) / 1000).toFixed(0)} s`)
      }
    })
    log(`[crash] ${crashSummary(step.result)} in ${step.result.seconds.toFixed(0)} s`)
  } catch (err) {
    step.error = err instanceof Error ? err.message : String(err)
    log(`[crash] error: ${step.error}`)
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
  return step
}
