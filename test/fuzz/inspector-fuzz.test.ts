import mqtt from 'mqtt'
import { describe, expect, it } from 'vitest'
import { COMMAND_NAMES } from '../../src/shared/api'
import { startTestBroker } from '../helpers/broker-harness'
import { COMMAND_MUTATIONS, formatCommandFailure, generateCommandCase, runInspectorFuzz } from './inspector-fuzzer'

/**
 * Fuzzing the inspector's command protocol (see inspector-fuzzer.ts) over the headless UI's
 * WebSocket: the broker must answer every request exactly once and stay up, its MQTT clients
 * connected. INSPECTOR_FUZZ_SEED=<n> reruns a seed; INSPECTOR_FUZZ_CASES=<n> changes the count.
 * Long runs: `npm run fuzz:inspector` (1,000,000 cases).
 */
const CASES = Number(process.env.INSPECTOR_FUZZ_CASES ?? 20_000)
const SEED = process.env.INSPECTOR_FUZZ_SEED !== undefined ? Number(process.env.INSPECTOR_FUZZ_SEED) : (Date.now() % 0x7fffffff) >>> 0

describe('inspector command fuzzer', () => {
  it('generates the same case for the same seed and index, and covers every mutation and command', () => {
    const a = generateCommandCase(77, 5, 1)
    const b = generateCommandCase(77, 5, 1)
    expect(a).toEqual(b)
    const mutations = new Set<string>()
    const commands = new Set<string>()
    for (let i = 0; i < 5000; i++) {
      const c = generateCommandCase(123, i, i + 1)
      mutations.add(c.mutation.split('+')[0])
      if ('text' in c.frame && c.mutation === 'none') commands.add((JSON.parse(c.frame.text) as { command: string }).command)
    }
    expect([...mutations].sort()).toEqual([...COMMAND_MUTATIONS].sort())
    expect([...commands].sort()).toEqual([...COMMAND_NAMES].sort())
  })

  it(`survives ${CASES} commands while answering each and serving its MQTT clients (seed ${SEED})`, async () => {
    console.log(`[inspector fuzz] seed ${SEED} (rerun with INSPECTOR_FUZZ_SEED=${SEED}), ${CASES} cases`)
    const result = await runInspectorFuzz({ cases: CASES, seed: SEED })
    console.log(
      `[inspector fuzz] ${result.cases} cases in ${(result.durationMs / 1000).toFixed(1)} s (${result.casesPerSecond}/s); ` +
        `replies ok ${result.replies.ok}, refused ${result.replies.refused} (${result.replies.withoutId} without an id); ` +
        `probes ${result.probesReceived}/${result.probesSent}; ${result.witnessed} messages delivered to the health clients`
    )
    expect(result.failures, result.failures.map(formatCommandFailure).join('\n\n')).toEqual([])
    expect(result.cases).toBe(CASES)
    expect(result.replies.ok + result.replies.refused).toBe(CASES)
    // Both kinds of answer were exercised: commands carried out and commands refused.
    expect(result.replies.ok).toBeGreaterThan(CASES / 10)
    expect(result.replies.refused).toBeGreaterThan(CASES / 10)
    expect(result.probesSent).toBeGreaterThan(0)
  }, 90_000)
})

/** What the inspector command fuzzer found, each fixed and kept here. */
describe('inspector fuzzer findings', () => {
  it('a settings change that rebinds the listeners answers while a TCP client is connected, and keeps it', async () => {
    // The TCP server's close callback waits for every connection: the update never finished.
    const tb = await startTestBroker()
    const client = await mqtt.connectAsync(tb.url('tcp'), { reconnectPeriod: 0 })
    try {
      const result = await tb.broker.updateSettings({ maxSettingFileSize: 4096 })
      expect(result.ok).toBe(true)
      expect(result.listeners?.every((l) => l.listening)).toBe(true)
      expect(client.connected).toBe(true)
      const another = await mqtt.connectAsync(tb.url('tcp'), { reconnectPeriod: 0 })
      await another.endAsync()
    } finally {
      await client.endAsync(true)
      await tb.close()
    }
  })

  it('two such changes at once both finish, and the port is bound once', async () => {
    // Concurrent restarts raced: the second bound the port the first was binding (EADDRINUSE).
    const tb = await startTestBroker()
    try {
      const [a, b] = await Promise.all([
        tb.broker.updateSettings({ maxSettingFileSize: 4096 }),
        tb.broker.updateSettings({ maxSettingFileSize: 8192 })
      ])
      expect(a.ok && b.ok).toBe(true)
      const listeners = tb.broker.listeners()
      expect(listeners.map((l) => l.name)).toEqual(expect.arrayContaining(['tcp', 'ws']))
      for (const listener of listeners) expect([listener.name, listener.listening, listener.error]).toEqual([listener.name, true, null])
      const client = await mqtt.connectAsync(tb.url('tcp'), { reconnectPeriod: 0 })
      await client.endAsync()
    } finally {
      await tb.close()
    }
  })
})
