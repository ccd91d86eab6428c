/**
 * A protocol fuzzer for the broker: valid packets of every type and version (generated with
 * mqtt-packet), mutated (bit flips, byte insert/delete/duplicate, truncation, length-field
 * corruption, splicing, random bytes), sent over real TCP sockets to a running broker. Most cases
 * follow a valid CONNECT on a socket that is kept open while the broker keeps it open, so many
 * cases share one socket; many sockets run concurrently.
 *
 * A run fails when the broker throws out of a connection (an 'uncaughtException' or an
 * 'unhandledRejection' in this process), logs an "error handling …" line (a handler threw and the
 * connection caught it), or stops serving a healthy client: an MQTT.js client publishes a probe
 * every 200 ms and every probe must come back.
 *
 * Every case is a pure function of (seed, index), so a failure is reproduced from the seed and the
 * case indices printed with it (see replayCases). Used by test/fuzz/fuzz.test.ts (a short run) and
 * bench/fuzz.ts (a long one).
 */
import { connect as netConnect, createServer, type Socket } from 'node:net'
import mqtt, { type MqttClient } from 'mqtt'
import mqttPacket, { type Packet } from 'mqtt-packet'
import { Broker } from '../../src/main/broker/broker'
import { createLogger } from '../../src/main/logger'
import type { BrokerSettings } from '../../src/shared/settings'

// ───────────────────────────── seeded PRNG ─────────────────────────────

/** mulberry32: small, fast, good enough for fuzzing; the same seed gives the same sequence. */
export class Prng {
  private state: number
  constructor(seed: number) {
    this.state = seed >>> 0
  }
  /** Uniform in [0, 2^32). */
  u32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : this.u32() % n
  }
  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1)
  }
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]
  }
  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n)
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff
    return out
  }
}

/** The PRNG for one case: independent of every other case, so any case can be regenerated alone. */
export function caseRng(seed: number, index: number): Prng {
  let h = (seed ^ 0x9e3779b9) >>> 0
  h = Math.imul(h ^ index, 0x85ebca6b) >>> 0
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0
  return new Prng((h ^ (h >>> 16) ^ index) >>> 0)
}

// ───────────────────────────── corpus ─────────────────────────────

export type Version = 3 | 4 | 5
export const VERSIONS: readonly Version[] = [3, 4, 5]

export interface CorpusEntry {
  name: string
  version: Version
  packet: Packet
  bytes: Buffer
}

const TOPICS = ['fuzz/a', 'fuzz/b/c', 'fuzz/deep/1/2/3/4/5/6', '$share-not/x', 'fuzz/ü/€', 'f']
const FILTERS = ['fuzz/#', 'fuzz/+/c', '#', '+', 'fuzz/a', '$share/g/fuzz/#', '$share/h/+', '$SYS/#', 'fuzz/+/+/#']
const USER_PROPS = { a: 'b', list: ['1', '2'], ü: 'ß' }

function connectPackets(version: Version, clientId: string): Array<[string, Packet]> {
  const protocolId = version === 3 ? 'MQIsdp' : 'MQTT'
  const base = { cmd: 'connect' as const, protocolId: protocolId as 'MQTT' | 'MQIsdp', protocolVersion: version, clientId }
  const list: Array<[string, Packet]> = [
    ['connect-minimal', { ...base, clean: true, keepalive: 0 }],
    ['connect-keepalive', { ...base, clean: true, keepalive: 30 }],
    ['connect-persistent', { ...base, clean: false, keepalive: 60 }],
    ['connect-user-password', { ...base, clean: true, keepalive: 10, username: 'user', password: Buffer.from('secret') }],
    [
      'connect-will',
      {
        ...base,
        clean: true,
        keepalive: 0,
        will: { topic: 'fuzz/will', payload: Buffer.from('gone'), qos: 1, retain: false }
      }
    ],
    [
      'connect-will-retain-qos2',
      {
        ...base,
        clean: true,
        keepalive: 0,
        username: 'u',
        password: Buffer.from('p'),
        will: { topic: 'fuzz/will/r', payload: Buffer.alloc(40, 7), qos: 2, retain: true }
      }
    ]
  ]
  if (version === 5) {
    list.push(
      [
        'connect-v5-properties',
        {
          ...base,
          clean: true,
          keepalive: 20,
          properties: {
            sessionExpiryInterval: 30,
            receiveMaximum: 10,
            maximumPacketSize: 4096,
            topicAliasMaximum: 5,
            requestResponseInformation: true,
            requestProblemInformation: false,
            userProperties: USER_PROPS
          }
        }
      ],
      [
        'connect-v5-will-properties',
        {
          ...base,
          clean: false,
          keepalive: 0,
          username: 'user',
          password: Buffer.from('pw'),
          properties: { sessionExpiryInterval: 0xffffffff, topicAliasMaximum: 65535 },
          will: {
            topic: 'fuzz/will/5',
            payload: Buffer.from('{"w":1}'),
            qos: 1,
            retain: true,
            properties: {
              willDelayInterval: 1,
              payloadFormatIndicator: true,
              messageExpiryInterval: 60,
              contentType: 'application/json',
              responseTopic: 'fuzz/resp',
              correlationData: Buffer.from([1, 2, 3]),
              userProperties: USER_PROPS
            }
          }
        }
      ],
      [
        'connect-v5-auth-method',
        { ...base, clean: true, keepalive: 0, properties: { authenticationMethod: 'SCRAM-SHA-1', authenticationData: Buffer.from([1, 2]) } }
      ]
    )
  }
  return list
}

