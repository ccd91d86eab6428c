import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import type { Packet } from 'mqtt-packet'
import { afterEach } from 'vitest'
import { Broker } from '../../src/main/broker/broker'
import { silentLogger } from '../../src/main/logger'
import type { BrokerSettings } from '../../src/shared/settings'

/** Every behavioural suite runs once per listener so TCP, WebSocket and the Unix socket cannot drift apart. */
export const TRANSPORTS = ['tcp', 'ws', 'unix'] as const
export type TransportKind = (typeof TRANSPORTS)[number]

export interface TestBroker {
  broker: Broker
  tcpPort: number
  wsPort: number
  /** The Unix socket listener's path (in a temporary folder removed by close()). */
  unixPath: string
  url(kind: TransportKind): string
  close(): Promise<void>
}

export function freePort(): Promise<number> {
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

/** A broker on free ports (TCP + WebSocket) and a Unix socket, quiet logs and no $SYS unless asked. */
export async function startTestBroker(settings: Partial<BrokerSettings> = {}): Promise<TestBroker> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const tcpPort = await freePort()
    const wsPort = await freePort()
    const folder = mkdtempSync(join(tmpdir(), 'bs-unix-'))
    const unixPath = join(folder, 'mqtt.sock')
    const broker = new Broker({ sysInterval: 0, unixSocket: unixPath, ...settings, tcpPort, wsPort }, { logger: silentLogger })
    const infos = await broker.start()
    if (infos.every((info) => info.listening)) {
      const urls: Record<TransportKind, string> = {
        tcp: `mqtt://127.0.0.1:${tcpPort}`,
        ws: `ws://127.0.0.1:${wsPort}/mqtt`,
        unix: `mqtt+unix://${unixPath}`
      }
      return {
        broker,
        tcpPort,
        wsPort,
        unixPath,
        url: (kind) => urls[kind],
        close: async () => {
          await broker.stop()
          rmSync(folder, { recursive: true, force: true })
        }
      }
    }
    await broker.stop()
    rmSync(folder, { recursive: true, force: true })
  }
  throw new Error('could not bind test broker ports')
}

/** Connect an MQTT.js client that never reconnects by itself (tests decide when to reconnect). */
export async function connectClient(target: TestBroker, kind: TransportKind, options: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(target.url(kind), {
    reconnectPeriod: 0,
    connectTimeout: 5000,
    protocolVersion: 4,
    ...options
  })
}

/**
 * A broker and MQTT.js clients per test, for a describe block over one transport: call it in the
 * describe body; it registers its own afterEach, which runs `beforeCleanup`, ends the clients and
 * stops the broker.
 */
export interface BrokerPerTest {
  /** The broker start() started for this test. */
  readonly tb: TestBroker
  start(settings?: Partial<BrokerSettings>): Promise<TestBroker>
  /** Connect an MQTT.js client over the transport (connectClient), errors ignored, ended after the test. */
  open(options?: IClientOptions): Promise<MqttClient>
  /** Ignore a client's errors and end it after the test. */
  track(client: MqttClient): MqttClient
}

export function brokerPerTest(kind: TransportKind, hooks: { beforeCleanup?: () => void } = {}): BrokerPerTest {
  let tb: TestBroker | null = null
  const clients: MqttClient[] = []

  const track = (client: MqttClient): MqttClient => {
    client.on('error', () => {})
    clients.push(client)
    return client
  }

  afterEach(async () => {
    hooks.beforeCleanup?.()
    await Promise.all(clients.splice(0).map((client) => client.endAsync(true).catch(() => {})))
    await tb?.close()
    tb = null
  })

  return {
    get tb(): TestBroker {
      if (tb === null) throw new Error('no test broker: call start() first')
      return tb
    },
    start: async (settings = {}) => (tb = await startTestBroker(settings)),
    open: async (options = {}) => track(await connectClient(tb!, kind, options)),
    track
  }
}

/** Resolves with the next packet of type `cmd` the client receives (attach before triggering it). */
export function nextPacket<T extends Packet>(client: MqttClient, cmd: Packet['cmd'], timeoutMs = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const onPacket = (packet: Packet): void => {
      if (packet.cmd !== cmd) return
      clearTimeout(timer)
      client.off('packetreceive', onPacket)
      resolve(packet as T)
    }
    const timer = setTimeout(() => {
      client.off('packetreceive', onPacket)
      reject(new Error(`no ${cmd} within ${timeoutMs} ms`))
    }, timeoutMs)
    client.on('packetreceive', onPacket)
  })
}

/** Collect messages arriving on a client. */
export function collectMessages(client: MqttClient): Array<{ topic: string; payload: Buffer; packet: mqtt.IPublishPacket }> {
  const received: Array<{ topic: string; payload: Buffer; packet: mqtt.IPublishPacket }> = []
  client.on('message', (topic, payload, packet) => received.push({ topic, payload, packet }))
  return received
}

/** Wait until a condition holds (polling), or fail with a message; delay. In wait.ts, which bench/ can import too. */
export { delay, waitFor } from './wait'
