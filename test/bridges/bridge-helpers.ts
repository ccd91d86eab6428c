import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { BridgeManager } from '../../src/main/bridges/bridge-manager'
import type { BrokerControl } from '../../src/main/broker/control'
import { createLogger, type Logger, silentLogger } from '../../src/main/logger'
import { MemoryBridgeStore } from '../../src/main/storage/bridge-file-store'
import { type BridgeConfig, type BridgeState, type BridgeStatus, validateBridgeConfig } from '../../src/shared/bridges'
import { waitFor } from '../helpers/broker-harness'

/** A checked bridge config (the validator fills in the defaults). */
export function bridgeConfig(fields: Record<string, unknown> & { name: string; url: string }): BridgeConfig {
  const checked = validateBridgeConfig(fields)
  if (!checked.ok) throw new Error(`bad test bridge: ${JSON.stringify(checked.errors)}`)
  return checked.value
}

export interface TestBridges {
  manager: BridgeManager
  store: MemoryBridgeStore
  log: string[]
  status(name: string): BridgeStatus
  waitForState(name: string, state: BridgeState, timeoutMs?: number): Promise<BridgeStatus>
}

/** A bridge manager with short reconnection waits (100 ms to 400 ms instead of 5 s to 30 s). */
export function startBridges(
  broker: BrokerControl,
  explicit: BridgeConfig[],
  options: { store?: MemoryBridgeStore; logger?: Logger } = {}
): TestBridges {
  const log: string[] = []
  const store = options.store ?? new MemoryBridgeStore()
  const manager = new BridgeManager({
    broker,
    logger: options.logger ?? createLogger('debug', (line) => log.push(line)),
    store,
    explicit,
    hostname: 'test-host',
    backoff: { baseMs: 100, capMs: 400 },
    connectTimeoutMs: 3000
  })
  manager.start()
  const status = (name: string): BridgeStatus => {
    const found = manager.list().find((s) => s.config.name === name)
    if (found === undefined) throw new Error(`no bridge ${name}`)
    return found
  }
  return {
    manager,
    store,
    log,
    status,
    waitForState: async (name, state, timeoutMs = 5000) => {
      await waitFor(
        () => status(name).state === state,
        `bridge ${name} to be ${state} (now ${JSON.stringify(status(name))})`,
        timeoutMs
      ).catch((error: Error) => {
        throw new Error(`${error.message}\nlog:\n${log.join('\n')}`)
      })
      return status(name)
    }
  }
}

export { silentLogger }

/** An MQTT.js client that never reconnects by itself. */
export function client(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 5, ...options })
}

export interface Received {
  topic: string
  payload: string
  qos: number
  retain: boolean
  properties: mqtt.IPublishPacket['properties']
}

export function collect(c: MqttClient): Received[] {
  const got: Received[] = []
  c.on('message', (topic, payload, packet) =>
    got.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain, properties: packet.properties })
  )
  return got
}