function sessionPackets(version: Version): Array<[string, Packet]> {
  const v5 = version === 5
  const list: Array<[string, Packet]> = []
  for (const qos of [0, 1, 2] as const) {
    for (const topic of TOPICS.slice(0, 3)) {
      list.push([
        `publish-qos${qos}`,
        {
          cmd: 'publish',
          topic,
          payload: Buffer.from(`p-${qos}`),
          qos,
          retain: false,
          dup: false,
          messageId: qos > 0 ? 7 + qos : undefined
        }
      ])
    }
    list.push([
      `publish-qos${qos}-retain`,
      {
        cmd: 'publish',
        topic: 'fuzz/r',
        payload: Buffer.alloc(100, 1),
        qos,
        retain: true,
        dup: qos > 0,
        messageId: qos > 0 ? 100 : undefined
      }
    ])
    list.push([
      `publish-qos${qos}-empty-retain`,
      { cmd: 'publish', topic: 'fuzz/r', payload: Buffer.alloc(0), qos, retain: true, dup: false, messageId: qos > 0 ? 101 : undefined }
    ])
    if (v5) {
      list.push([
        `publish-v5-properties-qos${qos}`,
        {
          cmd: 'publish',
          topic: 'fuzz/props',
          payload: Buffer.from('hello'),
          qos,
          retain: false,
          dup: false,
          messageId: qos > 0 ? 200 : undefined,
          properties: {
            payloadFormatIndicator: true,
            messageExpiryInterval: 5,
            contentType: 'text/plain',
            responseTopic: 'fuzz/reply',
            correlationData: Buffer.from('corr'),
            userProperties: USER_PROPS
          }
        }
      ])
      list.push([
        `publish-v5-alias-set-qos${qos}`,
        {
          cmd: 'publish',
          topic: 'fuzz/alias',
          payload: Buffer.from('a'),
          qos,
          retain: false,
          dup: false,
          messageId: qos > 0 ? 300 : undefined,
          properties: { topicAlias: 1 }
        }
      ])
      list.push([
        `publish-v5-alias-use-qos${qos}`,
        {
          cmd: 'publish',
          topic: '',
          payload: Buffer.from('b'),
          qos,
          retain: false,
          dup: false,
          messageId: qos > 0 ? 301 : undefined,
          properties: { topicAlias: 1 }
        }
      ])
    }
  }
  for (const cmd of ['puback', 'pubrec', 'pubrel', 'pubcomp'] as const) {
    list.push([cmd, { cmd, messageId: 1 } as Packet])
    if (v5) {
      list.push([`${cmd}-v5-reason`, { cmd, messageId: 2, reasonCode: cmd === 'pubrel' || cmd === 'pubcomp' ? 0x92 : 0x10 } as Packet])
      list.push([
        `${cmd}-v5-props`,
        {
          cmd,
          messageId: 3,
          reasonCode: cmd === 'pubrel' || cmd === 'pubcomp' ? 0 : 0x80,
          properties: { reasonString: 'why', userProperties: USER_PROPS }
        } as Packet
      ])
    }
  }
  list.push([
    'subscribe',
    { cmd: 'subscribe', messageId: 11, subscriptions: FILTERS.slice(0, 4).map((topic, i) => ({ topic, qos: (i % 3) as 0 | 1 | 2 })) }
  ])
  list.push(['subscribe-one', { cmd: 'subscribe', messageId: 12, subscriptions: [{ topic: 'fuzz/a', qos: 1 }] }])
  if (v5) {
    list.push([
      'subscribe-v5-options',
      {
        cmd: 'subscribe',
        messageId: 13,
        properties: { subscriptionIdentifier: 42, userProperties: USER_PROPS },
        subscriptions: [
          { topic: 'fuzz/#', qos: 2, nl: true, rap: true, rh: 1 },
          { topic: '$share/g/fuzz/+/c', qos: 1, nl: false, rap: false, rh: 0 },
          { topic: 'fuzz/+/+/#', qos: 0, nl: false, rap: true, rh: 2 }
        ]
      }
    ])
  }
  list.push(['unsubscribe', { cmd: 'unsubscribe', messageId: 14, unsubscriptions: ['fuzz/#', 'nothing', '$share/g/fuzz/#'] }])
  if (v5)
    list.push([
      'unsubscribe-v5-props',
      { cmd: 'unsubscribe', messageId: 15, unsubscriptions: ['fuzz/a'], properties: { userProperties: USER_PROPS } }
    ])
  list.push(['pingreq', { cmd: 'pingreq' }])
  list.push(['disconnect', { cmd: 'disconnect' }])
  if (v5) {
    list.push(['disconnect-v5-will', { cmd: 'disconnect', reasonCode: 0x04 }])
    list.push([
      'disconnect-v5-props',
      { cmd: 'disconnect', reasonCode: 0x80, properties: { sessionExpiryInterval: 0, reasonString: 'bye', userProperties: USER_PROPS } }
    ])
    list.push([
      'auth',
      {
        cmd: 'auth',
        reasonCode: 0x18,
        properties: { authenticationMethod: 'SCRAM', authenticationData: Buffer.from([9, 9]), reasonString: 'r' }
      }
    ])
  }
  // A second CONNECT (a protocol error [MQTT-3.1.0-2]), one of another version, one of an unknown level.
  list.push(['second-connect', connectPackets(version, 'again')[1][1]])
  list.push(['second-connect-other-version', connectPackets(version === 5 ? 4 : 5, 'again')[0][1]])
  list.push([
    'second-connect-level-6',
    { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 6 as 5, clientId: 'again', clean: true, keepalive: 0 } as Packet
  ])
  // Packets only a server may send: the broker must refuse them, not trip over them.
  list.push(['connack', { cmd: 'connack', returnCode: 0, reasonCode: 0, sessionPresent: false } as Packet])
  list.push(['suback', { cmd: 'suback', messageId: 1, granted: [0, 1] }])
  list.push(['unsuback', { cmd: 'unsuback', messageId: 1, granted: v5 ? [0] : [] } as Packet])
  list.push(['pingresp', { cmd: 'pingresp' }])
  return list
}

