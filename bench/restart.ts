/**
 * The restart step (issue 10): fill a broker through MQTT with 100,000 retained messages and
 * 10,000 offline persistent sessions (each with a subscription and a few queued QoS 1 messages),
 * stop it with SIGTERM, then time restarts on the same data: from spawning the process to its TCP
 * listener accepting (and to the first CONNACK), after a clean stop and after SIGKILL. Reports the
 * store's size on disk and checks that the state came back (every retained message counted, a
 * sample of sessions with all their queued messages). BrokerScope with `--persistence true`;
 * mosquitto with `persistence true` (it saves its snapshot at shutdown) as the reference.
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { BROKER_CPU, brokerCommand, freePort, spawnPinned, track, type BrokerName, type Running } from './brokers'
import { MiniClient, pool } from './mini-client'

export interface RestartSpec {
  retained: number
  sessions: number
  /** Queued QoS 1 messages per offline session. */
  queuedPerSession: number
  payloadBytes: number
  /** Restart pairs (after SIGTERM, after SIGKILL); the report shows their medians. */
  reps: number
}

export const DEFAULT_RESTART_SPEC: RestartSpec = { retained: 100_000, sessions: 10_000, queuedPerSession: 3, payloadBytes: 100, reps: 3 }
/** The target: listener accepting within this long after the spawn. */
export const RESTART_TARGET_MS = 1000

export interface TimedStart {
  after: 'SIGTERM' | 'SIGKILL' | 'empty'
  /** Spawn → a TCP connection accepted. */
  acceptMs: number
  /** Spawn → CONNACK to a CONNECT sent right after the accept. */
  connackMs: number
  rssKiB: number
  /** RssAnon: VmRSS less mapped files (LMDB maps its data file). */
  anonKiB: number
}

export interface RestartRun {
  broker: BrokerName
  spec: RestartSpec
  fillSeconds: number
  /** The broker's files after the clean stop: apparent size and blocks allocated. */
  store: { files: string; bytes: number; allocatedBytes: number } | null
  starts: TimedStart[]
  /** What the last restart (after SIGKILL) had: retained messages found, sampled sessions complete. */
  check: { retainedFound: number; sessionsSampled: number; sessionsComplete: number; queuedFound: number } | null
  /** Filled state RSS (before the first stop), and its anonymous part. */
  filledRssKiB: number
  filledAnonKiB: number
  /** The first start, on an empty data folder: what starting the process costs with nothing to load. */
  emptyStart: TimedStart | null
  error?: string
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Resident memory from /proc/<pid>/status, KiB: VmRSS, and its anonymous part (RssAnon: heap,
 * buffers). The rest is mostly file pages mapped in: LMDB maps its data file, so BrokerScope's
 * VmRSS with the store on counts store pages the kernel can drop and reread.
 */
export function memoryKiB(pid: number): { rss: number; anon: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? Number.NaN)
    return { rss: field('VmRSS'), anon: field('RssAnon') }
  } catch {
    return { rss: Number.NaN, anon: Number.NaN }
  }
}

/** Fill through MQTT: sessions first (subscribe, leave), then their queued messages, then the retained ones. */
export async function fillStore(port: number, spec: RestartSpec): Promise<void> {
  await pool(spec.sessions, 64, async (i) => {
    const client = await MiniClient.connect({ port, clientId: `store-s-${i}`, clean: false })
    const granted = await client.subscribe([{ topic: `store/s/${i}`, qos: 1 }])
    if (granted[0] !== 1) throw new Error(`store-s-${i}: SUBACK granted ${granted[0]}`)
    await client.disconnect()
  })
  const publisher = await MiniClient.connect({ port, clientId: 'store-filler', clean: true })
  const payload = Buffer.alloc(spec.payloadBytes, 0x61)
  // 1,000 in flight on one connection: a fast, honest fill (every message acknowledged).
  await pool(spec.sessions * spec.queuedPerSession, 1000, (n) => publisher.publish(`store/s/${n % spec.sessions}`, payload, 1))
  await pool(spec.retained, 1000, (n) => publisher.publish(`store/r/${n % 100}/${n}`, payload, 1, true))
  await publisher.disconnect()
}

