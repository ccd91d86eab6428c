import { createServer } from 'node:net'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { Broker } from '../../src/main/broker/broker'
import { silentLogger } from '../../src/main/logger'
import type { BrokerSettings } from '../../src/shared/settings'

/** Every behavioural suite runs once per listener so TCP and WebSocket cannot drift apart. */
export const TRANSPORTS = ['tcp', 'ws'] as const
export type TransportKind = (typeof TRANSPORTS)[number]

export interface TestBroker {
  broker: Broker
  tcpPort: number
  wsPort: number
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

/** A broker on free ports (TCP + WebSocket), quiet logs and no $SYS unless asked. */
export async function startTestBroker(settings: Partial<BrokerSettings> = {}): Promise<TestBroker> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const tcpPort = await freePort()
    const wsPort = await freePort()
    const broker = new Broker({ sysInterval: 0, ...settings, tcpPort, wsPort }, { logger: silentLogger })
    const infos = await broker.start()
    if (infos.every((info) => info.listening)) {
      return {
        broker,
        tcpPort,
        wsPort,
        url: (kind) => (kind === 'tcp' ? `mqtt://127.0.0.1:${tcpPort}` : `ws://127.0.0.1:${wsPort}/mqtt`),
        close: () => broker.stop()
      }
    }
    await broker.stop()
  }
  throw new Error('could not bind test broker ports')
}

/** Connect an MQTT.js client that never reconnects by itself (tests decide when to reconnect). */
export async function connectClient(
  target: TestBroker,
  kind: TransportKind,
  options: IClientOptions = {}
): Promise<MqttClient> {
  return mqtt.connectAsync(target.url(kind), {
    reconnectPeriod: 0,
    connectTimeout: 5000,
    protocolVersion: 4,
    ...options
  })
}

/** Collect messages arriving on a client. */
export function collectMessages(client: MqttClient): Array<{ topic: string; payload: Buffer; packet: mqtt.IPublishPacket }> {
  const received: Array<{ topic: string; payload: Buffer; packet: mqtt.IPublishPacket }> = []
  client.on('message', (topic, payload, packet) => received.push({ topic, payload, packet }))
  return received
}

/** Wait until a condition holds (polling), or fail with a message. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