function encode(version: Version, name: string, packet: Packet): CorpusEntry {
  if (packet.cmd === 'connect' && (packet.protocolVersion as number) === 6) {
    // mqtt-packet will not write an unknown protocol level: write level 4 and patch the byte.
    const bytes = mqttPacket.generate({ ...packet, protocolVersion: 4 })
    bytes[8] = 6 // fixed header (2) + protocol name (2 + 4)
    return { name, version, packet, bytes }
  }
  return {
    name,
    version,
    packet,
    bytes: mqttPacket.generate(packet, { protocolVersion: packet.cmd === 'connect' ? packet.protocolVersion : version })
  }
}

export interface Corpus {
  connects: Record<Version, CorpusEntry[]>
  packets: Record<Version, CorpusEntry[]>
}

/** Valid packets of every type for each protocol version (client ids are filled in per socket). */
export function buildCorpus(): Corpus {
  const connects = {} as Record<Version, CorpusEntry[]>
  const packets = {} as Record<Version, CorpusEntry[]>
  for (const version of VERSIONS) {
    connects[version] = connectPackets(version, 'fuzz').map(([name, packet]) => encode(version, name, packet))
    packets[version] = sessionPackets(version).map(([name, packet]) => encode(version, name, packet))
  }
  return { connects, packets }
}

/** A valid CONNECT for a fuzz socket: a corpus CONNECT of that version with its own client id. */
export function connectFor(corpus: Corpus, version: Version, clientId: string, variant: number): Buffer {
  const usable = corpus.connects[version].filter((e) => e.name !== 'connect-v5-auth-method')
  const entry = usable[variant % usable.length]
  const packet = { ...(entry.packet as mqttPacket.IConnectPacket), clientId }
  return mqttPacket.generate(packet, { protocolVersion: version })
}

// ───────────────────────────── mutations ─────────────────────────────

