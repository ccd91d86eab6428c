import { connect as netConnect } from 'node:net'
import mqttPacket from 'mqtt-packet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Broker } from '../../src/main/broker/broker'
import { createLogger } from '../../src/main/logger'
import { freePort } from '../helpers/broker-harness'
import { buildCorpus, formatFailure, generateCase, MUTATIONS, runFuzz, type Version } from './fuzzer'

/**
 * Protocol fuzzing (see fuzzer.ts): mutated packets of every type and version over real sockets;
 * the broker must never throw out of a connection, never log "error handling …", and keep serving
 * a healthy client throughout. FUZZ_SEED=<n> reruns a given seed; FUZZ_CASES=<n> changes the count.
 * Long runs: `npx tsx bench/fuzz.ts --cases 1000000`.
 */

const CASES = Number(process.env.FUZZ_CASES ?? 20_000)
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : (Date.now() % 0x7fffffff) >>> 0

describe('protocol fuzzer', () => {
  it('generates the same case for the same seed and index, and covers every mutation and version', () => {
    const corpus = buildCorpus()
    const a = generateCase(corpus, 1234, 42)
    const b = generateCase(corpus, 1234, 42)
    expect(a.bytes.equals(b.bytes)).toBe(true)
    expect(a.mutation).toBe(b.mutation)
    const mutations = new Set<string>()
    const versions = new Set<Version>()
    const bases = new Set<string>()
    for (let i = 0; i < 5000; i++) {
      const c = generateCase(corpus, 99, i)
      mutations.add(c.mutation.split('+')[0])
      versions.add(c.version)
      bases.add(c.base)
    }
    expect([...mutations].sort()).toEqual([...MUTATIONS].sort())
    expect([...versions].sort()).toEqual([3, 4, 5])
    for (const name of [
      'connect-v5-will-properties',
      'publish-v5-alias-use-qos2',
      'pubrel-v5-props',
      'subscribe-v5-options',
      'unsubscribe',
      'pingreq',
      'disconnect-v5-props',
      'auth'
    ]) {
      expect(bases).toContain(name)
    }
  })

  it(`survives ${CASES} mutated packets while serving a healthy client (seed ${SEED})`, async () => {
    console.log(`[fuzz] seed ${SEED} (rerun with FUZZ_SEED=${SEED}), ${CASES} cases`)
    const result = await runFuzz({ cases: CASES, seed: SEED })
    console.log(
      `[fuzz] ${result.cases} cases in ${(result.durationMs / 1000).toFixed(1)} s (${result.casesPerSecond}/s) on ${result.sockets} sockets; ` +
        `answered ${result.outcomes.answered}, closed ${result.outcomes.closed}, silent ${result.outcomes.silent}; ` +
        `probes ${result.probesReceived}/${result.probesSent}; ${result.witnessed} messages witnessed`
    )
    const report = result.failures.map((failure) => formatFailure(failure)).join('\n\n')
    expect(result.failures, `seed ${SEED}:\n${report}`).toEqual([])
    expect(result.cases).toBe(CASES)
    expect(result.probesSent).toBeGreaterThan(0)
    expect(result.probesReceived).toBe(result.probesSent)
  }, 90_000)
})

/**
 * Inputs the fuzzer found to make a handler throw ("error handling …", then the connection closed
 * with 0x83): each must now close the offending connection as a malformed packet or protocol error
 * and log no error.
 */
describe('fuzzer findings', () => {
  let broker: Broker
  let port: number
  const errors: string[] = []

  beforeAll(async () => {
    port = await freePort()
    broker = new Broker({ sysInterval: 0, tcpPort: port, wsPort: 0 }, { logger: createLogger('error', (line) => errors.push(line)) })
    await broker.start()
  })
  afterAll(() => broker.stop())

  async function sendAfterConnect(version: Version, hex: string): Promise<{ received: Buffer; closed: boolean }> {
    const socket = netConnect({ host: '127.0.0.1', port })
    socket.on('error', () => {})
    await new Promise((resolve) => socket.once('connect', resolve))
    const chunks: Buffer[] = []
    let closed = false
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('close', () => (closed = true))
    const connect = mqttPacket.generate(
      {
        cmd: 'connect',
        protocolId: version === 3 ? 'MQIsdp' : 'MQTT',
        protocolVersion: version,
        clientId: `finding-${version}`,
        clean: true,
        keepalive: 0
      },
      { protocolVersion: version }
    )
    socket.write(Buffer.concat([connect, Buffer.from(hex, 'hex')]))
    const deadline = Date.now() + 2000
    while (!closed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
    socket.destroy()
    return { received: Buffer.concat(chunks), closed }
  }

  /** The v5 DISCONNECT reason code in what the broker sent after its CONNACK, if any. */
  function disconnectReason(received: Buffer): number | null {
    const parser = mqttPacket.parser({ protocolVersion: 5 })
    let reason: number | null = null
    parser.on('packet', (packet) => {
      if (packet.cmd === 'disconnect') reason = packet.reasonCode ?? 0
    })
    parser.parse(received)
    return reason
  }

  const cases: Array<{ name: string; version: Version; hex: string; reasons: number[] }> = [
    // SUBSCRIBE / UNSUBSCRIBE with no topic filter: an empty SUBACK/UNSUBACK could not be encoded
    // ("Invalid qos vector"). [MQTT-3.8.3-3] / [MQTT-3.10.3-2]: a protocol error.
    { name: 'SUBSCRIBE with only a packet id (3.1.1)', version: 4, hex: '82020001', reasons: [] },
    { name: 'SUBSCRIBE with only a packet id and properties (5)', version: 5, hex: '8203000100', reasons: [0x81, 0x82] },
    { name: 'UNSUBSCRIBE with no topic filter (5)', version: 5, hex: 'a203000100', reasons: [0x81, 0x82] },
    // A SUBSCRIBE whose remaining length (1) is shorter than its packet id: read past the packet.
    { name: 'SUBSCRIBE shorter than its packet id (3.1)', version: 3, hex: '8201000b000666757a7a2f2300', reasons: [] },
    // A user property whose value's length runs past the packet: parsed as null, then the
    // forwarded PUBLISH could not be encoded ('The "string" argument must be of type string').
    {
      name: 'PUBLISH with a user property running past the packet (5)',
      version: 5,
      hex: '3260000a66757a7a2f70726f707300c84c0101020000000503000a746578742f706c61696e08000a66757a7a2f7265706c79090004636f7272260001610001622600046c6973740001312600046c697374000132260074000132260002c3bc0002c39f68656c6c6f',
      reasons: [0x81]
    }
  ]

  for (const c of cases) {
    it(c.name, async () => {
      // A subscriber to everything, so a PUBLISH that gets through is encoded for delivery.
      const watcher = netConnect({ host: '127.0.0.1', port })
      watcher.on('error', () => {})
      await new Promise((resolve) => watcher.once('connect', resolve))
      watcher.write(
        mqttPacket.generate(
          { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'watcher', clean: true, keepalive: 0 },
          { protocolVersion: 5 }
        )
      )
      watcher.write(
        mqttPacket.generate(
          { cmd: 'subscribe', messageId: 1, properties: { subscriptionIdentifier: 7 }, subscriptions: [{ topic: '#', qos: 1 }] },
          { protocolVersion: 5 }
        )
      )
      await new Promise((resolve) => setTimeout(resolve, 50))

      const { received, closed } = await sendAfterConnect(c.version, c.hex)
      watcher.destroy()
      expect(closed).toBe(true)
      expect(errors).toEqual([])
      if (c.version === 5) expect(c.reasons).toContain(disconnectReason(received))
    })
  }
})
