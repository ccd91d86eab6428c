/**
 * The inspector's per-message cost in isolation: how long the capture (topic tree, history,
 * activity, traffic gate) takes per `message.published` event, without sockets, in one process.
 * A steadier figure than the end-to-end scenarios on a busy machine, for comparing changes to the
 * hot path (the end-to-end cost is `fan-in-no-capture` in run.ts).
 *
 *   npx tsx bench/capture.ts [--messages 3000000] [--topics 8] [--run 40] [--reps 9] [--only <label>]
 *
 * It counts this process's CPU time, not the clock, so other processes on the core do not inflate
 * it (they still disturb its caches: compare the fastest runs, on as quiet a machine as you have).
 *
 * Messages come in runs of `--run` on one topic from one client (as a socket chunk delivers them),
 * cycling over `--topics` topics; payloads are views into one 64 KiB buffer, as parsed ones are.
 */
import { Broker } from '../src/main/broker/broker'
import { Inspector } from '../src/main/inspector/inspector'
import { MemorySavedMessageStore } from '../src/main/inspector/saved-messages'
import { silentLogger } from '../src/main/logger'

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`)
  return at >= 0 ? Number(process.argv[at + 1]) : fallback
}

const messages = option('messages', 3_000_000)
const topicCount = option('topics', 8)
const run = option('run', 40)
const reps = option('reps', 9)
/** Run only the measurement with this label (e.g. under valgrind, one at a time). */
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : ''

const chunk = Buffer.alloc(64 * 1024, 0x61)
const topics = Array.from({ length: topicCount }, (_, i) => `bench/p${i}`)
const clients = Array.from({ length: topicCount }, (_, i) => `bench-pub-${i}`)

/** CPU time of this process (µs): unlike the clock, it does not count time other processes took the core. */
function cpuMicros(): number {
  const usage = process.cpuUsage()
  return usage.user + usage.system
}

function pump(broker: Broker): number {
  const started = cpuMicros()
  for (let i = 0; i < messages; i++) {
    const which = Math.floor(i / run) % topicCount
    // A fresh topic string per message, as the decoder makes one per PUBLISH.
    const topic = topics[which].slice(0)
    const offset = (i * 37) % (chunk.length - 64)
    broker.events.emit({
      type: 'message.published',
      clientId: clients[which],
      topic,
      qos: 0,
      retain: false,
      payload: chunk.subarray(offset, offset + 32),
      properties: {},
      time: Date.now()
    })
  }
  return ((cpuMicros() - started) * 1000) / messages
}

function measure(label: string, attach: (broker: Broker) => (() => void) | null): void {
  if (only !== '' && label !== only) return
  const samples: number[] = []
  for (let r = 0; r < reps; r++) {
    const broker = new Broker({ sysInterval: 0 }, { logger: silentLogger })
    const detach = attach(broker)
    pump(broker) // warm-up
    samples.push(pump(broker))
    detach?.()
  }
  samples.sort((a, b) => a - b)
  const median = samples[Math.floor(samples.length / 2)]
  // The fastest run is the least disturbed by the rest of the machine: the best estimate of the code's own cost.
  console.log(`${label.padEnd(40)} fastest ${samples[0].toFixed(0).padStart(4)} ns, median ${median.toFixed(0).padStart(4)} ns per message`)
}

console.log(`${messages.toLocaleString('en-US')} message.published events, ${topicCount} topics, runs of ${run}, ${reps} runs each`)
measure('no listener (the event bus alone)', () => null)
measure('inspector capture', (broker) => {
  const inspector = new Inspector(broker, { savedMessages: new MemorySavedMessageStore() })
  return () => inspector.dispose()
})
measure('inspector capture, history off', (broker) => {
  void broker.updateSettings({ inspectorHistoryPerTopic: 0 })
  const inspector = new Inspector(broker, { savedMessages: new MemorySavedMessageStore() })
  return () => inspector.dispose()
})