export const MUTATIONS = [
  'none',
  'bit-flip',
  'byte-insert',
  'byte-delete',
  'byte-duplicate',
  'truncate',
  'remaining-length',
  'inner-length',
  'interesting-byte',
  'splice',
  'concat',
  'random-bytes'
] as const
export type Mutation = (typeof MUTATIONS)[number]

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x20, 0x2f, 0x23, 0x2b, 0xc0, 0xe0]

/** Encode an MQTT variable byte integer (any value < 2^28, or a deliberately overlong one). */
function varint(value: number, overlong = false): Buffer {
  const out: number[] = []
  do {
    let byte = value % 128
    value = Math.floor(value / 128)
    if (value > 0 || (overlong && out.length < 3)) byte |= 0x80
    out.push(byte)
  } while (value > 0)
  if (overlong) while (out.length < 5) out.push(out.length === 4 ? 0x00 : 0x80)
  return Buffer.from(out)
}

/** Where the fixed header's remaining length ends (1 + its bytes), or 2 if it is garbage. */
function headerEnd(bytes: Buffer): number {
  let i = 1
  while (i < bytes.length && i < 5 && bytes[i] & 0x80) i++
  return Math.min(i + 1, bytes.length)
}

function mutate(rng: Prng, input: Buffer, mutation: Mutation, other: () => Buffer): Buffer {
  const bytes = Buffer.from(input)
  const n = bytes.length
  switch (mutation) {
    case 'none':
      return bytes
    case 'bit-flip': {
      const flips = rng.range(1, 4)
      for (let i = 0; i < flips && n > 0; i++) bytes[rng.int(n)] ^= 1 << rng.int(8)
      return bytes
    }
    case 'byte-insert': {
      const at = rng.int(n + 1)
      return Buffer.concat([bytes.subarray(0, at), rng.bytes(rng.range(1, 8)), bytes.subarray(at)])
    }
    case 'byte-delete': {
      const at = rng.int(n)
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + rng.range(1, 4))])
    }
    case 'byte-duplicate': {
      const at = rng.int(n)
      const len = rng.range(1, Math.max(1, Math.min(16, n - at)))
      return Buffer.concat([bytes.subarray(0, at + len), bytes.subarray(at, at + len), bytes.subarray(at + len)])
    }
    case 'truncate':
      return bytes.subarray(0, rng.int(Math.max(1, n)))
    case 'remaining-length': {
      // Rewrite the fixed header's length: off by a little, huge, zero, or overlong (5 bytes).
      const body = bytes.subarray(headerEnd(bytes))
      const real = body.length
      const claimed = rng.pick([0, 1, real - 1, real + 1, real + rng.range(2, 100), 127, 128, 16383, 16384, 268435455, rng.int(1 << 28)])
      const length = varint(Math.max(0, claimed), rng.chance(0.15))
      return Buffer.concat([bytes.subarray(0, 1), length, body])
    }
    case 'inner-length': {
      // A two-byte string length or a property length somewhere in the variable header/payload.
      if (n < 4) return bytes
      const at = rng.range(headerEnd(bytes), n - 1)
      const value = rng.pick([0, 1, 0xffff, 0x7fff, 0x8000, rng.int(0x10000), n, n + 1])
      bytes[at] = value >> 8
      if (at + 1 < n) bytes[at + 1] = value & 0xff
      return bytes
    }
    case 'interesting-byte': {
      const count = rng.range(1, 3)
      for (let i = 0; i < count && n > 0; i++) bytes[rng.int(n)] = rng.pick(INTERESTING)
      return bytes
    }
    case 'splice': {
      const second = other()
      return Buffer.concat([bytes.subarray(0, rng.int(n + 1)), second.subarray(rng.int(second.length + 1))])
    }
    case 'concat':
      return Buffer.concat([bytes, other()])
    case 'random-bytes':
      return rng.bytes(rng.range(1, 64))
  }
}

// ───────────────────────────── cases ─────────────────────────────

export interface FuzzCase {
  index: number
  version: Version
  /** True: sent as the first bytes of a fresh socket (a mutated CONNECT); else after a valid CONNECT. */
  fresh: boolean
  base: string
  mutation: Mutation
  bytes: Buffer
}

/**
 * Cases come in blocks of this many consecutive indices sharing one protocol version, so a worker
 * can run a whole block on one socket after one CONNECT.
 */
export const BLOCK = 64

/** The protocol version of the block holding case `index`. */
export function blockVersion(seed: number, index: number): Version {
  return caseRng(seed ^ 0x5bd1e995, Math.floor(index / BLOCK)).pick(VERSIONS)
}

