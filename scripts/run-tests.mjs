#!/usr/bin/env node
// `npm test`: build, typecheck and lint, then vitest, then Playwright (when e2e/ has specs). Prints one summary line
// per stage and, last, exactly one line `N passed, N failed` (`, N skipped` when any were
// skipped) summed from the vitest and Playwright JSON reports. Exits non-zero when a test failed
// or a stage crashed. A crashed stage (non-zero exit the JSON report does not explain, or no
// report at all) counts as one failure in the final line so the line never looks green.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const VITEST_JSON = join(root, '.vitest-results.json')
const PLAYWRIGHT_JSON = join(root, '.playwright-results.json')

/** @type {{ name: string, passed: number, failed: number, skipped: number, crashed: boolean, note: string }[]} */
const stages = []
/** Failed tests, named again in the summary: CI keeps only the tail of the output. */
const failures = []

/** ANSI colour codes, which the reporters put in their messages (built from a string: the linter refuses a control character in a regex literal). */
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g')

function firstLine(text) {
  return String(text ?? '')
    .replace(ANSI_COLOUR, '')
    .split('\n')
    .find((line) => line.trim() !== '')
    ?.trim()
    .slice(0, 300)
}

function run(command, args, env = {}) {
  const started = Date.now()
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env }
  })
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  if (result.error) return { code: -1, seconds, error: result.error.message }
  if (result.signal) return { code: -1, seconds, error: `killed by ${result.signal}` }
  return { code: result.status ?? -1, seconds, error: '' }
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return null
  }
}

function banner(text) {
  console.log(`\n=== ${text} ===`)
}

// (a) Build: the headless CLI tests spawn out/main/cli.js.
banner('build: electron-vite build')
{
  const r = run('npx', ['electron-vite', 'build'])
  const ok = r.code === 0
  stages.push({
    name: 'build',
    passed: 0,
    failed: 0,
    skipped: 0,
    crashed: !ok,
    note: ok ? `ok (${r.seconds}s)` : `FAILED (exit ${r.code}${r.error ? `, ${r.error}` : ''}, ${r.seconds}s)`
  })
}

// (a2) Static checks: the type checker and the linter/formatter (Biome; see biome.json). A finding
// fails the run like a failing test; `npx biome check --write .` fixes what can be fixed.
for (const [name, command, args] of [
  ['typecheck', 'npm', ['run', '-s', 'typecheck']],
  ['lint', 'npx', ['biome', 'ci', '--reporter=summary', '.']]
]) {
  banner(`${name}: ${command} ${args.join(' ')}`)
  const r = run(command, args)
  const ok = r.code === 0
  stages.push({
    name,
    passed: 0,
    failed: 0,
    skipped: 0,
    crashed: !ok,
    note: ok ? `ok (${r.seconds}s)` : `FAILED (exit ${r.code}${r.error ? `, ${r.error}` : ''}, ${r.seconds}s)`
  })
  if (!ok && name === 'lint') {
    // Name the findings again in the summary, one line each (file:line rule), as for failed tests.
    const again = spawnSync('npx', ['biome', 'ci', '--reporter=github', '.'], { cwd: root, encoding: 'utf8' })
    const findings = String(again.stdout ?? '')
      .split('\n')
      .filter((line) => line.startsWith('::'))
      .slice(0, 20)
    for (const finding of findings) failures.push(`lint ${finding}`)
  }
}

