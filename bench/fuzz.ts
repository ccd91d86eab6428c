/**
 * A long protocol-fuzzing run against an in-process broker (or a running one with --port):
 * reports the case count, cases per second and any failure with its seed and case indices.
 * Exits 1 on a failure. Self-contained: only test/fuzz/fuzzer.ts is shared with the vitest run.
 *
 *   npx tsx bench/fuzz.ts --cases 1000000 [--seed N] [--concurrency 48] [--port 1883] [--keep-going] [--json]
 */
import { formatFailure, runFuzz, type FuzzOptions } from '../test/fuzz/fuzzer'

const USAGE = `usage: npx tsx bench/fuzz.ts [options]

  --cases n          cases to run (default 100000)
  --seed n           PRNG seed (default: random, printed)
  --concurrency n    fuzz sockets at once (default 48)
  --port n           fuzz a broker already listening on 127.0.0.1:n (default: start one in this process)
  --keep-going       do not stop at the first failure
  --json             print the result as one JSON line at the end
  --help`

function parseArgs(argv: string[]): { options: FuzzOptions; json: boolean } | null {
  const options: FuzzOptions = { cases: 100_000 }
  let json = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined]
    const value = (): number => {
      const text = inline ?? argv[++i]
      const n = Number(text)
      if (text === undefined || !Number.isInteger(n) || n < 0) throw new Error(`${name} needs a whole number (got ${text})`)
      return n
    }
    switch (name) {
      case '--cases':
        options.cases = value()
        break
      case '--seed':
        options.seed = value()
        break
      case '--concurrency':
        options.concurrency = Math.max(1, value())
        break
      case '--port':
        options.port = value()
        break
      case '--keep-going':
        options.stopOnFailure = false
        break
      case '--json':
        json = true
        break
      case '--help':
      case '-h':
        return null
      default:
        throw new Error(`unknown option ${arg}`)
    }
  }
  return { options, json }
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs(process.argv.slice(2))
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`)
    return 2
  }
  if (parsed === null) {
    console.log(USAGE)
    return 0
  }
  const { options, json } = parsed
  const seed = options.seed ?? (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) >>> 0
  console.log(`fuzzing ${options.port ? `127.0.0.1:${options.port}` : 'an in-process broker'}: ${options.cases} cases, seed ${seed}`)
  const result = await runFuzz({
    ...options,
    seed,
    onProgress: (done, elapsedMs) => {
      const rate = Math.round((done * 1000) / Math.max(1, elapsedMs))
      process.stdout.write(`  ${done} cases, ${rate}/s, ${(elapsedMs / 1000).toFixed(0)} s\n`)
    }
  })
  console.log(
    `${result.cases} cases in ${(result.durationMs / 1000).toFixed(1)} s: ${result.casesPerSecond} cases/s on ${result.sockets} sockets ` +
      `(answered ${result.outcomes.answered}, closed ${result.outcomes.closed}, silent ${result.outcomes.silent}); ` +
      `probes ${result.probesReceived}/${result.probesSent}; ${result.witnessed} messages witnessed; seed ${result.seed}`
  )
  for (const line of result.otherErrors.slice(0, 10)) console.log(`broker logged (not a failure): ${line}`)
  for (const failure of result.failures) console.log(`\nFAILURE ${formatFailure(failure)}`)
  console.log(result.failures.length === 0 ? 'no failures' : `${result.failures.length} failure(s)`)
  if (json) {
    console.log(
      JSON.stringify({
        cases: result.cases,
        casesPerSecond: result.casesPerSecond,
        durationMs: result.durationMs,
        seed: result.seed,
        failures: result.failures.length
      })
    )
  }
  return result.failures.length === 0 ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