/** Spawn the broker on `dataDir` and time it: TCP accept, then CONNACK. */
async function timedStart(
  name: BrokerName,
  dataDir: string,
  after: TimedStart['after']
): Promise<{ running: Running; start: TimedStart; kill: () => Promise<void> }> {
  const port = await freePort()
  const command = await brokerCommand(name, port, { persistence: true, dataDir })
  const t0 = performance.now()
  const child: ChildProcess = spawnPinned(BROKER_CPU, command.argv, { env: command.env })
  const running = track(name, child, port, command.cleanup)
  const deadline = t0 + 60_000
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited at start:\n${running.stderrTail()}`)
    if (performance.now() > deadline) {
      await running.stop()
      throw new Error(`${name} did not listen within 60 s:\n${running.stderrTail()}`)
    }
    const accepted = await new Promise<boolean>((done) => {
      const socket = net.connect({ host: '127.0.0.1', port })
      socket.once('connect', () => {
        socket.destroy()
        done(true)
      })
      socket.once('error', () => done(false))
    })
    if (accepted) break
    await sleep(2)
  }
  const acceptMs = performance.now() - t0
  const probe = await MiniClient.connect({ port, clientId: `restart-probe-${Math.round(t0)}`, clean: true, timeoutMs: 60_000 })
  const connackMs = performance.now() - t0
  await probe.disconnect()
  const exited = new Promise<void>((done) =>
    child.exitCode !== null || child.signalCode !== null ? done() : child.once('exit', () => done())
  )
  // SIGKILL while it runs: no shutdown code at all; then what stop() would clean up.
  const kill = async (): Promise<void> => {
    child.kill('SIGKILL')
    await exited
    await running.stop()
  }
  const memory = memoryKiB(running.pid)
  return { running, start: { after, acceptMs, connackMs, rssKiB: memory.rss, anonKiB: memory.anon }, kill }
}

/**
 * Every retained message under store/r/# (sent at subscribe), counted until all came or 10 s
 * passed quietly. At QoS 1, so none is dropped as a QoS 0 backlog would be (BrokerScope drops QoS 0
 * above 4 MB unsent; 100,000 retained messages are 12 MB).
 */
async function countRetained(port: number, expected: number): Promise<number> {
  const client = await MiniClient.connect({ port, clientId: 'restart-check-retained', clean: true })
  let count = 0
  let last = performance.now()
  client.onMessage = (packet) => {
    if (packet.retain) count++
    last = performance.now()
  }
  await client.subscribe([{ topic: 'store/r/#', qos: 1 }])
  while (count < expected && performance.now() - last < 10_000) await sleep(20)
  await client.disconnect()
  return count
}

/** Reconnect `sample` sessions spread over all of them; each must be present with all its queued messages. */
async function checkSessions(port: number, spec: RestartSpec, sample: number): Promise<{ complete: number; queued: number }> {
  let complete = 0
  let queued = 0
  const step = Math.max(1, Math.floor(spec.sessions / sample))
  await pool(Math.min(sample, spec.sessions), 10, async (k) => {
    const i = k * step
    let last = performance.now()
    let got = 0
    const client = await MiniClient.connect({
      port,
      clientId: `store-s-${i}`,
      clean: false,
      onMessage: (packet) => {
        if (packet.topic === `store/s/${i}`) got++
        queued++
        last = performance.now()
      }
    })
    while (got < spec.queuedPerSession && performance.now() - last < 2000) await sleep(10)
    if (client.sessionPresent && got >= spec.queuedPerSession) complete++
    await client.disconnect()
  })
  return { complete, queued }
}

/** The broker's state files and their size. */
function storeSize(name: BrokerName, dataDir: string): RestartRun['store'] {
  const dir = name === 'brokerscope' ? join(dataDir, 'store') : dataDir
  const files = readdirSync(dir).filter((f) => (name === 'brokerscope' ? f.endsWith('.mdb') : f === 'mosquitto.db'))
  let bytes = 0
  let allocatedBytes = 0
  for (const file of files) {
    const stat = statSync(join(dir, file))
    bytes += stat.size
    allocatedBytes += stat.blocks * 512
  }
  return { files: files.map((f) => (name === 'brokerscope' ? `store/${f}` : f)).join(', '), bytes, allocatedBytes }
}

/** One broker: fill, clean stop, then `reps` × (restart after SIGTERM, SIGKILL, restart after SIGKILL). */
export async function runRestart(name: BrokerName, spec: RestartSpec, log: (line: string) => void): Promise<RestartRun> {
  const dataDir = mkdtempSync(join(tmpdir(), `bench-restart-${name}-`))
  const run: RestartRun = {
    broker: name,
    spec,
    fillSeconds: Number.NaN,
    store: null,
    starts: [],
    check: null,
    filledRssKiB: Number.NaN,
    filledAnonKiB: Number.NaN,
    emptyStart: null
  }
  let running: Running | null = null
  try {
    const first = await timedStart(name, dataDir, 'empty')
    running = first.running
    run.emptyStart = first.start
    const t0 = performance.now()
    await fillStore(running.port, spec)
    run.fillSeconds = (performance.now() - t0) / 1000
    const filled = memoryKiB(running.pid)
    run.filledRssKiB = filled.rss
    run.filledAnonKiB = filled.anon
    log(
      `[restart] ${name}: filled ${spec.retained.toLocaleString('en-US')} retained, ${spec.sessions.toLocaleString('en-US')} sessions × ` +
        `${spec.queuedPerSession} queued in ${run.fillSeconds.toFixed(1)} s`
    )
    await running.stop(30_000)
    running = null
    run.store = storeSize(name, dataDir)
    for (let rep = 1; rep <= spec.reps; rep++) {
      const clean = await timedStart(name, dataDir, 'SIGTERM')
      running = clean.running
      run.starts.push(clean.start)
      if (rep === 1) {
        const found = await countRetained(running.port, spec.retained)
        if (found !== spec.retained) log(`[restart] ${name}: after a clean stop ${found} of ${spec.retained} retained messages found`)
      }
      await clean.kill()
      running = null
      const killedStart = await timedStart(name, dataDir, 'SIGKILL')
      running = killedStart.running
      run.starts.push(killedStart.start)
      if (rep === spec.reps) {
        const retainedFound = await countRetained(running.port, spec.retained)
        const sessions = await checkSessions(running.port, spec, 100)
        run.check = {
          retainedFound,
          sessionsSampled: Math.min(100, spec.sessions),
          sessionsComplete: sessions.complete,
          queuedFound: sessions.queued
        }
      }
      await running.stop(30_000)
      running = null
      log(
        `[restart ${rep}/${spec.reps}] ${name}: after SIGTERM accept ${clean.start.acceptMs.toFixed(0)} ms (CONNACK ${clean.start.connackMs.toFixed(0)} ms), ` +
          `after SIGKILL accept ${killedStart.start.acceptMs.toFixed(0)} ms (CONNACK ${killedStart.start.connackMs.toFixed(0)} ms)`
      )
    }
  } catch (err) {
    run.error = err instanceof Error ? err.message : String(err)
    log(`[restart] ${name}: error: ${run.error}`)
  } finally {
    await running?.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
  return run
}