/** Case `index` of the run seeded with `seed` (pure). */
export function generateCase(corpus: Corpus, seed: number, index: number): FuzzCase {
  const rng = caseRng(seed, index)
  const version = blockVersion(seed, index)
  const fresh = rng.chance(0.12)
  const pool = fresh ? corpus.connects[version] : corpus.packets[version]
  const entry = rng.pick(pool)
  // Mostly one mutation of a valid packet; sometimes stacked; sometimes the valid packet itself.
  let mutation: Mutation = rng.chance(0.06) ? 'none' : rng.pick(MUTATIONS.slice(1))
  const other = (): Buffer => rng.pick(corpus.packets[version]).bytes
  let bytes = mutate(rng, entry.bytes, mutation, other)
  if (mutation !== 'none' && rng.chance(0.2)) {
    const second = rng.pick(MUTATIONS.slice(1, 9))
    bytes = mutate(rng, bytes, second, other)
    mutation = `${mutation}+${second}` as Mutation
  }
  return { index, version, fresh, base: entry.name, mutation, bytes }
}

export function describeCase(c: FuzzCase): string {
  return `case ${c.index}: v${c.version} ${c.fresh ? 'first packet' : 'after CONNECT'} ${c.base} ${c.mutation} ${c.bytes.toString('hex').slice(0, 160)}${c.bytes.length > 80 ? '…' : ''}`
}

// ───────────────────────────── running ─────────────────────────────

export interface FuzzOptions {
  cases: number
  seed?: number
  /** Concurrent fuzz sockets. */
  concurrency?: number
  /** Fuzz an already running broker on 127.0.0.1:port instead of starting one in this process. */
  port?: number
  /** Settings for the in-process broker. */
  settings?: Partial<BrokerSettings>
  /** Probe interval of the healthy client, ms. */
  probeIntervalMs?: number
  /** How long a case may leave the broker silent (waiting for more bytes) before its socket is dropped. */
  caseWaitMs?: number
  /** Progress callback, about once a second. */
  onProgress?(done: number, elapsedMs: number): void
  /** Stop at the first failure (default true). */
  stopOnFailure?: boolean
}

export interface FuzzFailure {
  kind:
    | 'uncaught-exception'
    | 'unhandled-rejection'
    | 'error-logged'
    | 'probe-lost'
    | 'healthy-disconnected'
    | 'connect-refused'
    | 'bad-output'
  message: string
  seed: number
  /** Cases recently sent on the socket involved (or on every socket when it is not known). */
  cases: number[]
  details: string[]
}

export interface FuzzResult {
  seed: number
  cases: number
  sockets: number
  durationMs: number
  casesPerSecond: number
  probesSent: number
  probesReceived: number
  /** Messages from fuzz cases (and probes) the healthy and witness clients received through '#'. */
  witnessed: number
  /** Error lines the broker logged that are not failures (listener errors and such). */
  otherErrors: string[]
  failures: FuzzFailure[]
  /** Cases per mutation kind (first mutation). */
  byMutation: Record<string, number>
  /** How the broker reacted to the cases: handled them and answered the PINGREQ after them, closed the socket, or stayed silent (waiting for bytes that never came). */
  outcomes: { answered: number; closed: number; silent: number }
}

