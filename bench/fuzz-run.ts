/**
 * The long protocol-fuzz run at the end of `npm run bench`: bench/fuzz.ts (the fuzzer itself is
 * test/fuzz/fuzzer.ts) in its own process, with a case count and a time budget. At the budget the
 * process is stopped and the cases done so far (from its progress lines) are reported, so the
 * whole suite keeps to its time. The fuzzer stops at its first failure, so a run cut short by the
 * budget has not hidden one.
 *
 *   node --import tsx bench/fuzz.ts --cases N --json
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { GENERATOR_CPU, ROOT, spawnPinned, startBroker, type Running } from './brokers'

export interface FuzzRun {
  /** What was run (for the report). */
  command: string
  casesAsked: number
  budgetSeconds: number
  /** Cases done (all of them, or as far as it got within the budget). */
  cases: number
  casesPerSecond: number
  seconds: number
  seed: number | null
  /** Stopped at the time budget before all cases were done. */
  stoppedByBudget: boolean
  exitCode: number | null
  /** The fuzzer's count of failures (0 when none were found). */
  failureCount: number
  /** The FAILURE blocks it printed (reproduction: seed and case indices), the first few. */
  failures: string[]
  /** Its summary line (outcomes, probes, sockets), when it finished. */
  summary: string | null
  /** It could not run, or ended without a result. */
  error?: string
}

export const FUZZ_SCRIPT = join(ROOT, 'bench/fuzz.ts')
const MAX_FAILURES_KEPT = 5

/**
 * The built broker runs as its own process on the broker's core and the fuzzer on the generator's
 * (in one process they shared a core: about 3,000 cases/s; apart, about 3,900). A broker that
 * exits, or logs an error, during the run is a failure too.
 */
export async function runFuzzStep(cases: number, budgetSeconds: number, log: (line: string) => void): Promise<FuzzRun> {
  let broker: Running
  try {
    broker = await startBroker('brokerscope')
  } catch (error) {
    return failedToStart(cases, budgetSeconds, `could not start BrokerScope: ${String(error)}`)
  }
  const run = await fuzzAgainst(broker.port, cases, budgetSeconds, log)
  const alive = isAlive(broker.pid)
  const errors = broker
    .stderrTail()
    .split('\n')
    .filter((line) => /\bERROR\b/.test(line))
  await broker.stop()
  if (!alive) {
    run.failureCount++
    run.failures.push('the broker process exited during the fuzz run')
  }
  if (errors.length > 0) {
    run.failureCount++
    run.failures.push(`the broker logged errors:\n${errors.slice(0, 5).join('\n')}`)
  }
  return run
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

function failedToStart(cases: number, budgetSeconds: number, error: string): FuzzRun {
  return {
    command: 'npx tsx bench/fuzz.ts',
    casesAsked: cases,
    budgetSeconds,
    cases: 0,
    casesPerSecond: NaN,
    seconds: 0,
    seed: null,
    stoppedByBudget: false,
    exitCode: null,
    failureCount: 0,
    failures: [],
    summary: null,
    error
  }
}

function fuzzAgainst(port: number, cases: number, budgetSeconds: number, log: (line: string) => void): Promise<FuzzRun> {
  const args = ['--cases', String(cases), '--json', '--port', String(port)]
  const run: FuzzRun = {
    command: `npx tsx bench/fuzz.ts ${args.join(' ')}`,
    casesAsked: cases,
    budgetSeconds,
    cases: 0,
    casesPerSecond: NaN,
    seconds: NaN,
    seed: null,
    stoppedByBudget: false,
    exitCode: null,
    failureCount: 0,
    failures: [],
    summary: null
  }
  if (!existsSync(FUZZ_SCRIPT)) return Promise.resolve({ ...run, error: 'bench/fuzz.ts is missing' })

  return new Promise((resolve) => {
    const started = Date.now()
    const child = spawnPinned(GENERATOR_CPU, [process.execPath, '--import', 'tsx', FUZZ_SCRIPT, ...args])
    let partial = ''
    let stderr = ''
    let failureBlock: string[] | null = null
    let lastProgressLog = started
    let json: { cases?: number; casesPerSecond?: number; durationMs?: number; seed?: number; failures?: number } | null = null

    const endBlock = (): void => {
      if (failureBlock && run.failures.length < MAX_FAILURES_KEPT) run.failures.push(failureBlock.join('\n'))
      failureBlock = null
    }
    const onLine = (line: string): void => {
      if (failureBlock && /^\s+\S/.test(line)) {
        if (failureBlock.length < 8) failureBlock.push(line)
        return
      }
      endBlock()
      if (line.startsWith('FAILURE')) {
        failureBlock = [line]
        return
      }
      const seed = /seed (\d+)\s*$/.exec(line)
      const progress = /^\s+(\d+) cases, (\d+)\/s, (\d+) s$/.exec(line)
      if (seed && line.startsWith('fuzzing')) {
        run.seed = Number(seed[1])
      } else if (progress) {
        // Progress, about once a second: what is reported if the budget stops the run.
        run.cases = Number(progress[1])
        run.casesPerSecond = Number(progress[2])
        run.seconds = Number(progress[3])
        if (Date.now() - lastProgressLog >= 30_000) {
          lastProgressLog = Date.now()
          log(`[fuzz] ${run.cases.toLocaleString('en-US')} cases, ${run.casesPerSecond.toLocaleString('en-US')}/s`)
        }
      } else if (/^\d+ cases in [\d.]+ s:/.test(line)) {
        run.summary = line
      } else if (line.startsWith('{')) {
        try {
          json = JSON.parse(line) as typeof json
        } catch {
          // not the result line
        }
      }
    }
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) onLine(line)
    })
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)))

    const budget = setTimeout(() => {
      run.stoppedByBudget = true
      child.kill('SIGTERM')
      setTimeout(() => child.kill('SIGKILL'), 5000).unref()
    }, budgetSeconds * 1000)

    child.once('exit', (code, signal) => {
      clearTimeout(budget)
      if (partial) onLine(partial)
      endBlock()
      run.exitCode = code
      if (json !== null) {
        const result = json as NonNullable<typeof json>
        run.cases = result.cases ?? run.cases
        run.casesPerSecond = result.casesPerSecond ?? run.casesPerSecond
        run.seconds = result.durationMs !== undefined ? result.durationMs / 1000 : run.seconds
        run.seed = result.seed ?? run.seed
        run.failureCount = result.failures ?? run.failures.length
        // Finished before the timer fired, or with the result already out.
        run.stoppedByBudget = run.stoppedByBudget && run.cases < cases
      } else {
        run.failureCount = run.failures.length
        if (!run.stoppedByBudget) {
          run.error = `bench/fuzz.ts ended (${signal ?? `exit ${code}`}) without a result: ${stderr.trim().split('\n').slice(-5).join(' ') || '(no output)'}`
        }
      }
      if (!Number.isFinite(run.seconds)) run.seconds = (Date.now() - started) / 1000
      resolve(run)
    })
  })
}
