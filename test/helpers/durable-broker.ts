import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { Broker } from '../../src/main/broker/broker'
import { openStore } from '../../src/main/broker/persistence/open-store'
import { createLogger } from '../../src/main/logger'
import type { BrokerSettings } from '../../src/shared/settings'
import { collectMessages, freePort } from './broker-harness'

/** A broker on a store in `dataDir`, in this process; stop() closes it cleanly, as Ctrl-C does. */
export interface DurableBroker {
  broker: Broker
  port: number
  log: string[]
  connect(options?: IClientOptions): Promise<MqttClient>
  /** Connect with a message collector attached before the CONNACK (queued messages follow it at once). */
  connectCollecting(options?: IClientOptions): Promise<{ client: MqttClient; received: ReturnType<typeof collectMessages> }>
  stop(): Promise<void>
}

export function tempDataDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'brokerscope-store-'))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export async function startDurable(dataDir: string, settings: Partial<BrokerSettings> = {}, port?: number): Promise<DurableBroker> {
  const log: string[] = []
  const logger = createLogger('info', (line) => log.push(line))
  const tcpPort = port ?? (await freePort())
  const store = openStore(dataDir, logger)
  const broker = new Broker({ sysInterval: 0, wsPort: 0, ...settings, tcpPort }, { logger, store })
  const infos = await broker.start()
  if (!infos.every((info) => info.listening)) {
    await broker.stop()
    throw new Error(`could not listen: ${JSON.stringify(infos)}`)
  }
  store.markHealthy()
  return {
    broker,
    port: tcpPort,
    log,
    connect: (options = {}) =>
      mqtt.connectAsync(`mqtt://127.0.0.1:${tcpPort}`, { reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 4, ...options }),
    connectCollecting: async (options = {}) => {
      const client = mqtt.connect(`mqtt://127.0.0.1:${tcpPort}`, {
        reconnectPeriod: 0,
        connectTimeout: 5000,
        protocolVersion: 4,
        ...options
      })
      const received = collectMessages(client)
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve())
        client.once('error', reject)
      })
      return { client, received }
    },
    stop: () => broker.stop()
  }
}