interface Worker {
  id: number
  socket: Socket | null
  port: number
  open: boolean
  /** Called when the broker answers the PINGREQ sent after a case. */
  onPingresp: (() => void) | null
  /** Case indices sent on the current socket, last first-dropped, for failure reports. */
  history: number[]
  sockets: number
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

const PINGREQ = Buffer.from([0xc0, 0x00])
/** A valid CONNECT must be answered (CONNACK, then PINGRESP) within this. */
const CONNECT_WAIT_MS = 1000
const PINGREQ_ANSWER = Buffer.from([0xd0, 0x00])
const HISTORY = 32

/**
 * Fuzz a broker with `options.cases` cases. Starts an in-process broker (with a logger that records
 * error lines) unless `options.port` is given. Resolves with the counts and any failures.
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzResult> {
  const seed = (options.seed ?? Date.now() ^ (Math.random() * 0x7fffffff)) >>> 0
  const concurrency = options.concurrency ?? 48
  const caseWaitMs = options.caseWaitMs ?? 40
  const stopOnFailure = options.stopOnFailure ?? true
  const corpus = buildCorpus()
  const failures: FuzzFailure[] = []
  const otherErrors: string[] = []
  const byMutation: Record<string, number> = {}
  const workers: Worker[] = []
  const workerByLocalPort = new Map<number, Worker>()

  const allRecentCases = (): number[] => workers.flatMap((w) => w.history.slice(-4)).sort((a, b) => a - b)
  const fail = (failure: Omit<FuzzFailure, 'seed'>): void => {
    failures.push({ ...failure, seed })
  }

  // The broker: in this process, with error lines recorded, unless a port is given.
  let broker: Broker | null = null
  let port = options.port ?? 0
  if (options.port === undefined) {
    const logger = createLogger('error', (line) => {
      const at = line.indexOf('ERROR')
      const text = at >= 0 ? line.slice(at + 5).trim() : line
      if (!/^error handling /.test(text)) {
        otherErrors.push(text)
        return
      }
      // "error handling <cmd> from <clientId|address>": find the socket by its client id or port.
      const from = /from (\S+)/.exec(text)?.[1] ?? ''
      const byId = /^fz(\d+)-/.exec(from)
      const byPort = /:(\d+)$/.exec(from)
      const worker = byId ? workers[Number(byId[1])] : byPort ? workerByLocalPort.get(Number(byPort[1])) : undefined
      fail({ kind: 'error-logged', message: text, cases: worker ? [...worker.history] : allRecentCases(), details: [] })
    })
    for (let attempt = 0; attempt < 5 && broker === null; attempt++) {
      port = await freePort()
      const candidate = new Broker({ sysInterval: 0, ...options.settings, tcpPort: port, wsPort: 0 }, { logger })
      const infos = await candidate.start()
      if (infos.some((i) => i.name === 'tcp' && i.listening)) broker = candidate
      else await candidate.stop()
    }
    if (broker === null) throw new Error('could not start the broker for fuzzing')
  }

  const onUncaught = (error: unknown): void => {
    fail({ kind: 'uncaught-exception', message: String((error as Error)?.stack ?? error), cases: allRecentCases(), details: [] })
  }
  const onRejection = (error: unknown): void => {
    fail({ kind: 'unhandled-rejection', message: String((error as Error)?.stack ?? error), cases: allRecentCases(), details: [] })
  }
  process.on('uncaughtException', onUncaught)
  process.on('unhandledRejection', onRejection)

  // The healthy client: publishes a probe every ~200 ms and must receive every one. It and a 3.1.1
  // witness also subscribe to '#', so every message a fuzz case gets published is encoded for and
  // delivered to an MQTT 5 client (with outgoing topic aliases) and a 3.1.1 client; either one
  // being disconnected (say, because it was sent a malformed packet) is a failure.
  const probeId = `probe-${seed.toString(36)}`
  const probeTopic = `${probeId}/probe`
  const healthy: MqttClient = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId: probeId,
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    keepalive: 30,
    properties: { topicAliasMaximum: 20 }
  })
  const witness: MqttClient = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId: `witness-${seed.toString(36)}`,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    keepalive: 30
  })
  let healthyClosed = false
  for (const [name, client] of [
    ['healthy', healthy],
    ['3.1.1 witness', witness]
  ] as const) {
    client.on('close', () => {
      if (!healthyClosed)
        fail({ kind: 'healthy-disconnected', message: `the ${name} client was disconnected`, cases: allRecentCases(), details: [] })
    })
    client.on('error', (error) => {
      if (!healthyClosed)
        fail({ kind: 'healthy-disconnected', message: `the ${name} client failed: ${error.message}`, cases: allRecentCases(), details: [] })
    })
  }
  const probesPending = new Map<string, number>()
  let probesSent = 0
  let probesReceived = 0
  let witnessed = 0
  healthy.on('message', (topic, payload) => {
    witnessed++
    if (topic === probeTopic && probesPending.delete(payload.toString())) probesReceived++
  })
  witness.on('message', () => void witnessed++)
  await healthy.subscribeAsync(probeTopic, { qos: 1 })
  await healthy.subscribeAsync('#', { qos: 1 })
  await witness.subscribeAsync('#', { qos: 2 })
  const probe = (): void => {
    if (healthyClosed) return
    const token = `${probesSent++}`
    probesPending.set(token, Date.now())
    healthy.publish(probeTopic, token, { qos: 1 })
  }
  const probeTimer = setInterval(probe, options.probeIntervalMs ?? 200)

  // Fuzz workers: each takes a block of cases at a time.
  let nextBlock = 0
  let done = 0
  const outcomes = { answered: 0, closed: 0, silent: 0 }
  let sockets = 0
  const startedAt = Date.now()
  let lastProgress = startedAt
  const stopped = (): boolean => stopOnFailure && failures.length > 0

  const openSocket = (worker: Worker, version: Version, checkOutput: boolean): Promise<Socket | null> =>
    new Promise((resolve) => {
      const socket = netConnect({ host: '127.0.0.1', port })
      socket.setNoDelay(true)
      let settled = false
      socket.on('error', () => {
        if (!settled) {
          settled = true
          resolve(null)
        }
      })
      // Read what the broker sends and spot PINGRESP; if its output cannot be parsed as `version`
      // (after a mutated CONNECT), fall back to looking for the PINGRESP bytes.
      const parser = mqttPacket.parser({ protocolVersion: version })
      let parsing = true
      parser.on('packet', (packet: Packet) => {
        if (packet.cmd === 'pingresp' && worker.socket === socket) worker.onPingresp?.()
      })
      const received: Buffer[] = []
      let receivedBytes = 0
      parser.on('error', (error: Error) => {
        parsing = false
        // After a valid CONNECT the broker must only send well-formed packets of that version.
        if (checkOutput) {
          fail({
            kind: 'bad-output',
            message: `the broker sent an MQTT ${version} client a packet mqtt-packet cannot parse: ${error.message}`,
            cases: [...worker.history],
            details: [`received (hex, last 200 bytes): ${Buffer.concat(received).subarray(-200).toString('hex')}`]
          })
        }
      })
      socket.on('data', (chunk: Buffer) => {
        if (receivedBytes < 4096) {
          received.push(chunk)
          receivedBytes += chunk.length
        }
        if (parsing) parser.parse(chunk)
        else if (chunk.includes(PINGREQ_ANSWER) && worker.socket === socket) worker.onPingresp?.()
      })
      socket.once('connect', () => {
        settled = true
        sockets++
        worker.sockets++
        workerByLocalPort.set(socket.localPort ?? 0, worker)
        resolve(socket)
      })
      socket.once('close', () => {
        workerByLocalPort.delete(socket.localPort ?? 0)
        if (worker.socket === socket) worker.open = false
      })
    })

  /** Send bytes then a PINGREQ; resolve when the broker answers it, closes, or stays silent for caseWaitMs. */
  /**
   * Send bytes then a PINGREQ; resolve when the broker answers it, closes, or stays silent for
   * `waitMs`. Time this process spent stalled (a busy machine, GC) does not count as silence: when
   * the timer fires late, it is armed again, so the broker's pending I/O is read first.
   */
  const exchange = (worker: Worker, bytes: Buffer, waitMs = caseWaitMs): Promise<'answered' | 'closed' | 'silent'> =>
    new Promise((resolve) => {
      const socket = worker.socket!
      let timer: NodeJS.Timeout | undefined
      const finish = (how: 'answered' | 'closed' | 'silent'): void => {
        clearTimeout(timer)
        worker.onPingresp = null
        socket.off('close', onClose)
        resolve(how)
      }
      const onClose = (): void => finish('closed')
      // PINGRESP means the broker has handled every byte before our PINGREQ.
      worker.onPingresp = () => finish('answered')
      socket.once('close', onClose)
      const arm = (): void => {
        const due = Date.now() + waitMs
        timer = setTimeout(() => (Date.now() - due > 15 ? arm() : finish('silent')), waitMs)
      }
      arm()
      if (!worker.open) return finish('closed')
      socket.write(bytes)
      socket.write(PINGREQ)
    })

