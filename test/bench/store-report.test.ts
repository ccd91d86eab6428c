import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { churnFigures, type ChurnRun } from '../../bench/churn'
import type { CrashStep } from '../../bench/crash'
import { storeSection, writeStoreSection } from '../../bench/store-report'
import type { StoreSteps } from '../../bench/store-steps'

/** The bench's store figures: plateau and slope from RSS samples, and the report section that keeps what was not rerun. */
describe('bench store figures', () => {
  const dirs: string[] = []
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it('takes the plateau from the last third and the slope from the second half', () => {
    // Rises 10 MB per 2 s for 30 s, then flat at 200 MB: a plateau, no leak.
    const mb = (v: number): number => v * 1024
    const samples: Array<[number, number, number]> = []
    for (let t = 0; t <= 90; t += 2) samples.push([t, mb(Math.min(200, 50 + 5 * t)), mb(Math.min(150, 40 + 4 * t))])
    const flat = churnFigures(samples)
    expect(flat.plateauMb).toBe(200)
    expect(flat.anonPlateauMb).toBe(150)
    expect(flat.peakMb).toBe(200)
    expect(flat.slopeMbPerMin).toBeCloseTo(0, 6)
    // A leak: 1 MB per second keeps climbing.
    const leak = churnFigures(samples.map(([t, v, a]) => [t, v + mb(t), a + mb(t)]))
    expect(leak.slopeMbPerMin).toBeCloseTo(60, 6)
    expect(leak.plateauMb).toBe(290)
  })

  it('replaces only the parts of the store section that ran again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-report-'))
    dirs.push(dir)
    const path = join(dir, 'benchmarks.md')
    writeFileSync(path, '# Benchmarks\n\nintro\n\n## Scenarios\n\n- fan-in\n')
    const crash = (kills: number): CrashStep => ({
      killPoints: kills,
      seed: 7,
      result: {
        seed: 7,
        killPoints: kills,
        restarts: kills,
        sent: { qos1: 100, qos2: 50, retained: 30 },
        acknowledged: { qos1: 90, qos2: 40, retained: 25 },
        lost: { qos1: [], qos2: [] },
        qos2Duplicates: [],
        qos1Duplicates: 3,
        retainedProblems: [],
        storeSetAside: 0,
        restartMs: [300, 400],
        seconds: 12
      }
    })
    const churn: ChurnRun = {
      target: 'mosquitto',
      seconds: 60,
      samples: [],
      plateauMb: 80,
      anonPlateauMb: 70,
      peakMb: 81,
      slopeMbPerMin: 1,
      idleMb: 8,
      healthy: true,
      load: {
        seconds: 60,
        cyclesStarted: 7200,
        cyclesDone: 7200,
        cyclesPerSecond: 120,
        behind: 0,
        leftCleanly: 3600,
        dropped: 3600,
        published: 36000,
        acknowledged: 36000,
        received: 1000,
        sessionsLost: 0,
        cpuPercent: 20,
        errors: {},
        firstErrors: []
      }
    }
    const none = (): number => Number.NaN
    const steps = (s: Partial<StoreSteps>): StoreSteps => ({ restart: null, churn: null, crash: null, seconds: {}, ...s })
    writeStoreSection(storeSection(steps({ crash: crash(500), churn: [churn] }), none, 'day 1'), path)
    let text = readFileSync(path, 'utf8')
    expect(text).toContain('### Crash run')
    expect(text).toContain('| 500 | 7 |')
    expect(text.indexOf('## The store')).toBeLessThan(text.indexOf('## Scenarios'))

    // Only the crash run again: the churn part from day 1 stays, the crash part is day 2's.
    writeStoreSection(storeSection(steps({ crash: crash(20) }), none, 'day 2'), path)
    text = readFileSync(path, 'utf8')
    expect(text).toContain('| 20 | 7 |')
    expect(text).not.toContain('| 500 | 7 |')
    expect(text).toContain('### Churn soak')
    expect(text).toMatch(/### Churn soak\n\nMeasured day 1/)
    expect(text).toMatch(/### Crash run\n\nMeasured day 2/)
    expect(text.match(/## The store/g)).toHaveLength(1)
    expect(text).toContain('intro')
    expect(text).toContain('- fan-in')
  })
})
