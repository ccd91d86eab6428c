/**
 * A long fuzzing run of the inspector's command protocol (test/fuzz/inspector-fuzzer.ts) against an
 * in-process broker behind a real ui-server: reports the case count, cases per second, and any
 * failure with its seed and case indices (regenerate one with generateCommandCase). Exits 1 on a
 * failure. `npm run fuzz:inspector` runs 1,000,000 cases (about 8 minutes on this machine).
 *
 *   npx tsx bench/inspector-fuzz.ts --cases 1000000 [--seed N] [--sockets 4] [--window 16] [--keep-going] [--json]
 */
import { formatCommandFailure, runInspectorFuzz, type InspectorFuzzOptions } from '../test/fuzz/inspector-fuzzer'

const USAGE = `usage: npx tsx bench/inspector-fuzz.ts [options]

  --cases n       cases to run (default 1000000)
  --seed n        PRNG seed (default: random, printed)
  --sockets n     UI WebSockets at once (default 4)
  --window n      requests in flight per socket (default 16)
  --keep-going    do not stop at the first failure
  --json          print the result as one JSON line at the end
  --help`

function parseArgs(argv: string[]): { options: InspectorFuzzOptions; json: boolean } | null {
  const options: InspectorFuzzOptions = { cases: 1_000_000 }
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
      case '--sockets':
        options.sockets = Math.max(1, value())
        break
      case '--window':
        options.window = Math.max(1, value())
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
  console.log(`fuzzing the inspector's command protocol: ${options.cases} cases, seed ${seed}`)
  const result = await runInspectorFuzz({
    ...options,
    seed,
    onProgress: (done, elapsedMs) => {
      if (done % 50_000 < 2_500) {
        const rate = Math.round((done * 1000) / Math.max(1, elapsedMs))
        process.stdout.write(`  ${done} cases, ${rate}/s, ${(elapsedMs / 1000).toFixed(0)} s\n`)
      }
    }
  })
  console.log(
    `${result.cases} cases in ${(result.durationMs / 1000).toFixed(1)} s: ${result.casesPerSecond} cases/s; ` +
      `replies ok ${result.replies.ok}, refused ${result.replies.refused} (${result.replies.withoutId} without an id); ` +
      `probes ${result.probesReceived}/${result.probesSent}; ${result.witnessed} messages delivered to the health clients; seed ${result.seed}`
  )
  console.log(`by mutation: ${JSON.stringify(result.byMutation)}`)
  for (const failure of result.failures) console.log(`\nFAILURE ${formatCommandFailure(failure)}`)
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