  const runWorker = async (worker: Worker): Promise<void> => {
    let version: Version | null = null
    let counter = 0
    let index = 0
    let blockEnd = 0
    let refusedConnects = 0
    while (!stopped()) {
      if (index >= blockEnd) {
        index = nextBlock++ * BLOCK
        blockEnd = Math.min(index + BLOCK, options.cases)
        if (index >= options.cases) break
      }
      const fuzzCase = generateCase(corpus, seed, index)
      byMutation[fuzzCase.mutation.split('+')[0]] = (byMutation[fuzzCase.mutation.split('+')[0]] ?? 0) + 1
      if (fuzzCase.fresh || !worker.open || version !== fuzzCase.version) {
        worker.socket?.destroy()
        worker.history = []
        worker.open = false
        const socket = await openSocket(worker, fuzzCase.version, !fuzzCase.fresh)
        if (socket === null) {
          // Not run: try it again on the next socket.
          await new Promise((r) => setTimeout(r, 5))
          continue
        }
        worker.socket = socket
        worker.open = true
        // After a mutated CONNECT the socket's state is unknown: the next case starts afresh.
        version = fuzzCase.fresh ? null : fuzzCase.version
        if (!fuzzCase.fresh) {
          const clientId = `fz${worker.id}-${counter++ % 8}`
          const answer = await exchange(worker, connectFor(corpus, fuzzCase.version, clientId, index), CONNECT_WAIT_MS)
          if (answer !== 'answered') {
            // A valid CONNECT went unanswered: retry on a new socket, but not forever.
            worker.open = false
            if (++refusedConnects > 2) {
              fail({
                kind: 'connect-refused',
                message: `a valid MQTT ${fuzzCase.version} CONNECT was ${answer} ${refusedConnects} times in a row`,
                cases: [index],
                details: []
              })
              break
            }
            continue
          }
          refusedConnects = 0
        }
      }
      worker.history.push(index)
      if (worker.history.length > HISTORY) worker.history.shift()
      index++
      const outcome = await exchange(worker, fuzzCase.bytes)
      outcomes[outcome]++
      if (outcome !== 'answered') {
        // Closed by the broker, or waiting for bytes that will never come: start a new socket.
        worker.socket?.destroy()
        worker.open = false
      }
      done++
      const now = Date.now()
      if (options.onProgress && now - lastProgress >= 1000) {
        lastProgress = now
        options.onProgress(done, now - startedAt)
      }
    }
    worker.socket?.destroy()
    worker.open = false
  }