// (b) Unit and integration tests.
banner('vitest')
{
  rmSync(VITEST_JSON, { force: true })
  const r = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile=${VITEST_JSON}`])
  const report = readJson(VITEST_JSON)
  const stage = { name: 'vitest', passed: 0, failed: 0, skipped: 0, crashed: false, note: '' }
  if (!report) {
    stage.crashed = true
    stage.note = `no JSON report (exit ${r.code}${r.error ? `, ${r.error}` : ''})`
  } else {
    stage.passed = report.numPassedTests ?? 0
    stage.failed = report.numFailedTests ?? 0
    stage.skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0)
    // A test file that fails to load or throws outside a test has no failed test in it.
    const brokenFiles = (report.testResults ?? []).filter(
      (file) => file.status === 'failed' && !(file.assertionResults ?? []).some((test) => test.status === 'failed')
    )
    stage.failed += brokenFiles.length
    for (const file of report.testResults ?? []) {
      const name = file.name.replace(`${root}/`, '')
      for (const test of file.assertionResults ?? []) {
        if (test.status === 'failed') failures.push(`vitest ${name} > ${test.fullName}: ${firstLine(test.failureMessages?.[0])}`)
      }
      if (brokenFiles.includes(file)) failures.push(`vitest ${name}: ${firstLine(file.message)}`)
    }
    const notes = [`${(report.testResults ?? []).length} test file(s)`]
    if (brokenFiles.length) {
      notes.push(`${brokenFiles.length} file(s) failed outside any test, counted as failures`)
      for (const file of brokenFiles) console.log(`vitest: file failed: ${file.name} ${(file.message ?? '').split('\n')[0]}`)
    }
    if (r.code !== 0 && stage.failed === 0) {
      stage.crashed = true
      notes.push(`exit ${r.code} with no failed test (unhandled error, no test files, ...)`)
    }
    stage.note = notes.join('; ')
  }
  stages.push(stage)
}

// (c) End-to-end tests, only when there is something to run.
{
  const e2eDir = join(root, 'e2e')
  const specs = existsSync(e2eDir) ? readdirSync(e2eDir, { recursive: true }).filter((f) => String(f).endsWith('.spec.ts')) : []
  if (specs.length === 0) {
    banner('playwright: no e2e/*.spec.ts, skipped')
  } else {
    banner('playwright')
    rmSync(PLAYWRIGHT_JSON, { force: true })
    const r = run('npx', ['playwright', 'test', '--reporter=list,json'], {
      PLAYWRIGHT_JSON_OUTPUT_NAME: PLAYWRIGHT_JSON
    })
    const report = readJson(PLAYWRIGHT_JSON)
    const stage = { name: 'playwright', passed: 0, failed: 0, skipped: 0, crashed: false, note: '' }
    if (!report?.stats) {
      stage.crashed = true
      stage.note = `no JSON report (exit ${r.code}${r.error ? `, ${r.error}` : ''})`
    } else {
      const { expected = 0, unexpected = 0, flaky = 0, skipped = 0 } = report.stats
      stage.passed = expected + flaky
      stage.failed = unexpected
      stage.skipped = skipped
      collectPlaywrightFailures(report.suites ?? [], [])
      const notes = [`${specs.length} spec file(s)`]
      if (flaky) notes.push(`${flaky} flaky (passed on retry)`)
      const errors = report.errors ?? []
      if (errors.length) {
        notes.push(`${errors.length} error(s) outside tests`)
        for (const e of errors) console.log(`playwright: ${(e.message ?? String(e)).split('\n')[0]}`)
      }
      if (r.code !== 0 && stage.failed === 0) {
        stage.crashed = true
        notes.push(`exit ${r.code} with no failed test`)
      }
      stage.note = notes.join('; ')
    }
    stages.push(stage)
  }
}

function collectPlaywrightFailures(suites, titles) {
  for (const suite of suites) {
    const path = suite.title ? [...titles, suite.title] : titles
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests ?? []) {
        if (test.status !== 'unexpected') continue
        const error = test.results?.at(-1)?.error?.message
        failures.push(`playwright [${test.projectName}] ${[...path, spec.title].join(' > ')}: ${firstLine(error)}`)
      }
    }
    collectPlaywrightFailures(suite.suites ?? [], path)
  }
}

banner('summary')
if (failures.length) {
  console.log('failed tests:')
  for (const failure of failures) console.log(`  ${failure}`)
}
let passed = 0
let failed = 0
let skipped = 0
for (const s of stages) {
  const counts = ['build', 'typecheck', 'lint'].includes(s.name) ? '' : `${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped; `
  console.log(`${s.name}: ${counts}${s.note}${s.crashed ? ' [CRASHED, counted as 1 failure]' : ''}`)
  passed += s.passed
  failed += s.failed + (s.crashed ? 1 : 0)
  skipped += s.skipped
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exitCode = failed > 0 ? 1 : 0
