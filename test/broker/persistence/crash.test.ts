import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort } from '../../helpers/broker-harness'
import { crashSummary, runCrashLoad } from '../../helpers/crash-load'

/**
 * The durability guarantee under SIGKILL (issue 10): a broker child process under QoS 1 and QoS 2
 * load to persistent subscribers, with retained updates, is killed at random points and restarted
 * on the same data folder. Every message whose PUBACK (QoS 1) or PUBREC→PUBCOMP (QoS 2) the
 * publisher received must reach every persistent subscriber (QoS 2 exactly once, QoS 1 at least
 * once), and every acknowledged retained value must be there. The load, the kills and the
 * bookkeeping are in test/helpers/crash-load.ts, which `npm run bench` runs with 500 kill points
 * (bench/crash.ts).
 *
 * CRASH_KILL_POINTS (default 50) sets how many kills, CRASH_SEED the random kill points.
 */
const KILL_POINTS = Number(process.env.CRASH_KILL_POINTS ?? 50)
const SEED = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000)

describe('durability under SIGKILL', () => {
  const dirs: string[] = []
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it(`loses nothing acknowledged over ${KILL_POINTS} kill -9 points (QoS 1, QoS 2, retained; seed ${SEED})`, {
    timeout: 60_000 + KILL_POINTS * 4000
  }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'brokerscope-crash-'))
    dirs.push(dataDir)
    const result = await runCrashLoad({ dataDir, port: await freePort(), killPoints: KILL_POINTS, seed: SEED })
    console.log(`crash test: ${crashSummary(result)}`)
    expect(result.restarts).toBe(KILL_POINTS)
    expect(result.storeSetAside).toBe(0)
    expect(result.acknowledged.qos1).toBeGreaterThan(KILL_POINTS)
    expect(result.acknowledged.qos2).toBeGreaterThan(KILL_POINTS)
    expect(result.lost.qos1).toEqual([])
    expect(result.lost.qos2).toEqual([])
    expect(result.qos2Duplicates).toEqual([])
    expect(result.retainedProblems).toEqual([])
  })
})