  for (let id = 0; id < concurrency; id++) workers.push({ id, socket: null, port, open: false, onPingresp: null, history: [], sockets: 0 })
  await Promise.all(workers.map((w) => runWorker(w)))
  const durationMs = Date.now() - startedAt

  // Probes: one more, then every probe sent must have come back.
  clearInterval(probeTimer)
  probe()
  const deadline = Date.now() + 3000
  while (probesPending.size > 0 && Date.now() < deadline && !healthyClosed) await new Promise((r) => setTimeout(r, 20))
  if (probesPending.size > 0) {
    fail({
      kind: 'probe-lost',
      message: `${probesPending.size} of ${probesSent} probes did not come back`,
      cases: allRecentCases(),
      details: [...probesPending.entries()].slice(0, 5).map(([token, at]) => `probe ${token} sent ${at - startedAt} ms into the run`)
    })
  }

  healthyClosed = true
  await healthy.endAsync(true).catch(() => {})
  await witness.endAsync(true).catch(() => {})
  // Let late errors surface before the listeners go.
  await new Promise((r) => setTimeout(r, 50))
  process.off('uncaughtException', onUncaught)
  process.off('unhandledRejection', onRejection)
  if (broker) await broker.stop()

  return {
    seed,
    cases: done,
    sockets,
    durationMs,
    casesPerSecond: Math.round((done * 1000) / Math.max(1, durationMs)),
    probesSent,
    probesReceived,
    witnessed,
    otherErrors,
    failures,
    byMutation,
    outcomes
  }
}

/** A failure as text: what happened, the seed and the cases to replay. */
export function formatFailure(failure: FuzzFailure, corpus: Corpus = buildCorpus()): string {
  const lines = [
    `${failure.kind}: ${failure.message}`,
    `  seed ${failure.seed}, cases ${failure.cases.join(', ')}`,
    `  replay: replayCases(${failure.seed}, [${failure.cases.join(', ')}])`,
    ...failure.details.map((d) => `  ${d}`)
  ]
  for (const index of failure.cases.slice(-6)) lines.push(`  ${describeCase(generateCase(corpus, failure.seed, index))}`)
  return lines.join('\n')
}

/**
 * Replay cases on one socket, in order, against 127.0.0.1:port: the valid CONNECT for the first
 * case's version, then each case's bytes (a case sent as a first packet opens a new socket).
 * For reproducing a failure reported with its seed and case indices.
 */
export async function replayCases(port: number, seed: number, indices: readonly number[]): Promise<void> {
  const corpus = buildCorpus()
  let socket: Socket | null = null
  for (const index of indices) {
    const fuzzCase = generateCase(corpus, seed, index)
    if (socket === null || fuzzCase.fresh || socket.destroyed) {
      socket?.destroy()
      socket = netConnect({ host: '127.0.0.1', port })
      socket.on('error', () => {})
      socket.on('data', () => {})
      await new Promise((r) => socket!.once('connect', r))
      if (!fuzzCase.fresh) socket.write(connectFor(corpus, fuzzCase.version, 'fz0-0', index))
    }
    socket.write(fuzzCase.bytes)
    socket.write(PINGREQ)
    await new Promise((r) => setTimeout(r, 20))
  }
  socket?.destroy()
}
